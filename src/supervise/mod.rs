//! The supervisor: runs the command, forwards signals, reaps, passes the exit status through.
//!
//! Contract with the user's build (see `ARCHITECTURE.md`): the command runs in its own process
//! group with stdin/stdout/stderr inherited untouched; the wrapper is a child subreaper so
//! orphaned descendants come back to it and are reaped and counted; SIGINT, SIGTERM, SIGHUP,
//! SIGQUIT (and SIGUSR1/2) are forwarded to the group; the exit status is the command's, as a
//! shell reports it. Monitoring happens through the [`Monitor`] hooks, each called inside
//! `catch_unwind`: a failing or panicking monitor is switched off with one warning, and the
//! command carries on (fail-open).
//!
//! May depend on `crate::clock`, and on `crate::sample::linux::{kept, parse, procs}` for
//! reading /proc; never on the model or the profile.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(not(target_os = "linux"))]
mod portable;
#[cfg(target_os = "linux")]
pub mod signals;
#[cfg(unix)]
pub mod spawn;
#[cfg(target_os = "linux")]
mod trace;
#[cfg(target_os = "linux")]
mod tty;

use std::ffi::OsString;
use std::time::Duration;

use crate::clock::Clock;

#[cfg(target_os = "linux")]
pub use linux::run;
#[cfg(not(target_os = "linux"))]
pub use portable::run;

/// How to supervise.
#[derive(Debug, Clone)]
pub struct SuperviseOptions {
    /// Time between two `Monitor::sample` calls.
    pub interval: Duration,
    /// End descendants still running when the command has ended.
    pub kill_lingering: bool,
    /// How long lingering processes get between SIGTERM and SIGKILL.
    pub kill_grace: Duration,
    /// Trace every fork/exec/exit with ptrace (Linux).
    pub trace: bool,
}

/// How a process ended, as `wait` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Exited with this code.
    Exited(i32),
    /// Killed by this signal.
    Signaled(i32),
}

impl Ended {
    /// The status as a shell reports it: the code, or 128+N for signal N.
    pub fn shell_code(self) -> i32 {
        match self {
            Ended::Exited(c) => c,
            Ended::Signaled(s) => 128 + s,
        }
    }

    /// The signal, for signal deaths.
    pub fn signal(self) -> Option<i32> {
        match self {
            Ended::Signaled(s) => Some(s),
            Ended::Exited(_) => None,
        }
    }
}

/// CPU and memory of a reaped process (and its reaped descendants), from `wait4`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReapUsage {
    /// User CPU, microseconds.
    pub user_usec: u64,
    /// System CPU, microseconds.
    pub system_usec: u64,
    /// Peak RSS of the largest process of the subtree, bytes.
    pub maxrss_bytes: u64,
}

/// What the supervisor reports to the monitoring side. Every hook must return quickly; the
/// supervisor catches panics and then stops calling the monitor.
pub trait Monitor {
    /// A cgroup v2 directory fd to create the command in (Linux), if the monitor has one.
    fn spawn_cgroup(&mut self) -> Option<i32> {
        None
    }
    /// The command is forked and held before exec; `pid` is also its process group;
    /// `in_cgroup` says it was created inside `spawn_cgroup`. Returning an error message makes
    /// the supervisor print it as a warning.
    fn command_forked(&mut self, pid: u32, in_cgroup: bool) -> Result<(), String>;
    /// `t` seconds after the start: take a periodic sample.
    fn sample(&mut self, t: f64);
    /// The wrapper reaped its child `pid` (the command, or an orphan reparented to it).
    fn reaped(&mut self, t: f64, pid: u32, ended: Ended, usage: ReapUsage);
    /// Trace mode: `child` is a new process (not a thread) forked by `parent`.
    fn traced_fork(&mut self, t: f64, parent: u32, child: u32);
    /// Trace mode: `pid` exec'd a new program.
    fn traced_exec(&mut self, t: f64, pid: u32);
    /// Trace mode: `pid` is stopped at its exit, its accounting complete, ending with `ended`.
    fn traced_exit(&mut self, t: f64, pid: u32, ended: Ended);
    /// Trace mode could not be started; sampling continues.
    fn trace_unavailable(&mut self, reason: &str);
    /// The command ended; `outcome` says how and what was left running.
    fn finished(&mut self, t: f64, outcome: &Outcome);
}

/// The command to run.
#[derive(Debug, Clone)]
pub struct CommandSpec {
    /// Program and arguments.
    pub argv: Vec<OsString>,
}

/// How the supervised command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The command's status; the wrapper exits with `ended.shell_code()`.
    pub ended: Ended,
    /// errno of a failed exec (the command never ran).
    pub exec_errno: Option<i32>,
    /// Descendants still running after the command ended, left running.
    pub lingering: Vec<u32>,
    /// Descendants still running after the command ended, then terminated by the wrapper.
    pub killed: Vec<u32>,
    /// The wrapper received a termination signal and forwarded it.
    pub terminated_by_signal: Option<i32>,
}

/// The supervisor's own failures: only these prevent the command from running at all.
#[derive(Debug, thiserror::Error)]
pub enum SuperviseError {
    #[cfg(unix)]
    #[error("failed to start the command")]
    Spawn(#[from] spawn::SpawnError),
    #[error("failed to start the command")]
    Io(#[from] std::io::Error),
}

/// Wraps a monitor so that a panic inside it switches monitoring off instead of aborting the
/// wrapper (which would orphan the command and lose its exit status).
pub(crate) struct Guarded<'m> {
    inner: Option<&'m mut dyn Monitor>,
}

impl<'m> Guarded<'m> {
    pub(crate) fn new(inner: &'m mut dyn Monitor) -> Self {
        Guarded { inner: Some(inner) }
    }

    pub(crate) fn call<R>(&mut self, f: impl FnOnce(&mut dyn Monitor) -> R) -> Option<R> {
        let m = self.inner.as_mut()?;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut **m))) {
            Ok(r) => Some(r),
            Err(_) => {
                crate::warn::warn(
                    "monitoring stopped after an internal error; the command keeps running",
                );
                self.inner = None;
                None
            }
        }
    }
}

/// The clock used by the supervisor: created by the caller so both sides share `t = 0`.
pub type StageClock = Clock;

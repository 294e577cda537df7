//! The Linux supervisor loop: one thread, `sigtimedwait` as both signal source and clock.

use std::time::{Duration, Instant};

use super::signals::{self, SignalWaiter};
use super::spawn::{self, ChildSetup, ExecOutcome};
use super::trace::{self, Tracer};
use super::{CommandSpec, Ended, Guarded, Monitor, Outcome, SuperviseError, SuperviseOptions};
use crate::clock::Clock;
use crate::sample::linux::procs;

/// Runs `spec` to completion under supervision, calling `monitor` along the way.
///
/// Returns `Err` only when the command could not be started at all (fork failed); every
/// monitoring problem is the monitor's to report, and exec failures are an [`Outcome`] with
/// status 126/127, as in a shell.
pub fn run(
    spec: &CommandSpec,
    opts: &SuperviseOptions,
    clock: &Clock,
    monitor: &mut dyn Monitor,
) -> Result<Outcome, SuperviseError> {
    let mut monitor = Guarded::new(monitor);
    // Orphaned descendants are reparented to us, so their exit and CPU are not lost to init.
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    let sigchld = signals::reset_sigchld();
    let waiter = SignalWaiter::install()?;
    let nofile = raise_nofile_limit();
    let setup = ChildSetup {
        sigmask: waiter.original_mask,
        nofile,
        sigchld,
    };

    let cgroup_fd = monitor.call(|m| m.spawn_cgroup()).flatten();
    let held = spawn::fork_held(&spec.argv, &setup, cgroup_fd)?;
    let pid = held.pid;
    let in_cgroup = held.in_cgroup;
    if let Some(Err(msg)) = monitor.call(|m| m.command_forked(pid, in_cgroup)) {
        crate::warn::warn(&msg);
    }
    let foreground = super::tty::give_to(pid);
    let mut tracer = None;
    if opts.trace {
        match trace::seize(pid) {
            Ok(()) => {
                let mut t = Tracer::default();
                t.add_root(pid);
                tracer = Some(t);
            }
            Err(e) => {
                let reason = format!("--trace-exec unavailable (ptrace: {e}); sampling instead");
                crate::warn::warn(&reason);
                monitor.call(|m| m.trace_unavailable(&reason));
            }
        }
    }
    let exec_errno = match held.release() {
        ExecOutcome::Running => None,
        ExecOutcome::Failed(errno) => {
            crate::warn::error(&spawn::exec_failure_message(&spec.argv[0], errno));
            Some(errno)
        }
    };

    let mut state = LoopState {
        main_pid: pid,
        main_ended: None,
        terminated_by: None,
        tracer,
        foreground,
    };
    let interval = opts.interval;
    let mut next_sample = clock.start_instant();
    while state.main_ended.is_none() {
        let now = Instant::now();
        if now >= next_sample {
            monitor.call(|m| m.sample(clock.t()));
            next_sample = advance(next_sample, interval, Instant::now());
            continue;
        }
        match waiter.wait(next_sample - now) {
            Some(libc::SIGCHLD) | Some(0) => state.reap(clock, &mut monitor),
            Some(sig) => state.forward(sig),
            None => {}
        }
    }
    // Collect whatever else already ended, then look at what is left.
    state.reap(clock, &mut monitor);
    let ended = state.main_ended.expect("loop ends when the command ended");
    let mut outcome = Outcome {
        ended,
        exec_errno,
        lingering: Vec::new(),
        killed: Vec::new(),
        terminated_by_signal: state.terminated_by,
    };
    let lingering = descendants();
    if !lingering.is_empty() {
        // One more sample records the lingering processes as they are now.
        monitor.call(|m| m.sample(clock.t()));
        if opts.kill_lingering || state.terminated_by.is_some() {
            outcome.killed =
                state.kill_lingering(lingering, opts.kill_grace, &waiter, clock, &mut monitor);
        } else {
            outcome.lingering = lingering;
        }
    }
    // Reap zombies that appeared meanwhile, without waiting for anything still running.
    state.reap(clock, &mut monitor);
    drop(state.foreground.take());
    monitor.call(|m| m.finished(clock.t(), &outcome));
    Ok(outcome)
}

struct LoopState {
    main_pid: u32,
    main_ended: Option<Ended>,
    terminated_by: Option<i32>,
    tracer: Option<Tracer>,
    foreground: Option<super::tty::Foreground>,
}

impl LoopState {
    /// Reaps every child that changed state, without blocking.
    fn reap(&mut self, clock: &Clock, monitor: &mut Guarded<'_>) {
        let flags = libc::WNOHANG | libc::WUNTRACED | libc::__WALL;
        loop {
            let mut status = 0;
            // SAFETY: rusage is plain old data.
            let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
            // SAFETY: valid pointers to locals.
            let pid = unsafe { libc::wait4(-1, &mut status, flags, &mut ru) };
            if pid <= 0 {
                // 0: children exist but none changed state; -1 ECHILD: none left.
                return;
            }
            let pid = pid as u32;
            let t = clock.t();
            if libc::WIFSTOPPED(status) {
                match &mut self.tracer {
                    Some(tracer) => tracer.handle_stop(pid, status, t, monitor),
                    None if pid == self.main_pid => self.job_control_stop(),
                    None => {}
                }
                continue;
            }
            if libc::WIFCONTINUED(status) {
                continue;
            }
            let Some(ended) = trace::decode_exit(status) else {
                continue;
            };
            if let Some(tracer) = &mut self.tracer {
                let thread = tracer.is_thread(pid);
                tracer.forget(pid);
                if thread {
                    continue;
                }
            }
            let usage = trace::reap_usage(&ru);
            monitor.call(|m| m.reaped(t, pid, ended, usage));
            if pid == self.main_pid {
                self.main_ended = Some(ended);
            }
        }
    }

    /// Forwards `sig` to the command's process group.
    fn forward(&mut self, sig: libc::c_int) {
        if signals::is_termination(sig) {
            self.terminated_by.get_or_insert(sig);
        }
        signals::signal_group(self.main_pid, sig);
    }

    /// The command was stopped (Ctrl-Z): take the terminal back and stop the wrapper too, so
    /// the shell sees the job stopped; when continued, resume the command in the foreground.
    fn job_control_stop(&mut self) {
        let Some(fg) = &self.foreground else {
            return;
        };
        fg.reclaim();
        // SAFETY: stopping ourselves; execution resumes here on SIGCONT.
        unsafe { libc::raise(libc::SIGSTOP) };
        fg.give_again(self.main_pid);
        signals::signal_group(self.main_pid, libc::SIGCONT);
    }

    /// Terminates lingering descendants: SIGTERM, `grace` to exit, then SIGKILL. Returns the
    /// pids that were running when this started.
    fn kill_lingering(
        &mut self,
        pids: Vec<u32>,
        grace: Duration,
        waiter: &SignalWaiter,
        clock: &Clock,
        monitor: &mut Guarded<'_>,
    ) -> Vec<u32> {
        signals::signal_group(self.main_pid, libc::SIGTERM);
        for &p in &pids {
            signals::signal_pid(p, libc::SIGTERM);
            // A stopped process would never see the SIGTERM.
            signals::signal_pid(p, libc::SIGCONT);
        }
        let deadline = Instant::now() + grace;
        loop {
            self.reap(clock, monitor);
            let left = descendants();
            if left.is_empty() {
                break;
            }
            let now = Instant::now();
            if now >= deadline {
                for p in left {
                    signals::signal_pid(p, libc::SIGKILL);
                }
                signals::signal_group(self.main_pid, libc::SIGKILL);
                // SIGKILL cannot be caught: wait (bounded) until they are reaped.
                let hard_deadline = Instant::now() + Duration::from_secs(5);
                while !descendants().is_empty() && Instant::now() < hard_deadline {
                    waiter.wait(Duration::from_millis(20));
                    self.reap(clock, monitor);
                }
                break;
            }
            // Wake on SIGCHLD, or re-check every 50 ms for grandchildren reaped by others.
            if let Some(sig) = waiter.wait((deadline - now).min(Duration::from_millis(50)))
                && sig != libc::SIGCHLD
                && sig != 0
            {
                self.forward(sig);
            }
        }
        pids
    }
}

/// Live descendants of the wrapper, found through `task/*/children` (zombies excluded: they
/// are already dead and only wait to be reaped).
fn descendants() -> Vec<u32> {
    let proc_root = std::path::Path::new("/proc");
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let _ = procs::children_of_all_threads(proc_root, std::process::id(), &mut buf, &mut out);
    let mut i = 0;
    while i < out.len() {
        let pid = out[i];
        i += 1;
        let _ = procs::children_of_all_threads(proc_root, pid, &mut buf, &mut out);
    }
    out.retain(|&pid| {
        std::fs::read(proc_root.join(format!("{pid}/stat")))
            .ok()
            .and_then(|s| {
                crate::sample::linux::parse::parse_stat(&s)
                    .ok()
                    .map(|st| st.state)
            })
            .is_some_and(|state| state != b'Z' && state != b'X')
    });
    out
}

/// The next sample time after `prev`: one interval later, skipping missed ticks so a stalled
/// machine does not cause a burst of samples.
fn advance(prev: Instant, interval: Duration, now: Instant) -> Instant {
    let mut next = prev + interval;
    if next <= now {
        let behind = now.duration_since(next).as_nanos() / interval.as_nanos().max(1);
        next += interval * (behind as u32 + 1);
    }
    next
}

/// Raises RLIMIT_NOFILE's soft limit to the hard limit, so the sampler can keep files of many
/// processes open. Returns the original limit, which the command gets back.
fn raise_nofile_limit() -> Option<libc::rlimit> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: valid pointer to a local.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return None;
    }
    if lim.rlim_cur >= lim.rlim_max {
        return None;
    }
    let raised = libc::rlimit {
        rlim_cur: lim.rlim_max,
        rlim_max: lim.rlim_max,
    };
    // SAFETY: valid pointer to a local.
    (unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0).then_some(lim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_skips_missed_ticks() {
        let t0 = Instant::now();
        let i = Duration::from_millis(100);
        assert_eq!(advance(t0, i, t0), t0 + i);
        let late = t0 + Duration::from_millis(350);
        assert_eq!(advance(t0, i, late), t0 + Duration::from_millis(400));
    }
}

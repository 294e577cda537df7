//! `--trace-exec`: follow every fork, exec and exit of the tree with ptrace.
//!
//! Only event stops are requested (fork/vfork/clone/exec/exit, `PTRACE_CONT` after each): no
//! syscall stops, so a traced program runs at full speed between events. At each process's
//! exit stop the kernel still holds its complete accounting, which the monitor reads, so even
//! a compiler that lived 5 ms is recorded with its own CPU, peak RSS, I/O and exit status.
//!
//! Costs and limits (measured figures in `BENCHMARKS.md`): each event costs two context
//! switches; a program under trace cannot itself be traced, so gdb, strace and sanitizers fail
//! under `--trace-exec` (they work under plain `wrap`). Group stops (SIGSTOP/SIGTSTP) are
//! handled with `PTRACE_LISTEN` so job control keeps working.

use std::collections::HashMap;
use std::io;

use super::{Ended, Guarded, ReapUsage};

const OPTIONS: libc::c_int = libc::PTRACE_O_TRACEFORK
    | libc::PTRACE_O_TRACEVFORK
    | libc::PTRACE_O_TRACECLONE
    | libc::PTRACE_O_TRACEEXEC
    | libc::PTRACE_O_TRACEEXIT;

#[derive(Debug, Clone, Copy)]
struct Task {
    /// The thread group (process) this task belongs to.
    tgid: u32,
    /// The initial attach stop has been seen and continued.
    started: bool,
    /// Its exec event has been handled. A vforked child can exec before its parent's vfork
    /// event is reported; the exec's record then already names it and its parent, and a fork
    /// record after it would make a second record of the same pid with the parent's name.
    execd: bool,
}

/// The tracer's view of the traced tasks.
#[derive(Debug, Default)]
pub struct Tracer {
    tasks: HashMap<u32, Task>,
}

/// Starts tracing `pid` (held before exec, so nothing it runs escapes).
pub fn seize(pid: u32) -> io::Result<()> {
    // SAFETY: PTRACE_SEIZE on our own held child; data carries the options.
    let rc = unsafe {
        libc::ptrace(
            libc::PTRACE_SEIZE as _,
            pid as libc::pid_t,
            std::ptr::null_mut::<libc::c_void>(),
            OPTIONS as libc::c_long as *mut libc::c_void,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn ptrace_req(req: libc::c_uint, pid: u32, data: usize) -> libc::c_long {
    // SAFETY: CONT/LISTEN on a stopped tracee; data is a signal number or 0.
    unsafe {
        libc::ptrace(
            req as _,
            pid as libc::pid_t,
            std::ptr::null_mut::<libc::c_void>(),
            data as *mut libc::c_void,
        )
    }
}

fn event_msg(pid: u32) -> Option<libc::c_ulong> {
    let mut msg: libc::c_ulong = 0;
    // SAFETY: GETEVENTMSG writes one c_ulong into msg.
    let rc = unsafe {
        libc::ptrace(
            libc::PTRACE_GETEVENTMSG as _,
            pid as libc::pid_t,
            std::ptr::null_mut::<libc::c_void>(),
            &raw mut msg,
        )
    };
    (rc == 0).then_some(msg)
}

/// Decodes a wait status into how the process ended, if it ended.
pub fn decode_exit(status: libc::c_int) -> Option<Ended> {
    if libc::WIFEXITED(status) {
        Some(Ended::Exited(libc::WEXITSTATUS(status)))
    } else if libc::WIFSIGNALED(status) {
        Some(Ended::Signaled(libc::WTERMSIG(status)))
    } else {
        None
    }
}

impl Tracer {
    /// Registers the command itself (seized before exec).
    pub fn add_root(&mut self, pid: u32) {
        self.tasks.insert(
            pid,
            Task {
                tgid: pid,
                started: true,
                execd: false,
            },
        );
    }

    /// True when `pid` is a traced thread that is not a process leader.
    pub fn is_thread(&self, pid: u32) -> bool {
        self.tasks.get(&pid).is_some_and(|t| t.tgid != pid)
    }

    /// A traced task is fully gone.
    pub fn forget(&mut self, pid: u32) {
        self.tasks.remove(&pid);
    }

    /// Handles a ptrace stop of `pid` with wait status `status`, always resuming the tracee.
    pub fn handle_stop(
        &mut self,
        pid: u32,
        status: libc::c_int,
        t: f64,
        monitor: &mut Guarded<'_>,
    ) {
        let sig = libc::WSTOPSIG(status);
        let event = (status >> 16) & 0xff;
        match event {
            libc::PTRACE_EVENT_FORK | libc::PTRACE_EVENT_VFORK | libc::PTRACE_EVENT_CLONE => {
                let parent_tgid = self.tasks.get(&pid).map_or(pid, |t| t.tgid);
                if let Some(child) = event_msg(pid).map(|m| m as u32) {
                    let is_thread = event == libc::PTRACE_EVENT_CLONE
                        && std::path::Path::new(&format!("/proc/{parent_tgid}/task/{child}"))
                            .exists();
                    let tgid = if is_thread { parent_tgid } else { child };
                    // The child's attach stop, even its exec, may have been reported before this
                    // event.
                    let (started, execd) = self
                        .tasks
                        .get(&child)
                        .map_or((false, false), |t| (t.started, t.execd));
                    self.tasks.insert(
                        child,
                        Task {
                            tgid,
                            started,
                            execd,
                        },
                    );
                    if !is_thread && !execd {
                        monitor.call(|m| m.traced_fork(t, parent_tgid, child));
                    }
                }
                ptrace_req(libc::PTRACE_CONT as _, pid, 0);
            }
            libc::PTRACE_EVENT_EXEC => {
                // A non-leader thread that execs takes over the leader's pid.
                if let Some(former) = event_msg(pid).map(|m| m as u32)
                    && former != pid
                {
                    self.tasks.remove(&former);
                }
                self.tasks.insert(
                    pid,
                    Task {
                        tgid: pid,
                        started: true,
                        execd: true,
                    },
                );
                monitor.call(|m| m.traced_exec(t, pid));
                ptrace_req(libc::PTRACE_CONT as _, pid, 0);
            }
            libc::PTRACE_EVENT_EXIT => {
                if !self.is_thread(pid)
                    && let Some(ended) = event_msg(pid).and_then(|m| decode_exit(m as libc::c_int))
                {
                    monitor.call(|m| m.traced_exit(t, pid, ended));
                }
                ptrace_req(libc::PTRACE_CONT as _, pid, 0);
            }
            libc::PTRACE_EVENT_STOP => {
                let task = self.tasks.entry(pid).or_insert(Task {
                    tgid: pid,
                    started: false,
                    execd: false,
                });
                if task.started {
                    // A group stop (SIGSTOP, SIGTSTP, ...): keep it stopped but let SIGCONT
                    // and new events through.
                    ptrace_req(libc::PTRACE_LISTEN as _, pid, 0);
                } else {
                    // The attach stop of a new task.
                    task.started = true;
                    ptrace_req(libc::PTRACE_CONT as _, pid, 0);
                }
            }
            _ => {
                // A signal for the tracee: deliver it unchanged.
                ptrace_req(libc::PTRACE_CONT as _, pid, sig as usize);
            }
        }
    }
}

/// Converts a `wait4` rusage into [`ReapUsage`].
pub fn reap_usage(ru: &libc::rusage) -> ReapUsage {
    let usec = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000 + tv.tv_usec as u64;
    ReapUsage {
        user_usec: usec(ru.ru_utime),
        system_usec: usec(ru.ru_stime),
        // Linux reports ru_maxrss in kilobytes.
        maxrss_bytes: ru.ru_maxrss.max(0) as u64 * 1024,
    }
}

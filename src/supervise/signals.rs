//! Signals the wrapper waits for, and forwarding to the command's process group.
//!
//! The wrapper blocks the signals it handles and takes them synchronously with
//! `sigtimedwait`, whose timeout is also the sampling clock: one thread, no handlers, no
//! async-signal-safety concerns, and nothing runs between samples.

use std::io;
use std::time::Duration;

/// Signals forwarded to the command's process group: the ones CI runners and terminals send
/// to stop or poke a job (the wrapper may be PID 1 in a container, where unhandled signals
/// would be ignored).
pub const FORWARDED: [libc::c_int; 6] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
];

/// Signals that ask the stage to end: after forwarding one of these, lingering descendants are
/// terminated too, so no process is left behind.
pub fn is_termination(sig: libc::c_int) -> bool {
    matches!(
        sig,
        libc::SIGINT | libc::SIGTERM | libc::SIGHUP | libc::SIGQUIT
    )
}

/// The blocked set and the mask to give back to the command.
pub struct SignalWaiter {
    set: libc::sigset_t,
    /// The mask the wrapper started with.
    pub original_mask: libc::sigset_t,
}

impl SignalWaiter {
    /// Blocks SIGCHLD, the forwarded signals and SIGTTOU (so the wrapper can hand the terminal
    /// back and forth from the background), remembering the previous mask.
    pub fn install() -> io::Result<SignalWaiter> {
        // SAFETY: sigset operations on local, initialised sets.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGCHLD);
            for s in FORWARDED {
                libc::sigaddset(&mut set, s);
            }
            let mut block = set;
            libc::sigaddset(&mut block, libc::SIGTTOU);
            let mut original: libc::sigset_t = std::mem::zeroed();
            if libc::sigprocmask(libc::SIG_BLOCK, &block, &mut original) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(SignalWaiter {
                set,
                original_mask: original,
            })
        }
    }

    /// Waits up to `timeout` for one of the signals. `None` on timeout.
    pub fn wait(&self, timeout: Duration) -> Option<libc::c_int> {
        let ts = libc::timespec {
            tv_sec: timeout.as_secs() as libc::time_t,
            tv_nsec: libc::c_long::from(timeout.subsec_nanos() as i32),
        };
        // SAFETY: valid set and timespec; siginfo not requested.
        let sig = unsafe { libc::sigtimedwait(&self.set, std::ptr::null_mut(), &ts) };
        if sig > 0 {
            return Some(sig);
        }
        match io::Error::last_os_error().raw_os_error() {
            // Interrupted by a signal outside the set (e.g. SIGCONT): the caller re-checks.
            Some(libc::EINTR) => Some(0),
            _ => None,
        }
    }
}

/// The SIGCHLD disposition the wrapper inherited, after making sure it is the default: with
/// SIGCHLD ignored the kernel would reap children itself and their exit status and CPU would be
/// lost.
pub fn reset_sigchld() -> libc::sighandler_t {
    // SAFETY: installing the default disposition is always valid.
    unsafe { libc::signal(libc::SIGCHLD, libc::SIG_DFL) }
}

/// Sends `sig` to the process group `pgid`. ESRCH (the group is empty) is not an error.
pub fn signal_group(pgid: u32, sig: libc::c_int) {
    // SAFETY: plain kill(2).
    unsafe { libc::kill(-(pgid as libc::pid_t), sig) };
}

/// Sends `sig` to one process.
pub fn signal_pid(pid: u32, sig: libc::c_int) {
    // SAFETY: plain kill(2).
    unsafe { libc::kill(pid as libc::pid_t, sig) };
}

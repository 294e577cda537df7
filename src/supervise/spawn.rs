//! Starting the command: fork, hold it before exec, exec, report exec failures.
//!
//! `std::process::Command::spawn` returns only after the child has exec'd, but the wrapper must
//! act on the child *before* it runs anything: place it in the stage cgroup, give it the
//! terminal, start tracing it. So the child is forked by hand and waits on a pipe until the
//! parent closes it; everything between fork and exec is async-signal-safe libc calls on data
//! prepared before the fork.

use std::ffi::{CString, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;

/// Why the command could not be started at all.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("the command is empty")]
    Empty,
    #[error("the command contains a NUL byte: {0:?}")]
    Nul(OsString),
    #[error("failed to create a pipe")]
    Pipe(#[source] io::Error),
    #[error("failed to fork")]
    Fork(#[source] io::Error),
}

/// Process-wide state the child must get back before exec, captured before the fork.
pub struct ChildSetup {
    /// The signal mask to restore (the wrapper blocks the signals it waits for).
    pub sigmask: libc::sigset_t,
    /// The RLIMIT_NOFILE to restore (the wrapper raises its own to keep many files open).
    pub nofile: Option<libc::rlimit>,
    /// The SIGCHLD disposition the wrapper inherited, restored in the child.
    pub sigchld: libc::sighandler_t,
}

/// A forked child held before exec.
#[derive(Debug)]
pub struct HeldChild {
    /// The child's pid (also its process group id).
    pub pid: u32,
    /// The child was created inside the requested cgroup.
    pub in_cgroup: bool,
    go_write: libc::c_int,
    err_read: libc::c_int,
}

/// How the exec went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecOutcome {
    /// The command is running.
    Running,
    /// exec failed with this errno; the child exits with 127 (not found) or 126.
    Failed(i32),
}

/// Forks a child that will exec `argv` in its own process group once released.
///
/// With `cgroup_fd` (a cgroup v2 directory), the child is created inside that cgroup with
/// `clone3(CLONE_INTO_CGROUP)`: moving a process between cgroups afterwards waits for an RCU
/// grace period (measured here: up to 14 ms before the command could start), creating it there
/// does not. Where clone3 is refused (kernels before 5.7, seccomp filters) it falls back to
/// fork, and `HeldChild::in_cgroup` says which happened.
pub fn fork_held(
    argv: &[OsString],
    setup: &ChildSetup,
    cgroup_fd: Option<libc::c_int>,
) -> Result<HeldChild, SpawnError> {
    if argv.is_empty() {
        return Err(SpawnError::Empty);
    }
    let cargs: Vec<CString> = argv
        .iter()
        .map(|a| CString::new(a.as_bytes()).map_err(|_| SpawnError::Nul(a.clone())))
        .collect::<Result<_, _>>()?;
    let mut cptrs: Vec<*const libc::c_char> = cargs.iter().map(|c| c.as_ptr()).collect();
    cptrs.push(std::ptr::null());
    let (go_read, go_write) = pipe_cloexec().map_err(SpawnError::Pipe)?;
    let (err_read, err_write) = pipe_cloexec().map_err(|e| {
        close(go_read);
        close(go_write);
        SpawnError::Pipe(e)
    })?;

    let mut in_cgroup = false;
    let mut pid = -1;
    #[cfg(target_os = "linux")]
    if let Some(fd) = cgroup_fd {
        // SAFETY: as for fork below: a process copy whose child branch is async-signal-safe.
        pid = unsafe { clone_into_cgroup(fd) };
        in_cgroup = pid >= 0;
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cgroup_fd;
    if pid < 0 {
        // SAFETY: fork has no preconditions; the child branch below only calls
        // async-signal-safe functions on memory prepared before the fork, then execs or _exits.
        pid = unsafe { libc::fork() };
    }
    if pid < 0 {
        let e = io::Error::last_os_error();
        for fd in [go_read, go_write, err_read, err_write] {
            close(fd);
        }
        return Err(SpawnError::Fork(e));
    }
    if pid == 0 {
        // SAFETY: in the child; see above.
        unsafe { child_after_fork(&cptrs, setup, go_read, go_write, err_read, err_write) }
    }
    close(go_read);
    close(err_write);
    // Also set the group from the parent, so it exists before release whatever the order.
    // SAFETY: plain syscall on our own child.
    unsafe { libc::setpgid(pid, pid) };
    Ok(HeldChild {
        pid: pid as u32,
        in_cgroup,
        go_write,
        err_read,
    })
}

impl HeldChild {
    /// Lets the child exec and reports whether the exec succeeded.
    pub fn release(self) -> ExecOutcome {
        close(self.go_write);
        let mut errno = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            // SAFETY: reading into a local buffer from our own pipe fd.
            let n = unsafe { libc::read(self.err_read, errno[got..].as_mut_ptr().cast(), 4 - got) };
            if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            if n <= 0 {
                break;
            }
            got += n as usize;
        }
        close(self.err_read);
        if got == 4 {
            ExecOutcome::Failed(i32::from_ne_bytes(errno))
        } else {
            // EOF: the pipe was closed by a successful exec (CLOEXEC).
            ExecOutcome::Running
        }
    }
}

/// The exit status a shell gives when exec fails with `errno`: 127 when not found, else 126.
pub fn exec_failure_status(errno: i32) -> i32 {
    if errno == libc::ENOENT || errno == libc::ENOTDIR {
        127
    } else {
        126
    }
}

/// A one-line explanation of an exec failure, as shells word it.
pub fn exec_failure_message(program: &OsString, errno: i32) -> String {
    let program = program.to_string_lossy();
    let has_slash = program.contains('/');
    match errno {
        libc::ENOENT if !has_slash => format!("{program}: command not found"),
        libc::ENOENT => format!("{program}: no such file or directory"),
        libc::EACCES => format!("{program}: permission denied (not executable)"),
        libc::ENOEXEC => format!("{program}: exec format error (not an executable)"),
        _ => format!("{program}: {}", io::Error::from_raw_os_error(errno)),
    }
}

/// The child between fork and exec. Never returns.
unsafe fn child_after_fork(
    argv: &[*const libc::c_char],
    setup: &ChildSetup,
    go_read: libc::c_int,
    go_write: libc::c_int,
    err_read: libc::c_int,
    err_write: libc::c_int,
) -> ! {
    // SAFETY (whole function): only async-signal-safe calls, on pre-fork data.
    unsafe {
        libc::close(go_write);
        libc::close(err_read);
        libc::setpgid(0, 0);
        // Signals the wrapper changed go back to what the command would have had.
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::signal(libc::SIGCHLD, setup.sigchld);
        if let Some(lim) = &setup.nofile {
            libc::setrlimit(libc::RLIMIT_NOFILE, lim);
        }
        libc::sigprocmask(libc::SIG_SETMASK, &setup.sigmask, std::ptr::null_mut());
        // Wait for the parent to finish preparing (cgroup, terminal, tracing): it closes the
        // pipe, and read returns 0.
        let mut b = 0u8;
        loop {
            let n = libc::read(go_read, (&raw mut b).cast(), 1);
            if n < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            break;
        }
        libc::close(go_read);
        libc::execvp(argv[0], argv.as_ptr());
        let errno = io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::ENOENT);
        let bytes = errno.to_ne_bytes();
        libc::write(err_write, bytes.as_ptr().cast(), 4);
        libc::_exit(exec_failure_status(errno));
    }
}

/// `clone3` with `CLONE_INTO_CGROUP`, fork-like (no new stack): returns the pid in the parent,
/// 0 in the child, -1 when refused.
///
/// # Safety
/// Same contract as `fork`: the child may only call async-signal-safe functions.
#[cfg(target_os = "linux")]
unsafe fn clone_into_cgroup(cgroup_fd: libc::c_int) -> libc::pid_t {
    /// `struct clone_args` of linux/sched.h, up to `cgroup` (CLONE_ARGS_SIZE_VER2).
    #[repr(C)]
    #[derive(Default)]
    struct CloneArgs {
        flags: u64,
        pidfd: u64,
        child_tid: u64,
        parent_tid: u64,
        exit_signal: u64,
        stack: u64,
        stack_size: u64,
        tls: u64,
        set_tid: u64,
        set_tid_size: u64,
        cgroup: u64,
    }
    const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;
    let args = CloneArgs {
        flags: CLONE_INTO_CGROUP,
        exit_signal: libc::SIGCHLD as u64,
        cgroup: cgroup_fd as u64,
        ..CloneArgs::default()
    };
    // SAFETY: valid args of the declared size; see the function's contract.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &raw const args,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    if rc < 0 { -1 } else { rc as libc::pid_t }
}

fn pipe_cloexec() -> io::Result<(libc::c_int, libc::c_int)> {
    let mut fds = [0; 2];
    #[cfg(target_os = "linux")]
    // SAFETY: fds is a valid 2-element array.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    #[cfg(not(target_os = "linux"))]
    // SAFETY: fds is a valid 2-element array; the wrapper has no other threads forking.
    let rc = unsafe {
        let rc = libc::pipe(fds.as_mut_ptr());
        if rc == 0 {
            libc::fcntl(fds[0], libc::F_SETFD, libc::FD_CLOEXEC);
            libc::fcntl(fds[1], libc::F_SETFD, libc::FD_CLOEXEC);
        }
        rc
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((fds[0], fds[1]))
}

fn close(fd: libc::c_int) {
    // SAFETY: closing an fd this module owns.
    unsafe { libc::close(fd) };
}

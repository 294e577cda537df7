//! The controlling terminal: the command's process group gets the foreground while it runs.
//!
//! Without this, a command in its own process group would be a background job of the
//! terminal: reading the terminal would stop it with SIGTTIN and Ctrl-C would reach only the
//! wrapper. Nothing happens when stdin is not a terminal (the usual CI case) or the wrapper is
//! not in the foreground itself.

/// Remembers who had the terminal, to give it back.
#[derive(Debug)]
pub struct Foreground {
    previous_pgrp: libc::pid_t,
}

/// Hands the terminal on stdin to `pgid` if the wrapper holds the foreground now.
pub fn give_to(pgid: u32) -> Option<Foreground> {
    // SAFETY: isatty/tcgetpgrp/getpgrp/tcsetpgrp on fd 0; SIGTTOU is blocked by the caller.
    unsafe {
        if libc::isatty(0) != 1 {
            return None;
        }
        let fg = libc::tcgetpgrp(0);
        let own = libc::getpgrp();
        if fg != own {
            return None;
        }
        if libc::tcsetpgrp(0, pgid as libc::pid_t) != 0 {
            return None;
        }
        Some(Foreground { previous_pgrp: own })
    }
}

impl Foreground {
    /// Takes the terminal back (e.g. when the command is stopped with Ctrl-Z).
    pub fn reclaim(&self) {
        // SAFETY: as above; SIGTTOU is blocked so this works from the background.
        unsafe { libc::tcsetpgrp(0, self.previous_pgrp) };
    }

    /// Gives the terminal to `pgid` again (the command was continued).
    pub fn give_again(&self, pgid: u32) {
        // SAFETY: as above.
        unsafe { libc::tcsetpgrp(0, pgid as libc::pid_t) };
    }
}

impl Drop for Foreground {
    fn drop(&mut self) {
        self.reclaim();
    }
}

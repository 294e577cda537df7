//! The stage clock: `t = 0` at the command's start, in three clocks at once.
//!
//! Offsets (`t`) use the monotonic clock; wall-clock times are derived from the wall time at
//! `t = 0`; kernel process start times (ticks since boot) are placed on the same axis through
//! `CLOCK_BOOTTIME` read at `t = 0`. Depends on nothing else in the crate.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The three readings taken at the stage start.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
    /// Wall-clock time at `t = 0`.
    pub wall: SystemTime,
    /// `CLOCK_BOOTTIME` at `t = 0`, in seconds (0 where the OS has no such clock).
    pub boot_seconds: f64,
}

impl Clock {
    /// Starts the clock now.
    pub fn start() -> Clock {
        Clock {
            start: Instant::now(),
            wall: SystemTime::now(),
            boot_seconds: boot_clock_seconds(),
        }
    }

    /// Seconds since `t = 0`.
    pub fn t(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// The instant of `t = 0`.
    pub fn start_instant(&self) -> Instant {
        self.start
    }

    /// Wall-clock time at `t = 0` as seconds since the Unix epoch.
    pub fn wall_unix_seconds(&self) -> f64 {
        self.wall
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64()
    }
}

/// `CLOCK_BOOTTIME` in seconds (Linux); 0 elsewhere.
pub fn boot_clock_seconds() -> f64 {
    #[cfg(target_os = "linux")]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: valid timespec pointer.
        if unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) } == 0 {
            return ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9;
        }
    }
    0.0
}

/// Formats seconds since the Unix epoch as RFC 3339 UTC with milliseconds.
pub fn rfc3339(unix_seconds: f64) -> String {
    let t = UNIX_EPOCH + Duration::from_secs_f64(unix_seconds.max(0.0));
    humantime::format_rfc3339_millis(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(1_700_000_000.25), "2023-11-14T22:13:20.250Z");
    }

    #[test]
    fn boot_clock_is_monotone_positive() {
        let a = boot_clock_seconds();
        let b = boot_clock_seconds();
        assert!(b >= a);
        #[cfg(target_os = "linux")]
        assert!(a > 0.0);
    }
}

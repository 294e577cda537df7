//! The supervisor on systems other than Linux (macOS and Windows runners): std only.
//!
//! The command runs with inherited stdio in the wrapper's own process group, so terminal and
//! CI signals reach it directly; there is no subreaper, no tracing and no forwarding. The
//! wrapper polls for the command's end every 20 ms and samples on the interval.

use std::process::Command;
use std::time::{Duration, Instant};

use super::{
    CommandSpec, Ended, Guarded, Monitor, Outcome, ReapUsage, SuperviseError, SuperviseOptions,
};
use crate::clock::Clock;

/// Runs `spec` to completion, calling `monitor` along the way.
pub fn run(
    spec: &CommandSpec,
    opts: &SuperviseOptions,
    clock: &Clock,
    monitor: &mut dyn Monitor,
) -> Result<Outcome, SuperviseError> {
    let mut monitor = Guarded::new(monitor);
    if opts.trace {
        let reason = "--trace-exec needs Linux; sampling instead";
        crate::warn::warn(reason);
        monitor.call(|m| m.trace_unavailable(reason));
    }
    let mut child = match Command::new(&spec.argv[0]).args(&spec.argv[1..]).spawn() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            };
            crate::warn::error(&format!("{}: {e}", spec.argv[0].to_string_lossy()));
            let outcome = Outcome {
                ended: Ended::Exited(code),
                exec_errno: e.raw_os_error(),
                lingering: Vec::new(),
                killed: Vec::new(),
                terminated_by_signal: None,
            };
            monitor.call(|m| m.finished(clock.t(), &outcome));
            return Ok(outcome);
        }
    };
    let pid = child.id();
    if let Some(Err(msg)) = monitor.call(|m| m.command_forked(pid, false)) {
        crate::warn::warn(&msg);
    }
    let mut next_sample = clock.start_instant();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        let now = Instant::now();
        if now >= next_sample {
            monitor.call(|m| m.sample(clock.t()));
            next_sample += opts.interval;
            if next_sample < now {
                next_sample = now + opts.interval;
            }
        }
        std::thread::sleep(
            Duration::from_millis(20).min(next_sample - Instant::now().min(next_sample)),
        );
    };
    let ended = ended_from(status);
    monitor.call(|m| m.reaped(clock.t(), pid, ended, ReapUsage::default()));
    let outcome = Outcome {
        ended,
        exec_errno: None,
        lingering: Vec::new(),
        killed: Vec::new(),
        terminated_by_signal: None,
    };
    monitor.call(|m| m.finished(clock.t(), &outcome));
    Ok(outcome)
}

#[cfg(unix)]
fn ended_from(status: std::process::ExitStatus) -> Ended {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => Ended::Exited(c),
        (None, Some(s)) => Ended::Signaled(s),
        (None, None) => Ended::Exited(1),
    }
}

#[cfg(not(unix))]
fn ended_from(status: std::process::ExitStatus) -> Ended {
    Ended::Exited(status.code().unwrap_or(1))
}

//! The one way the tool talks to the user outside its data: `cicd-monitor: warning: …` lines
//! on stderr. stdout is for data only. Depends on nothing else in the crate.

use std::io::Write;

/// Prints one warning line to stderr. A closed stderr is ignored: warnings never fail the build.
pub fn warn(message: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "cicd-monitor: warning: {message}");
}

/// Prints one error line to stderr.
pub fn error(message: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "cicd-monitor: error: {message}");
}

/// Prints an error of a command that failed: `cicd-monitor: error: …` and one
/// `  caused by: …` line per source.
pub fn report(e: &dyn std::error::Error) {
    let mut text = format!("cicd-monitor: error: {e}\n");
    let mut cur = e.source();
    while let Some(c) = cur {
        text.push_str(&format!("  caused by: {c}\n"));
        cur = c.source();
    }
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Formats an error and its `source()` chain as one line: "failed to x: caused by y".
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Prints `cicd-monitor: MESSAGE` on stderr: what a command did, for the CI log.
pub fn note(message: &str) {
    eprintln!("cicd-monitor: {message}");
}

//! `cicd-monitor report`: the job report of one or more directories of stage profiles.

use std::path::PathBuf;

use crate::analyze::{self, Analysis};
use crate::cli::{FormatArg, JobInputArgs, ReportArgs};
use crate::exit_codes;
use crate::report::{self, Format};

pub fn report(args: &ReportArgs) -> i32 {
    let Some(analysis) = load(&args.input) else {
        return exit_codes::FAILURE;
    };
    let text = report::render(&analysis, format(args.format));
    match &args.output {
        None => super::print_stdout(&text),
        Some(path) => match crate::profile::write_file_atomic(path, text.as_bytes()) {
            Ok(()) => exit_codes::SUCCESS,
            Err(e) => {
                crate::warn::report(&e);
                exit_codes::FAILURE
            }
        },
    }
}

/// Maps the CLI's format to the renderer's.
pub fn format(f: FormatArg) -> Format {
    match f {
        FormatArg::Terminal => Format::Terminal,
        FormatArg::Markdown => Format::Markdown,
        FormatArg::Html => Format::Html,
        FormatArg::Json => Format::Json,
        FormatArg::Trace => Format::Trace,
        FormatArg::Openmetrics => Format::OpenMetrics,
    }
}

/// The profile directories to read: `--dir` (repeatable), else `CICD_MONITOR_OUT`, else
/// `.cicd-monitor`.
pub fn dirs(input: &JobInputArgs) -> Vec<PathBuf> {
    if !input.dirs.is_empty() {
        return input.dirs.clone();
    }
    let out = std::env::var_os(crate::env_vars::OUT)
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(".cicd-monitor"), PathBuf::from);
    vec![out]
}

/// Loads every job and analyses them; prints the error and returns `None` on failure.
pub fn load(input: &JobInputArgs) -> Option<Analysis> {
    let mut jobs = Vec::new();
    for dir in dirs(input) {
        match analyze::load_job(&dir) {
            Ok(job) => jobs.push(job),
            Err(e) => {
                crate::warn::report(&e);
                return None;
            }
        }
    }
    Some(analyze::analyse(jobs, Vec::new()))
}

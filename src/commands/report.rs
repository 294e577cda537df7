//! `cicd-monitor report`: the job report of one or more directories of stage profiles.

use std::path::PathBuf;

use crate::analyze::{self, Analysis};
use crate::cli::{FormatArg, JobInputArgs, ReportArgs};
use crate::exit_codes;
use crate::profile::StageProfile;
use crate::profile::report::BaselineComparison;
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
    let baseline = match &input.baseline {
        Some(branch) => baseline(input, branch, &jobs),
        None => Vec::new(),
    };
    Some(analyze::analyse(jobs, baseline))
}

/// Compares the first job with the recent runs of `branch` in the store. A store that cannot be
/// read is a warning: the report is still worth having without the comparison.
fn baseline(input: &JobInputArgs, branch: &str, jobs: &[analyze::Job]) -> Vec<BaselineComparison> {
    use crate::store::{BaselineQuery, Store};
    let Some(job) = jobs.first() else {
        return Vec::new();
    };
    let spec = match &input.store {
        Some(s) => s.clone(),
        None => match crate::store::default_path(&|k| std::env::var(k).ok()) {
            Some(p) => p.display().to_string(),
            None => {
                crate::warn::warn(
                    "no history store (set --store or CICD_MONITOR_STORE); no baseline",
                );
                return Vec::new();
            }
        },
    };
    let profiles: Vec<StageProfile> = job.stages.iter().map(|s| s.profile.clone()).collect();
    let result = Store::open(&spec).and_then(|store| {
        let query = BaselineQuery::for_profiles(&profiles, branch, input.baseline_runs)?;
        store.baseline(&query)
    });
    match result {
        Ok(b) => crate::store::compare(&profiles, &b)
            .into_iter()
            .map(|c| BaselineComparison {
                stage: c.stage,
                role: c.role,
                metric: c.metric.as_str().to_owned(),
                baseline_runs: c.baseline_runs,
                median: c.median,
                mad: c.mad,
                noise_band: c.noise_band,
                current: c.current,
                change_ratio: c.change_ratio,
                verdict: c.verdict.as_str().to_owned(),
            })
            .collect(),
        Err(e) => {
            crate::warn::warn(&format!("no baseline: {}", crate::warn::chain(&e)));
            Vec::new()
        }
    }
}

//! Analyses over stage profiles: merging a job's stages ([`job`]) and bottleneck findings
//! ([`findings`]). Depends on `profile`, `host` and the number formats of `report::summary`;
//! never on the supervisor or the sampler.

pub mod findings;
pub mod job;
#[cfg(test)]
mod tests;

use crate::profile::Tool;
use crate::profile::report::{
    BaselineComparison, Finding, FindingKind, JobReport, REPORT_SCHEMA_VERSION,
};

pub use job::{Job, LoadError, LoadedStage, load_job};

/// The jobs of a report and the report built from them; renderers need both (the report for
/// numbers, the jobs for timelines and processes).
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The jobs, in order of start.
    pub jobs: Vec<Job>,
    /// The report.
    pub report: JobReport,
}

/// Builds the report of `jobs`, with regression findings from `baseline` comparisons.
pub fn analyse(mut jobs: Vec<Job>, baseline: Vec<BaselineComparison>) -> Analysis {
    jobs.sort_by(|a, b| {
        let start = |j: &Job| {
            j.stages
                .first()
                .and_then(|s| job::parse_time(&s.profile.stage.started_at))
        };
        start(a).cmp(&start(b)).then_with(|| a.name.cmp(&b.name))
    });
    let mut summaries = Vec::new();
    let mut stages = Vec::new();
    let mut found = Vec::new();
    let mut warnings = Vec::new();
    for j in &jobs {
        let (summary, s) = job::summarize(j);
        summaries.push(summary);
        stages.extend(s);
        found.extend(findings::job_findings(j));
        for st in &j.stages {
            warnings.extend(
                st.profile
                    .warnings
                    .iter()
                    .map(|w| format!("{}: {w}", st.path.display())),
            );
        }
    }
    let job_name = jobs.first().map_or_else(String::new, |j| j.name.clone());
    found.extend(regressions(&job_name, &baseline));
    findings::rank(&mut found);
    Analysis {
        report: JobReport {
            schema_version: REPORT_SCHEMA_VERSION,
            tool: Tool {
                name: env!("CARGO_PKG_NAME").to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
            },
            jobs: summaries,
            stages,
            findings: found,
            baseline,
            warnings,
        },
        jobs,
    }
}

/// One `regression` finding per baseline comparison whose verdict is a regression.
fn regressions(job: &str, baseline: &[BaselineComparison]) -> Vec<Finding> {
    baseline
        .iter()
        .filter(|c| c.verdict == "regression")
        .map(|c| {
            let what = match c.role {
                Some(r) => format!("{} {} of {}", r.label(), c.metric.replace('_', " "), c.stage),
                None => format!("{} of {}", c.metric.replace('_', " "), c.stage),
            };
            let time_metric = c.metric.ends_with("_seconds");
            Finding {
                kind: FindingKind::Regression,
                job: job.to_owned(),
                stage: Some(c.stage.clone()),
                title: format!(
                    "{what} {:+.0}% against the median of the last {} baseline runs",
                    100.0 * c.change_ratio.unwrap_or(0.0),
                    c.baseline_runs
                ),
                evidence: [
                    ("current", c.current),
                    ("median", c.median.unwrap_or(0.0)),
                    ("mad", c.mad.unwrap_or(0.0)),
                    ("change_ratio", c.change_ratio.unwrap_or(0.0)),
                    ("noise_band", c.noise_band.unwrap_or(0.0)),
                    ("baseline_runs", f64::from(c.baseline_runs)),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
                process: None,
                suggestion: format!(
                    "compare this change's {} with the baseline's: what made {what} grow from {:.1} to {:.1}?",
                    c.stage, c.median.unwrap_or(0.0), c.current
                ),
                saving_seconds: (c.metric == "wall_seconds" && time_metric)
                    .then(|| (c.current - c.median.unwrap_or(c.current)).max(0.0)),
            }
        })
        .collect()
}

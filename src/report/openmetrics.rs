//! The job as OpenMetrics text: for GitLab's metrics report (`artifacts:reports:metrics`) and
//! Prometheus' node-exporter textfile collector.
//!
//! Label cardinality is bounded: labels are `job` and `stage` (at most [`MAX_STAGES`] stages,
//! the longest), `role` (a fixed set of 13), `mode` (user/system) and `kind` (the fixed finding
//! kinds). Names are cut to [`MAX_LABEL_CHARS`]. No pid, command or timestamp labels.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::analyze::Analysis;
use crate::profile::report::StageSummary;

/// Stages exported at most; the longest are kept.
pub const MAX_STAGES: usize = 50;
/// Longest label value.
pub const MAX_LABEL_CHARS: usize = 64;

struct Family {
    name: &'static str,
    unit: Option<&'static str>,
    help: &'static str,
    samples: Vec<(String, f64)>,
}

/// Renders the metrics, ending with `# EOF`.
pub fn render(a: &Analysis) -> String {
    let r = &a.report;
    let mut stages: Vec<&StageSummary> = r.stages.iter().collect();
    stages.sort_by(|x, y| y.wall_seconds.total_cmp(&x.wall_seconds));
    stages.truncate(MAX_STAGES);
    stages.sort_by(|x, y| (&x.job, &x.name).cmp(&(&y.job, &y.name)));
    let sl = |s: &StageSummary| format!("job=\"{}\",stage=\"{}\"", label(&s.job), label(&s.name));

    let mut families = vec![
        Family {
            name: "cicd_monitor_job_wall_seconds",
            unit: Some("seconds"),
            help: "Wall-clock seconds from the first stage's start to the last stage's end.",
            samples: r
                .jobs
                .iter()
                .map(|j| (format!("job=\"{}\"", label(&j.name)), j.wall_seconds))
                .collect(),
        },
        Family {
            name: "cicd_monitor_job_cpu_seconds",
            unit: Some("seconds"),
            help: "CPU seconds (user + system) of all stages of the job.",
            samples: r
                .jobs
                .iter()
                .map(|j| (format!("job=\"{}\"", label(&j.name)), j.cpu_seconds))
                .collect(),
        },
    ];
    let per_stage = |name, unit, help, f: &dyn Fn(&StageSummary) -> f64| Family {
        name,
        unit,
        help,
        samples: stages.iter().map(|s| (sl(s), f(s))).collect(),
    };
    families.push(per_stage(
        "cicd_monitor_stage_wall_seconds",
        Some("seconds"),
        "Wall-clock seconds of the stage.",
        &|s| s.wall_seconds,
    ));
    families.push(Family {
        name: "cicd_monitor_stage_cpu_seconds",
        unit: Some("seconds"),
        help: "CPU seconds of the stage's process tree, by mode.",
        samples: stages
            .iter()
            .flat_map(|s| {
                [
                    (format!("{},mode=\"user\"", sl(s)), s.cpu_user_seconds),
                    (format!("{},mode=\"system\"", sl(s)), s.cpu_system_seconds),
                ]
            })
            .collect(),
    });
    families.push(per_stage(
        "cicd_monitor_stage_parallelism_ratio",
        Some("ratio"),
        "Average cores used (CPU seconds per wall second).",
        &|s| s.average_parallelism,
    ));
    families.push(per_stage(
        "cicd_monitor_stage_cores",
        None,
        "Cores the stage could use.",
        &|s| f64::from(s.cpus),
    ));
    families.push(per_stage(
        "cicd_monitor_stage_peak_memory_bytes",
        Some("bytes"),
        "Peak memory of the stage's process tree.",
        &|s| s.peak_memory_bytes as f64,
    ));
    families.push(per_stage(
        "cicd_monitor_stage_memory_limit_bytes",
        Some("bytes"),
        "Memory the stage could use.",
        &|s| s.memory_limit_bytes as f64,
    ));
    families.push(per_stage(
        "cicd_monitor_stage_read_bytes",
        Some("bytes"),
        "Bytes the stage read from storage.",
        &|s| s.read_bytes as f64,
    ));
    families.push(per_stage(
        "cicd_monitor_stage_written_bytes",
        Some("bytes"),
        "Bytes the stage wrote to storage.",
        &|s| s.write_bytes as f64,
    ));
    families.push(per_stage(
        "cicd_monitor_stage_processes",
        None,
        "Processes in the stage's tree.",
        &|s| s.processes as f64,
    ));
    families.push(per_stage(
        "cicd_monitor_stage_exit_code",
        None,
        "Exit code of the stage's command (-1 when it did not finish).",
        &|s| f64::from(s.exit_code.unwrap_or(-1)),
    ));
    families.push(Family {
        name: "cicd_monitor_role_cpu_seconds",
        unit: Some("seconds"),
        help: "CPU seconds of the processes of a role in a stage.",
        samples: stages
            .iter()
            .flat_map(|s| {
                s.roles.iter().map(move |r| {
                    (
                        format!("{},role=\"{}\"", sl(s), r.role.as_str()),
                        r.cpu_seconds,
                    )
                })
            })
            .collect(),
    });
    let mut kinds: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for f in &r.findings {
        let e = kinds.entry(f.kind.as_str()).or_default();
        e.0 += 1.0;
        e.1 += f.saving_seconds.unwrap_or(0.0);
    }
    families.push(Family {
        name: "cicd_monitor_findings",
        unit: None,
        help: "Bottleneck findings of the job, by kind.",
        samples: kinds
            .iter()
            .map(|(k, v)| (format!("kind=\"{k}\""), v.0))
            .collect(),
    });
    families.push(Family {
        name: "cicd_monitor_findings_saving_seconds",
        unit: Some("seconds"),
        help: "Estimated wall seconds the findings' suggestions would save per run, by kind.",
        samples: kinds
            .iter()
            .map(|(k, v)| (format!("kind=\"{k}\""), v.1))
            .collect(),
    });

    let mut out = String::new();
    for f in families.iter().filter(|f| !f.samples.is_empty()) {
        let _ = writeln!(out, "# TYPE {} gauge", f.name);
        if let Some(u) = f.unit {
            let _ = writeln!(out, "# UNIT {} {u}", f.name);
        }
        let _ = writeln!(out, "# HELP {} {}", f.name, f.help);
        for (labels, v) in &f.samples {
            let _ = writeln!(out, "{}{{{labels}}} {}", f.name, value(*v));
        }
    }
    out.push_str("# EOF\n");
    out
}

/// A label value: escaped as OpenMetrics requires (`\\`, `\"`, `\n`) and cut to
/// [`MAX_LABEL_CHARS`].
fn label(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().take(MAX_LABEL_CHARS) {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn value(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else if v.is_finite() {
        format!("{v}")
    } else {
        "NaN".to_owned()
    }
}

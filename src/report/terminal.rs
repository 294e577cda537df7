//! The job report as plain text for a terminal or a CI log: reads well without colour.

use std::fmt::Write;

use crate::analyze::Analysis;
use crate::profile::report::{Finding, JobReport};

use super::summary::{bytes, secs};

/// Renders the whole report.
pub fn render(a: &Analysis) -> String {
    let r = &a.report;
    let mut out = String::new();
    for job in &r.jobs {
        let _ = writeln!(
            out,
            "job {} ({}): {} stage{}, wall {}, cpu {}, {} cores, {}",
            job.name,
            job.provider,
            job.stages,
            if job.stages == 1 { "" } else { "s" },
            secs(job.wall_seconds),
            secs(job.cpu_seconds),
            job.cpus,
            if job.succeeded { "succeeded" } else { "failed" },
        );
        let rows: Vec<[String; 9]> = r
            .stages
            .iter()
            .filter(|s| s.job == job.name)
            .map(|s| {
                [
                    format!("{}{}", if s.critical { "*" } else { " " }, s.name),
                    secs(s.wall_seconds),
                    format!("{:.0}%", 100.0 * s.share_of_job),
                    secs(s.cpu_seconds),
                    format!("{:.2}/{}", s.average_parallelism, s.cpus),
                    format!(
                        "{} ({:.0}%)",
                        bytes(s.peak_memory_bytes),
                        100.0 * s.memory_utilization
                    ),
                    bytes(s.read_bytes),
                    bytes(s.write_bytes),
                    s.exit_code
                        .map_or_else(|| "-".to_owned(), |c| c.to_string()),
                ]
            })
            .collect();
        let header = [
            " stage", "wall", "share", "cpu", "cores", "peak mem", "read", "written", "exit",
        ];
        table(&mut out, &header, &rows);
        if let Some(c) = &job.critical_stage {
            let _ = writeln!(out, "  * critical stage: {c}");
        }
    }
    baseline(&mut out, r);
    findings(&mut out, r);
    out
}

/// One line on the baseline comparison, plus one per change outside the noise band.
fn baseline(out: &mut String, r: &JobReport) {
    if r.baseline.is_empty() {
        return;
    }
    let runs = r
        .baseline
        .iter()
        .map(|c| c.baseline_runs)
        .max()
        .unwrap_or(0);
    let count = |v: &str| r.baseline.iter().filter(|c| c.verdict == v).count();
    let _ = writeln!(
        out,
        "baseline: {runs} run(s); {} regression(s), {} improvement(s), {} within noise, {} without enough history",
        count("regression"),
        count("improvement"),
        count("within_noise"),
        count("insufficient_history")
    );
    for c in r
        .baseline
        .iter()
        .filter(|c| c.verdict == "regression" || c.verdict == "improvement")
    {
        let _ = writeln!(
            out,
            "  {} {}{} {}: {:.3} vs median {:.3} ({:+.0}%)",
            c.verdict,
            c.stage,
            c.role
                .map(|r| format!(" {}", r.label()))
                .unwrap_or_default(),
            c.metric,
            c.current,
            c.median.unwrap_or(0.0),
            100.0 * c.change_ratio.unwrap_or(0.0)
        );
    }
}

fn table(out: &mut String, header: &[&str; 9], rows: &[[String; 9]]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut String, cells: &[&str]| {
        let mut l = String::from(" ");
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            let pad = w - cell.chars().count();
            if i == 0 {
                let _ = write!(l, " {cell}{}", " ".repeat(pad));
            } else {
                let _ = write!(l, "  {}{cell}", " ".repeat(pad));
            }
        }
        let _ = writeln!(out, "{}", l.trim_end());
    };
    line(out, header);
    for row in rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        line(out, &cells);
    }
}

fn findings(out: &mut String, r: &JobReport) {
    if r.findings.is_empty() {
        let _ = writeln!(out, "no findings");
        return;
    }
    let _ = writeln!(out, "findings, biggest expected saving first:");
    for (i, f) in r.findings.iter().enumerate() {
        finding(out, i + 1, f);
    }
    for w in &r.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
}

/// One finding as two or three lines.
pub fn finding(out: &mut String, n: usize, f: &Finding) {
    let _ = writeln!(
        out,
        "{n:>3}. [{}] {}{}",
        f.kind.as_str(),
        f.title,
        saving(f.saving_seconds)
    );
    let _ = writeln!(out, "     -> {}", f.suggestion);
}

/// ", saves ~12.0s" or "".
pub fn saving(s: Option<f64>) -> String {
    match s {
        Some(s) if s >= 0.05 => format!(" (saves ~{} per run)", secs(s)),
        _ => String::new(),
    }
}

//! `cicd-monitor recommend`: the job's findings across stages, biggest expected saving first,
//! in seconds and runner-minutes per run.

use std::fmt::Write;

use crate::analyze::Analysis;
use crate::cli::RecommendArgs;
use crate::exit_codes;
use crate::report::summary::secs;

pub fn recommend(args: &RecommendArgs) -> i32 {
    let Some(analysis) = super::report::load(&args.input) else {
        return exit_codes::FAILURE;
    };
    let text = if args.json {
        let mut s =
            serde_json::to_string_pretty(&analysis.report.findings).expect("findings serialise");
        s.push('\n');
        s
    } else {
        render(&analysis)
    };
    super::print_stdout(&text)
}

/// The ranked list: rank, saving (seconds and runner-minutes), what, and the suggestion.
pub fn render(a: &Analysis) -> String {
    let mut out = String::new();
    let r = &a.report;
    let total: f64 = r.findings.iter().filter_map(|f| f.saving_seconds).sum();
    let wall: f64 = r.jobs.iter().map(|j| j.wall_seconds).sum();
    let _ = writeln!(
        out,
        "{} finding(s) over {} stage(s); estimated savings add up to {} per run ({:.1} runner-minutes){}",
        r.findings.len(),
        r.stages.len(),
        secs(total),
        total / 60.0,
        if wall > 0.0 {
            format!(", against a wall time of {}", secs(wall))
        } else {
            String::new()
        }
    );
    for (i, f) in r.findings.iter().enumerate() {
        let saving = match f.saving_seconds {
            Some(s) => format!("{:>8} {:>6.1} min", secs(s), s / 60.0),
            None => format!("{:>8} {:>10}", "?", ""),
        };
        let _ = writeln!(
            out,
            "{:>3}. {saving}  [{}] {}",
            i + 1,
            f.kind.as_str(),
            f.title
        );
        let _ = writeln!(out, "{:27}-> {}", "", f.suggestion);
    }
    if r.findings.iter().any(|f| f.saving_seconds.is_none()) {
        let _ = writeln!(
            out,
            "? = no wall-time saving can be estimated from the profile (runner size, waiting)"
        );
    }
    out
}

//! Reports rendered from profiles: the end-of-stage summary, and the job report in every
//! format (a fan-out: each renderer reads the same [`crate::analyze::Analysis`] on its own).
//! Depends on `profile`, `analyze` and `host`.

pub mod html;
pub mod markdown;
pub mod openmetrics;
pub mod summary;
pub mod svg;
pub mod terminal;
pub mod trace;

use crate::analyze::Analysis;

/// A job report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Plain text.
    Terminal,
    /// GitHub-flavoured Markdown, trimmed to the step summary limit.
    Markdown,
    /// Self-contained HTML.
    Html,
    /// The [`crate::profile::report::JobReport`] as JSON.
    Json,
    /// Chrome trace-event JSON.
    Trace,
    /// OpenMetrics text.
    OpenMetrics,
}

/// Renders `a` in `format`.
pub fn render(a: &Analysis, format: Format) -> String {
    match format {
        Format::Terminal => terminal::render(a),
        Format::Markdown => markdown::render(a, markdown::STEP_SUMMARY_LIMIT, None),
        Format::Html => html::render(a),
        Format::Json => json(a),
        Format::Trace => trace::render(a),
        Format::OpenMetrics => openmetrics::render(a),
    }
}

/// The job report as pretty JSON.
pub fn json(a: &Analysis) -> String {
    let mut s = serde_json::to_string_pretty(&a.report).expect("reports serialise");
    s.push('\n');
    s
}

//! Report files in the artifacts directory, the GitHub step summary, and the size guards.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{PublishContent, PublishError, StepSummaryOutcome};

/// The HTML report (for Jenkins `publishHTML`, or any artifact browser).
pub const REPORT_HTML: &str = "report.html";
/// The JSON report.
pub const REPORT_JSON: &str = "report.json";
/// The Markdown report (the step summary text: the fuller of the two Markdown renderings).
pub const REPORT_MD: &str = "report.md";
/// OpenMetrics text: GitLab's `artifacts:reports:metrics`, Prometheus' textfile collector.
pub const METRICS_TXT: &str = "metrics.txt";

/// GitHub's limit for one step's summary: 1 MiB ("the maximum size of a job summary is 1 MiB
/// per step"; a larger one is not shown and the step is marked with an error).
pub const STEP_SUMMARY_LIMIT_BYTES: u64 = 1024 * 1024;

/// Line added where a text was cut to fit a limit.
pub const TRIMMED_NOTE: &str =
    "\n\n_… trimmed to the size limit; the full report is in the job's artifacts (report.md)._\n";

/// Writes the four report files into `dir` (created if missing) and returns their paths.
pub fn write_artifacts(dir: &Path, content: &PublishContent) -> Result<Vec<PathBuf>, PublishError> {
    fs::create_dir_all(dir).map_err(|source| PublishError::Write {
        path: dir.to_owned(),
        source,
    })?;
    let files = [
        (REPORT_HTML, &content.html),
        (REPORT_JSON, &content.json),
        (REPORT_MD, &content.step_summary_markdown),
        (METRICS_TXT, &content.openmetrics),
    ];
    let mut written = Vec::with_capacity(files.len());
    for (name, text) in files {
        let path = dir.join(name);
        write_atomic(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// Writes through a temporary file and a rename, so an artifact collector never picks up half
/// a report.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    let error = |source| PublishError::Write {
        path: path.to_owned(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, bytes).map_err(error)?;
    fs::rename(&tmp, path).map_err(|source| {
        let _ = fs::remove_file(&tmp);
        error(source)
    })
}

/// Appends `markdown` to the step summary file at `path`, within [`STEP_SUMMARY_LIMIT_BYTES`]
/// counting what earlier steps' commands of the same step already wrote. Returns `None` when
/// there is no room left at all.
pub fn append_step_summary(
    path: &Path,
    markdown: &str,
) -> Result<Option<StepSummaryOutcome>, PublishError> {
    let error = |source| PublishError::Write {
        path: path.to_owned(),
        source,
    };
    let used = match fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(error(e)),
    };
    let room = STEP_SUMMARY_LIMIT_BYTES.saturating_sub(used);
    // Separated from what is already there by a blank line.
    let separator = if used > 0 { "\n" } else { "" };
    let room = usize::try_from(room)
        .unwrap_or(usize::MAX)
        .saturating_sub(separator.len());
    let Some((text, truncated)) = fit_bytes(markdown, room) else {
        return Ok(None);
    };
    let mut file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(error)?;
    let mut out = String::with_capacity(separator.len() + text.len());
    out.push_str(separator);
    out.push_str(&text);
    file.write_all(out.as_bytes()).map_err(error)?;
    Ok(Some(StepSummaryOutcome {
        path: path.to_owned(),
        bytes: out.len() as u64,
        truncated,
    }))
}

/// `text` if it has at most `limit` bytes; else its longest whole-line prefix that fits with
/// [`TRIMMED_NOTE`], and `true`. `None` when not even the note fits.
pub fn fit_bytes(text: &str, limit: usize) -> Option<(String, bool)> {
    if text.len() <= limit {
        return Some((text.to_owned(), false));
    }
    let budget = limit.checked_sub(TRIMMED_NOTE.len())?;
    Some((format!("{}{TRIMMED_NOTE}", cut_at_line(text, budget)), true))
}

/// `text` if it has at most `limit` characters (GitHub and GitLab count characters); else its
/// longest whole-line prefix that fits with [`TRIMMED_NOTE`], and `true`.
pub fn fit_chars(text: &str, limit: usize) -> (String, bool) {
    if text.chars().count() <= limit {
        return (text.to_owned(), false);
    }
    let budget = limit.saturating_sub(TRIMMED_NOTE.chars().count());
    // Byte offset of the `budget`-th character.
    let end = text
        .char_indices()
        .nth(budget)
        .map_or(text.len(), |(i, _)| i);
    (format!("{}{TRIMMED_NOTE}", cut_at_line(text, end)), true)
}

/// The prefix of `text` of at most `max` bytes that ends at a line end (or at a character
/// boundary when the first line alone is longer), so Markdown tables and HTML tags are not
/// cut in the middle of a row.
fn cut_at_line(text: &str, max: usize) -> &str {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    match text[..end].rfind('\n') {
        Some(newline) => &text[..newline],
        None => &text[..end],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_by_whole_lines() {
        assert_eq!(fit_bytes("short", 10), Some(("short".to_owned(), false)));
        let text = "line one\nline two\n".repeat(100);
        let (cut, truncated) = fit_bytes(&text, 200).unwrap();
        assert!(truncated);
        assert!(cut.len() <= 200, "{}", cut.len());
        assert!(cut.ends_with(TRIMMED_NOTE));
        assert!(cut.trim_end_matches(TRIMMED_NOTE).ends_with("line two"));
        assert_eq!(fit_bytes(&text, 10), None);
    }

    #[test]
    fn fits_by_characters() {
        let text = "é".repeat(70_000);
        let (cut, truncated) = fit_chars(&text, 65_536);
        assert!(truncated);
        assert!(cut.chars().count() <= 65_536);
        let (same, truncated) = fit_chars("ünïcode", 7);
        assert_eq!((same.as_str(), truncated), ("ünïcode", false));
    }
}

//! Publishing the job report where each CI system shows it.
//!
//! [`publish`] takes the rendered report ([`PublishContent`]) and a [`Target`] (from
//! [`detect`] when the user asked for `auto`) and does, in this order, stopping at the first
//! error:
//!
//! 1. **Every target**: writes `report.html`, `report.json`, `report.md` and `metrics.txt` into
//!    the artifacts directory (`--artifacts`, default `DIR/report/`), each through a temporary
//!    file and a rename.
//! 2. **GitHub Actions**: appends `step_summary_markdown` to `$GITHUB_STEP_SUMMARY`, within
//!    GitHub's 1 MiB per step (cut at a line end, with a note, when it would not fit).
//! 3. **Jenkins**: prints `console` to stderr, which is the build's console log (stdout is for
//!    data, and `publish` prints no data).
//! 4. **GitHub Actions / GitLab CI**, when `comment` is on, a token is set and the job runs for a
//!    pull/merge request: creates or updates ONE comment, found by a hidden marker
//!    `<!-- cicd-monitor:KEY -->` in its body (see [`github`] and [`gitlab`] for the key, the
//!    token variables and the API base). Without a token or outside a PR/MR the step is skipped
//!    and [`PublishOutcome::notes`] says why.
//!
//! Nothing here decides the exit code: failures are [`PublishError`]s for the caller, with the
//! file or URL and the HTTP status, never a token. The API is synchronous; the network steps
//! run on a current-thread tokio runtime made for the call (octocrab and the gitlab crate are
//! async).
//!
//! Depends on `crate::http`, `crate::ci` (provider detection), `crate::env_vars`.

pub mod files;
pub mod github;
pub mod gitlab;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::http::{HttpError, RetryPolicy};

/// The report, rendered once per format by `crate::report`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishContent {
    /// Markdown for the GitHub step summary (up to 1 MiB); also written as `report.md`.
    pub step_summary_markdown: String,
    /// Markdown for the PR/MR comment (up to 65,536 characters on GitHub).
    pub comment_markdown: String,
    /// Self-contained HTML report (`report.html`).
    pub html: String,
    /// JSON report (`report.json`).
    pub json: String,
    /// OpenMetrics text (`metrics.txt`).
    pub openmetrics: String,
    /// A few lines for a console log (Jenkins).
    pub console: String,
}

/// Where to publish, already resolved from `auto` by [`detect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Github,
    Gitlab,
    Jenkins,
    Files,
}

/// The CI system of the environment: GitHub Actions, GitLab CI or Jenkins as
/// [`crate::ci::detect`] recognises them; anything else (another CI, a laptop) gets
/// [`Target::Files`].
pub fn detect(env: &dyn Fn(&str) -> Option<String>) -> Target {
    match crate::ci::detect(env).provider.as_str() {
        "github" => Target::Github,
        "gitlab" => Target::Gitlab,
        "jenkins" => Target::Jenkins,
        _ => Target::Files,
    }
}

/// What to publish, and where.
pub struct PublishRequest<'a> {
    pub target: Target,
    /// Create or update the PR/MR comment when a token and a PR/MR are there.
    pub comment: bool,
    /// Directory for the report files (`--artifacts`; the caller's default is `DIR/report`).
    pub artifacts_dir: &'a Path,
    pub content: &'a PublishContent,
    /// Environment lookup (`None` when unset); tests pass a map.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// Retries of HTTP requests; the default suits CI.
    pub retry: RetryPolicy,
}

impl<'a> PublishRequest<'a> {
    /// A request with the comment on and the default retry policy.
    pub fn new(
        target: Target,
        artifacts_dir: &'a Path,
        content: &'a PublishContent,
        env: &'a dyn Fn(&str) -> Option<String>,
    ) -> Self {
        PublishRequest {
            target,
            comment: true,
            artifacts_dir,
            content,
            env,
            retry: RetryPolicy::default(),
        }
    }

    /// The trimmed value of `name`; unset, empty and blank are all `None`.
    fn var(&self, name: &str) -> Option<String> {
        let value = (self.env)(name)?;
        let value = value.trim();
        (!value.is_empty()).then(|| value.to_owned())
    }

    /// The first of `names` that has a value.
    fn first_var(&self, names: &[&str]) -> Option<String> {
        names.iter().find_map(|name| self.var(name))
    }
}

/// What [`publish`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishOutcome {
    pub target: Target,
    /// Report files written into the artifacts directory.
    pub files: Vec<PathBuf>,
    /// The GitHub step summary, when appended to.
    pub step_summary: Option<StepSummaryOutcome>,
    /// Whether the console summary was printed (Jenkins).
    pub console: bool,
    /// The PR/MR comment, when created or updated.
    pub comment: Option<CommentOutcome>,
    /// Parts left out and why ("no pull request: …"), one line each, for the caller to show.
    pub notes: Vec<String>,
}

/// The GitHub step summary as appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepSummaryOutcome {
    pub path: PathBuf,
    /// Bytes appended.
    pub bytes: u64,
    /// Whether the Markdown was cut to fit the 1 MiB limit.
    pub truncated: bool,
}

/// The sticky PR comment or MR note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentOutcome {
    /// The comment's (GitHub) or note's (GitLab) id.
    pub id: u64,
    /// Where to see it, when known.
    pub url: Option<String>,
    pub action: CommentAction,
    /// Whether the Markdown was cut to fit the comment size limit.
    pub truncated: bool,
}

/// Whether the comment was new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentAction {
    Created,
    Updated,
}

/// Why publishing failed. Messages name the file or the URL (redacted) and the HTTP status,
/// never a token.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("failed to write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A request failed: status or network error, after the retries.
    #[error("failed to {action}")]
    Http {
        action: String,
        #[source]
        source: HttpError,
    },
    /// The server answered, but not with what its API documents (undecodable JSON).
    #[error("failed to {action}: {message}")]
    Api { action: String, message: String },
    /// An environment variable holds something unusable.
    #[error("failed to publish: {name} {message}")]
    Config { name: String, message: String },
    #[error("failed to start the runtime for HTTP requests")]
    Runtime(#[source] std::io::Error),
}

impl PublishError {
    /// The HTTP status of a failed request, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            PublishError::Http { source, .. } => source.status(),
            _ => None,
        }
    }
}

/// Publishes the report; the console summary (Jenkins) goes to stderr.
pub fn publish(req: &PublishRequest<'_>) -> Result<PublishOutcome, PublishError> {
    publish_to(req, &mut std::io::stderr().lock())
}

/// [`publish`] with the console summary written to `console` instead of stderr.
pub fn publish_to(
    req: &PublishRequest<'_>,
    console: &mut dyn Write,
) -> Result<PublishOutcome, PublishError> {
    let mut outcome = PublishOutcome {
        target: req.target,
        files: files::write_artifacts(req.artifacts_dir, req.content)?,
        step_summary: None,
        console: false,
        comment: None,
        notes: Vec::new(),
    };
    match req.target {
        Target::Github => {
            match req.var("GITHUB_STEP_SUMMARY") {
                Some(path) => {
                    outcome.step_summary = files::append_step_summary(
                        Path::new(&path),
                        &req.content.step_summary_markdown,
                    )?;
                    if outcome.step_summary.is_none() {
                        outcome.notes.push(
                            "step summary: the step's summary already holds 1 MiB".to_owned(),
                        );
                    }
                }
                None => outcome
                    .notes
                    .push("step summary: GITHUB_STEP_SUMMARY is not set".to_owned()),
            }
            if req.comment {
                match github::plan(req)? {
                    Ok(plan) => outcome.comment = Some(run(github::sticky_comment(&plan, req))?),
                    Err(skip) => outcome.notes.push(format!("comment: {skip}")),
                }
            }
        }
        Target::Gitlab => {
            if req.comment {
                match gitlab::plan(req)? {
                    Ok(plan) => outcome.comment = Some(run(gitlab::sticky_note(&plan, req))?),
                    Err(skip) => outcome.notes.push(format!("comment: {skip}")),
                }
            }
        }
        Target::Jenkins => {
            let text = req.content.console.trim_end();
            if !text.is_empty() {
                // A closed stderr is no reason to fail: the files are the report.
                outcome.console = writeln!(console, "{text}").is_ok();
            }
        }
        Target::Files => {}
    }
    Ok(outcome)
}

/// Runs one network step on a current-thread runtime made for it.
fn run<T>(
    step: impl std::future::Future<Output = Result<T, PublishError>>,
) -> Result<T, PublishError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(PublishError::Runtime)?
        .block_on(step)
}

/// `<!-- cicd-monitor:KEY -->`, the hidden line that finds the comment again. `--` and `>`
/// would end an HTML comment early, so they are replaced.
pub fn marker(key: &str) -> String {
    let key: String = key
        .chars()
        .map(|c| if c == '>' || c.is_control() { '_' } else { c })
        .collect();
    let mut key = key.replace("--", "-_");
    while key.contains("--") {
        key = key.replace("--", "-_");
    }
    format!("<!-- cicd-monitor:{} -->", key.trim_end_matches('-'))
}

/// The comment body: the marker line, then the Markdown, cut to `limit` characters in all.
/// The HTTP client for one publishing call: the request's retry policy, `token` known as a
/// secret so it is masked in every error.
fn http_client(
    req: &PublishRequest<'_>,
    token: &crate::http::Secret,
) -> Result<crate::http::Client, PublishError> {
    crate::http::Client::new(req.retry.clone(), vec![token.clone()]).map_err(|source| {
        PublishError::Http {
            action: "create the HTTP client".to_owned(),
            source,
        }
    })
}

fn comment_body(marker: &str, markdown: &str, limit: usize) -> (String, bool) {
    let limit = limit.saturating_sub(marker.chars().count() + 1);
    let (text, truncated) = files::fit_chars(markdown, limit);
    (format!("{marker}\n{text}"), truncated)
}

/// Finds an `HttpError` in an error's source chain (octocrab and the gitlab crate wrap the
/// transport's errors).
fn find_http_error<'e>(e: &'e (dyn std::error::Error + 'static)) -> Option<&'e HttpError> {
    let mut current = Some(e);
    while let Some(error) = current {
        if let Some(http) = error.downcast_ref::<HttpError>() {
            return Some(http);
        }
        current = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_stay_html_comments() {
        assert_eq!(marker("CI/build"), "<!-- cicd-monitor:CI/build -->");
        assert_eq!(marker("a-->b"), "<!-- cicd-monitor:a-__b -->");
        assert_eq!(marker("x---"), "<!-- cicd-monitor:x-_ -->");
        assert!(!marker("a\n--->").contains("-->\n"));
    }

    #[test]
    fn comment_bodies_fit() {
        let (body, truncated) = comment_body("<!-- m -->", &"x\n".repeat(40_000), 65_536);
        assert!(truncated);
        assert!(body.chars().count() <= 65_536);
        assert!(body.starts_with("<!-- m -->\nx\n"));
    }

    #[test]
    fn detection() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(detect(&env(&[("GITHUB_ACTIONS", "true")])), Target::Github);
        assert_eq!(detect(&env(&[("GITLAB_CI", "true")])), Target::Gitlab);
        assert_eq!(
            detect(&env(&[
                ("BUILD_TAG", "jenkins-app-1"),
                ("BUILD_NUMBER", "1")
            ])),
            Target::Jenkins
        );
        assert_eq!(detect(&env(&[("BUILDKITE", "true")])), Target::Files);
        assert_eq!(detect(&env(&[])), Target::Files);
    }
}

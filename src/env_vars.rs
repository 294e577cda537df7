//! Every environment variable cicd-monitor reads, declared once.
//!
//! clap (`src/cli`), `action.yml`, the GitLab template and the Jenkins library refer to these
//! names; `cicd-monitor wrap --help` lists them next to the flags they stand for.
//! Depends on nothing.

/// Directory for profiles (`--out`). Default: `.cicd-monitor`.
pub const OUT: &str = "CICD_MONITOR_OUT";
/// Stage name (`--stage`).
pub const STAGE: &str = "CICD_MONITOR_STAGE";
/// Job name (`--job`).
pub const JOB: &str = "CICD_MONITOR_JOB";
/// Sampling interval (`--interval`), e.g. `500ms`, `1s`.
pub const INTERVAL: &str = "CICD_MONITOR_INTERVAL";
/// Sampler (`--sampler`): `linux` or `portable`.
pub const SAMPLER: &str = "CICD_MONITOR_SAMPLER";
/// `true` to trace every exec (`--trace-exec`).
pub const TRACE_EXEC: &str = "CICD_MONITOR_TRACE_EXEC";
/// `true` to end lingering descendants (`--kill-lingering`).
pub const KILL_LINGERING: &str = "CICD_MONITOR_KILL_LINGERING";
/// `true` to print no end-of-stage summary (`--quiet`).
pub const QUIET: &str = "CICD_MONITOR_QUIET";
/// Path of the configuration file (`--config`). Default: `.cicd-monitor.yml` found upwards.
pub const CONFIG: &str = "CICD_MONITOR_CONFIG";
/// `true` to run commands without any monitoring: the kill switch for a misbehaving monitor.
pub const DISABLE: &str = "CICD_MONITOR_DISABLE";

/// Profile directory read by `report`, `recommend` and `publish` (`--dir`).
/// Default: the value of `CICD_MONITOR_OUT`, else `.cicd-monitor`.
pub const DIR: &str = "CICD_MONITOR_DIR";
/// History store (`--store`): a SQLite file path, or a `postgres://` URL.
/// Default: `$XDG_DATA_HOME/cicd-monitor/history.sqlite` (`~/.local/share/…`).
pub const STORE: &str = "CICD_MONITOR_STORE";
/// Branch whose recent runs are the baseline of `report --baseline` (e.g. `main`).
pub const BASELINE: &str = "CICD_MONITOR_BASELINE";
/// Report format (`--format`).
pub const FORMAT: &str = "CICD_MONITOR_FORMAT";
/// Where `publish` sends the report (`--to`): `auto`, `github`, `gitlab`, `jenkins` or `files`.
pub const PUBLISH_TO: &str = "CICD_MONITOR_PUBLISH_TO";
/// `false` to skip the PR/MR comment in `publish` (`--comment`). Default: `true` with a token.
pub const COMMENT: &str = "CICD_MONITOR_COMMENT";
/// Directory where `publish` writes report files for CI artifacts (`--artifacts`).
/// Default: `DIR/report`.
pub const ARTIFACTS: &str = "CICD_MONITOR_ARTIFACTS";
/// Token for GitLab merge request notes: a project or personal access token with `api` scope
/// (`CI_JOB_TOKEN` cannot write notes). Read before `GITLAB_TOKEN`.
pub const GITLAB_TOKEN: &str = "CICD_MONITOR_GITLAB_TOKEN";
/// Token for GitHub PR comments. Read before `GITHUB_TOKEN` and `GH_TOKEN`.
pub const GITHUB_TOKEN: &str = "CICD_MONITOR_GITHUB_TOKEN";

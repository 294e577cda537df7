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

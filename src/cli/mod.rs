//! The command line, as clap structs: no logic here. Doc comments are the help text;
//! `crate::settings` merges these flags with the environment and the config file.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::env_vars;

/// Exact, low-overhead resource profiles of CI/CD pipeline stages.
#[derive(Debug, Parser)]
#[command(name = "cicd-monitor", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a command and record the resource profile of its whole process tree.
    ///
    /// The command's stdin/stdout/stderr, signals and exit status pass through unchanged.
    /// Writes DIR/stage-NAME.json at the end and DIR/stage-NAME.samples.jsonl as it goes.
    Wrap(WrapArgs),
    /// Print the summary of a stage profile.
    Show(ShowArgs),
    /// Rebuild a stage profile from its samples.jsonl (e.g. of a job killed mid-stage).
    Profile(ProfileArgs),
    /// Print the JSON Schema of the profile or samples format.
    Schema(SchemaArgs),
    /// Merge the stage profiles of a job (or pipeline) into a report with bottleneck findings.
    ///
    /// Reads every stage-*.json under each DIR; prints the report on stdout (or to --output).
    Report(ReportArgs),
    /// Print the findings of a job across stages, biggest expected saving first.
    Recommend(RecommendArgs),
    /// Record job profiles in the history store and query it.
    #[command(subcommand)]
    History(HistoryCommand),
    /// Publish the job report where the CI system shows it: GitHub step summary and one sticky
    /// PR comment, GitLab MR note and metrics report, Jenkins HTML/JSON artifacts.
    Publish(PublishArgs),
}

/// Sampler implementations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SamplerArg {
    /// procfs with kept file handles, cgroup totals and PSI (Linux).
    Linux,
    /// sysinfo, as on macOS and Windows runners.
    Portable,
}

#[derive(Debug, Args)]
pub struct WrapArgs {
    /// Stage name, used in the file name [default: the command's name]
    #[arg(long, env = env_vars::STAGE, value_name = "NAME")]
    pub stage: Option<String>,

    /// Job name [default: the CI job name]
    #[arg(long, env = env_vars::JOB, value_name = "NAME")]
    pub job: Option<String>,

    /// Time between samples, 100ms or more [default: 1s]
    #[arg(long, env = env_vars::INTERVAL, value_name = "DURATION")]
    pub interval: Option<String>,

    /// Directory for the profile files [default: .cicd-monitor]
    #[arg(long, env = env_vars::OUT, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Record every exec'd process with its own CPU, memory, I/O and exit code, even if it
    /// lived a few milliseconds (ptrace; programs that use ptrace themselves, such as gdb or
    /// strace, cannot run under it)
    #[arg(long, env = env_vars::TRACE_EXEC, value_name = "BOOL", num_args = 0..=1,
          default_missing_value = "true")]
    pub trace_exec: Option<bool>,

    /// Sampler to use [default: linux on Linux, portable elsewhere]
    #[arg(long, env = env_vars::SAMPLER, value_enum)]
    pub sampler: Option<SamplerArg>,

    /// End descendants still running when the command has ended (SIGTERM, then SIGKILL after
    /// the grace period)
    #[arg(long, env = env_vars::KILL_LINGERING, value_name = "BOOL", num_args = 0..=1,
          default_missing_value = "true")]
    pub kill_lingering: Option<bool>,

    /// Time between SIGTERM and SIGKILL for lingering processes [default: 3s]
    #[arg(long, value_name = "DURATION")]
    pub kill_grace: Option<String>,

    /// Print no end-of-stage summary
    #[arg(long, short, env = env_vars::QUIET, value_name = "BOOL", num_args = 0..=1,
          default_missing_value = "true")]
    pub quiet: Option<bool>,

    /// Configuration file [default: .cicd-monitor.yml in this directory or a parent, up to
    /// the repository root]
    #[arg(long, env = env_vars::CONFIG, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// The command and its arguments
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<OsString>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A stage profile (stage-NAME.json)
    pub profile: PathBuf,
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// The samples file (stage-NAME.samples.jsonl)
    #[arg(long, value_name = "PATH")]
    pub from_samples: PathBuf,

    /// Where to write the profile [default: the samples path with .json for .samples.jsonl]
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,

    /// Configuration file for role rules
    #[arg(long, env = env_vars::CONFIG, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

/// Which format's schema to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// stage-NAME.json
    Profile,
    /// stage-NAME.samples.jsonl (one record per line)
    Samples,
    /// The job report (`report --format json`)
    Report,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The format
    #[arg(value_enum, default_value = "profile")]
    pub kind: SchemaKind,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Plain text for a terminal or CI log.
    Terminal,
    /// GitHub-flavoured Markdown (step summary, PR/MR comment).
    Markdown,
    /// One self-contained HTML file with SVG charts; needs no network.
    Html,
    /// The job report as JSON.
    Json,
    /// Chrome trace-event JSON (open in Perfetto or chrome://tracing).
    Trace,
    /// OpenMetrics text (GitLab metrics report, Prometheus textfile collector).
    Openmetrics,
}

/// Where the profiles of a job are read from, and the optional history baseline.
#[derive(Debug, Args)]
pub struct JobInputArgs {
    /// Directory of stage profiles; repeat for several jobs of a pipeline [default: .cicd-monitor]
    #[arg(long = "dir", env = env_vars::DIR, value_name = "DIR", value_delimiter = ',')]
    pub dirs: Vec<PathBuf>,

    /// History store: SQLite file or postgres:// URL [default: ~/.local/share/cicd-monitor/history.sqlite]
    #[arg(long, env = env_vars::STORE, value_name = "PATH|URL")]
    pub store: Option<String>,

    /// Compare with the recent runs of this branch in the history store (e.g. main)
    #[arg(long, env = env_vars::BASELINE, value_name = "BRANCH")]
    pub baseline: Option<String>,

    /// Number of baseline runs to compare with
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub baseline_runs: u32,

    /// Configuration file [default: .cicd-monitor.yml found upwards]
    #[arg(long, env = env_vars::CONFIG, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: JobInputArgs,

    /// Output format
    #[arg(long, short, env = env_vars::FORMAT, value_enum, default_value = "terminal")]
    pub format: FormatArg,

    /// Write to this file instead of stdout
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RecommendArgs {
    #[command(flatten)]
    pub input: JobInputArgs,

    /// Print the ranked findings as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// Record the job profiles found in each DIR (stage-*.json) in the store.
    Ingest(HistoryIngestArgs),
    /// List the recent runs in the store.
    List(HistoryListArgs),
}

#[derive(Debug, Args)]
pub struct HistoryIngestArgs {
    /// History store: SQLite file or postgres:// URL [default: ~/.local/share/cicd-monitor/history.sqlite]
    #[arg(long, env = env_vars::STORE, value_name = "PATH|URL")]
    pub store: Option<String>,

    /// Directories of stage profiles, one job each
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct HistoryListArgs {
    /// History store: SQLite file or postgres:// URL [default: ~/.local/share/cicd-monitor/history.sqlite]
    #[arg(long, env = env_vars::STORE, value_name = "PATH|URL")]
    pub store: Option<String>,

    /// Only runs of this branch
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,

    /// Number of runs
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: u32,
}

/// Publishing targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PublishTarget {
    /// Detect the CI system from the environment.
    Auto,
    /// GitHub Actions: step summary and a sticky PR comment.
    Github,
    /// GitLab CI: MR note, metrics.txt and report files.
    Gitlab,
    /// Jenkins: HTML and JSON files for archiveArtifacts/publishHTML and a console summary.
    Jenkins,
    /// Only write the report files.
    Files,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    #[command(flatten)]
    pub input: JobInputArgs,

    /// Where to publish
    #[arg(long, env = env_vars::PUBLISH_TO, value_enum, default_value = "auto")]
    pub to: PublishTarget,

    /// Post or update the PR/MR comment when a token is present
    #[arg(long, env = env_vars::COMMENT, value_name = "BOOL", num_args = 0..=1,
          default_missing_value = "true", default_value = "true")]
    pub comment: bool,

    /// Directory for report files (report.html, report.json, report.md, metrics.txt)
    /// [default: DIR/report]
    #[arg(long, env = env_vars::ARTIFACTS, value_name = "DIR")]
    pub artifacts: Option<PathBuf>,
}

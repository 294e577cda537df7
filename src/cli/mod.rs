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
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The format
    #[arg(value_enum, default_value = "profile")]
    pub kind: SchemaKind,
}

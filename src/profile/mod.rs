//! The stage profile: the versioned contract between `wrap` and every later analysis.
//!
//! Everything in this module is a wire type. Rules (see `ARCHITECTURE.md`):
//! - bump [`SCHEMA_VERSION`] on any change that an older reader would misread;
//! - new fields get `#[serde(default)]` so older profiles still load;
//! - one `snake_case` convention, no `untagged`/`flatten`;
//! - every field has a doc comment: it becomes the description in `schema/profile.schema.json`,
//!   which CI regenerates and diffs.
//!
//! This module depends on nothing else in the crate.

mod io;
pub mod report;

pub use io::{ProfileIoError, read_profile, write_file_atomic, write_profile_atomic};

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the profile format. Readers refuse profiles with a newer major version.
pub const SCHEMA_VERSION: u32 = 1;

/// The resource profile of one wrapped pipeline stage (`stage-NAME.json`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct StageProfile {
    /// Version of this format; see `SCHEMA_VERSION` in the source and `CHANGELOG.md`.
    pub schema_version: u32,
    /// The program that wrote the profile.
    pub tool: Tool,
    /// What ran, when, and how it ended.
    pub stage: Stage,
    /// The CI system, pipeline, job and runner the stage ran in, read from the environment.
    pub ci: CiContext,
    /// The machine the stage ran on.
    pub host: Host,
    /// Exact totals for the command's whole process tree, as the kernel accounts them.
    pub totals: Totals,
    /// Totals per process role (`compiler`, `linker`, `test_runner`, ...), over observed processes.
    pub roles: BTreeMap<Role, RoleTotals>,
    /// One record per observed process of the tree, in order of first observation.
    pub processes: Vec<ProcessRecord>,
    /// One point per sample: the tree and the host over time.
    pub timeline: Vec<TimelinePoint>,
    /// The monitor's own mode and cost.
    pub monitor: Monitor,
    /// Things the monitor could not measure, in plain words (e.g. "cgroup: permission denied").
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// The program that wrote a profile.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct Tool {
    /// Always `cicd-monitor`.
    pub name: String,
    /// The writer's version (semver).
    pub version: String,
}

/// The wrapped command and its outcome.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct Stage {
    /// Stage name (`--stage`), e.g. `build`; also the file name `stage-NAME.json`.
    pub name: String,
    /// Job name (`--job`), or the CI job name when not given; null when unknown.
    pub job: Option<String>,
    /// The command as one shell-quoted line, with secrets replaced by `***`.
    pub command: String,
    /// The command's argument vector, with secrets replaced by `***`.
    pub argv: Vec<String>,
    /// Working directory the command started in.
    pub cwd: Option<String>,
    /// Exit status as a shell reports it: the exit code, or 128+N after death by signal N;
    /// 126/127 when the command could not be executed/found. Null when the profile was rebuilt
    /// from samples of a job that was killed before the command ended.
    pub exit_code: Option<i32>,
    /// The signal number that ended the command, when it died by a signal.
    pub signal: Option<i32>,
    /// When the command was started (RFC 3339, UTC).
    pub started_at: String,
    /// When the command ended (RFC 3339, UTC); null if the monitor never saw it end.
    pub ended_at: Option<String>,
    /// Wall-clock seconds from start to the command's end (or to the last sample).
    pub wall_seconds: f64,
}

/// Where the stage ran: CI provider, pipeline, job, runner and source revision.
///
/// Every field but `provider` is null when the CI system does not expose it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct CiContext {
    /// `github`, `gitlab`, `jenkins`, `buildkite`, `circleci`, `azure`, or `local` outside CI.
    pub provider: String,
    /// Pipeline / workflow run id (GitHub run id, GitLab pipeline id, Jenkins build number, ...).
    pub pipeline_id: Option<String>,
    /// Pipeline / workflow name (GitHub workflow, Jenkins job, Buildkite pipeline slug, ...).
    pub pipeline_name: Option<String>,
    /// Web URL of the pipeline run.
    pub pipeline_url: Option<String>,
    /// Job id within the pipeline, where the system has one.
    pub job_id: Option<String>,
    /// Job name (GitHub job id, GitLab job name, Jenkins stage, ...).
    pub job_name: Option<String>,
    /// Web URL of the job, where the system has one.
    pub job_url: Option<String>,
    /// Attempt / retry number of the run or job, starting at 1.
    pub attempt: Option<u32>,
    /// Name of the runner / agent / node that ran the job.
    pub runner_name: Option<String>,
    /// Labels / tags of the runner (GitLab runner tags, Jenkins node labels, OS/arch, ...).
    #[serde(default)]
    pub runner_labels: Vec<String>,
    /// Repository, as `owner/name` or a clone URL.
    pub repository: Option<String>,
    /// Git ref or branch the pipeline ran for.
    pub git_ref: Option<String>,
    /// Commit SHA the pipeline ran for.
    pub commit: Option<String>,
    /// Event that triggered the run (`push`, `pull_request`, `merge_request_event`, ...).
    pub event: Option<String>,
}

/// The machine a stage ran on. `fingerprint` groups machines of the same class for comparisons.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct Host {
    /// Host name.
    pub hostname: Option<String>,
    /// Operating system (`linux`, `macos`, `windows`, ...).
    pub os: String,
    /// OS distribution and version, e.g. `Debian GNU/Linux 12 (bookworm)`.
    pub os_release: Option<String>,
    /// Kernel release, e.g. `6.1.0-18-amd64`.
    pub kernel: Option<String>,
    /// CPU architecture, e.g. `x86_64`, `aarch64`.
    pub arch: String,
    /// CPU model name.
    pub cpu_model: Option<String>,
    /// Logical CPUs online on the machine.
    pub cpus: u32,
    /// CPUs this process may run on (affinity mask), when it differs from `cpus`.
    pub cpus_allowed: Option<u32>,
    /// CPU quota of the enclosing cgroup in cores (cpu.max / cfs quota), when limited.
    pub cpu_quota_cores: Option<f64>,
    /// Physical memory of the machine in bytes.
    pub memory_bytes: u64,
    /// Memory limit of the enclosing cgroup in bytes, when limited.
    pub memory_limit_bytes: Option<u64>,
    /// Container runtime when running inside one: `docker`, `podman`, `kubernetes`, `lxc`, ...
    pub container: Option<String>,
    /// Hypervisor when running in a virtual machine: `kvm`, `xen`, `microsoft`, `vmware`, ...
    pub virtualization: Option<String>,
    /// Stable id of the machine class (arch, CPU model, cores, memory rounded to GiB), so
    /// profiles of like machines can be compared.
    pub fingerprint: String,
}

/// Exact totals for the whole process tree of the command.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct Totals {
    /// User CPU seconds of the whole tree, as the kernel accounts it (see `cpu_source`).
    pub cpu_user_seconds: f64,
    /// System CPU seconds of the whole tree, as the kernel accounts it.
    pub cpu_system_seconds: f64,
    /// `cpu_user_seconds + cpu_system_seconds`.
    pub cpu_seconds: f64,
    /// Where the CPU totals come from: `cgroup` (the stage's own cgroup `cpu.stat`/`cpuacct`,
    /// which also counts children of parents that ignore SIGCHLD), `rusage` (getrusage of reaped
    /// children), or `samples` (sum of samples: a lower bound, used only when neither is known).
    pub cpu_source: String,
    /// CPU seconds reported by `getrusage(RUSAGE_CHILDREN)`, for cross-checking the cgroup.
    pub cpu_rusage_seconds: Option<f64>,
    /// Average number of busy cores: `cpu_seconds / stage.wall_seconds`.
    pub average_parallelism: f64,
    /// Peak resident set size of the largest single process of the tree, in bytes
    /// (`ru_maxrss` of reaped children, or the largest per-process `VmHWM` if larger).
    pub peak_rss_bytes: u64,
    /// Peak memory of the whole tree at once, in bytes: the stage cgroup's `memory.peak`
    /// (or v1 `memory.max_usage_in_bytes`) when available, else the largest sampled sum of RSS.
    pub peak_memory_bytes: Option<u64>,
    /// Where `peak_memory_bytes` comes from: `cgroup` or `samples`.
    pub peak_memory_source: Option<String>,
    /// Bytes the tree caused to be read from storage (`read_bytes` of /proc/PID/io).
    pub read_bytes: u64,
    /// Bytes the tree caused to be written to storage (`write_bytes` of /proc/PID/io).
    pub write_bytes: u64,
    /// Bytes the tree read through read-like syscalls, cache hits included (`rchar`).
    pub read_chars: Option<u64>,
    /// Bytes the tree wrote through write-like syscalls (`wchar`).
    pub write_chars: Option<u64>,
    /// Where the I/O totals come from: `rusage` (the wrapper's /proc/self/io after reaping,
    /// minus its own), `cgroup` or `samples`.
    pub io_source: String,
    /// Processes of the tree the monitor observed (every process in `trace` mode; the processes
    /// alive at some sample in `sample` mode).
    pub processes: u64,
    /// True when `processes` counts every process the tree ran (trace mode).
    pub processes_complete: bool,
    /// Peak number of processes alive at one sample.
    pub peak_live_processes: u64,
    /// CPU seconds of the tree that no process record holds: processes that lived and were
    /// reaped between two samples, and the tails of sampled processes after their last sample.
    /// The per-process share is in `processes[].unsampled_children_cpu_seconds`.
    pub unattributed_cpu_seconds: f64,
    /// Processes still running when the command ended (daemons, background jobs).
    pub lingering_processes: u64,
    /// OOM kills in the stage's cgroup (memory.events `oom_kill`), when a cgroup was used.
    pub oom_kills: Option<u64>,
}

/// The role a process plays in a build, from its executable name and arguments.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// C/C++/Rust/Java/Go/TypeScript... compilers and their drivers (cc1, rustc, javac, tsc).
    Compiler,
    /// Linkers (ld, lld, mold, gold, collect2).
    Linker,
    /// Assemblers (as, nasm, yasm).
    Assembler,
    /// Test runners and test JVMs (pytest, jest, cargo-nextest, surefire, go test binaries).
    TestRunner,
    /// Package managers (npm, pip, apt, cargo fetch, maven dependency resolution).
    PackageManager,
    /// Build orchestrators (make, ninja, cargo, gradle, bazel, cmake, msbuild).
    BuildTool,
    /// Container clients and builders (docker, podman, buildah, kaniko).
    ContainerClient,
    /// Archivers and compressors (tar, gzip, zstd, xz, zip).
    Archiver,
    /// Version control (git, hg, svn).
    Vcs,
    /// Network transfer (curl, wget, aws, gsutil, scp, rsync).
    Network,
    /// Interpreters running a script (python, node, ruby, perl, java without a known role).
    Interpreter,
    /// Shells (sh, bash, dash, zsh, pwsh).
    Shell,
    /// Anything else.
    #[default]
    Other,
}

impl Role {
    /// Every role, in display order.
    pub const ALL: [Role; 13] = [
        Role::Compiler,
        Role::Linker,
        Role::Assembler,
        Role::TestRunner,
        Role::PackageManager,
        Role::BuildTool,
        Role::ContainerClient,
        Role::Archiver,
        Role::Vcs,
        Role::Network,
        Role::Interpreter,
        Role::Shell,
        Role::Other,
    ];

    /// The `snake_case` name used in profiles and config files.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Compiler => "compiler",
            Role::Linker => "linker",
            Role::Assembler => "assembler",
            Role::TestRunner => "test_runner",
            Role::PackageManager => "package_manager",
            Role::BuildTool => "build_tool",
            Role::ContainerClient => "container_client",
            Role::Archiver => "archiver",
            Role::Vcs => "vcs",
            Role::Network => "network",
            Role::Interpreter => "interpreter",
            Role::Shell => "shell",
            Role::Other => "other",
        }
    }

    /// A short human label, e.g. "test runner".
    pub fn label(self) -> &'static str {
        match self {
            Role::TestRunner => "test runner",
            Role::PackageManager => "package manager",
            Role::BuildTool => "build tool",
            Role::ContainerClient => "container client",
            other => other.as_str(),
        }
    }

    /// Parses the `snake_case` name.
    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Totals of one role over the observed processes of that role.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct RoleTotals {
    /// CPU seconds of the processes of this role (their own CPU).
    pub cpu_seconds: f64,
    /// CPU seconds of children reaped by processes of this role that no sample captured
    /// (see `totals.unattributed_cpu_seconds`).
    pub unsampled_children_cpu_seconds: f64,
    /// Observed processes of this role.
    pub processes: u64,
    /// Largest peak RSS of a single process of this role, in bytes.
    pub peak_rss_bytes: u64,
    /// Bytes read from storage by processes of this role.
    pub read_bytes: u64,
    /// Bytes written to storage by processes of this role.
    pub write_bytes: u64,
    /// Seconds during which at least one process of this role was alive.
    pub active_seconds: f64,
}

/// One process of the tree.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct ProcessRecord {
    /// Process id.
    pub pid: u32,
    /// Parent process id when last observed (the wrapper's pid for the command and for orphans
    /// reparented to it).
    pub ppid: u32,
    /// Executable name (last exec), e.g. `cc1plus`.
    pub name: String,
    /// Argument vector of the last exec, secrets replaced by `***`, long lists truncated.
    pub argv: Vec<String>,
    /// The process's role in the build.
    pub role: Role,
    /// When the process started (RFC 3339, UTC, from the kernel's start time).
    pub started_at: Option<String>,
    /// When the process ended (RFC 3339, UTC); exact in trace mode and for processes the wrapper
    /// reaped, otherwise the first sample at which it was gone. Null while it was still running.
    pub ended_at: Option<String>,
    /// Seconds from the stage start to the process start.
    pub start_offset_seconds: f64,
    /// Seconds from the stage start to the process end; null while it was still running.
    pub end_offset_seconds: Option<f64>,
    /// Own CPU seconds (user + system), not counting children. Exact at exit in trace mode and
    /// for processes the wrapper reaped, else as of the last sample.
    pub cpu_seconds: f64,
    /// Own user CPU seconds.
    pub cpu_user_seconds: f64,
    /// Own system CPU seconds.
    pub cpu_system_seconds: f64,
    /// CPU seconds of all children this process reaped (their whole subtrees): `cutime+cstime`.
    pub children_cpu_seconds: f64,
    /// The part of `children_cpu_seconds` that no record of a child holds: children that lived
    /// between two samples and tails after a child's last sample. The kernel folds their CPU into
    /// this process, so it is attributed here.
    pub unsampled_children_cpu_seconds: f64,
    /// Peak resident set size of this process (`VmHWM`), in bytes.
    pub peak_rss_bytes: u64,
    /// Peak proportional set size seen in samples (shared pages split between sharers), in bytes.
    pub peak_pss_bytes: Option<u64>,
    /// Bytes this process read from storage.
    pub read_bytes: u64,
    /// Bytes this process wrote to storage.
    pub write_bytes: u64,
    /// Largest number of threads seen.
    pub threads: u32,
    /// Exit code as a shell reports it (128+N for signal N); null when unknown.
    pub exit_code: Option<i32>,
    /// How the record was observed: `trace` (every exec/exit seen), `reaped` (the wrapper
    /// reaped it), or `sample` (seen alive in samples only).
    pub observed_by: String,
    /// Samples in which the process was seen alive.
    pub samples: u32,
    /// True when the process was still running after the command ended.
    pub lingering: bool,
}

/// The tree and the host during one sampling interval, ending at `t`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct TimelinePoint {
    /// Seconds since the stage start.
    pub t: f64,
    /// Average busy cores of the tree over the interval (its CPU seconds / interval seconds).
    pub cpu_cores: f64,
    /// Cumulative CPU seconds of the tree at `t` (monotone).
    pub cpu_seconds: f64,
    /// Sum of RSS of the live processes of the tree, in bytes.
    pub rss_bytes: u64,
    /// Memory charged to the stage cgroup at `t` (memory.current / usage_in_bytes), in bytes.
    pub cgroup_memory_bytes: Option<u64>,
    /// Storage bytes read per second by the tree over the interval.
    pub read_bytes_per_second: f64,
    /// Storage bytes written per second by the tree over the interval.
    pub write_bytes_per_second: f64,
    /// Live processes of the tree at `t`.
    pub processes: u32,
    /// Live threads of the tree at `t`.
    pub threads: u32,
    /// Average busy cores of the whole host over the interval (all processes, the tree's too).
    pub host_cpu_cores: Option<f64>,
    /// Share of the interval the host's CPUs were stolen by the hypervisor, 0..1.
    pub host_steal_ratio: Option<f64>,
    /// Share of the interval spent waiting for I/O by idle CPUs (iowait), 0..1.
    pub host_iowait_ratio: Option<f64>,
    /// Host 1-minute load average at `t`.
    pub load1: Option<f64>,
    /// Host available memory at `t`, in bytes.
    pub host_memory_available_bytes: Option<u64>,
    /// Share of the interval in which some task waited for CPU (PSI `cpu some`), 0..1.
    /// The stage cgroup's own PSI when available, else the host's.
    pub psi_cpu_some: Option<f64>,
    /// Share of the interval in which some task stalled on memory (PSI `memory some`), 0..1.
    pub psi_memory_some: Option<f64>,
    /// Share of the interval in which all non-idle tasks stalled on memory (PSI `memory full`).
    pub psi_memory_full: Option<f64>,
    /// Share of the interval in which some task stalled on I/O (PSI `io some`), 0..1.
    pub psi_io_some: Option<f64>,
    /// Share of the interval in which all non-idle tasks stalled on I/O (PSI `io full`), 0..1.
    pub psi_io_full: Option<f64>,
    /// Average busy cores per role over the interval (observed processes only).
    #[serde(default)]
    pub roles: BTreeMap<Role, f64>,
}

/// How the monitor ran and what it cost.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct Monitor {
    /// `sample` (periodic sampling) or `trace` (every exec and exit traced, `--trace-exec`).
    pub mode: String,
    /// The sampler: `linux` (procfs with kept file handles) or `portable` (sysinfo).
    pub sampler: String,
    /// Seconds between samples.
    pub interval_seconds: f64,
    /// Samples taken.
    pub samples: u64,
    /// How the tree's members were found: `cgroup`, `children` (/proc/PID/task/TID/children),
    /// `scan` (all of /proc), `trace` or `portable`.
    pub discovery: String,
    /// The stage cgroup used for exact totals: `v2`, `v1`, or null when none could be created.
    pub cgroup: Option<String>,
    /// The monitor's own CPU seconds (user + system), excluding the command.
    pub cpu_seconds: f64,
    /// The monitor's own peak RSS, in bytes.
    pub peak_rss_bytes: u64,
}

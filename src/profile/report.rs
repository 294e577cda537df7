//! The job report: the stage profiles of one job (or several jobs of a pipeline) merged into a
//! per-stage breakdown with bottleneck findings. This is what `report --format json` prints and
//! what `publish` attaches; its JSON Schema is `schema/report.schema.json`.
//!
//! The same wire rules as the stage profile apply (see the parent module).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Role, Tool};

/// Version of the job report format.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// The report of a job or pipeline.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct JobReport {
    /// Version of this format ([`REPORT_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The program that wrote the report.
    pub tool: Tool,
    /// The jobs, in order of start.
    pub jobs: Vec<JobSummary>,
    /// Every stage of every job, in order of start.
    pub stages: Vec<StageSummary>,
    /// Bottleneck findings, biggest expected saving first.
    pub findings: Vec<Finding>,
    /// Comparisons with the recent runs of the baseline branch; empty without `--baseline`.
    #[serde(default)]
    pub baseline: Vec<BaselineComparison>,
    /// Problems met while reading the profiles (skipped files, partial profiles).
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// One job: the stages that ran on one runner, in one directory of profiles.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct JobSummary {
    /// Job name: the `--job` of its stages, else the CI job name, else the directory name.
    pub name: String,
    /// CI provider of the job (`github`, `gitlab`, `jenkins`, …, or `local`).
    pub provider: String,
    /// CI job URL, when known.
    pub url: Option<String>,
    /// Repository, branch or tag, and commit, when known.
    pub repository: Option<String>,
    /// Git ref (branch or tag) of the run.
    pub git_ref: Option<String>,
    /// Commit SHA of the run.
    pub commit: Option<String>,
    /// Runner or agent name.
    pub runner: Option<String>,
    /// Host class of the runner (`arch/cores/memory/cpu model`).
    pub host_class: String,
    /// Cores the job could use.
    pub cpus: u32,
    /// Memory the job could use, in bytes.
    pub memory_bytes: u64,
    /// Start of the first stage (RFC 3339).
    pub started_at: String,
    /// End of the last stage (RFC 3339), when every stage ended.
    pub ended_at: Option<String>,
    /// Seconds from the start of the first stage to the end of the last.
    pub wall_seconds: f64,
    /// Sum of the stages' wall seconds (less than `wall_seconds` when time passed between them).
    pub stage_seconds: f64,
    /// CPU seconds (user + system) of all stages.
    pub cpu_seconds: f64,
    /// CPU seconds divided by stage seconds.
    pub average_parallelism: f64,
    /// Largest tree memory of any stage, in bytes.
    pub peak_memory_bytes: u64,
    /// Bytes read from storage by all stages.
    pub read_bytes: u64,
    /// Bytes written to storage by all stages.
    pub write_bytes: u64,
    /// The stage with the longest wall time: the first place to look.
    pub critical_stage: Option<String>,
    /// Number of stages.
    pub stages: u32,
    /// Whether every stage exited with status 0.
    pub succeeded: bool,
}

/// One stage of a job.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct StageSummary {
    /// Name of the job the stage belongs to.
    pub job: String,
    /// Stage name.
    pub name: String,
    /// The command, redacted.
    pub command: String,
    /// Exit code, or null when it did not finish.
    pub exit_code: Option<i32>,
    /// Start (RFC 3339).
    pub started_at: String,
    /// Seconds from the start of its job's first stage to the start of this one.
    pub start_offset_seconds: f64,
    /// Wall-clock seconds.
    pub wall_seconds: f64,
    /// Share of its job's wall time, 0–1.
    pub share_of_job: f64,
    /// Whether this is its job's critical (longest) stage.
    pub critical: bool,
    /// User CPU seconds of the tree.
    pub cpu_user_seconds: f64,
    /// System CPU seconds of the tree.
    pub cpu_system_seconds: f64,
    /// User + system CPU seconds.
    pub cpu_seconds: f64,
    /// Cores the stage could use.
    pub cpus: u32,
    /// CPU seconds per wall second.
    pub average_parallelism: f64,
    /// `average_parallelism / cpus`, 0–1.
    pub cpu_utilization: f64,
    /// Peak memory of the whole tree (cgroup peak, else the sampled peak), in bytes.
    pub peak_memory_bytes: u64,
    /// Memory the stage could use (cgroup limit, else machine memory), in bytes.
    pub memory_limit_bytes: u64,
    /// `peak_memory_bytes / memory_limit_bytes`, 0–1.
    pub memory_utilization: f64,
    /// Peak RSS of the largest single process, in bytes.
    pub peak_rss_bytes: u64,
    /// Bytes read from storage.
    pub read_bytes: u64,
    /// Bytes written to storage.
    pub write_bytes: u64,
    /// Processes in the tree.
    pub processes: u64,
    /// Per-role totals, largest CPU first.
    pub roles: Vec<RoleSummary>,
    /// The processes with the most CPU (at most 5).
    pub top_cpu: Vec<ProcessSummary>,
    /// The processes with the largest peak RSS (at most 5).
    pub top_memory: Vec<ProcessSummary>,
    /// Path of the stage profile this summary was made from.
    pub profile_path: String,
}

/// The totals of one role in a stage.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct RoleSummary {
    /// The role.
    pub role: Role,
    /// CPU seconds of the role's processes, including the children they reaped unseen.
    pub cpu_seconds: f64,
    /// Share of the stage's CPU, 0–1.
    pub cpu_share: f64,
    /// Processes of this role.
    pub processes: u64,
    /// Largest peak RSS of a process of this role, in bytes.
    pub peak_rss_bytes: u64,
}

/// One process, as shown in top lists.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct ProcessSummary {
    /// Process id.
    pub pid: u32,
    /// Executable name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Command line, redacted and shortened to 120 characters.
    pub command: String,
    /// Own CPU seconds.
    pub cpu_seconds: f64,
    /// Peak RSS in bytes.
    pub peak_rss_bytes: u64,
    /// Seconds from the stage start to the process start.
    pub start_offset_seconds: f64,
    /// Seconds the process lived, when it ended.
    pub lifetime_seconds: Option<f64>,
}

/// What kind of bottleneck a finding names. Readers must accept kinds they do not know: new
/// ones are added without a schema version bump.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// The stage used (nearly) every core for most of its time.
    CpuSaturated,
    /// The stage used far fewer cores than it had, or ran serial phases.
    UnderParallelized,
    /// The tree stalled on storage I/O.
    IoBound,
    /// Memory came close to the limit, stalled on reclaim, or processes were OOM-killed.
    MemoryPressure,
    /// The tree slept: network, locks, queues, external services.
    Waiting,
    /// Other work on the host took CPU the stage wanted.
    NoisyNeighbor,
    /// The runner size this job needs.
    RightSize,
    /// A stage or role got slower or bigger against the baseline branch.
    Regression,
}

impl FindingKind {
    /// The `snake_case` name.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::CpuSaturated => "cpu_saturated",
            FindingKind::UnderParallelized => "under_parallelized",
            FindingKind::IoBound => "io_bound",
            FindingKind::MemoryPressure => "memory_pressure",
            FindingKind::Waiting => "waiting",
            FindingKind::NoisyNeighbor => "noisy_neighbor",
            FindingKind::RightSize => "right_size",
            FindingKind::Regression => "regression",
        }
    }
}

/// A bottleneck, with the numbers that show it and one concrete suggestion.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct Finding {
    /// What kind of bottleneck.
    pub kind: FindingKind,
    /// The job the stage belongs to.
    pub job: String,
    /// The stage, or null for a finding about the whole job (e.g. `right_size`).
    pub stage: Option<String>,
    /// One sentence with the key numbers, e.g. "link is serial for 41 s on 8 cores".
    pub title: String,
    /// Named evidence numbers (seconds, bytes, ratios 0–1, cores), e.g.
    /// `{"serial_seconds": 41.0, "cores": 8}`.
    pub evidence: BTreeMap<String, f64>,
    /// The process that ran a serial phase or dominated the finding, when one did.
    pub process: Option<String>,
    /// One concrete change to make.
    pub suggestion: String,
    /// Estimated wall seconds saved per run by the suggestion; null when unknown.
    pub saving_seconds: Option<f64>,
}

/// A stage or role metric of this job against the recent runs of the baseline branch.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct BaselineComparison {
    /// Stage name.
    pub stage: String,
    /// Role, for a per-role metric.
    pub role: Option<Role>,
    /// Metric: `wall_seconds`, `cpu_seconds` or `peak_rss_bytes`.
    pub metric: String,
    /// Baseline runs compared with.
    pub baseline_runs: u32,
    /// Median of the baseline; null without baseline runs.
    pub median: Option<f64>,
    /// Median absolute deviation of the baseline; null without baseline runs.
    pub mad: Option<f64>,
    /// Half-width of the band around the median inside which a change is noise.
    pub noise_band: Option<f64>,
    /// This job's value.
    pub current: f64,
    /// `current / median - 1`; null when the median is 0.
    pub change_ratio: Option<f64>,
    /// `regression`, `improvement`, `within_noise` or `insufficient_history`.
    pub verdict: String,
}

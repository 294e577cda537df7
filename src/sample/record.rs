//! The raw record stream: `stage-NAME.samples.jsonl`, one JSON object per line.
//!
//! Records hold counters exactly as the kernel reported them, cumulative, with their unit in the
//! name (`_ticks`, `_usec`, `_bytes`); a reading that failed is `null`, never a guess. The
//! model (`crate::model`) turns a stream of records into a [`crate::profile::StageProfile`], so
//! the same stream serves the live wrapper, a job killed mid-stage (`cicd-monitor profile
//! --from-samples`), and deterministic replay tests.
//!
//! Order: one `header`, then `process`, `sample` and `exit` records as they happen, then one
//! `end` (missing when the job was killed). A `process` record always precedes the first
//! `sample` or `exit` that names its pid; a second `process` record for the same pid means the
//! process exec'd (`exec: true`) or that the pid was reused (`exec: false`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::profile::{CiContext, Host};

/// One line of `samples.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)]
pub enum Record {
    /// First line: what is being measured and how.
    Header(Header),
    /// A process of the tree was first seen, exec'd, or its pid was reused.
    Process(ProcessInfo),
    /// One periodic sample of the tree, the stage cgroup and the host.
    Sample(Sample),
    /// A process ended and its final counters are known (trace mode, or reaped by the wrapper).
    Exit(ProcessExit),
    /// Last line: the command's status and the kernel's exact totals.
    End(End),
}

/// The first record of a stream.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct Header {
    /// Version of the record format (the profile's `SCHEMA_VERSION`).
    pub schema_version: u32,
    /// Stage name.
    pub stage: String,
    /// Job name, when given or detected.
    pub job: Option<String>,
    /// The command's argument vector, secrets replaced by `***`.
    pub argv: Vec<String>,
    /// Working directory.
    pub cwd: Option<String>,
    /// Wall-clock time of `t = 0` (RFC 3339, UTC).
    pub started_at: String,
    /// Wall-clock time of `t = 0` in seconds since the Unix epoch.
    pub started_unix_seconds: f64,
    /// `CLOCK_BOOTTIME` at `t = 0` in seconds: converts kernel start times (ticks since boot)
    /// into stage offsets.
    pub boot_clock_seconds: f64,
    /// Kernel clock ticks per second (`_SC_CLK_TCK`), the unit of `_ticks` fields.
    pub ticks_per_second: u64,
    /// `sample` or `trace`.
    pub mode: String,
    /// `linux` or `portable`.
    pub sampler: String,
    /// How tree members are found: `cgroup`, `children`, `trace` or `portable`.
    pub discovery: String,
    /// Seconds between samples.
    pub interval_seconds: f64,
    /// The stage cgroup in use: `v2`, `v1`, or null.
    pub cgroup: Option<String>,
    /// Process id of the wrapper (the tree's root; not part of the tree).
    pub monitor_pid: u32,
    /// CI context.
    pub ci: CiContext,
    /// Host description.
    pub host: Host,
}

/// Identity of a process, recorded once per exec.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct ProcessInfo {
    /// Seconds since the stage start when this was observed.
    pub t: f64,
    /// Process id.
    pub pid: u32,
    /// Parent process id.
    pub ppid: u32,
    /// Kernel start time in ticks since boot (identifies the process across pid reuse).
    pub start_ticks: u64,
    /// Kernel comm (up to 15 bytes), or the executable's base name when comm was truncated.
    /// Empty for a fork seen in trace mode: the process runs its parent's program until it
    /// execs, and `t` is its exact start.
    pub name: String,
    /// Argument vector, secrets replaced by `***`, truncated to a bounded size (empty with an
    /// empty `name`).
    pub argv: Vec<String>,
    /// True when an already known process exec'd a new program.
    #[serde(default)]
    pub exec: bool,
}

/// Counters of one live process at one sample.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct ProcSample {
    /// Process id.
    pub pid: u32,
    /// Parent process id.
    pub ppid: u32,
    /// State letter from /proc/PID/stat (R, S, D, Z, T, ...).
    pub state: char,
    /// Own user CPU, clock ticks.
    pub utime_ticks: u64,
    /// Own system CPU, clock ticks.
    pub stime_ticks: u64,
    /// User CPU of reaped children, clock ticks.
    pub cutime_ticks: u64,
    /// System CPU of reaped children, clock ticks.
    pub cstime_ticks: u64,
    /// Threads.
    pub threads: u32,
    /// Resident set size, bytes.
    pub rss_bytes: u64,
    /// Peak resident set size so far (`VmHWM`), bytes.
    pub hwm_bytes: Option<u64>,
    /// Proportional set size, bytes (read only for processes above a size threshold).
    pub pss_bytes: Option<u64>,
    /// Storage bytes read (null when /proc/PID/io is not readable, e.g. setuid programs).
    pub read_bytes: Option<u64>,
    /// Storage bytes written.
    pub write_bytes: Option<u64>,
    /// Bytes read by syscalls.
    pub rchar: Option<u64>,
    /// Bytes written by syscalls.
    pub wchar: Option<u64>,
}

/// Host-wide counters at one sample.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct HostCounters {
    /// Host user+nice CPU, ticks, all CPUs.
    pub cpu_user_ticks: Option<u64>,
    /// Host system+irq+softirq CPU, ticks.
    pub cpu_system_ticks: Option<u64>,
    /// Host idle CPU, ticks.
    pub cpu_idle_ticks: Option<u64>,
    /// Host iowait, ticks.
    pub cpu_iowait_ticks: Option<u64>,
    /// Host steal, ticks.
    pub cpu_steal_ticks: Option<u64>,
    /// 1-minute load average.
    pub load1: Option<f64>,
    /// Available memory, bytes.
    pub memory_available_bytes: Option<u64>,
    /// Cumulative PSI totals, microseconds: the stage cgroup's when it has them, else the host's.
    pub psi: PsiCounters,
}

/// Cumulative pressure-stall totals in microseconds.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct PsiCounters {
    /// Where the totals were read; null when PSI is not available.
    pub source: Option<PsiSource>,
    /// cpu some.
    pub cpu_some_usec: Option<u64>,
    /// memory some.
    pub memory_some_usec: Option<u64>,
    /// memory full.
    pub memory_full_usec: Option<u64>,
    /// io some.
    pub io_some_usec: Option<u64>,
    /// io full.
    pub io_full_usec: Option<u64>,
}

/// Where PSI totals come from.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PsiSource {
    /// The stage cgroup's own `*.pressure` files: stalls of the tree only.
    Cgroup,
    /// `/proc/pressure/*`: stalls of the whole host.
    Host,
}

/// Counters of the stage cgroup at one sample.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct CgroupCounters {
    /// CPU used by all members, past and present, microseconds.
    pub cpu_usage_usec: Option<u64>,
    /// User part, microseconds.
    pub cpu_user_usec: Option<u64>,
    /// System part, microseconds.
    pub cpu_system_usec: Option<u64>,
    /// Memory charged now, bytes.
    pub memory_current_bytes: Option<u64>,
    /// Peak memory charged, bytes.
    pub memory_peak_bytes: Option<u64>,
    /// OOM kills so far.
    pub oom_kills: Option<u64>,
}

/// Resource usage as `getrusage`/`wait4` report it.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct Rusage {
    /// User CPU, microseconds.
    pub user_usec: u64,
    /// System CPU, microseconds.
    pub system_usec: u64,
    /// Maximum resident set size, bytes.
    pub maxrss_bytes: u64,
}

/// One periodic sample.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct Sample {
    /// Seconds since the stage start (monotonic clock).
    pub t: f64,
    /// `getrusage(RUSAGE_CHILDREN)` of the wrapper: everything it has reaped so far.
    pub reaped: Rusage,
    /// I/O of everything the wrapper has reaped so far (/proc/self/io minus its own).
    pub reaped_io: Option<TreeIo>,
    /// The stage cgroup, when one is in use.
    pub cgroup: Option<CgroupCounters>,
    /// Host-wide counters.
    pub host: HostCounters,
    /// Every live process of the tree.
    pub processes: Vec<ProcSample>,
}

/// Final counters of a process that ended.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct ProcessExit {
    /// Seconds since the stage start when the end was observed.
    pub t: f64,
    /// Process id.
    pub pid: u32,
    /// `trace` (read at the exit stop) or `reaped` (the wrapper reaped it with `wait4`).
    pub source: String,
    /// Exit status as a shell reports it (128+N for signal N).
    pub exit_code: Option<i32>,
    /// Signal that ended it.
    pub signal: Option<i32>,
    /// Own user CPU, microseconds (trace mode: from the final stat, in clock ticks).
    pub utime_usec: Option<u64>,
    /// Own system CPU, microseconds.
    pub stime_usec: Option<u64>,
    /// User CPU of the process and all its reaped descendants, microseconds (`wait4`
    /// rusage, exact; for `reaped` only).
    pub subtree_user_usec: Option<u64>,
    /// System CPU of the process and all its reaped descendants, microseconds.
    pub subtree_system_usec: Option<u64>,
    /// CPU of reaped children, ticks (trace mode: from the final stat).
    pub children_cpu_ticks: Option<u64>,
    /// Peak RSS, bytes (`VmHWM`, or `ru_maxrss` of the subtree for `reaped`).
    pub hwm_bytes: Option<u64>,
    /// Storage bytes read.
    pub read_bytes: Option<u64>,
    /// Storage bytes written.
    pub write_bytes: Option<u64>,
    /// Largest thread count.
    pub threads: Option<u32>,
}

/// Final I/O of the whole tree.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct TreeIo {
    /// Storage bytes read.
    pub read_bytes: u64,
    /// Storage bytes written.
    pub write_bytes: u64,
    /// Bytes read by syscalls.
    pub rchar: u64,
    /// Bytes written by syscalls.
    pub wchar: u64,
}

/// The last record.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub struct End {
    /// Seconds since the stage start when the command ended.
    pub t: f64,
    /// Wall-clock end (RFC 3339, UTC).
    pub ended_at: String,
    /// Exit status as a shell reports it.
    pub exit_code: i32,
    /// Signal that ended the command.
    pub signal: Option<i32>,
    /// `getrusage(RUSAGE_CHILDREN)` after every reapable descendant was reaped.
    pub reaped: Rusage,
    /// The tree's exact I/O (/proc/self/io minus the wrapper's own), when readable.
    pub io: Option<TreeIo>,
    /// Final counters of the stage cgroup.
    pub cgroup: Option<CgroupCounters>,
    /// The wrapper's own usage (`RUSAGE_SELF`).
    pub monitor: Rusage,
    /// Pids still running when the command ended (and not killed).
    pub lingering: Vec<u32>,
    /// Pids that were running when the command ended and were then terminated.
    #[serde(default)]
    pub killed: Vec<u32>,
    /// What could not be measured.
    pub warnings: Vec<String>,
}

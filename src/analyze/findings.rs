//! Bottleneck findings: rules over a stage's totals, timeline and processes, each producing the
//! numbers that show the bottleneck, one concrete suggestion and an estimated saving.
//!
//! Every threshold is a named constant below; each rule says in a comment why it is shaped so.
//! Savings are estimates of wall seconds per run if the suggestion were applied, computed from
//! measured numbers only (never a fixed guess); `None` where the profile cannot support one.

use std::collections::BTreeMap;

use crate::profile::report::{Finding, FindingKind};
use crate::profile::{ProcessRecord, Role, StageProfile, TimelinePoint};

use super::job::{Job, LoadedStage, memory_limit, peak_memory, ratio};

/// Stages shorter than this get no findings: there is nothing worth changing in them.
pub const MIN_STAGE_SECONDS: f64 = 5.0;
/// A core count is "saturated" at this share of its cores.
pub const SATURATED_SHARE: f64 = 0.9;
/// A stage is CPU-saturated when it is saturated for at least this share of its wall time.
pub const SATURATED_TIME_SHARE: f64 = 0.5;
/// A stage is under-parallelised when its average parallelism is below this share of its cores.
pub const UNDER_PARALLEL_SHARE: f64 = 0.5;
/// A serial phase: the tree runs on about one core (between these bounds) …
pub const SERIAL_CORES: (f64, f64) = (0.6, 1.4);
/// … for at least this many seconds and this share of the stage.
pub const SERIAL_MIN_SECONDS: f64 = 2.0;
/// See [`SERIAL_MIN_SECONDS`].
pub const SERIAL_MIN_SHARE: f64 = 0.1;
/// I/O-bound: average PSI io "some" (share of time some task stalled on I/O) or iowait share.
pub const IO_STALL_SHARE: f64 = 0.1;
/// Memory pressure: peak at this share of the limit.
pub const MEMORY_PEAK_SHARE: f64 = 0.8;
/// Memory pressure: average PSI memory "some".
pub const MEMORY_STALL_SHARE: f64 = 0.05;
/// Waiting: the tree used less than this many cores on average.
pub const WAITING_PARALLELISM: f64 = 0.25;
/// Waiting: idle points (tree below this many cores) …
pub const IDLE_CORES: f64 = 0.1;
/// … covering at least this share of the stage.
pub const WAITING_IDLE_SHARE: f64 = 0.3;
/// Noisy neighbour: at least this share of the stage starved.
pub const STARVED_SHARE: f64 = 0.2;
/// Noisy neighbour: other work used at least this share of the cores in a starved point.
pub const OTHER_WORK_SHARE: f64 = 0.25;
/// Noisy neighbour: the stage had runnable tasks waiting for CPU (PSI cpu "some") at least this
/// share of the time in a starved point.
pub const CPU_WAIT_SHARE: f64 = 0.2;
/// Noisy neighbour: hypervisor steal share that counts as starved by itself.
pub const STEAL_SHARE: f64 = 0.05;
/// Right-size headroom over the 95th percentile of cores used and over the memory peak.
pub const RIGHT_SIZE_HEADROOM: f64 = 1.25;
/// Serial phases reported per stage, longest first.
pub const MAX_SERIAL_PHASES: usize = 3;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// All findings of a job (without baseline comparisons), unsorted.
pub fn job_findings(job: &Job) -> Vec<Finding> {
    let mut out = Vec::new();
    for stage in &job.stages {
        stage_findings(&job.name, stage, &mut out);
    }
    if let Some(f) = right_size(job, &out) {
        out.push(f);
    }
    out
}

/// Sorts findings by expected saving, largest first; unknown savings last, then by kind and
/// stage so the order is stable.
pub fn rank(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        let sa = a.saving_seconds.unwrap_or(-1.0);
        let sb = b.saving_seconds.unwrap_or(-1.0);
        sb.total_cmp(&sa)
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.job.cmp(&b.job))
            .then_with(|| a.stage.cmp(&b.stage))
            .then_with(|| a.title.cmp(&b.title))
    });
}

/// A timeline point with the seconds it covers (from the previous point).
struct Span<'a> {
    start: f64,
    dt: f64,
    p: &'a TimelinePoint,
}

fn spans(p: &StageProfile) -> Vec<Span<'_>> {
    let mut prev = 0.0;
    p.timeline
        .iter()
        .filter_map(|point| {
            let dt = point.t - prev;
            let start = prev;
            prev = point.t;
            (dt > 0.0).then_some(Span {
                start,
                dt,
                p: point,
            })
        })
        .collect()
}

/// Time-weighted mean of an optional per-point value, over the spans that have it.
fn mean(spans: &[Span<'_>], f: impl Fn(&TimelinePoint) -> Option<f64>) -> Option<f64> {
    let (sum, time) = spans.iter().fold((0.0, 0.0), |(s, t), sp| match f(sp.p) {
        Some(v) if v.is_finite() => (s + v * sp.dt, t + sp.dt),
        _ => (s, t),
    });
    (time > 0.0).then(|| sum / time)
}

/// Seconds of the spans where `pred` holds.
fn seconds_where(spans: &[Span<'_>], pred: impl Fn(&TimelinePoint) -> bool) -> f64 {
    spans.iter().filter(|s| pred(s.p)).map(|s| s.dt).sum()
}

struct Ctx<'a> {
    job: &'a str,
    stage: &'a str,
    p: &'a StageProfile,
    cores: f64,
    wall: f64,
    parallelism: f64,
    spans: Vec<Span<'a>>,
}

impl Ctx<'_> {
    fn finding(
        &self,
        kind: FindingKind,
        title: String,
        evidence: &[(&str, f64)],
        process: Option<String>,
        suggestion: String,
        saving: Option<f64>,
    ) -> Finding {
        Finding {
            kind,
            job: self.job.to_owned(),
            stage: Some(self.stage.to_owned()),
            title,
            evidence: evidence
                .iter()
                .filter(|(_, v)| v.is_finite())
                .map(|(k, v)| ((*k).to_owned(), round(*v)))
                .collect::<BTreeMap<_, _>>(),
            process,
            suggestion,
            saving_seconds: saving.filter(|s| s.is_finite()).map(|s| round(s.max(0.0))),
        }
    }
}

/// Rounds evidence to 4 significant decimals so reports are stable and readable.
fn round(v: f64) -> f64 {
    if v.abs() >= 100.0 {
        (v * 10.0).round() / 10.0
    } else {
        (v * 10_000.0).round() / 10_000.0
    }
}

fn stage_findings(job: &str, stage: &LoadedStage, out: &mut Vec<Finding>) {
    let p = &stage.profile;
    let wall = p.stage.wall_seconds;
    if wall < MIN_STAGE_SECONDS {
        return;
    }
    let cx = Ctx {
        job,
        stage: &p.stage.name,
        p,
        cores: f64::from(crate::host::effective_cpus(&p.host).max(1)),
        wall,
        parallelism: ratio(p.totals.cpu_seconds, wall),
        spans: spans(p),
    };
    let saturated = cpu_saturated(&cx);
    let io = io_bound(&cx);
    let starved = noisy_neighbor(&cx);
    let memory = memory_pressure(&cx);
    // A stage both saturated and "under-parallelised" cannot be: the rules are exclusive. A
    // memory-bound stage is not told to run more at once either.
    if saturated.is_none() {
        under_parallelized(&cx, memory.is_some(), out);
    }
    out.extend(memory);
    // An idle tree stalled on storage is I/O-bound, not waiting.
    if io.is_none()
        && let Some(f) = waiting(&cx)
    {
        out.push(f);
    }
    out.extend(saturated);
    out.extend(io);
    out.extend(starved);
}

fn cpu_saturated(cx: &Ctx<'_>) -> Option<Finding> {
    let threshold = SATURATED_SHARE * cx.cores;
    let saturated = seconds_where(&cx.spans, |p| p.cpu_cores >= threshold);
    if saturated < SATURATED_TIME_SHARE * cx.wall {
        return None;
    }
    let psi = mean(&cx.spans, |p| p.psi_cpu_some);
    let more = cx.cores * 2.0;
    // Doubling the cores at most halves the saturated time: the rest was not CPU-bound.
    let saving = saturated / 2.0;
    let mut evidence = vec![
        ("cores", cx.cores),
        ("average_parallelism", cx.parallelism),
        ("saturated_seconds", saturated),
        ("saturated_share", saturated / cx.wall),
    ];
    if let Some(psi) = psi {
        evidence.push(("psi_cpu_some", psi));
    }
    Some(cx.finding(
        FindingKind::CpuSaturated,
        format!(
            "{} is CPU-bound: all {} cores busy for {} of {}",
            cx.stage,
            cx.cores,
            secs(saturated),
            secs(cx.wall)
        ),
        &evidence,
        top_role_process(cx.p),
        format!(
            "run {} on a runner with {more:.0} cores (or raise the CPU quota); the saturated {} would shrink to about {}",
            cx.stage,
            secs(saturated),
            secs(saturated - saving)
        ),
        Some(saving),
    ))
}

/// The process that did most of the work overall, e.g. "cc1 (compiler)".
fn top_role_process(p: &StageProfile) -> Option<String> {
    p.processes
        .iter()
        .max_by(|a, b| a.cpu_seconds.total_cmp(&b.cpu_seconds))
        .filter(|r| r.cpu_seconds > 0.0)
        .map(|r| format!("{} ({})", r.name, r.role.label()))
}

/// A maximal run of serial spans.
struct Phase {
    start: f64,
    end: f64,
}

/// Whether other work on the host kept the stage from the CPU it wanted during `p`: the host
/// was busy, others used a good share of it and tasks waited to run (or the hypervisor stole
/// time). Low parallelism in such a span says nothing about the stage.
fn starved(p: &TimelinePoint, cores: f64) -> bool {
    let Some(host) = p.host_cpu_cores else {
        return false;
    };
    let other = (host - p.cpu_cores).max(0.0);
    let busy = host >= SATURATED_SHARE * cores && other >= OTHER_WORK_SHARE * cores;
    let wanted = p.psi_cpu_some.unwrap_or(0.0) >= CPU_WAIT_SHARE;
    (busy && wanted) || p.host_steal_ratio.unwrap_or(0.0) >= STEAL_SHARE
}

fn serial_phases(cx: &Ctx<'_>) -> Vec<Phase> {
    let min_len = SERIAL_MIN_SECONDS.max(SERIAL_MIN_SHARE * cx.wall);
    let mut phases: Vec<Phase> = Vec::new();
    let mut current: Option<Phase> = None;
    for s in &cx.spans {
        let serial =
            (SERIAL_CORES.0..SERIAL_CORES.1).contains(&s.p.cpu_cores) && !starved(s.p, cx.cores);
        match (&mut current, serial) {
            (Some(ph), true) => ph.end = s.start + s.dt,
            (None, true) => {
                current = Some(Phase {
                    start: s.start,
                    end: s.start + s.dt,
                })
            }
            (Some(_), false) => phases.extend(current.take()),
            (None, false) => {}
        }
    }
    phases.extend(current);
    phases.retain(|ph| ph.end - ph.start >= min_len);
    phases.sort_by(|a, b| (b.end - b.start).total_cmp(&(a.end - a.start)));
    phases.truncate(MAX_SERIAL_PHASES);
    phases
}

/// The process that most likely ran `[start, end)`: the largest estimated CPU inside the window
/// (own CPU spread evenly over its lifetime, times the overlap). Shells and build tools only
/// orchestrate, so they are chosen only when nothing else ran.
fn phase_process(p: &StageProfile, start: f64, end: f64) -> Option<&ProcessRecord> {
    let score = |r: &ProcessRecord| {
        let r_end = r.end_offset_seconds.unwrap_or(p.stage.wall_seconds);
        let life = (r_end - r.start_offset_seconds).max(1e-3);
        let overlap = (r_end.min(end) - r.start_offset_seconds.max(start)).max(0.0);
        r.cpu_seconds * overlap.min(life) / life
    };
    let best = |orchestrators: bool| {
        p.processes
            .iter()
            .filter(|r| orchestrators || !matches!(r.role, Role::Shell | Role::BuildTool))
            .map(|r| (score(r), r))
            .filter(|(s, _)| *s > 0.0)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, r)| r)
    };
    best(false).or_else(|| best(true))
}

fn serial_suggestion(role: Option<Role>, name: &str, cores: f64) -> String {
    let n = cores as u32;
    match role {
        Some(Role::Linker) => format!(
            "use a parallel linker (mold or lld, e.g. -fuse-ld=mold) for {name}, or split what it links so the pieces link in parallel"
        ),
        Some(Role::Compiler) => format!(
            "{name} compiles alone here: split the large unit, or start it earlier so it overlaps the rest of the build"
        ),
        Some(Role::TestRunner) => format!(
            "run the tests in {n} workers (e.g. pytest -n {n}, cargo nextest, jest --maxWorkers={n}, surefire forkCount={n})"
        ),
        Some(Role::Archiver) => {
            format!("use a multi-threaded compressor for {name} (zstd -T0, pigz, xz -T0)")
        }
        Some(Role::PackageManager) | Some(Role::Network) => {
            format!("cache what {name} downloads between runs, or fetch in parallel")
        }
        Some(Role::ContainerClient) => format!(
            "{name} ran serially: cache image layers (--cache-from) and build independent images in parallel"
        ),
        _ => {
            format!("run {name} in parallel with the other steps, or parallelise it over {n} cores")
        }
    }
}

fn under_parallelized(cx: &Ctx<'_>, memory_bound: bool, out: &mut Vec<Finding>) {
    if cx.cores < 2.0 {
        return;
    }
    let phases = serial_phases(cx);
    for ph in &phases {
        let len = ph.end - ph.start;
        let process = phase_process(cx.p, ph.start, ph.end);
        let name = process.map_or_else(|| "one process".to_owned(), |r| r.name.clone());
        // Perfect parallelism over the cores would save this much of the phase.
        let saving = len * (1.0 - 1.0 / cx.cores);
        out.push(cx.finding(
            FindingKind::UnderParallelized,
            format!(
                "{} is serial for {} on {} cores ({} from {} to {})",
                cx.stage,
                secs(len),
                cx.cores,
                name,
                secs(ph.start),
                secs(ph.end)
            ),
            &[
                ("serial_seconds", len),
                ("serial_start_seconds", ph.start),
                ("serial_end_seconds", ph.end),
                ("cores", cx.cores),
                ("average_parallelism", cx.parallelism),
                (
                    "process_cpu_seconds",
                    process.map_or(0.0, |r| r.cpu_seconds),
                ),
            ],
            process.map(|r| format!("{} ({})", r.name, r.role.label())),
            serial_suggestion(process.map(|r| r.role), &name, cx.cores),
            Some(saving),
        ));
    }
    // The whole stage runs far below its cores without a single long serial phase (e.g. a
    // build at -j1 or a test runner with one worker), but it is busy: an idle tree is `waiting`.
    let starved_seconds = seconds_where(&cx.spans, |p| starved(p, cx.cores));
    if phases.is_empty()
        && !memory_bound
        && starved_seconds < 0.5 * cx.wall
        && cx.parallelism < UNDER_PARALLEL_SHARE * cx.cores
        && cx.parallelism >= WAITING_PARALLELISM
    {
        let role =
            cx.p.roles
                .iter()
                .filter(|(r, _)| !matches!(r, Role::Shell | Role::BuildTool))
                .max_by(|a, b| a.1.cpu_seconds.total_cmp(&b.1.cpu_seconds))
                .map(|(r, _)| *r);
        let ideal = cx.p.totals.cpu_seconds / cx.cores;
        out.push(cx.finding(
            FindingKind::UnderParallelized,
            format!(
                "{} uses {:.2} of {} cores on average",
                cx.stage, cx.parallelism, cx.cores
            ),
            &[
                ("average_parallelism", cx.parallelism),
                ("cores", cx.cores),
                ("cpu_seconds", cx.p.totals.cpu_seconds),
                ("wall_seconds", cx.wall),
            ],
            top_role_process(cx.p),
            match role {
                Some(Role::Compiler) | None => format!(
                    "raise the build's parallelism to the {} cores (make -j{n}, ninja -j{n}, cargo build -j{n})",
                    cx.cores,
                    n = cx.cores as u32
                ),
                other => serial_suggestion(other, cx.stage, cx.cores),
            },
            Some(cx.wall - ideal.max(0.0)),
        ));
    }
}

fn io_bound(cx: &Ctx<'_>) -> Option<Finding> {
    let psi_some = mean(&cx.spans, |p| p.psi_io_some);
    let psi_full = mean(&cx.spans, |p| p.psi_io_full);
    let iowait = mean(&cx.spans, |p| p.host_iowait_ratio);
    let stall = psi_some.unwrap_or(0.0).max(iowait.unwrap_or(0.0));
    if stall < IO_STALL_SHARE {
        return None;
    }
    let t = &cx.p.totals;
    let stall_seconds = stall * cx.wall;
    let writer =
        cx.p.processes
            .iter()
            .max_by_key(|r| r.read_bytes + r.write_bytes)
            .filter(|r| r.read_bytes + r.write_bytes > 0);
    let mut evidence = vec![
        ("io_stall_seconds", stall_seconds),
        ("read_bytes", t.read_bytes as f64),
        ("write_bytes", t.write_bytes as f64),
        ("read_bytes_per_second", ratio(t.read_bytes as f64, cx.wall)),
        (
            "write_bytes_per_second",
            ratio(t.write_bytes as f64, cx.wall),
        ),
    ];
    evidence.extend(psi_some.map(|v| ("psi_io_some", v)));
    evidence.extend(psi_full.map(|v| ("psi_io_full", v)));
    evidence.extend(iowait.map(|v| ("iowait_share", v)));
    Some(cx.finding(
        FindingKind::IoBound,
        format!(
            "{} waits on storage {:.0}% of the time ({}); read {}, wrote {}",
            cx.stage,
            100.0 * stall,
            secs(stall_seconds),
            bytes(t.read_bytes),
            bytes(t.write_bytes)
        ),
        &evidence,
        writer.map(|r| format!("{} ({})", r.name, r.role.label())),
        format!(
            "put {}'s working files on a faster disk or tmpfs, or cache what it reads (largest I/O: {})",
            cx.stage,
            writer.map_or("unknown", |r| r.name.as_str())
        ),
        // PSI "full": every task stalled at once: that much wall time is pure I/O wait.
        psi_full.map(|f| f * cx.wall),
    ))
}

/// Most processes of `role` alive at the same time, among those using at least a tenth of the
/// role's peak RSS (so helper processes do not count as workers).
fn concurrent_workers(p: &StageProfile, role: Role) -> usize {
    let peak = p
        .processes
        .iter()
        .filter(|r| r.role == role)
        .map(|r| r.peak_rss_bytes)
        .max()
        .unwrap_or(0);
    let mut events: Vec<(f64, i32)> = Vec::new();
    for r in p
        .processes
        .iter()
        .filter(|r| r.role == role && r.peak_rss_bytes * 10 >= peak)
    {
        events.push((r.start_offset_seconds, 1));
        events.push((r.end_offset_seconds.unwrap_or(f64::INFINITY), -1));
    }
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (mut live, mut most) = (0i32, 0i32);
    for (_, d) in events {
        live += d;
        most = most.max(live);
    }
    most.max(0) as usize
}

fn memory_pressure(cx: &Ctx<'_>) -> Option<Finding> {
    let peak = peak_memory(cx.p);
    let limit = memory_limit(cx.p);
    let share = ratio(peak as f64, limit as f64);
    let psi_some = mean(&cx.spans, |p| p.psi_memory_some);
    let psi_full = mean(&cx.spans, |p| p.psi_memory_full);
    let oom = cx.p.totals.oom_kills.unwrap_or(0);
    if share < MEMORY_PEAK_SHARE && psi_some.unwrap_or(0.0) < MEMORY_STALL_SHARE && oom == 0 {
        return None;
    }
    let largest = cx.p.processes.iter().max_by_key(|r| r.peak_rss_bytes);
    let role = largest.map(|r| r.role);
    let workers = role.map_or(0, |r| concurrent_workers(cx.p, r));
    let need_gib = (peak as f64 * RIGHT_SIZE_HEADROOM / GIB).ceil();
    let mut evidence = vec![
        ("peak_memory_bytes", peak as f64),
        ("memory_limit_bytes", limit as f64),
        ("peak_share", share),
        ("oom_kills", oom as f64),
        ("concurrent_workers", workers as f64),
    ];
    evidence.extend(psi_some.map(|v| ("psi_memory_some", v)));
    evidence.extend(psi_full.map(|v| ("psi_memory_full", v)));
    if let Some(r) = largest {
        evidence.push(("largest_process_rss_bytes", r.peak_rss_bytes as f64));
    }
    let mut title = format!(
        "{} is memory-bound: peak {} is {:.0}% of the {} limit",
        cx.stage,
        bytes(peak),
        100.0 * share,
        bytes(limit)
    );
    if workers > 1
        && let Some(r) = largest
    {
        title = format!(
            "{} is memory-bound: {workers} {} workers hit {:.0}% of the {} limit",
            cx.stage,
            r.name,
            100.0 * share,
            bytes(limit)
        );
    }
    if oom > 0 {
        title.push_str(&format!("; {oom} process(es) OOM-killed"));
    }
    let suggestion = if workers > 1 {
        format!(
            "run {} {} worker{} at a time instead of {workers}, or use a runner with at least {need_gib:.0} GiB",
            workers - 1,
            largest.map_or("", |r| r.name.as_str()),
            if workers == 2 { "" } else { "s" }
        )
    } else {
        format!(
            "use a runner with at least {need_gib:.0} GiB, or reduce the peak of {}",
            largest.map_or("the largest process", |r| r.name.as_str())
        )
    };
    Some(cx.finding(
        FindingKind::MemoryPressure,
        title,
        &evidence,
        largest.map(|r| format!("{} ({})", r.name, r.role.label())),
        suggestion,
        // PSI memory "full": all tasks stalled on reclaim at once: that wall time is lost.
        psi_full.map(|f| f * cx.wall).filter(|s| *s > 0.0),
    ))
}

fn waiting(cx: &Ctx<'_>) -> Option<Finding> {
    if cx.parallelism >= WAITING_PARALLELISM {
        return None;
    }
    let idle = seconds_where(&cx.spans, |p| p.cpu_cores < IDLE_CORES);
    if idle < WAITING_IDLE_SHARE * cx.wall || idle < MIN_STAGE_SECONDS {
        return None;
    }
    // The sleeper: the longest-lived process that used little CPU; orchestrators (shells, make)
    // always sleep while their children work, so they are picked only when nothing else slept.
    let sleeper = |orchestrators: bool| {
        cx.p.processes
            .iter()
            .filter(|r| orchestrators || !matches!(r.role, Role::Shell | Role::BuildTool))
            .map(|r| {
                let life = r.end_offset_seconds.unwrap_or(cx.wall) - r.start_offset_seconds;
                (life, r)
            })
            .filter(|(life, r)| *life > 0.0 && r.cpu_seconds / life < IDLE_CORES)
            .max_by(|a, b| a.0.total_cmp(&b.0))
    };
    let sleeper = sleeper(false).or_else(|| sleeper(true));
    let (name, role, life) = sleeper.map_or(("the tree".to_owned(), None, idle), |(l, r)| {
        (r.name.clone(), Some(r.role), l)
    });
    let suggestion = match role {
        Some(Role::Network) | Some(Role::PackageManager) => format!(
            "{name} waited {}: cache its downloads between runs (CI cache of the dependency directory) or use a nearby mirror",
            secs(life)
        ),
        Some(Role::ContainerClient) => format!(
            "{name} waited {} on the daemon or registry: reuse layers (--cache-from, a registry cache) and pre-pull base images",
            secs(life)
        ),
        Some(Role::Vcs) => format!(
            "{name} waited {}: fetch less (--depth 1, --filter=blob:none) or cache the repository",
            secs(life)
        ),
        _ => format!(
            "find what {name} waits for (network, a lock, a queue, a sleep) during its {}; the CPU was idle",
            secs(life)
        ),
    };
    Some(cx.finding(
        FindingKind::Waiting,
        format!(
            "{} is idle for {} of {} (average {:.2} cores); {name} sleeps",
            cx.stage,
            secs(idle),
            secs(cx.wall),
            cx.parallelism
        ),
        &[
            ("idle_seconds", idle),
            ("wall_seconds", cx.wall),
            ("average_parallelism", cx.parallelism),
            ("sleeper_seconds", life),
        ],
        sleeper.map(|(_, r)| format!("{} ({})", r.name, r.role.label())),
        suggestion,
        None,
    ))
}

fn noisy_neighbor(cx: &Ctx<'_>) -> Option<Finding> {
    let mut starved_secs = 0.0;
    let mut other_sum = 0.0;
    let mut lost = 0.0;
    for s in &cx.spans {
        let Some(host) = s.p.host_cpu_cores else {
            continue;
        };
        let other = (host - s.p.cpu_cores).max(0.0);
        let steal = s.p.host_steal_ratio.unwrap_or(0.0);
        if starved(s.p, cx.cores) {
            starved_secs += s.dt;
            other_sum += other * s.dt;
            // The cores others used, as a share of all cores, is the share of this span the
            // stage could have run faster at most.
            lost += s.dt * (other / cx.cores + steal).min(1.0);
        }
    }
    if starved_secs < STARVED_SHARE * cx.wall {
        return None;
    }
    let other_avg = other_sum / starved_secs;
    let steal = mean(&cx.spans, |p| p.host_steal_ratio).unwrap_or(0.0);
    let mut evidence = vec![
        ("starved_seconds", starved_secs),
        ("other_cpu_cores", other_avg),
        ("cores", cx.cores),
        ("steal_share", steal),
    ];
    evidence.extend(mean(&cx.spans, |p| p.psi_cpu_some).map(|v| ("psi_cpu_some", v)));
    Some(cx.finding(
        FindingKind::NoisyNeighbor,
        format!(
            "{} was starved for {}: other work used {:.1} of {} cores{}",
            cx.stage,
            secs(starved_secs),
            other_avg,
            cx.cores,
            if steal >= 0.01 {
                format!(", hypervisor steal {:.0}%", 100.0 * steal)
            } else {
                String::new()
            }
        ),
        &evidence,
        None,
        "run this job on a dedicated runner, or allow fewer concurrent jobs per agent (GitLab `concurrent`, Jenkins executors, one GitHub runner per machine)".to_owned(),
        Some(lost),
    ))
}

/// The job-wide verdict: the cores and memory this job needs, from the 95th percentile of cores
/// used over all stages' time and the largest memory peak, with headroom.
fn right_size(job: &Job, findings: &[Finding]) -> Option<Finding> {
    let first = job.stages.first()?;
    let cores = crate::host::effective_cpus(&first.profile.host).max(1);
    let memory = memory_limit(&first.profile);
    let wall: f64 = job
        .stages
        .iter()
        .map(|s| s.profile.stage.wall_seconds)
        .sum();
    if wall < MIN_STAGE_SECONDS {
        return None;
    }
    let mut weighted: Vec<(f64, f64)> = job
        .stages
        .iter()
        .flat_map(|s| {
            spans(&s.profile)
                .into_iter()
                .map(|sp| (sp.p.cpu_cores, sp.dt))
        })
        .collect();
    weighted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = weighted.iter().map(|w| w.1).sum();
    let mut acc = 0.0;
    let p95 = weighted
        .iter()
        .find(|(_, dt)| {
            acc += dt;
            acc >= 0.95 * total
        })
        .map_or(0.0, |w| w.0);
    let peak = job
        .stages
        .iter()
        .map(|s| peak_memory(&s.profile))
        .max()
        .unwrap_or(0);
    let need_mem_gib = (peak as f64 * RIGHT_SIZE_HEADROOM / GIB).ceil().max(1.0);
    let saturated = findings
        .iter()
        .any(|f| f.job == job.name && f.kind == FindingKind::CpuSaturated);
    let memory_bound = findings
        .iter()
        .any(|f| f.job == job.name && f.kind == FindingKind::MemoryPressure);
    // Cores used while starved by other work understate what the job needs: no verdict.
    if findings
        .iter()
        .any(|f| f.job == job.name && f.kind == FindingKind::NoisyNeighbor)
    {
        return None;
    }
    let need_cores = if saturated {
        cores * 2
    } else {
        ((p95 * RIGHT_SIZE_HEADROOM).ceil() as u32).clamp(1, cores)
    };
    let mem_gib = memory as f64 / GIB;
    let (title, suggestion) = if saturated || memory_bound {
        let mem = if memory_bound {
            need_mem_gib.max(mem_gib.ceil() * 2.0)
        } else {
            mem_gib.ceil().max(need_mem_gib)
        };
        (
            format!(
                "{} needs a bigger runner than {cores} cores / {}",
                job.name,
                bytes(memory)
            ),
            format!("use a runner with {need_cores} cores and {mem:.0} GiB"),
        )
    } else if need_cores < cores || need_mem_gib < mem_gib.floor() {
        (
            format!(
                "{} would run as fast on {need_cores} cores / {need_mem_gib:.0} GiB (it has {cores} cores / {})",
                job.name,
                bytes(memory)
            ),
            format!(
                "move {} to a {need_cores}-core, {need_mem_gib:.0} GiB runner: 95% of its time used at most {p95:.1} cores and its peak memory was {}",
                job.name,
                bytes(peak)
            ),
        )
    } else {
        (
            format!(
                "{} fits its runner: {cores} cores / {}",
                job.name,
                bytes(memory)
            ),
            "keep the runner size".to_owned(),
        )
    };
    let job_wall: f64 = wall;
    let mut evidence = BTreeMap::new();
    for (k, v) in [
        ("cores", f64::from(cores)),
        ("memory_bytes", memory as f64),
        ("p95_cpu_cores", p95),
        ("peak_memory_bytes", peak as f64),
        ("recommended_cores", f64::from(need_cores)),
        ("recommended_memory_bytes", need_mem_gib * GIB),
        (
            "core_minutes_saved",
            (f64::from(cores) - f64::from(need_cores)).max(0.0) * job_wall / 60.0,
        ),
    ] {
        evidence.insert(k.to_owned(), round(v));
    }
    Some(Finding {
        kind: FindingKind::RightSize,
        job: job.name.clone(),
        stage: None,
        title,
        evidence,
        process: None,
        suggestion,
        // Runner size changes cost, not this job's wall time (a bigger runner's gain is in the
        // cpu_saturated finding).
        saving_seconds: None,
    })
}

fn secs(s: f64) -> String {
    crate::report::summary::secs(s)
}

fn bytes(b: u64) -> String {
    crate::report::summary::bytes(b)
}

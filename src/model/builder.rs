//! Folds a raw record stream into a [`StageProfile`].
//!
//! The builder is fed records one by one, live (by the wrapper) or replayed from
//! `samples.jsonl`; it never reads the OS. Rules it applies:
//! - totals come from the kernel's exact figures in the `end` record (stage cgroup, else
//!   `getrusage` plus what lingering processes used), never from a sum of samples, unless the
//!   stream has no `end` (a killed job), where the last sample is the best lower bound;
//! - a counter that goes backwards gives no rate (`None`/0), never a negative one;
//! - CPU that no sample saw (processes living between two samples) is attributed to the
//!   process that reaped them: `children_cpu − Σ recorded children`.

use std::collections::HashMap;

use crate::clock::rfc3339;
use crate::model::roles::RoleRules;
use crate::profile::{
    CiContext, Host, Monitor, ProcessRecord, Role, RoleTotals, SCHEMA_VERSION, Stage, StageProfile,
    TimelinePoint, Tool, Totals,
};
use crate::sample::record::{
    End, Header, HostCounters, ProcSample, ProcessExit, ProcessInfo, Record, Sample, TreeIo,
};

const ROLES: usize = Role::ALL.len();

fn role_index(role: Role) -> usize {
    Role::ALL
        .iter()
        .position(|r| *r == role)
        .unwrap_or(ROLES - 1)
}

/// Everything known about one process instance.
#[derive(Debug, Clone, Default)]
struct Proc {
    rec: ProcessRecord,
    start_ticks: u64,
    /// Last sampled counters.
    last: Option<ProcSample>,
    /// Own CPU ticks at the previous sample, for per-interval role rates.
    prev_own_ticks: Option<u64>,
    /// Exact figures at exit (trace), in microseconds.
    exit_own_usec: Option<(u64, u64)>,
    /// User and system CPU of the process and all its reaped descendants (wait4), µs.
    subtree_usec: Option<(u64, u64)>,
    ended: bool,
    /// Seen by a trace event (fork/exec/exit).
    traced: bool,
    reaped: bool,
    /// Seen alive in the most recent sample.
    in_last_sample: bool,
    /// The start time came from a trace event (exact), not from kernel ticks.
    start_exact: bool,
}

/// Per-sample state kept to compute interval rates.
#[derive(Debug, Clone, Default)]
struct Prev {
    t: f64,
    tree_cpu_seconds: f64,
    tree_read: u64,
    tree_write: u64,
    host: HostCounters,
}

/// Builds a [`StageProfile`] from [`Record`]s.
pub struct ProfileBuilder {
    rules: RoleRules,
    header: Option<Header>,
    procs: Vec<Proc>,
    live: HashMap<u32, usize>,
    timeline: Vec<TimelinePoint>,
    timeline_roles: Vec<[f64; ROLES]>,
    prev: Option<Prev>,
    last_t: f64,
    /// Scratch list, kept to avoid allocating per sample.
    gone: Vec<usize>,
    samples: u64,
    peak_live: u64,
    peak_rss_sum: u64,
    end: Option<End>,
    trace_lost: bool,
    warnings: Vec<String>,
}

impl ProfileBuilder {
    /// A builder classifying processes with `rules`.
    pub fn new(rules: RoleRules) -> ProfileBuilder {
        ProfileBuilder {
            rules,
            header: None,
            procs: Vec::new(),
            live: HashMap::new(),
            timeline: Vec::new(),
            timeline_roles: Vec::new(),
            prev: None,
            last_t: 0.0,
            gone: Vec::new(),
            samples: 0,
            peak_live: 0,
            peak_rss_sum: 0,
            end: None,
            trace_lost: false,
            warnings: Vec::new(),
        }
    }

    /// Adds a warning that will appear in the profile.
    pub fn warn(&mut self, message: String) {
        if !self.warnings.contains(&message) {
            self.warnings.push(message);
        }
    }

    /// Trace mode fell back to sampling: `processes` is no longer complete.
    pub fn trace_lost(&mut self) {
        self.trace_lost = true;
    }

    /// Feeds one record.
    pub fn feed(&mut self, record: &Record) {
        match record {
            Record::Header(h) => self.header = Some(h.clone()),
            Record::Process(p) => self.process(p),
            Record::Sample(s) => self.sample(s),
            Record::Exit(e) => self.exit(e),
            Record::End(e) => self.end = Some(e.clone()),
        }
    }

    fn ticks_per_second(&self) -> f64 {
        self.header
            .as_ref()
            .map_or(100.0, |h| h.ticks_per_second.max(1) as f64)
    }

    fn trace_mode(&self) -> bool {
        self.header.as_ref().is_some_and(|h| h.mode == "trace") && !self.trace_lost
    }

    /// Offset from the stage start of a kernel start time.
    fn start_offset(&self, start_ticks: u64, fallback: f64) -> f64 {
        match &self.header {
            Some(h) if h.boot_clock_seconds > 0.0 && start_ticks > 0 => {
                (start_ticks as f64 / self.ticks_per_second() - h.boot_clock_seconds).max(0.0)
            }
            _ => fallback,
        }
    }

    fn process(&mut self, p: &ProcessInfo) {
        if p.name.is_empty() {
            return self.fork(p);
        }
        let role = self.rules.classify(&p.name, &p.argv);
        if let Some(&i) = self.live.get(&p.pid) {
            let known = self.procs[i].start_ticks;
            // A start time of 0 means "not read" (the command's first record): not a new process.
            let same = known == p.start_ticks || p.start_ticks == 0 || known == 0;
            if p.exec || same {
                if known == 0 && p.start_ticks != 0 && !self.procs[i].start_exact {
                    let start = self.start_offset(p.start_ticks, p.t);
                    let started_at = self
                        .header
                        .as_ref()
                        .map(|h| rfc3339(h.started_unix_seconds + start));
                    let proc = &mut self.procs[i];
                    proc.start_ticks = p.start_ticks;
                    proc.rec.start_offset_seconds = round3(start);
                    proc.rec.started_at = started_at;
                }
                let proc = &mut self.procs[i];
                proc.rec.name.clone_from(&p.name);
                proc.rec.argv.clone_from(&p.argv);
                proc.rec.role = role;
                proc.rec.ppid = p.ppid;
                // Seen again after being missed by one sample: it never ended.
                proc.ended = false;
                proc.rec.ended_at = None;
                proc.rec.end_offset_seconds = None;
                return;
            }
            // Same pid, new process: the old one ended by now.
            self.end_proc(i, p.t);
        }
        let start = self.start_offset(p.start_ticks, p.t);
        let started_at = self
            .header
            .as_ref()
            .map(|h| rfc3339(h.started_unix_seconds + start));
        let rec = ProcessRecord {
            pid: p.pid,
            ppid: p.ppid,
            name: p.name.clone(),
            argv: p.argv.clone(),
            role,
            started_at,
            start_offset_seconds: round3(start),
            observed_by: "sample".to_owned(),
            ..ProcessRecord::default()
        };
        self.live.insert(p.pid, self.procs.len());
        self.procs.push(Proc {
            rec,
            start_ticks: p.start_ticks,
            traced: self.trace_mode(),
            ..Proc::default()
        });
    }

    /// A fork in trace mode: a new process running its parent's program, started at `t`.
    fn fork(&mut self, p: &ProcessInfo) {
        let parent = self.live.get(&p.ppid).map(|&i| &self.procs[i].rec);
        let (name, argv, role) = match parent {
            Some(r) => (r.name.clone(), r.argv.clone(), r.role),
            None => ("?".to_owned(), Vec::new(), Role::Other),
        };
        if let Some(&i) = self.live.get(&p.pid) {
            self.end_proc(i, p.t);
        }
        let rec = ProcessRecord {
            pid: p.pid,
            ppid: p.ppid,
            name,
            argv,
            role,
            started_at: self
                .header
                .as_ref()
                .map(|h| rfc3339(h.started_unix_seconds + p.t)),
            start_offset_seconds: round3(p.t),
            observed_by: "trace".to_owned(),
            ..ProcessRecord::default()
        };
        self.live.insert(p.pid, self.procs.len());
        self.procs.push(Proc {
            rec,
            traced: true,
            start_exact: true,
            ..Proc::default()
        });
    }

    fn end_proc(&mut self, i: usize, t: f64) {
        let start_unix = self.header.as_ref().map(|h| h.started_unix_seconds);
        let proc = &mut self.procs[i];
        if proc.ended {
            return;
        }
        proc.ended = true;
        proc.rec.end_offset_seconds = Some(round3(t));
        proc.rec.ended_at = start_unix.map(|s| rfc3339(s + t));
    }

    fn sample(&mut self, s: &Sample) {
        let tps = self.ticks_per_second();
        let trace = self.trace_mode();
        let mut role_ticks = [0u64; ROLES];
        let mut rss_sum = 0u64;
        let mut threads = 0u32;
        let mut live_cpu_ticks = 0u64;
        let mut live_read = 0u64;
        let mut live_write = 0u64;
        for &i in self.live.values() {
            self.procs[i].in_last_sample = false;
        }
        for ps in &s.processes {
            let i = match self.live.get(&ps.pid) {
                Some(&i) => i,
                None => {
                    // A sample without a preceding identity record (a damaged stream): record
                    // the process anyway, nameless.
                    self.process(&ProcessInfo {
                        t: s.t,
                        pid: ps.pid,
                        ppid: ps.ppid,
                        name: "?".to_owned(),
                        ..ProcessInfo::default()
                    });
                    self.live[&ps.pid]
                }
            };
            let proc = &mut self.procs[i];
            let own = ps.utime_ticks + ps.stime_ticks;
            let delta = own.saturating_sub(proc.prev_own_ticks.unwrap_or(0));
            role_ticks[role_index(proc.rec.role)] += delta;
            proc.prev_own_ticks = Some(own);
            proc.in_last_sample = true;
            proc.rec.samples += 1;
            proc.rec.ppid = ps.ppid;
            proc.rec.threads = proc.rec.threads.max(ps.threads);
            let peak = ps.hwm_bytes.unwrap_or(ps.rss_bytes).max(ps.rss_bytes);
            proc.rec.peak_rss_bytes = proc.rec.peak_rss_bytes.max(peak);
            if let Some(pss) = ps.pss_bytes {
                proc.rec.peak_pss_bytes = Some(proc.rec.peak_pss_bytes.unwrap_or(0).max(pss));
            }
            proc.last = Some(ps.clone());
            // Zombies are dead: their memory is freed, only their counters remain.
            if ps.state != 'Z' {
                rss_sum += ps.rss_bytes;
                threads += ps.threads;
            }
            live_cpu_ticks += own + ps.cutime_ticks + ps.cstime_ticks;
            live_read += ps.read_bytes.unwrap_or(0);
            live_write += ps.write_bytes.unwrap_or(0);
        }
        // In sample mode, a known process missing from a sample has ended (we learn it at
        // this sample: an upper bound). In trace mode exits are exact and come as records.
        if !trace {
            let mut gone = std::mem::take(&mut self.gone);
            gone.clear();
            gone.extend(
                self.live
                    .values()
                    .copied()
                    .filter(|&i| !self.procs[i].in_last_sample && !self.procs[i].ended),
            );
            for &i in &gone {
                self.end_proc(i, s.t);
            }
            self.gone = gone;
        }

        let reaped_cpu = (s.reaped.user_usec + s.reaped.system_usec) as f64 / 1e6;
        let sampled_cpu = live_cpu_ticks as f64 / tps + reaped_cpu;
        let prev = self.prev.clone().unwrap_or_default();
        let cgroup_cpu = s
            .cgroup
            .as_ref()
            .and_then(|c| c.cpu_usage_usec)
            .map(|u| u as f64 / 1e6);
        let tree_cpu = cgroup_cpu.unwrap_or(sampled_cpu).max(prev.tree_cpu_seconds);
        let reaped_io = s.reaped_io.clone().unwrap_or_default();
        let tree_read = (live_read + reaped_io.read_bytes).max(prev.tree_read);
        let tree_write = (live_write + reaped_io.write_bytes).max(prev.tree_write);
        let dt = s.t - prev.t;
        let per_s = |d: f64| if dt > 0.0 { d / dt } else { 0.0 };
        let host = &s.host;
        let host_total = |h: &HostCounters| {
            Some(
                h.cpu_user_ticks?
                    + h.cpu_system_ticks?
                    + h.cpu_idle_ticks?
                    + h.cpu_iowait_ticks.unwrap_or(0)
                    + h.cpu_steal_ticks.unwrap_or(0),
            )
        };
        let dticks = |a: Option<u64>, b: Option<u64>| Some(a?.checked_sub(b?)? as f64);
        let have_prev = self.prev.is_some();
        let ratio = |num: Option<f64>, den: Option<f64>| match (num, den) {
            (Some(n), Some(d)) if d > 0.0 && have_prev => Some(round3(n / d)),
            _ => None,
        };
        let total_delta = dticks(host_total(host), host_total(&prev.host));
        let busy_delta = dticks(
            host.cpu_user_ticks
                .zip(host.cpu_system_ticks)
                .map(|(u, s)| u + s),
            prev.host
                .cpu_user_ticks
                .zip(prev.host.cpu_system_ticks)
                .map(|(u, s)| u + s),
        );
        let psi = |a: Option<u64>, b: Option<u64>| {
            let same_source = host.psi.source == prev.host.psi.source;
            if !have_prev || dt <= 0.0 || !same_source {
                return None;
            }
            Some(round3((a?.checked_sub(b?)? as f64 / 1e6 / dt).min(1.0)))
        };
        let point = TimelinePoint {
            t: round3(s.t),
            cpu_cores: round3(if have_prev {
                per_s(tree_cpu - prev.tree_cpu_seconds)
            } else {
                0.0
            }),
            cpu_seconds: round3(tree_cpu),
            rss_bytes: rss_sum,
            cgroup_memory_bytes: s.cgroup.as_ref().and_then(|c| c.memory_current_bytes),
            read_bytes_per_second: round3(per_s(tree_read.saturating_sub(prev.tree_read) as f64)),
            write_bytes_per_second: round3(
                per_s(tree_write.saturating_sub(prev.tree_write) as f64),
            ),
            processes: s.processes.iter().filter(|p| p.state != 'Z').count() as u32,
            threads,
            host_cpu_cores: busy_delta
                .filter(|_| have_prev && dt > 0.0)
                .map(|b| round3(b / tps / dt)),
            host_steal_ratio: ratio(
                dticks(host.cpu_steal_ticks, prev.host.cpu_steal_ticks),
                total_delta,
            ),
            host_iowait_ratio: ratio(
                dticks(host.cpu_iowait_ticks, prev.host.cpu_iowait_ticks),
                total_delta,
            ),
            load1: host.load1,
            host_memory_available_bytes: host.memory_available_bytes,
            psi_cpu_some: psi(host.psi.cpu_some_usec, prev.host.psi.cpu_some_usec),
            psi_memory_some: psi(host.psi.memory_some_usec, prev.host.psi.memory_some_usec),
            psi_memory_full: psi(host.psi.memory_full_usec, prev.host.psi.memory_full_usec),
            psi_io_some: psi(host.psi.io_some_usec, prev.host.psi.io_some_usec),
            psi_io_full: psi(host.psi.io_full_usec, prev.host.psi.io_full_usec),
            roles: Default::default(),
        };
        let mut roles = [0.0; ROLES];
        if have_prev && dt > 0.0 {
            for (r, ticks) in roles.iter_mut().zip(role_ticks) {
                *r = round3(ticks as f64 / tps / dt);
            }
        }
        self.timeline.push(point);
        self.timeline_roles.push(roles);
        self.samples += 1;
        self.peak_live = self.peak_live.max(s.processes.len() as u64);
        self.peak_rss_sum = self.peak_rss_sum.max(rss_sum);
        self.prev = Some(Prev {
            t: s.t,
            tree_cpu_seconds: tree_cpu,
            tree_read,
            tree_write,
            host: s.host.clone(),
        });
        self.last_t = s.t;
    }

    fn exit(&mut self, e: &ProcessExit) {
        let i = match self.live.get(&e.pid) {
            Some(&i) => i,
            None => {
                self.process(&ProcessInfo {
                    t: e.t,
                    pid: e.pid,
                    name: "?".to_owned(),
                    ..ProcessInfo::default()
                });
                self.live[&e.pid]
            }
        };
        let proc = &mut self.procs[i];
        if e.exit_code.is_some() {
            proc.rec.exit_code = e.exit_code;
        }
        if let (Some(u), Some(s)) = (e.utime_usec, e.stime_usec) {
            proc.exit_own_usec = Some((u, s));
        }
        if let (Some(u), Some(s)) = (e.subtree_user_usec, e.subtree_system_usec) {
            proc.subtree_usec = Some((u, s));
        }
        // Only the exit stop's VmHWM is this process's own peak; a reaped process's ru_maxrss
        // is the largest of its whole subtree and would mislabel a parent (it goes to totals).
        if let (Some(h), "trace") = (e.hwm_bytes, e.source.as_str()) {
            proc.rec.peak_rss_bytes = proc.rec.peak_rss_bytes.max(h);
        }
        if let Some(r) = e.read_bytes {
            proc.rec.read_bytes = proc.rec.read_bytes.max(r);
        }
        if let Some(w) = e.write_bytes {
            proc.rec.write_bytes = proc.rec.write_bytes.max(w);
        }
        if let Some(th) = e.threads {
            proc.rec.threads = proc.rec.threads.max(th);
        }
        match e.source.as_str() {
            "trace" => proc.traced = true,
            _ => proc.reaped = true,
        }
        self.end_proc(i, e.t);
    }

    /// Finishes the profile. Works on incomplete streams (no `end`: a killed job).
    pub fn finish(mut self) -> StageProfile {
        let tps = self.ticks_per_second();
        let header = self.header.clone().unwrap_or_else(|| Header {
            schema_version: SCHEMA_VERSION,
            stage: "unknown".to_owned(),
            job: None,
            argv: Vec::new(),
            cwd: None,
            started_at: rfc3339(0.0),
            started_unix_seconds: 0.0,
            boot_clock_seconds: 0.0,
            ticks_per_second: 100,
            mode: "sample".to_owned(),
            sampler: "linux".to_owned(),
            discovery: "children".to_owned(),
            interval_seconds: 1.0,
            cgroup: None,
            monitor_pid: 0,
            ci: CiContext::default(),
            host: Host::default(),
        });
        let end = self.end.clone();
        let last_t = self.last_t;
        let wall = end.as_ref().map_or(last_t, |e| e.t);
        let lingering: Vec<u32> = end
            .as_ref()
            .map(|e| e.lingering.clone())
            .unwrap_or_default();
        // Processes that ended after the last sample: the command's end bounds their end.
        if let Some(e) = &end {
            for i in 0..self.procs.len() {
                if !self.procs[i].ended && !lingering.contains(&self.procs[i].rec.pid) {
                    self.end_proc(i, e.t);
                }
            }
        }

        // Per-process CPU: own, children, and what the children's records do not hold.
        for p in &mut self.procs {
            let (own_u, own_s, children) = match (&p.exit_own_usec, &p.last) {
                (Some((u, s)), last) => {
                    let children = last
                        .as_ref()
                        .map_or(0.0, |l| (l.cutime_ticks + l.cstime_ticks) as f64 / tps);
                    (*u as f64 / 1e6, *s as f64 / 1e6, children)
                }
                (None, Some(l)) => (
                    l.utime_ticks as f64 / tps,
                    l.stime_ticks as f64 / tps,
                    (l.cutime_ticks + l.cstime_ticks) as f64 / tps,
                ),
                (None, None) => (0.0, 0.0, 0.0),
            };
            let own = own_u + own_s;
            let children = match p.subtree_usec {
                // wait4's figure is exact and final.
                Some((u, s)) => ((u + s) as f64 / 1e6 - own).max(0.0),
                None => children,
            };
            p.rec.cpu_user_seconds = round6(own_u);
            p.rec.cpu_system_seconds = round6(own_s);
            p.rec.cpu_seconds = round6(own);
            p.rec.children_cpu_seconds = round6(children);
            if let Some(l) = &p.last {
                p.rec.read_bytes = p.rec.read_bytes.max(l.read_bytes.unwrap_or(0));
                p.rec.write_bytes = p.rec.write_bytes.max(l.write_bytes.unwrap_or(0));
            }
            p.rec.observed_by = if p.traced {
                "trace"
            } else if p.reaped {
                "reaped"
            } else {
                "sample"
            }
            .to_owned();
            p.rec.lingering = !p.ended && lingering.contains(&p.rec.pid);
        }
        // Σ over ended children of (cpu + children_cpu), by parent record.
        let mut held_by_children: HashMap<u32, f64> = HashMap::new();
        for p in &self.procs {
            if p.ended {
                *held_by_children.entry(p.rec.ppid).or_default() +=
                    p.rec.cpu_seconds + p.rec.children_cpu_seconds;
            }
        }
        let complete = self.trace_mode();
        for p in &mut self.procs {
            let held = held_by_children.get(&p.rec.pid).copied().unwrap_or(0.0);
            let residual = (p.rec.children_cpu_seconds - held).max(0.0);
            // A process known only from wait4 (it ended before any sample) has no own
            // figure: what its children's records do not hold is most likely its own.
            let unsampled_reaped = p.last.is_none() && p.exit_own_usec.is_none();
            if (complete && p.traced || unsampled_reaped) && p.subtree_usec.is_some() {
                // Every child is recorded in trace mode, so what wait4 counted beyond them is
                // this process's own: the exit work after its exit stop (unmapping memory).
                // Split it as wait4 split the subtree's CPU between user and system.
                let (u, s) = p.subtree_usec.unwrap_or((0, 1));
                let user_share = u as f64 / (u + s).max(1) as f64;
                p.rec.cpu_seconds = round6(p.rec.cpu_seconds + residual);
                p.rec.cpu_user_seconds = round6(p.rec.cpu_user_seconds + residual * user_share);
                p.rec.cpu_system_seconds =
                    round6(p.rec.cpu_system_seconds + residual * (1.0 - user_share));
                p.rec.children_cpu_seconds = round6(p.rec.children_cpu_seconds - residual);
                p.rec.unsampled_children_cpu_seconds = 0.0;
            } else {
                p.rec.unsampled_children_cpu_seconds = round6(residual);
            }
        }

        // Totals.
        let observed_cpu: f64 = self.procs.iter().map(|p| p.rec.cpu_seconds).sum();
        let lingering_cpu: f64 = self
            .procs
            .iter()
            .filter(|p| !p.ended)
            .map(|p| p.rec.cpu_seconds + p.rec.children_cpu_seconds)
            .sum();
        let cgroup_end = end.as_ref().and_then(|e| e.cgroup.clone());
        let mut totals = Totals::default();
        let cg_cpu = cgroup_end
            .as_ref()
            .and_then(|c| Some((c.cpu_user_usec?, c.cpu_system_usec?, c.cpu_usage_usec?)));
        let rusage = end.as_ref().map(|e| e.reaped);
        totals.cpu_rusage_seconds =
            rusage.map(|r| round6((r.user_usec + r.system_usec) as f64 / 1e6));
        if let Some((u, s, usage)) = cg_cpu {
            // user/system come from tick-based accounting; scale them to the exact usage.
            let split = (u + s).max(1) as f64;
            let usage = usage as f64 / 1e6;
            totals.cpu_user_seconds = usage * u as f64 / split;
            totals.cpu_system_seconds = usage * s as f64 / split;
            totals.cpu_source = "cgroup".to_owned();
        } else if let Some(r) = rusage {
            // What lingering processes used is not in rusage yet: add their share (split as
            // user, the common case for daemons; the split is unknown).
            totals.cpu_user_seconds = r.user_usec as f64 / 1e6 + lingering_cpu;
            totals.cpu_system_seconds = r.system_usec as f64 / 1e6;
            totals.cpu_source = "rusage".to_owned();
        } else {
            let cpu = self.prev.as_ref().map_or(0.0, |p| p.tree_cpu_seconds);
            totals.cpu_user_seconds = cpu;
            totals.cpu_source = "samples".to_owned();
        }
        totals.cpu_user_seconds = round6(totals.cpu_user_seconds);
        totals.cpu_system_seconds = round6(totals.cpu_system_seconds);
        totals.cpu_seconds = round6(totals.cpu_user_seconds + totals.cpu_system_seconds);
        totals.average_parallelism = if wall > 0.0 {
            round3(totals.cpu_seconds / wall)
        } else {
            0.0
        };
        let max_proc_rss = self
            .procs
            .iter()
            .map(|p| p.rec.peak_rss_bytes)
            .max()
            .unwrap_or(0);
        totals.peak_rss_bytes = max_proc_rss.max(rusage.map_or(0, |r| r.maxrss_bytes));
        match cgroup_end.as_ref().and_then(|c| c.memory_peak_bytes) {
            Some(peak) => {
                totals.peak_memory_bytes = Some(peak);
                totals.peak_memory_source = Some("cgroup".to_owned());
            }
            None if self.samples > 0 => {
                totals.peak_memory_bytes = Some(self.peak_rss_sum);
                totals.peak_memory_source = Some("samples".to_owned());
            }
            None => {}
        }
        let lingering_io = |f: fn(&ProcSample) -> Option<u64>| -> u64 {
            self.procs
                .iter()
                .filter(|p| !p.ended)
                .filter_map(|p| p.last.as_ref().and_then(f))
                .sum()
        };
        match end.as_ref().and_then(|e| e.io.clone()) {
            Some(TreeIo {
                read_bytes,
                write_bytes,
                rchar,
                wchar,
            }) => {
                totals.read_bytes = read_bytes + lingering_io(|l| l.read_bytes);
                totals.write_bytes = write_bytes + lingering_io(|l| l.write_bytes);
                totals.read_chars = Some(rchar + lingering_io(|l| l.rchar));
                totals.write_chars = Some(wchar + lingering_io(|l| l.wchar));
                totals.io_source = "rusage".to_owned();
            }
            None => {
                let prev = self.prev.clone().unwrap_or_default();
                totals.read_bytes = prev.tree_read;
                totals.write_bytes = prev.tree_write;
                totals.io_source = "samples".to_owned();
            }
        }
        totals.processes = self.procs.len() as u64;
        totals.processes_complete = self.trace_mode() && end.is_some();
        totals.peak_live_processes = self.peak_live;
        totals.unattributed_cpu_seconds = round6((totals.cpu_seconds - observed_cpu).max(0.0));
        totals.lingering_processes = lingering.len() as u64;
        totals.oom_kills = cgroup_end.as_ref().and_then(|c| c.oom_kills);

        // Roles.
        let mut roles: std::collections::BTreeMap<Role, RoleTotals> = Default::default();
        let mut intervals: HashMap<Role, Vec<(f64, f64)>> = HashMap::new();
        for p in &self.procs {
            let r = roles.entry(p.rec.role).or_default();
            r.cpu_seconds += p.rec.cpu_seconds;
            r.unsampled_children_cpu_seconds += p.rec.unsampled_children_cpu_seconds;
            r.processes += 1;
            r.peak_rss_bytes = r.peak_rss_bytes.max(p.rec.peak_rss_bytes);
            r.read_bytes += p.rec.read_bytes;
            r.write_bytes += p.rec.write_bytes;
            let end_t = p.rec.end_offset_seconds.unwrap_or(wall);
            intervals.entry(p.rec.role).or_default().push((
                p.rec.start_offset_seconds,
                end_t.max(p.rec.start_offset_seconds),
            ));
        }
        for (role, mut iv) in intervals {
            iv.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut active = 0.0;
            let mut cur: Option<(f64, f64)> = None;
            for (s, e) in iv {
                cur = match cur {
                    Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
                    Some((cs, ce)) => {
                        active += ce - cs;
                        Some((s, e))
                    }
                    None => Some((s, e)),
                };
            }
            if let Some((cs, ce)) = cur {
                active += ce - cs;
            }
            if let Some(r) = roles.get_mut(&role) {
                r.active_seconds = round3(active);
            }
        }
        for r in roles.values_mut() {
            r.cpu_seconds = round6(r.cpu_seconds);
            r.unsampled_children_cpu_seconds = round6(r.unsampled_children_cpu_seconds);
        }

        let mut timeline = std::mem::take(&mut self.timeline);
        for (point, cores) in timeline.iter_mut().zip(&self.timeline_roles) {
            point.roles = Role::ALL
                .iter()
                .zip(cores)
                .filter(|(_, c)| **c > 0.0)
                .map(|(r, c)| (*r, *c))
                .collect();
        }

        let command = shell_join(&header.argv);
        let (exit_code, signal, ended_at) = match &end {
            Some(e) => (Some(e.exit_code), e.signal, Some(e.ended_at.clone())),
            None => {
                self.warn(
                    "the stream has no end record (the job was killed?): totals are lower bounds from the last sample"
                        .to_owned(),
                );
                (None, None, None)
            }
        };
        let mut warnings = self.warnings;
        if let Some(e) = &end {
            for w in &e.warnings {
                if !warnings.contains(w) {
                    warnings.push(w.clone());
                }
            }
        }
        let monitor_usage = end.as_ref().map(|e| e.monitor).unwrap_or_default();
        StageProfile {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: "cicd-monitor".to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
            },
            stage: Stage {
                name: header.stage.clone(),
                job: header.job.clone().or_else(|| header.ci.job_name.clone()),
                command,
                argv: header.argv.clone(),
                cwd: header.cwd.clone(),
                exit_code,
                signal,
                started_at: header.started_at.clone(),
                ended_at,
                wall_seconds: round3(wall),
            },
            ci: header.ci.clone(),
            host: header.host.clone(),
            totals,
            roles,
            processes: self.procs.into_iter().map(|p| p.rec).collect(),
            timeline,
            monitor: Monitor {
                mode: if self.trace_lost {
                    "sample".to_owned()
                } else {
                    header.mode.clone()
                },
                sampler: header.sampler.clone(),
                interval_seconds: header.interval_seconds,
                samples: self.samples,
                discovery: header.discovery.clone(),
                cgroup: header.cgroup.clone(),
                cpu_seconds: round6(
                    (monitor_usage.user_usec + monitor_usage.system_usec) as f64 / 1e6,
                ),
                peak_rss_bytes: monitor_usage.maxrss_bytes,
            },
            warnings,
        }
    }
}

/// Joins an argument vector into one line a POSIX shell would parse back to the same words.
pub fn shell_join(argv: &[String]) -> String {
    let mut out = String::new();
    for (i, a) in argv.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let plain = !a.is_empty()
            && a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%^".contains(&b));
        if plain {
            out.push_str(a);
        } else {
            out.push('\'');
            out.push_str(&a.replace('\'', r"'\''"));
            out.push('\'');
        }
    }
    out
}

fn round3(x: f64) -> f64 {
    (x * 1e3).round() / 1e3
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_join_quotes_when_needed() {
        let argv: Vec<String> = ["make", "-j8", "CFLAGS=-O2 -g", "it's", ""]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            shell_join(&argv),
            r#"make -j8 'CFLAGS=-O2 -g' 'it'\''s' ''"#
        );
    }
}

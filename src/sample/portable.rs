//! The portable sampler (sysinfo), for macOS/Windows runners; selectable on Linux with
//! `--sampler portable` so it is exercised by the same tests.
//!
//! sysinfo refreshes every process of the host to learn parent links, which costs far more than
//! the Linux sampler (see `BENCHMARKS.md`); it reports no cgroup, no PSI and no per-process
//! children CPU, so exact totals come from the supervisor's `getrusage` alone.

use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, RefreshKind, System, UpdateKind};

use super::record::{ProcSample, ProcessInfo, Sample};
use super::{SampleError, Sampler};

/// Samples the descendants of `root_pid` through sysinfo.
pub struct PortableSampler {
    system: System,
    root_pid: u32,
    /// Start time (seconds since epoch) of each process already reported, to notice pid reuse.
    known: std::collections::HashMap<u32, u64>,
    /// Scratch: the tree's pids in this sample.
    tree: Vec<u32>,
    boot_time: u64,
}

impl PortableSampler {
    /// A sampler of the descendants of `root_pid` (the wrapper).
    pub fn new(root_pid: u32) -> Result<PortableSampler, SampleError> {
        let unsupported = |e: sysinfo::Error| SampleError::Unsupported(e.to_string());
        let system = System::new_with_specifics(RefreshKind::nothing()).map_err(unsupported)?;
        Ok(PortableSampler {
            system,
            root_pid,
            known: Default::default(),
            tree: Vec::new(),
            boot_time: System::boot_time().map_err(unsupported)?,
        })
    }

    fn refresh_kind() -> ProcessRefreshKind {
        ProcessRefreshKind::nothing()
            .with_cpu()
            .with_memory()
            .with_disk_usage()
            .with_cmd(UpdateKind::OnlyIfNotSet)
            .with_exe(UpdateKind::OnlyIfNotSet)
    }
}

impl Sampler for PortableSampler {
    fn sample(
        &mut self,
        t: f64,
        out: &mut Sample,
        new: &mut Vec<ProcessInfo>,
    ) -> Result<(), SampleError> {
        out.t = t;
        out.processes.clear();
        out.cgroup = None;
        // Parent links are only known after refreshing every process of the host.
        self.system
            .refresh_processes_specifics(ProcessesToUpdate::All, true, Self::refresh_kind());
        self.tree.clear();
        self.tree.push(self.root_pid);
        let mut i = 0;
        while i < self.tree.len() {
            let parent = Pid::from_u32(self.tree[i]);
            i += 1;
            for (pid, p) in self.system.processes() {
                if p.parent() == Some(parent) && p.thread_kind().is_none() {
                    self.tree.push(pid.as_u32());
                }
            }
        }
        let tps = 100u64;
        for &pid in &self.tree[1..] {
            let Some(p) = self.system.process(Pid::from_u32(pid)) else {
                continue;
            };
            let start = p.start_time();
            let argv: Vec<String> = p
                .cmd()
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            if self.known.get(&pid) != Some(&start) {
                self.known.insert(pid, start);
                new.push(ProcessInfo {
                    t,
                    pid,
                    ppid: p.parent().map_or(0, |pp| pp.as_u32()),
                    // Seconds since boot in ticks of 1/100 s, the unit the header declares.
                    start_ticks: start.saturating_sub(self.boot_time) * tps,
                    name: p.name().to_string_lossy().into_owned(),
                    argv,
                    exec: false,
                });
            }
            // sysinfo gives accumulated CPU time in milliseconds without a user/system split.
            let cpu_ticks = p.accumulated_cpu_time() / (1000 / tps);
            let disk = p.disk_usage();
            out.processes.push(ProcSample {
                pid,
                ppid: p.parent().map_or(0, |pp| pp.as_u32()),
                state: status_letter(p.status()),
                utime_ticks: cpu_ticks,
                rss_bytes: p.memory(),
                threads: p.tasks().map_or(1, |t| t.len().max(1) as u32),
                read_bytes: Some(disk.total_read_bytes),
                write_bytes: Some(disk.total_written_bytes),
                ..ProcSample::default()
            });
        }
        let alive: std::collections::HashSet<u32> = self.tree.iter().copied().collect();
        self.known.retain(|pid, _| alive.contains(pid));
        Ok(())
    }

    fn name(&self) -> &'static str {
        "portable"
    }

    fn discovery(&self) -> &'static str {
        "portable"
    }
}

fn status_letter(s: sysinfo::ProcessStatus) -> char {
    use sysinfo::ProcessStatus as S;
    match s {
        S::Run => 'R',
        S::Sleep | S::Idle => 'S',
        S::UninterruptibleDiskSleep => 'D',
        S::Zombie => 'Z',
        S::Stop | S::Tracing => 'T',
        S::Dead => 'X',
        _ => '?',
    }
}

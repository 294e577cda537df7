//! The Linux sampler: procfs with kept file handles, the stage cgroup, PSI.
//!
//! Per sample and process it re-reads three kept files (`stat`, `io`, `status`) with `pread`,
//! plus `smaps_rollup` for processes above [`PSS_THRESHOLD_BYTES`] within [`PSS_BUDGET`]. Tree members come from the
//! stage cgroup's `cgroup.procs` when there is one, else from `task/TID/children` starting at
//! the wrapper: the host's other processes are never scanned. Steady-state sampling does not
//! allocate (buffers and the handle map keep their capacity).

pub mod cgroup;
pub mod cgroupfs;
pub mod hoststat;
pub mod kept;
pub mod parse;
pub mod procs;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use cgroup::StageCgroup;
use hoststat::HostReaders;
use procs::ProcHandle;

use super::record::{ProcSample, ProcessExit, ProcessInfo, Sample};
use super::{SampleError, Sampler};

/// Processes whose RSS is at least this large also get their PSS read (smaps_rollup costs
/// ~50 µs, so it is reserved for the processes where shared pages matter).
pub const PSS_THRESHOLD_BYTES: u64 = 32 << 20;

/// Share of one core a process's PSS reads may cost on average (smaps_rollup is skipped on
/// later samples after an expensive read).
pub const PSS_BUDGET: f64 = 0.001;

/// A process's `status` (for its peak RSS) is re-read at least every this many samples.
pub const STATUS_EVERY: u8 = 5;

/// Bytes of a command line kept per process.
pub const ARGV_MAX_BYTES: usize = 4096;

/// Kernel constants the sampler converts with.
#[derive(Debug, Clone, Copy)]
pub struct KernelUnits {
    /// `_SC_CLK_TCK`.
    pub ticks_per_second: u64,
    /// `_SC_PAGESIZE`.
    pub page_size: u64,
}

impl KernelUnits {
    /// The running kernel's values.
    pub fn current() -> KernelUnits {
        // SAFETY: sysconf has no preconditions.
        let (tck, page) = unsafe {
            (
                libc::sysconf(libc::_SC_CLK_TCK),
                libc::sysconf(libc::_SC_PAGESIZE),
            )
        };
        KernelUnits {
            ticks_per_second: if tck > 0 { tck as u64 } else { 100 },
            page_size: if page > 0 { page as u64 } else { 4096 },
        }
    }
}

/// Samples the tree below `monitor_pid` from procfs.
pub struct LinuxSampler {
    proc_root: PathBuf,
    monitor_pid: u32,
    units: KernelUnits,
    procs: HashMap<u32, ProcHandle>,
    cgroup: Option<StageCgroup>,
    host: HostReaders,
    generation: u64,
    buf: Vec<u8>,
    queue: Vec<u32>,
    /// Processes that could not be opened (e.g. too many open files) in the last sample.
    pub unopened: u64,
    interval: std::time::Duration,
}

impl LinuxSampler {
    /// A sampler of the descendants of `monitor_pid`, reading `proc_root` ("/proc" live).
    /// With a `cgroup`, members come from it and its counters are read each sample.
    pub fn new(proc_root: &Path, monitor_pid: u32, cgroup: Option<StageCgroup>) -> LinuxSampler {
        LinuxSampler {
            proc_root: proc_root.to_owned(),
            monitor_pid,
            units: KernelUnits::current(),
            procs: HashMap::with_capacity(64),
            host: HostReaders::open(proc_root),
            cgroup,
            generation: 0,
            buf: Vec::with_capacity(4096),
            queue: Vec::with_capacity(64),
            unopened: 0,
            interval: std::time::Duration::from_secs(1),
        }
    }

    /// Sets the time between samples (it sizes the PSS budget). Default 1 s.
    pub fn with_interval(mut self, interval: std::time::Duration) -> LinuxSampler {
        self.interval = interval;
        self
    }

    /// The stage cgroup, if any.
    pub fn cgroup(&self) -> Option<&StageCgroup> {
        self.cgroup.as_ref()
    }

    /// The stage cgroup, mutably (to place the command in it).
    pub fn cgroup_mut(&mut self) -> Option<&mut StageCgroup> {
        self.cgroup.as_mut()
    }

    /// Takes the stage cgroup out, to release it.
    pub fn take_cgroup(&mut self) -> Option<StageCgroup> {
        self.cgroup.take()
    }

    /// Reads the final counters of `pid`, which is stopped at its exit (trace mode): the
    /// kernel still holds its complete accounting. CPU here is in clock ticks; the exact
    /// figure comes with the `wait4` that follows, and the model reconciles the two.
    pub fn exit_snapshot(&mut self, pid: u32, t: f64, exit_code: Option<i32>) -> ProcessExit {
        let mut exit = ProcessExit {
            t,
            pid,
            source: "trace".to_owned(),
            exit_code,
            signal: exit_code.filter(|c| *c > 128).map(|c| c - 128),
            ..ProcessExit::default()
        };
        let handle = match self.procs.remove(&pid) {
            Some(h) => h,
            // Stopped at its exit, the process cannot be reaped, so its pid cannot be reused
            // meanwhile: opening by path is safe and saves the directory fd.
            None => match ProcHandle::open_stopped(&self.proc_root, pid) {
                Ok(h) => h,
                // Gone already (killed by SIGKILL, which skips the exit stop): exit code only.
                Err(_) => return exit,
            },
        };
        let tps = self.units.ticks_per_second.max(1);
        if let Ok(text) = handle.stat.read(&mut self.buf)
            && let Ok(stat) = parse::parse_stat(text)
        {
            exit.utime_usec = Some(stat.utime_ticks.saturating_mul(1_000_000) / tps);
            exit.stime_usec = Some(stat.stime_ticks.saturating_mul(1_000_000) / tps);
            exit.children_cpu_ticks = Some(stat.cutime_ticks + stat.cstime_ticks);
            exit.threads = Some(stat.num_threads);
        }
        let io = read_io(&handle, &mut self.buf);
        exit.read_bytes = io.map(|io| io.read_bytes);
        exit.write_bytes = io.map(|io| io.write_bytes);
        exit.hwm_bytes = read_hwm(&handle, &mut self.buf);
        exit
    }

    /// Reads one process into `out`; returns false when it is gone.
    fn read_process(
        &mut self,
        pid: u32,
        t: f64,
        out: &mut Sample,
        new: &mut Vec<ProcessInfo>,
        walk_children: bool,
    ) -> bool {
        let generation = self.generation;
        let proc_root = &self.proc_root;
        let handle = match self.procs.entry(pid) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                match ProcHandle::open(proc_root, pid, walk_children) {
                    Ok(h) => e.insert(h),
                    Err(err) => {
                        // Gone between listing and opening: it simply is not part of this sample.
                        if !kept::is_gone(&err) {
                            self.unopened += 1;
                        }
                        return false;
                    }
                }
            }
        };
        let text = match handle.stat.read(&mut self.buf) {
            Ok(t) => t,
            // ESRCH: the process was reaped since the last sample.
            Err(_) => {
                self.procs.remove(&pid);
                return false;
            }
        };
        let Ok(stat) = parse::parse_stat(text) else {
            return false;
        };
        if handle.generation != 0 && stat.starttime_ticks != handle.start_ticks {
            // The pid was reused by a new process: reopen so every kept file is the new one's.
            self.procs.remove(&pid);
            return self.read_process(pid, t, out, new, walk_children);
        }
        let first_sight = handle.generation == 0;
        handle.generation = generation;
        handle.start_ticks = stat.starttime_ticks;
        handle.threads = stat.num_threads;
        let exec = handle.set_comm(stat.comm) && !first_sight;
        let mut sample = ProcSample {
            pid,
            ppid: stat.ppid,
            state: char::from(stat.state),
            utime_ticks: stat.utime_ticks,
            stime_ticks: stat.stime_ticks,
            cutime_ticks: stat.cutime_ticks,
            cstime_ticks: stat.cstime_ticks,
            threads: stat.num_threads,
            rss_bytes: stat.rss_pages.saturating_mul(self.units.page_size),
            ..ProcSample::default()
        };
        if first_sight || exec {
            let argv = procs::read_cmdline(&self.proc_root, pid, ARGV_MAX_BYTES);
            new.push(ProcessInfo {
                t,
                pid,
                ppid: stat.ppid,
                start_ticks: stat.starttime_ticks,
                name: procs::display_name(handle.comm(), &argv),
                argv,
                exec,
            });
        }
        let io = read_io(handle, &mut self.buf);
        sample.read_bytes = io.map(|io| io.read_bytes);
        sample.write_bytes = io.map(|io| io.write_bytes);
        sample.rchar = io.map(|io| io.rchar);
        sample.wchar = io.map(|io| io.wchar);
        // `status` costs as much as stat+io together, and VmHWM never decreases: read it at
        // first sight, whenever RSS is above the last peak read (a new peak for sure), and
        // every STATUS_EVERY samples to catch peaks reached and left between two samples.
        if first_sight || sample.rss_bytes > handle.last_hwm || handle.status_countdown == 0 {
            sample.hwm_bytes = read_hwm(handle, &mut self.buf);
            handle.last_hwm = sample.hwm_bytes.unwrap_or(sample.rss_bytes);
            handle.status_countdown = STATUS_EVERY - 1;
        } else {
            handle.status_countdown -= 1;
        }
        // smaps_rollup walks the page tables: ~8 ms for a 700 MiB process. Each read is timed
        // and the next one waits until that cost is at most PSS_BUDGET of the time between.
        if sample.rss_bytes >= PSS_THRESHOLD_BYTES {
            if handle.pss_skip > 0 {
                handle.pss_skip -= 1;
            } else if let Some(f) = handle.smaps_rollup(&self.proc_root) {
                let started = std::time::Instant::now();
                sample.pss_bytes = f
                    .read(&mut self.buf)
                    .ok()
                    .and_then(parse::parse_smaps_rollup_pss);
                let cost = started.elapsed().as_secs_f64();
                let allowed = self.interval.as_secs_f64() * PSS_BUDGET;
                handle.pss_skip = (cost / allowed).min(f64::from(u16::MAX)) as u16;
            }
        }
        if walk_children {
            if sample.threads > 1 {
                // Children of other threads are listed under their own task directories.
                let _ = procs::children_of_all_threads(
                    &self.proc_root,
                    pid,
                    &mut self.buf,
                    &mut self.queue,
                );
            } else if let Some(text) = handle
                .children
                .as_ref()
                .and_then(|f| f.read(&mut self.buf).ok())
            {
                parse::parse_pid_list(text, &mut self.queue);
            }
        }
        out.processes.push(sample);
        true
    }
}

/// Reads a process's I/O counters; `None` when unreadable.
fn read_io(handle: &ProcHandle, buf: &mut Vec<u8>) -> Option<parse::IoFields> {
    let text = handle.io.as_ref()?.read(buf).ok()?;
    parse::parse_io(text).ok()
}

/// Reads a process's peak RSS (`VmHWM` of `status`); `None` when unreadable or a zombie.
fn read_hwm(handle: &ProcHandle, buf: &mut Vec<u8>) -> Option<u64> {
    let text = handle.status.as_ref()?.read(buf).ok()?;
    parse::parse_status(text).vm_hwm_bytes
}

impl Sampler for LinuxSampler {
    fn sample(
        &mut self,
        t: f64,
        out: &mut Sample,
        new: &mut Vec<ProcessInfo>,
    ) -> Result<(), SampleError> {
        self.generation += 1;
        self.unopened = 0;
        out.t = t;
        out.processes.clear();
        self.queue.clear();
        let walk_children = self.cgroup.is_none();
        if let Some(cg) = &self.cgroup {
            cg.members(&mut self.buf, &mut self.queue)
                .map_err(|source| SampleError::Discover {
                    path: PathBuf::from("cgroup.procs"),
                    source,
                })?;
        } else {
            procs::children_of_all_threads(
                &self.proc_root,
                self.monitor_pid,
                &mut self.buf,
                &mut self.queue,
            )
            .map_err(|source| SampleError::Discover {
                path: self.proc_root.join(format!("{}/task", self.monitor_pid)),
                source,
            })?;
        }
        // `queue` grows while walking children; index-based so it can be appended to.
        let mut i = 0;
        while i < self.queue.len() {
            let pid = self.queue[i];
            i += 1;
            if pid == self.monitor_pid {
                continue;
            }
            self.read_process(pid, t, out, new, walk_children);
        }
        // Sweep handles of processes not seen in this sample: they ended.
        let generation = self.generation;
        self.procs.retain(|_, h| h.generation == generation);
        out.cgroup = self.cgroup.as_ref().map(|cg| cg.counters(&mut self.buf));
        self.host.read(&mut self.buf, &mut out.host);
        if let Some(cg) = self.cgroup.as_ref().filter(|cg| cg.has_psi()) {
            cg.pressure(&mut self.buf, &mut out.host.psi);
        }
        Ok(())
    }

    fn name(&self) -> &'static str {
        "linux"
    }

    fn discovery(&self) -> &'static str {
        if self.cgroup.is_some() {
            "cgroup"
        } else {
            "children"
        }
    }
}

//! Host-wide counters: /proc/stat, /proc/loadavg, /proc/meminfo, /proc/pressure/*.

use std::path::Path;

use super::kept::KeptFile;
use super::parse;
use crate::sample::record::{HostCounters, PsiCounters, PsiSource};

/// Kept handles on the host-wide files; each is optional (old kernels have no PSI).
#[derive(Debug)]
pub struct HostReaders {
    stat: Option<KeptFile>,
    loadavg: Option<KeptFile>,
    meminfo: Option<KeptFile>,
    psi: [Option<KeptFile>; 3],
}

impl HostReaders {
    /// Opens the host files under `proc_root`; missing ones are skipped.
    pub fn open(proc_root: &Path) -> HostReaders {
        let open = |name: &str| KeptFile::open(&proc_root.join(name)).ok();
        HostReaders {
            stat: open("stat"),
            loadavg: open("loadavg"),
            meminfo: open("meminfo"),
            psi: [
                open("pressure/cpu"),
                open("pressure/memory"),
                open("pressure/io"),
            ],
        }
    }

    /// True when host PSI files exist.
    pub fn has_psi(&self) -> bool {
        self.psi.iter().any(Option::is_some)
    }

    /// Reads every host counter into `out`, leaving unreadable ones `None`.
    pub fn read(&self, buf: &mut Vec<u8>, out: &mut HostCounters) {
        let cpu = self
            .stat
            .as_ref()
            .and_then(|f| f.read(buf).ok())
            .and_then(parse::parse_proc_stat_cpu);
        out.cpu_user_ticks = cpu.map(|c| c.user_ticks);
        out.cpu_system_ticks = cpu.map(|c| c.system_ticks);
        out.cpu_idle_ticks = cpu.map(|c| c.idle_ticks);
        out.cpu_iowait_ticks = cpu.map(|c| c.iowait_ticks);
        out.cpu_steal_ticks = cpu.map(|c| c.steal_ticks);
        out.load1 = self
            .loadavg
            .as_ref()
            .and_then(|f| f.read(buf).ok())
            .and_then(parse::parse_loadavg1);
        out.memory_available_bytes = self
            .meminfo
            .as_ref()
            .and_then(|f| f.read(buf).ok())
            .and_then(parse::parse_meminfo_available);
        read_psi(&self.psi, PsiSource::Host, buf, &mut out.psi);
    }
}

/// Reads cpu/memory/io PSI files (in that order) into `out`.
pub fn read_psi(
    files: &[Option<KeptFile>; 3],
    source: PsiSource,
    buf: &mut Vec<u8>,
    out: &mut PsiCounters,
) {
    let mut read = |i: usize| {
        files[i]
            .as_ref()
            .and_then(|f| f.read(buf).ok())
            .map(parse::parse_pressure)
            .unwrap_or_default()
    };
    let cpu = read(0);
    let mem = read(1);
    let io = read(2);
    out.source = (cpu.some_usec.is_some() || mem.some_usec.is_some() || io.some_usec.is_some())
        .then_some(source);
    out.cpu_some_usec = cpu.some_usec;
    out.memory_some_usec = mem.some_usec;
    out.memory_full_usec = mem.full_usec;
    out.io_some_usec = io.some_usec;
    out.io_full_usec = io.full_usec;
}

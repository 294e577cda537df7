//! Per-process readers: the kept files of one process and how the tree's members are found.

use std::ffi::CStr;
use std::io;
use std::path::{Path, PathBuf};

use super::kept::{self, KeptFile};
use super::parse::{self, StatFields};

/// The kept files of one live process of the tree.
#[derive(Debug)]
pub struct ProcHandle {
    pub pid: u32,
    /// Kernel start time: identifies this process if the pid is later reused.
    pub start_ticks: u64,
    /// Last comm seen, to notice an exec.
    pub comm: [u8; 16],
    pub comm_len: u8,
    pub stat: KeptFile,
    /// `None` when not readable (another user's setuid program: EACCES).
    pub io: Option<KeptFile>,
    pub status: Option<KeptFile>,
    /// `task/PID/children` of the main thread, for discovery without a cgroup.
    pub children: Option<KeptFile>,
    /// Opened on demand for large processes.
    pub smaps_rollup: Option<KeptFile>,
    /// Threads at the last sample (other threads' children are found through `task/`).
    pub threads: u32,
    /// Sweep mark: the sample generation that last saw this process.
    pub generation: u64,
    /// The last `VmHWM` read, bytes.
    pub last_hwm: u64,
    /// Samples left before `status` is read again.
    pub status_countdown: u8,
    /// Samples to skip before `smaps_rollup` is read again.
    pub pss_skip: u16,
}

impl ProcHandle {
    /// Opens the kept files of `pid` under `proc_root`. `want_children` opens the main
    /// thread's children file too.
    pub fn open(proc_root: &Path, pid: u32, want_children: bool) -> io::Result<ProcHandle> {
        let dir = kept::open_dir(&proc_root.join(pid.to_string()))?;
        let stat = KeptFile::open_at(&dir, c"stat")?;
        // io/status may be unreadable (EACCES for setuid programs): the process is still
        // recorded, with those counters null.
        let io = KeptFile::open_at(&dir, c"io").ok();
        let status = KeptFile::open_at(&dir, c"status").ok();
        let children = if want_children {
            let name = format!("task/{pid}/children\0");
            let name = CStr::from_bytes_with_nul(name.as_bytes()).expect("no interior nul");
            KeptFile::open_at(&dir, name).ok()
        } else {
            None
        };
        Ok(ProcHandle {
            pid,
            start_ticks: 0,
            comm: [0; 16],
            comm_len: 0,
            stat,
            io,
            status,
            children,
            smaps_rollup: None,
            threads: 1,
            generation: 0,
            last_hwm: 0,
            status_countdown: 0,
            pss_skip: 0,
        })
    }

    /// Opens `stat`, `io` and `status` of a process stopped at its exit stop (it cannot be
    /// reaped, so the pid is stable): by path, without a directory fd, as this is done once per
    /// process in trace mode.
    pub fn open_stopped(proc_root: &Path, pid: u32) -> io::Result<ProcHandle> {
        let dir = proc_root.join(pid.to_string());
        Ok(ProcHandle {
            pid,
            start_ticks: 0,
            comm: [0; 16],
            comm_len: 0,
            stat: KeptFile::open(&dir.join("stat"))?,
            io: KeptFile::open(&dir.join("io")).ok(),
            status: KeptFile::open(&dir.join("status")).ok(),
            children: None,
            smaps_rollup: None,
            threads: 1,
            generation: 0,
            last_hwm: 0,
            status_countdown: 0,
            pss_skip: 0,
        })
    }

    /// The comm last recorded.
    pub fn comm(&self) -> &[u8] {
        &self.comm[..usize::from(self.comm_len)]
    }

    /// Records `comm`; returns true when it differs from the previous one (an exec).
    pub fn set_comm(&mut self, comm: &[u8]) -> bool {
        let n = comm.len().min(16);
        let changed = self.comm() != &comm[..n];
        self.comm[..n].copy_from_slice(&comm[..n]);
        self.comm_len = n as u8;
        changed
    }

    /// Opens smaps_rollup lazily (it is read only for large processes).
    pub fn smaps_rollup(&mut self, proc_root: &Path) -> Option<&KeptFile> {
        if self.smaps_rollup.is_none() {
            let path = proc_root.join(self.pid.to_string()).join("smaps_rollup");
            self.smaps_rollup = KeptFile::open(&path).ok();
        }
        self.smaps_rollup.as_ref()
    }
}

/// Appends the children of every thread of `pid` to `out`, reading `task/*/children`
/// (open/read/close: used for multi-threaded processes and the wrapper itself).
pub fn children_of_all_threads(
    proc_root: &Path,
    pid: u32,
    buf: &mut Vec<u8>,
    out: &mut Vec<u32>,
) -> io::Result<()> {
    let task_dir = proc_root.join(pid.to_string()).join("task");
    for entry in std::fs::read_dir(&task_dir)? {
        // A thread that exits during the scan has no children to report.
        let Ok(entry) = entry else { continue };
        let path = entry.path().join("children");
        let Ok(file) = std::fs::File::open(&path) else {
            continue;
        };
        if let Ok(text) = kept::read_whole_at(&file, buf) {
            parse::parse_pid_list(text, out);
        }
    }
    Ok(())
}

/// Reads the argument vector of `pid` (`cmdline`, NUL separated). Empty for kernel threads and
/// zombies. Bounded to `max_bytes` so a huge command line cannot bloat the profile.
pub fn read_cmdline(proc_root: &Path, pid: u32, max_bytes: usize) -> Vec<String> {
    let path: PathBuf = proc_root.join(pid.to_string()).join("cmdline");
    let mut bytes = Vec::with_capacity(256);
    let Ok(file) = std::fs::File::open(&path) else {
        return Vec::new();
    };
    if kept::read_whole_at(&file, &mut bytes).is_err() {
        return Vec::new();
    }
    let mut argv = Vec::new();
    let mut used = 0;
    for arg in bytes.split(|&b| b == 0) {
        if used >= max_bytes {
            argv.push("…".to_owned());
            break;
        }
        let arg = &arg[..arg.len().min(max_bytes - used)];
        used += arg.len();
        argv.push(String::from_utf8_lossy(arg).into_owned());
    }
    // cmdline ends with a NUL, which leaves one empty trailing element.
    if argv.last().is_some_and(|a| a.is_empty()) {
        argv.pop();
    }
    argv
}

/// The display name of a process: the kernel's comm, or `argv[0]`'s base name when comm was
/// truncated to 15 bytes (`x86_64-linux-gnu-gcc-12` has comm `x86_64-linux-gn`).
pub fn display_name(comm: &[u8], argv: &[String]) -> String {
    let comm = String::from_utf8_lossy(comm);
    if comm.len() >= 15
        && let Some(base) = argv.first().map(|a| a.rsplit('/').next().unwrap_or(a))
        && base.starts_with(comm.as_ref())
    {
        return base.to_owned();
    }
    comm.into_owned()
}

/// Parses a stat buffer, mapping a parse failure to an `io::Error` naming the pid.
pub fn parse_stat_for(pid: u32, text: &[u8]) -> io::Result<StatFields<'_>> {
    parse::parse_stat(text)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("/proc/{pid}/stat: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_comm_uses_argv0() {
        let argv = vec![
            "/usr/bin/x86_64-linux-gnu-gcc-12".to_owned(),
            "-c".to_owned(),
        ];
        assert_eq!(
            display_name(b"x86_64-linux-gn", &argv),
            "x86_64-linux-gnu-gcc-12"
        );
        assert_eq!(
            display_name(b"cc1", &["/usr/lib/gcc/cc1".to_owned()]),
            "cc1"
        );
        // A 15-byte comm unrelated to argv[0] (set by prctl) stays as is.
        assert_eq!(
            display_name(b"abcdefghijklmno", &["x".to_owned()]),
            "abcdefghijklmno"
        );
    }

    #[test]
    fn cmdline_of_self_and_bound() {
        let argv = read_cmdline(Path::new("/proc"), std::process::id(), 1 << 16);
        assert!(!argv.is_empty());
        let short = read_cmdline(Path::new("/proc"), std::process::id(), 4);
        assert!(short.last().is_some_and(|a| a == "…") || short.concat().len() <= 4);
    }
}

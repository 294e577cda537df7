//! The stage cgroup: a child cgroup the command is placed in, for exact totals.
//!
//! A cgroup counts CPU of every member ever, including children of parents that ignore
//! SIGCHLD (which `getrusage` misses), keeps the tree's peak memory, and lists the members
//! without walking /proc. Creating one needs write access to the wrapper's own cgroup, which CI
//! jobs often lack: every caller treats failure as "no cgroup" and falls back to rusage.
//!
//! Layouts handled: cgroup v2 (the core `cpu.stat` and PSI files exist without any controller;
//! `memory.*` only when the parent delegates the memory controller), and v1 `memory` and
//! `cpuacct` hierarchies (hybrid hosts keep memory in v1). The wrapper never changes
//! `subtree_control` or moves itself: it only creates leaf cgroups under its own.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::cgroupfs::CgroupLayout;
use super::hoststat::read_psi;
use super::kept::KeptFile;
use super::parse;
use crate::sample::record::{CgroupCounters, PsiCounters, PsiSource};

/// Why the stage cgroup could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum StageCgroupError {
    #[error("failed to find the wrapper's cgroups")]
    Layout(#[source] super::cgroupfs::CgroupError),
    #[error("no cgroup hierarchy with usable accounting is mounted")]
    NoHierarchy,
    #[error("failed to create cgroup {path}")]
    Create {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("failed to move pid {pid} into cgroup {path}")]
    Join {
        pid: u32,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// One created cgroup directory.
#[derive(Debug)]
struct Created {
    dir: PathBuf,
    procs: File,
    /// The directory itself, for `clone3(CLONE_INTO_CGROUP)` (v2 only).
    dir_fd: Option<std::os::fd::OwnedFd>,
}

/// The stage cgroup(s) and kept handles on their counters.
#[derive(Debug)]
pub struct StageCgroup {
    label: &'static str,
    created: Vec<Created>,
    /// cgroup.procs of the primary directory, for discovery.
    members: KeptFile,
    cpu_stat: Option<KeptFile>,
    cpuacct_usage: Option<KeptFile>,
    cpuacct_stat: Option<KeptFile>,
    mem_current: Option<KeptFile>,
    mem_peak: Option<KeptFile>,
    mem_events: Option<KeptFile>,
    psi: [Option<KeptFile>; 3],
    ticks_per_second: u64,
}

impl StageCgroup {
    /// Creates `cicd-monitor-<pid>` cgroups under the wrapper's own cgroups found under `root`
    /// ("/" live).
    pub fn create(root: &Path, ticks_per_second: u64) -> Result<StageCgroup, StageCgroupError> {
        let layout = CgroupLayout::read(root, "self").map_err(StageCgroupError::Layout)?;
        let name = format!("cicd-monitor-{}", std::process::id());
        let mut created: Vec<Created> = Vec::new();
        let mut v2_dir = None;
        let mut first_error = None;
        let mut make = |parent: &Path, created: &mut Vec<Created>| -> Option<PathBuf> {
            let dir = parent.join(&name);
            match make_leaf(&dir) {
                Ok(procs) => {
                    created.push(Created {
                        dir: dir.clone(),
                        procs,
                        dir_fd: None,
                    });
                    Some(dir)
                }
                Err(source) => {
                    first_error.get_or_insert(StageCgroupError::Create {
                        path: dir.clone(),
                        source,
                    });
                    None
                }
            }
        };
        if let Some(v2) = &layout.v2 {
            v2_dir = make(&v2.path, &mut created);
            if let (Some(dir), Some(c)) = (&v2_dir, created.last_mut()) {
                // Not fatal when it fails: the command is then moved in after fork.
                c.dir_fd = super::kept::open_dir(dir).ok();
            }
        }
        // v1 memory holds the tree's peak memory on hybrid hosts, where v2 has no memory files.
        let v2_has_memory = v2_dir
            .as_ref()
            .is_some_and(|d| d.join("memory.peak").exists() || d.join("memory.current").exists());
        let mut v1_mem = None;
        if !v2_has_memory && let Some(mem) = layout.v1_dir("memory") {
            v1_mem = make(&mem.path, &mut created);
        }
        let mut v1_cpu = None;
        if v2_dir.is_none()
            && let Some(cpu) = layout.v1_dir("cpuacct")
        {
            // cpu and cpuacct are often co-mounted; reuse the memory dir if it is the same.
            if v1_mem.as_ref().is_none_or(|m| !m.starts_with(&cpu.path)) {
                v1_cpu = make(&cpu.path, &mut created);
            }
        }
        if created.is_empty() {
            return Err(first_error.unwrap_or(StageCgroupError::NoHierarchy));
        }
        let label = match (&v2_dir, v1_mem.is_some() || v1_cpu.is_some()) {
            (Some(_), true) => "hybrid",
            (Some(_), false) => "v2",
            (None, _) => "v1",
        };
        let keep = |dir: &Option<PathBuf>, file: &str| {
            dir.as_ref()
                .and_then(|d| KeptFile::open(&d.join(file)).ok())
        };
        let primary = created[0].dir.clone();
        let members = KeptFile::open(&primary.join("cgroup.procs")).map_err(|source| {
            StageCgroupError::Create {
                path: primary.clone(),
                source,
            }
        })?;
        let mem_dir = if v2_has_memory { &v2_dir } else { &v1_mem };
        let (current, peak, events) = if v2_has_memory {
            ("memory.current", "memory.peak", "memory.events")
        } else {
            (
                "memory.usage_in_bytes",
                "memory.max_usage_in_bytes",
                "memory.oom_control",
            )
        };
        Ok(StageCgroup {
            label,
            members,
            cpu_stat: keep(&v2_dir, "cpu.stat"),
            cpuacct_usage: keep(&v1_cpu, "cpuacct.usage"),
            cpuacct_stat: keep(&v1_cpu, "cpuacct.stat"),
            mem_current: keep(mem_dir, current),
            mem_peak: keep(mem_dir, peak),
            mem_events: keep(mem_dir, events),
            psi: [
                keep(&v2_dir, "cpu.pressure"),
                keep(&v2_dir, "memory.pressure"),
                keep(&v2_dir, "io.pressure"),
            ],
            created,
            ticks_per_second,
        })
    }

    /// `v2`, `v1` or `hybrid` (v2 for CPU and PSI, v1 for memory).
    pub fn label(&self) -> &'static str {
        self.label
    }

    /// True when the cgroup has its own PSI files.
    pub fn has_psi(&self) -> bool {
        self.psi.iter().any(Option::is_some)
    }

    /// The v2 stage cgroup's directory fd, to create the command inside it.
    pub fn v2_dir_fd(&self) -> Option<i32> {
        use std::os::fd::AsRawFd;
        self.created
            .iter()
            .find_map(|c| c.dir_fd.as_ref().map(|fd| fd.as_raw_fd()))
    }

    /// Moves `pid` into every stage cgroup (but the v2 one when it was created there). Called
    /// while the command is paused before exec, so every descendant starts inside.
    pub fn join(&mut self, pid: u32, in_v2: bool) -> Result<(), StageCgroupError> {
        let line = format!("{pid}\n");
        for c in self
            .created
            .iter_mut()
            .filter(|c| !(in_v2 && c.dir_fd.is_some()))
        {
            c.procs
                .write_all(line.as_bytes())
                .map_err(|source| StageCgroupError::Join {
                    pid,
                    path: c.dir.clone(),
                    source,
                })?;
        }
        Ok(())
    }

    /// Appends the pids of every member process to `out`.
    pub fn members(&self, buf: &mut Vec<u8>, out: &mut Vec<u32>) -> io::Result<()> {
        let text = self.members.read(buf)?;
        parse::parse_pid_list(text, out);
        Ok(())
    }

    /// Reads the cgroup's counters.
    pub fn counters(&self, buf: &mut Vec<u8>) -> CgroupCounters {
        let read = |f: &Option<KeptFile>, buf: &mut Vec<u8>| -> Option<Vec<u8>> {
            // Small files: copying keeps the borrow checker simple and costs nothing measurable.
            f.as_ref()
                .and_then(|f| f.read(buf).ok())
                .map(<[u8]>::to_vec)
        };
        let mut c = CgroupCounters::default();
        if let Some(text) = read(&self.cpu_stat, buf) {
            c.cpu_usage_usec = parse::flat_keyed(&text, b"usage_usec");
            c.cpu_user_usec = parse::flat_keyed(&text, b"user_usec");
            c.cpu_system_usec = parse::flat_keyed(&text, b"system_usec");
        } else if let Some(text) = read(&self.cpuacct_usage, buf) {
            c.cpu_usage_usec = parse::single_u64(&text).map(|ns| ns / 1000);
            if let Some(stat) = read(&self.cpuacct_stat, buf) {
                let to_usec = |t: u64| t.saturating_mul(1_000_000) / self.ticks_per_second.max(1);
                c.cpu_user_usec = parse::flat_keyed(&stat, b"user").map(to_usec);
                c.cpu_system_usec = parse::flat_keyed(&stat, b"system").map(to_usec);
            }
        }
        c.memory_current_bytes = read(&self.mem_current, buf).and_then(|t| parse::single_u64(&t));
        c.memory_peak_bytes = read(&self.mem_peak, buf).and_then(|t| parse::single_u64(&t));
        c.oom_kills = read(&self.mem_events, buf).and_then(|t| parse::flat_keyed(&t, b"oom_kill"));
        c
    }

    /// Reads the cgroup's own PSI totals.
    pub fn pressure(&self, buf: &mut Vec<u8>, out: &mut PsiCounters) {
        read_psi(&self.psi, PsiSource::Cgroup, buf, out);
    }

    /// Moves any remaining members back to the parent cgroup and removes the stage cgroups.
    /// Returns the first error; removal continues past it.
    pub fn release(self) -> io::Result<()> {
        let mut first_err = None;
        let mut buf = Vec::new();
        for c in self.created.iter().rev() {
            if let Err(e) = release_one(&c.dir, &mut buf) {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}

fn make_leaf(dir: &Path) -> io::Result<File> {
    fs::create_dir(dir)?;
    OpenOptions::new()
        .write(true)
        .open(dir.join("cgroup.procs"))
        .inspect_err(|_| {
            let _ = fs::remove_dir(dir);
        })
}

fn release_one(dir: &Path, buf: &mut Vec<u8>) -> io::Result<()> {
    let parent = dir.parent().ok_or(io::ErrorKind::InvalidInput)?;
    let members = KeptFile::open(&dir.join("cgroup.procs"))?;
    let mut pids = Vec::new();
    parse::parse_pid_list(members.read(buf)?, &mut pids);
    if !pids.is_empty() {
        let mut parent_procs = OpenOptions::new()
            .write(true)
            .open(parent.join("cgroup.procs"))?;
        for pid in pids {
            // A member that exits meanwhile cannot be moved (ESRCH): nothing to do.
            let _ = parent_procs.write_all(format!("{pid}\n").as_bytes());
        }
    }
    fs::remove_dir(dir)
}

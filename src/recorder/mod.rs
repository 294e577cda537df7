//! The recorder: the data side of `wrap`.
//!
//! It implements the supervisor's [`Monitor`] hooks: takes samples, reads final counters in
//! trace mode, scrubs secrets from every string before anything is written, appends each record
//! to `samples.jsonl` as it happens (so a killed job still leaves data), and feeds the same
//! records to the [`ProfileBuilder`]. Every failure is fail-open: one warning line, then that
//! part stops and the rest goes on.
//!
//! May depend on `sample`, `model`, `profile`, `redact`, `supervise` (for the hook types),
//! `host`, `ci`, `clock`, `warn`.

mod writer;

use std::path::{Path, PathBuf};

use crate::clock::{Clock, rfc3339};
use crate::model::builder::ProfileBuilder;
use crate::profile::{CiContext, Host, SCHEMA_VERSION, StageProfile};
use crate::redact::Redactor;
use crate::sample::Sampler;
use crate::sample::record::{
    End, Header, ProcessExit, ProcessInfo, Record, Rusage, Sample, TreeIo,
};
use crate::supervise::{Ended, Monitor, Outcome, ReapUsage};
use writer::SamplesWriter;

#[cfg(target_os = "linux")]
use crate::sample::linux::LinuxSampler;

/// The sampler in use.
pub enum SamplerImpl {
    /// procfs.
    #[cfg(target_os = "linux")]
    Linux(LinuxSampler),
    /// sysinfo.
    Portable(crate::sample::portable::PortableSampler),
}

impl SamplerImpl {
    fn as_dyn(&mut self) -> &mut dyn Sampler {
        match self {
            #[cfg(target_os = "linux")]
            SamplerImpl::Linux(s) => s,
            SamplerImpl::Portable(s) => s,
        }
    }

    fn as_ref_dyn(&self) -> &dyn Sampler {
        match self {
            #[cfg(target_os = "linux")]
            SamplerImpl::Linux(s) => s,
            SamplerImpl::Portable(s) => s,
        }
    }
}

/// What the recorder needs to know up front.
pub struct RecorderOptions {
    /// Stage name.
    pub stage: String,
    /// Job name.
    pub job: Option<String>,
    /// The command (redacted by the recorder).
    pub argv: Vec<String>,
    /// Working directory.
    pub cwd: Option<String>,
    /// Seconds between samples.
    pub interval_seconds: f64,
    /// Trace mode requested.
    pub trace: bool,
    /// Where `samples.jsonl` goes; `None` when the output directory is unusable.
    pub samples_path: Option<PathBuf>,
    /// Reads the host description and CI context; called once, after the command started, so
    /// it never delays the build.
    pub describe: Box<dyn FnOnce() -> (Host, CiContext)>,
}

/// Records one stage.
pub struct Recorder {
    clock: Clock,
    sampler: Option<SamplerImpl>,
    writer: Option<SamplesWriter>,
    builder: ProfileBuilder,
    redactor: Redactor,
    opts_header: Option<RecorderOptions>,
    mode: &'static str,
    sample: Sample,
    new: Vec<ProcessInfo>,
    warnings: Vec<String>,
    profile: Option<StageProfile>,
    /// Writing samples failed (e.g. a full disk): the user has been told once.
    output_failed: bool,
    /// The command's pid, recorded right after the header so the command has an identity
    /// even if it ends before the first sample.
    command_pid: Option<u32>,
    #[cfg(target_os = "linux")]
    self_io: Option<SelfIo>,
    /// Counters this process had before the stage: rusage of children and I/O survive `exec`,
    /// so a parent that reaped other work and then exec'd the wrapper (`cargo run`, a shell's
    /// `exec`) would otherwise have that work counted as the stage's.
    base: Baseline,
}

/// The wrapper's own rusage when it started, before anything it does for the stage: its start-up
/// is part of its cost, what ran in this process before `exec` is not.
static START_RUSAGE: std::sync::OnceLock<Rusage> = std::sync::OnceLock::new();

/// Records the rusage baseline of this process; call first thing in `wrap`.
pub fn mark_process_start() {
    let _ = START_RUSAGE.set(self_rusage());
}

/// Cumulative counters at the start of the stage, subtracted from every later reading.
#[derive(Debug, Clone, Default)]
struct Baseline {
    children: Rusage,
    own: Rusage,
    io: Option<TreeIo>,
}

impl Baseline {
    /// Children's rusage since the stage started. A peak RSS not above the inherited one cannot
    /// be told apart from it: 0 (unknown) then, and the peak comes from samples.
    fn children(&self, now: Rusage) -> Rusage {
        Rusage {
            user_usec: now.user_usec.saturating_sub(self.children.user_usec),
            system_usec: now.system_usec.saturating_sub(self.children.system_usec),
            maxrss_bytes: if now.maxrss_bytes > self.children.maxrss_bytes {
                now.maxrss_bytes
            } else {
                0
            },
        }
    }

    /// The wrapper's own CPU since the stage started, and its own peak RSS (of this program,
    /// not of what ran in this process before `exec`).
    fn own(&self, now: Rusage) -> Rusage {
        Rusage {
            user_usec: now.user_usec.saturating_sub(self.own.user_usec),
            system_usec: now.system_usec.saturating_sub(self.own.system_usec),
            maxrss_bytes: own_peak_rss().unwrap_or(now.maxrss_bytes),
        }
    }

    fn io(&self, now: Option<TreeIo>) -> Option<TreeIo> {
        let now = now?;
        let Some(b) = &self.io else {
            return Some(now);
        };
        Some(TreeIo {
            read_bytes: now.read_bytes.saturating_sub(b.read_bytes),
            write_bytes: now.write_bytes.saturating_sub(b.write_bytes),
            rchar: now.rchar.saturating_sub(b.rchar),
            wchar: now.wchar.saturating_sub(b.wchar),
        })
    }
}

/// VmHWM of this process: the peak of the current program image (reset by `exec`, unlike
/// `ru_maxrss`).
#[cfg(target_os = "linux")]
fn own_peak_rss() -> Option<u64> {
    let buf = std::fs::read("/proc/self/status").ok()?;
    crate::sample::linux::parse::parse_status(&buf).vm_hwm_bytes
}

#[cfg(not(target_os = "linux"))]
fn own_peak_rss() -> Option<u64> {
    None
}

impl Recorder {
    /// A recorder for a stage starting at `clock`.
    pub fn new(
        clock: Clock,
        sampler: Option<SamplerImpl>,
        builder: ProfileBuilder,
        redactor: Redactor,
        opts: RecorderOptions,
    ) -> Recorder {
        let mut warnings = Vec::new();
        let writer = opts.samples_path.as_deref().and_then(|p| {
            SamplesWriter::create(p)
                .map_err(|e| warnings.push(crate::warn::chain(&e)))
                .ok()
        });
        for w in &warnings {
            crate::warn::warn(w);
        }
        Recorder {
            clock,
            sampler,
            writer,
            builder,
            redactor,
            mode: if opts.trace { "trace" } else { "sample" },
            opts_header: Some(opts),
            sample: Sample::default(),
            new: Vec::with_capacity(16),
            warnings,
            profile: None,
            output_failed: false,
            command_pid: None,
            #[cfg(target_os = "linux")]
            self_io: SelfIo::open(),
            base: Baseline::default(),
        }
        .with_baseline()
    }

    fn with_baseline(mut self) -> Recorder {
        self.base = Baseline {
            children: children_rusage(),
            own: START_RUSAGE.get().copied().unwrap_or_else(self_rusage),
            io: self.tree_io_now(),
        };
        self
    }

    /// The I/O of everything reaped so far, before the baseline is subtracted.
    fn tree_io_now(&self) -> Option<TreeIo> {
        #[cfg(target_os = "linux")]
        {
            self.self_io.as_ref().and_then(SelfIo::tree_io)
        }
        #[cfg(not(target_os = "linux"))]
        {
            None
        }
    }

    /// True when writing output already failed and was reported: a later failure of the same
    /// kind (the profile on the same full disk) needs no second warning.
    pub fn output_failed(&self) -> bool {
        self.output_failed
    }

    /// The finished profile, once the supervisor called `finished`.
    pub fn take_profile(&mut self) -> Option<StageProfile> {
        self.profile.take()
    }

    /// Prints a warning once and records it in the profile.
    fn warn_once(&mut self, message: String) {
        if !self.warnings.contains(&message) {
            crate::warn::warn(&message);
            self.builder.warn(message.clone());
            self.warnings.push(message);
        }
    }

    fn emit(&mut self, record: &Record) {
        // Everything up to a sample (and the header) reaches the file at once.
        let flush = matches!(
            record,
            Record::Header(_) | Record::Sample(_) | Record::End(_)
        );
        if let Some(w) = &mut self.writer
            && let Err(e) = w
                .write(record)
                .and_then(|()| if flush { w.flush() } else { Ok(()) })
        {
            let msg = format!("{}; samples are no longer written", crate::warn::chain(&e));
            self.writer = None;
            self.output_failed = true;
            self.warn_once(msg);
        }
        self.builder.feed(record);
    }

    /// Writes the header on first use: host and CI are read only once the command runs.
    fn ensure_header(&mut self) {
        let Some(opts) = self.opts_header.take() else {
            return;
        };
        let (host, ci) = (opts.describe)();
        let mut argv = opts.argv;
        self.redactor.redact_argv(&mut argv);
        let (sampler, discovery) = match &self.sampler {
            Some(s) => (s.as_ref_dyn().name(), s.as_ref_dyn().discovery()),
            None => ("none", "none"),
        };
        #[cfg(target_os = "linux")]
        let cgroup = match &self.sampler {
            Some(SamplerImpl::Linux(s)) => s.cgroup().map(|c| c.label().to_owned()),
            _ => None,
        };
        #[cfg(not(target_os = "linux"))]
        let cgroup = None;
        let ticks = {
            #[cfg(target_os = "linux")]
            {
                crate::sample::linux::KernelUnits::current().ticks_per_second
            }
            #[cfg(not(target_os = "linux"))]
            {
                100
            }
        };
        let scrub = |s: String| self.redactor.redact_str(&s).into_owned();
        let header = Header {
            schema_version: SCHEMA_VERSION,
            stage: scrub(opts.stage),
            job: opts.job.map(scrub),
            argv,
            cwd: opts.cwd.map(|c| self.redactor.redact_str(&c).into_owned()),
            started_at: rfc3339(self.clock.wall_unix_seconds()),
            started_unix_seconds: self.clock.wall_unix_seconds(),
            boot_clock_seconds: self.clock.boot_seconds,
            ticks_per_second: ticks,
            mode: self.mode.to_owned(),
            sampler: sampler.to_owned(),
            discovery: if self.mode == "trace" {
                "trace".to_owned()
            } else {
                discovery.to_owned()
            },
            interval_seconds: opts.interval_seconds,
            cgroup,
            monitor_pid: std::process::id(),
            ci,
            host,
        };
        let argv = header.argv.clone();
        self.emit(&Record::Header(header));
        if let Some(pid) = self.command_pid {
            // The identity is known from our own command line; samples refine it later.
            let name = argv
                .first()
                .map(|a| a.rsplit('/').next().unwrap_or(a).to_owned())
                .unwrap_or_default();
            self.emit(&Record::Process(ProcessInfo {
                t: 0.0,
                pid,
                ppid: std::process::id(),
                start_ticks: 0,
                name,
                argv,
                exec: false,
            }));
        }
    }

    /// Replaces secrets in a process identity: its arguments, and its name (a program can set
    /// its own name).
    fn scrub(&self, info: &mut ProcessInfo) {
        self.redactor.redact_argv(&mut info.argv);
        if let std::borrow::Cow::Owned(name) = self.redactor.redact_str(&info.name) {
            info.name = name;
        }
    }

    fn emit_new_processes(&mut self) {
        let mut new = std::mem::take(&mut self.new);
        for mut info in new.drain(..) {
            self.scrub(&mut info);
            self.emit(&Record::Process(info));
        }
        self.new = new;
    }

    /// Reads a process's identity now (trace mode: at fork or exec).
    #[cfg(target_os = "linux")]
    fn identity(&self, t: f64, pid: u32, exec: bool) -> Option<ProcessInfo> {
        use crate::sample::linux::{ARGV_MAX_BYTES, kept, parse, procs};
        let proc_root = Path::new("/proc");
        let mut buf = Vec::with_capacity(512);
        let file = std::fs::File::open(proc_root.join(format!("{pid}/stat"))).ok()?;
        let st = parse::parse_stat(kept::read_whole_at(&file, &mut buf).ok()?).ok()?;
        let argv = procs::read_cmdline(proc_root, pid, ARGV_MAX_BYTES);
        Some(ProcessInfo {
            t,
            pid,
            ppid: st.ppid,
            start_ticks: st.starttime_ticks,
            name: procs::display_name(st.comm, &argv),
            argv,
            exec,
        })
    }
}

impl Monitor for Recorder {
    fn spawn_cgroup(&mut self) -> Option<i32> {
        #[cfg(target_os = "linux")]
        if let Some(SamplerImpl::Linux(s)) = &self.sampler {
            return s.cgroup().and_then(|c| c.v2_dir_fd());
        }
        None
    }

    fn command_forked(&mut self, pid: u32, in_cgroup: bool) -> Result<(), String> {
        #[cfg(target_os = "linux")]
        if let Some(SamplerImpl::Linux(s)) = &mut self.sampler
            && let Some(cg) = s.cgroup_mut()
            && let Err(e) = cg.join(pid, in_cgroup)
        {
            // Without the command inside, the cgroup would count nothing: drop it and
            // find the tree through /proc instead.
            if let Some(cg) = s.take_cgroup() {
                let _ = cg.release();
            }
            let msg = format!(
                "{}; totals come from rusage instead",
                crate::warn::chain(&e)
            );
            self.builder.warn(msg.clone());
            self.warnings.push(msg.clone());
            return Err(msg);
        }
        let _ = pid;
        self.command_pid = Some(pid);
        Ok(())
    }

    fn sample(&mut self, t: f64) {
        self.ensure_header();
        let Some(sampler) = &mut self.sampler else {
            return;
        };
        let mut sample = std::mem::take(&mut self.sample);
        let result = sampler.as_dyn().sample(t, &mut sample, &mut self.new);
        match result {
            Ok(()) => {
                sample.reaped = self.base.children(children_rusage());
                sample.reaped_io = self.base.io(self.tree_io_now());
                self.emit_new_processes();
                // Emit by reference and take the buffer back: the process list keeps its
                // capacity from one sample to the next.
                let record = Record::Sample(sample);
                self.emit(&record);
                if let Record::Sample(s) = record {
                    self.sample = s;
                }
            }
            Err(e) => {
                self.sample = sample;
                self.warn_once(format!(
                    "{}; this sample is skipped",
                    crate::warn::chain(&e)
                ));
            }
        }
    }

    fn reaped(&mut self, t: f64, pid: u32, ended: Ended, usage: ReapUsage) {
        self.ensure_header();
        self.emit(&Record::Exit(ProcessExit {
            t,
            pid,
            source: "reaped".to_owned(),
            exit_code: Some(ended.shell_code()),
            signal: ended.signal(),
            subtree_user_usec: Some(usage.user_usec),
            subtree_system_usec: Some(usage.system_usec),
            hwm_bytes: Some(usage.maxrss_bytes),
            ..ProcessExit::default()
        }));
    }

    fn traced_fork(&mut self, t: f64, parent: u32, child: u32) {
        self.ensure_header();
        // A fresh fork runs its parent's program: no need to read /proc (the model copies the
        // parent's identity); the exec that usually follows brings the new one.
        self.emit(&Record::Process(ProcessInfo {
            t,
            pid: child,
            ppid: parent,
            ..ProcessInfo::default()
        }));
    }

    fn traced_exec(&mut self, t: f64, pid: u32) {
        self.ensure_header();
        #[cfg(target_os = "linux")]
        if let Some(mut info) = self.identity(t, pid, true) {
            self.scrub(&mut info);
            self.emit(&Record::Process(info));
        }
        let _ = (t, pid);
    }

    fn traced_exit(&mut self, t: f64, pid: u32, ended: Ended) {
        self.ensure_header();
        #[cfg(target_os = "linux")]
        if let Some(SamplerImpl::Linux(s)) = &mut self.sampler {
            let exit = s.exit_snapshot(pid, t, Some(ended.shell_code()));
            self.emit(&Record::Exit(exit));
        }
        let _ = (t, pid, ended);
    }

    fn trace_unavailable(&mut self, reason: &str) {
        self.mode = "sample";
        self.builder.trace_lost();
        self.builder.warn(reason.to_owned());
        self.warnings.push(reason.to_owned());
    }

    fn finished(&mut self, t: f64, outcome: &Outcome) {
        self.ensure_header();
        let mut end = End {
            t,
            ended_at: rfc3339(self.clock.wall_unix_seconds() + t),
            exit_code: outcome.ended.shell_code(),
            signal: outcome.ended.signal(),
            reaped: self.base.children(children_rusage()),
            monitor: self.base.own(self_rusage()),
            lingering: outcome.lingering.clone(),
            killed: outcome.killed.clone(),
            warnings: Vec::new(),
            ..End::default()
        };
        #[cfg(target_os = "linux")]
        {
            end.io = self.base.io(self.tree_io_now());
            if let Some(SamplerImpl::Linux(s)) = &mut self.sampler {
                let mut buf = Vec::new();
                end.cgroup = s.cgroup().map(|c| c.counters(&mut buf));
                if let Some(cg) = s.take_cgroup()
                    && let Err(e) = cg.release()
                {
                    end.warnings
                        .push(format!("failed to remove the stage cgroup: {e}"));
                }
            }
        }
        self.emit(&Record::End(end));
        let builder = std::mem::replace(
            &mut self.builder,
            ProfileBuilder::new(crate::model::roles::RoleRules::builtin()),
        );
        self.profile = Some(builder.finish());
    }
}

#[cfg(unix)]
fn rusage(who: libc::c_int) -> Rusage {
    // SAFETY: rusage is plain data and the pointer is valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    unsafe { libc::getrusage(who, &mut ru) };
    let usec = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000 + tv.tv_usec as u64;
    // ru_maxrss is in kilobytes on Linux, bytes on macOS.
    let maxrss_unit = if cfg!(target_os = "macos") { 1 } else { 1024 };
    Rusage {
        user_usec: usec(ru.ru_utime),
        system_usec: usec(ru.ru_stime),
        maxrss_bytes: ru.ru_maxrss.max(0) as u64 * maxrss_unit,
    }
}

/// `getrusage(RUSAGE_CHILDREN)`.
#[cfg(unix)]
pub fn children_rusage() -> Rusage {
    rusage(libc::RUSAGE_CHILDREN)
}

/// `getrusage(RUSAGE_SELF)`.
#[cfg(unix)]
pub fn self_rusage() -> Rusage {
    rusage(libc::RUSAGE_SELF)
}

/// Not available without getrusage: totals then come from samples.
#[cfg(not(unix))]
pub fn children_rusage() -> Rusage {
    Rusage::default()
}

/// Not available without getrusage.
#[cfg(not(unix))]
pub fn self_rusage() -> Rusage {
    Rusage::default()
}

/// The wrapper's /proc/self/io and its own thread's io: their difference is the I/O of
/// everything it reaped.
#[cfg(target_os = "linux")]
struct SelfIo {
    process: crate::sample::linux::kept::KeptFile,
    thread: crate::sample::linux::kept::KeptFile,
}

#[cfg(target_os = "linux")]
impl SelfIo {
    fn open() -> Option<SelfIo> {
        use crate::sample::linux::kept::KeptFile;
        Some(SelfIo {
            process: KeptFile::open(Path::new("/proc/self/io")).ok()?,
            thread: KeptFile::open(Path::new("/proc/thread-self/io")).ok()?,
        })
    }

    fn tree_io(&self) -> Option<TreeIo> {
        use crate::sample::linux::parse::parse_io;
        let mut buf = Vec::with_capacity(256);
        let all = parse_io(self.process.read(&mut buf).ok()?).ok()?;
        let own = parse_io(self.thread.read(&mut buf).ok()?).ok()?;
        Some(TreeIo {
            read_bytes: all.read_bytes.saturating_sub(own.read_bytes),
            write_bytes: all.write_bytes.saturating_sub(own.write_bytes),
            rchar: all.rchar.saturating_sub(own.rchar),
            wchar: all.wchar.saturating_sub(own.wchar),
        })
    }
}

/// Path of the samples file for a stage profile path (`stage-x.json` → `stage-x.samples.jsonl`).
pub fn samples_path_for(profile: &Path) -> PathBuf {
    profile.with_extension("samples.jsonl")
}

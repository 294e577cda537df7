//! Sampler cost per process per sample, on real live processes.
//!
//! For each tree size (10, 100, 1000 children of the bench process, `sleep 600` in one
//! process group) the same tree is sampled four ways:
//!
//! - `linux_kept`: [`LinuxSampler`] in steady state (kept fds re-read with `pread`, `status`
//!   every 5th sample, host counters, discovery through `task/TID/children`), the way `wrap`
//!   samples every second;
//! - `linux_first`: a fresh [`LinuxSampler`]'s first sample (opens every kept file, reads
//!   `cmdline`): the cost when every process is new;
//! - `naive_open_read`: discovery through `task/TID/children`, then open + one `read` + close of
//!   `/proc/PID/{stat,statm,io}` and a `split_whitespace` parse, each sample;
//! - `portable_sysinfo`: [`PortableSampler`] (sysinfo refreshes every process of the host).
//!
//! Two groups measure the same thing: `sampler_cpu` as the sampling thread's CPU time (user +
//! system, the cost to the wrapper, robust to other load) and `sampler_wall` as wall time.
//! Throughput is `Elements(N)`; `benches/sampler_table.py` turns criterion's estimates into
//! µs per process per sample. Run with `cargo bench --bench sampler`; see `BENCHMARKS.md`.

use std::fs::File;
use std::hint::black_box;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput};
use criterion::{criterion_group, criterion_main};

use cicd_monitor::sample::Sampler;
use cicd_monitor::sample::linux::LinuxSampler;
use cicd_monitor::sample::portable::PortableSampler;
use cicd_monitor::sample::record::Sample;

const SIZES: [usize; 3] = [10, 100, 1000];

/// Children spawned per thread of the bench process. Each thread's children are listed in its
/// own `/proc/self/task/TID/children`; keeping each list under 4 KiB keeps every process
/// visible to the Linux sampler, which reads that file with one `pread` into a 4 KiB buffer and
/// takes a short read for the end (a tree of more than ~680 children of one parent is cut
/// short: see BENCHMARKS.md, "Caveats").
const CHILDREN_PER_THREAD: usize = 200;

/// N sleeping children (`sleep 600`) in one process group, spawned by parked threads of this
/// process; killed and reaped on drop.
struct SleepingTree {
    children: Vec<Child>,
    pgid: i32,
    /// Dropping a sender lets its spawning thread end (only after its children are reaped: a
    /// thread's exit would hand its children to the main thread).
    park: Vec<mpsc::Sender<()>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

fn spawn_sleeps(n: usize, pgid: i32) -> Vec<Child> {
    (0..n)
        .map(|_| {
            let mut cmd = Command::new("sleep");
            cmd.arg("600")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(pgid);
            // SAFETY: prctl is async-signal-safe; it ends the child if its thread dies first.
            unsafe {
                cmd.pre_exec(|| {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    Ok(())
                });
            }
            cmd.spawn().expect("failed to spawn sleep")
        })
        .collect()
}

impl SleepingTree {
    fn spawn(n: usize) -> SleepingTree {
        // The group leader; the other children join its group.
        let mut children = spawn_sleeps(1, 0);
        let pgid = children[0].id() as i32;
        let (mut park, mut threads) = (Vec::new(), Vec::new());
        let mut left = n - 1;
        while left > 0 {
            let k = left.min(CHILDREN_PER_THREAD);
            left -= k;
            let (tx_children, rx_children) = mpsc::channel();
            let (tx_park, rx_park) = mpsc::channel::<()>();
            threads.push(std::thread::spawn(move || {
                tx_children.send(spawn_sleeps(k, pgid)).unwrap();
                let _ = rx_park.recv();
            }));
            children.extend(rx_children.recv().unwrap());
            park.push(tx_park);
        }
        // Let every child finish exec so each is sampled as `sleep`, not as the forked bench.
        std::thread::sleep(Duration::from_millis(300));
        SleepingTree {
            children,
            pgid,
            park,
            threads,
        }
    }
}

impl Drop for SleepingTree {
    fn drop(&mut self) {
        // SAFETY: killpg has no memory-safety preconditions.
        unsafe { libc::killpg(self.pgid, libc::SIGKILL) };
        // Any thread of the group may wait for any thread's children.
        for child in &mut self.children {
            let _ = child.wait();
        }
        self.park.clear();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Raises RLIMIT_NOFILE to its hard limit, as `wrap` does: 1000 processes keep ~5000 files open.
fn raise_nofile() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// What the naive sampler keeps of one process.
#[derive(Default)]
struct NaiveSample {
    utime_ticks: u64,
    stime_ticks: u64,
    rss_pages: u64,
    read_bytes: u64,
    write_bytes: u64,
}

/// Reads `path` with open + one `read` + close into `buf`; empty when the process is gone.
fn read_once<'a>(path: &Path, buf: &'a mut [u8]) -> &'a str {
    let Ok(mut file) = File::open(path) else {
        return "";
    };
    let n = file.read(buf).unwrap_or(0);
    std::str::from_utf8(&buf[..n]).unwrap_or("")
}

/// One naive sample of the children of this process.
fn naive_sample(me: u32, pids: &mut Vec<u32>, buf: &mut [u8], out: &mut Vec<NaiveSample>) {
    pids.clear();
    out.clear();
    for entry in std::fs::read_dir(format!("/proc/{me}/task")).unwrap() {
        // Read to the end: a long children list takes more than one read.
        let path = entry.unwrap().path().join("children");
        let list = std::fs::read_to_string(&path).unwrap_or_default();
        pids.extend(
            list.split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok()),
        );
    }
    for &pid in pids.iter() {
        let dir = format!("/proc/{pid}");
        let mut s = NaiveSample::default();
        let stat = read_once(Path::new(&format!("{dir}/stat")), buf);
        let Some((_, after_comm)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = after_comm.split_whitespace().collect();
        // proc(5) field n is fields[n - 3].
        s.utime_ticks = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0);
        s.stime_ticks = fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
        let statm = read_once(Path::new(&format!("{dir}/statm")), buf);
        s.rss_pages = statm
            .split_whitespace()
            .nth(1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        for line in read_once(Path::new(&format!("{dir}/io")), buf).lines() {
            if let Some(v) = line.strip_prefix("read_bytes: ") {
                s.read_bytes = v.parse().unwrap_or(0);
            } else if let Some(v) = line.strip_prefix("write_bytes: ") {
                s.write_bytes = v.parse().unwrap_or(0);
            }
        }
        out.push(s);
    }
}

/// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`, ns), user + system: what a
/// sample costs the wrapper, unaffected by other jobs competing for the cores.
struct ThreadCpuTime;

fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into a local timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, started: u64) -> u64 {
        thread_cpu_ns() - started
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &NsFormatter
    }
}

/// Formats nanoseconds as µs, and throughputs as elements per CPU-second.
struct NsFormatter;

impl ValueFormatter for NsFormatter {
    fn scale_values(&self, _typical_ns: f64, values: &mut [f64]) -> &'static str {
        values.iter_mut().for_each(|v| *v /= 1e3);
        "µs"
    }
    fn scale_throughputs(&self, _typical: f64, t: &Throughput, values: &mut [f64]) -> &'static str {
        let n = match *t {
            Throughput::Elements(n) => n as f64,
            _ => 1.0,
        };
        values.iter_mut().for_each(|v| *v = n * 1e9 / *v);
        "elem/cpu-s"
    }
    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

/// Sampler cost as the sampling thread's CPU time (the figure BENCHMARKS.md reports).
fn sampler_cpu(c: &mut Criterion<ThreadCpuTime>) {
    sampler(c, "sampler_cpu");
}

/// Sampler cost as wall time (sensitive to other load on the machine).
fn sampler_wall(c: &mut Criterion<WallTime>) {
    sampler(c, "sampler_wall");
}

fn sampler<M: Measurement>(c: &mut Criterion<M>, name: &str) {
    raise_nofile();
    let me = std::process::id();
    let proc_root = Path::new("/proc");
    let interval = Duration::from_secs(1);
    let mut group = c.benchmark_group(name);
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for n in SIZES {
        let _tree = SleepingTree::spawn(n);
        group.throughput(Throughput::Elements(n as u64));
        let mut out = Sample::default();
        let mut new = Vec::new();

        let mut linux = LinuxSampler::new(proc_root, me, None).with_interval(interval);
        linux.sample(0.0, &mut out, &mut new).unwrap();
        assert_eq!(out.processes.len(), n, "linux sampler sees the whole tree");
        group.bench_function(BenchmarkId::new("linux_kept", n), |b| {
            b.iter(|| {
                new.clear();
                linux.sample(1.0, &mut out, &mut new).unwrap();
                black_box(&out);
            })
        });
        drop(linux);

        group.bench_function(BenchmarkId::new("linux_first", n), |b| {
            b.iter_batched(
                || LinuxSampler::new(proc_root, me, None).with_interval(interval),
                |mut s| {
                    new.clear();
                    s.sample(0.0, &mut out, &mut new).unwrap();
                    black_box(&out);
                    s
                },
                BatchSize::PerIteration,
            )
        });

        let (mut pids, mut buf, mut naive) = (Vec::new(), vec![0u8; 4096], Vec::new());
        naive_sample(me, &mut pids, &mut buf, &mut naive);
        assert_eq!(naive.len(), n, "naive sampler sees the whole tree");
        group.bench_function(BenchmarkId::new("naive_open_read", n), |b| {
            b.iter(|| {
                naive_sample(me, &mut pids, &mut buf, &mut naive);
                black_box(&naive);
            })
        });

        let mut portable = PortableSampler::new(me).unwrap();
        portable.sample(0.0, &mut out, &mut new).unwrap();
        assert_eq!(
            out.processes.len(),
            n,
            "portable sampler sees the whole tree"
        );
        group.bench_function(BenchmarkId::new("portable_sysinfo", n), |b| {
            b.iter(|| {
                new.clear();
                portable.sample(1.0, &mut out, &mut new).unwrap();
                black_box(&out);
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = sampler_cpu
}
criterion_group!(wall, sampler_wall);
criterion_main!(cpu, wall);

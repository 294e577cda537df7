//! The Linux sampler on fixture trees of real kernel text (`fixtures/procfs/<case>/`, captured by
//! `fixtures/procfs/capture.sh`; see the README there), and every parser of this folder, plus the
//! profile and record readers, under a deterministic byte mutator seeded from real texts, so the
//! stable-only CI exercises them on each run (the coverage-guided fuzzers in `fuzz/` need
//! nightly).
//!
//! Expected values come from two places: a table per case, written from the fixture text by hand
//! (pids, parents, states, names, which files were readable, a few counters), and [`oracle`], a
//! deliberately naive reading of the same files (`split_whitespace`, `lines`) that shares no
//! code with `parse.rs`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::parse;
use super::{KernelUnits, LinuxSampler, PSS_THRESHOLD_BYTES};
use crate::sample::Sampler;
use crate::sample::record::{
    HostCounters, ProcSample, ProcessInfo, PsiCounters, PsiSource, Record, Sample,
};

/// The units of the machine the fixtures were captured on (x86-64: 100 Hz ticks, 4 KiB pages),
/// so the expected bytes do not depend on the machine running the tests.
const CAPTURE_UNITS: KernelUnits = KernelUnits {
    ticks_per_second: 100,
    page_size: 4096,
};

fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/procfs")
        .join(case)
}

fn read(path: &Path) -> Option<String> {
    fs::read_to_string(path).ok()
}

/// The value of `key` in a `Key: value [kB]` file, read naively.
fn keyed(path: &Path, key: &str) -> Option<u64> {
    read(path)?.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k == key).then(|| v.split_whitespace().next()?.parse().ok())?
    })
}

/// What the fixture files of `pid` say, read without `parse.rs`.
fn oracle(dir: &Path, pid: u32) -> ProcSample {
    let pdir = dir.join(pid.to_string());
    let stat = read(&pdir.join("stat")).expect("every process has a stat file");
    // Fields from 3 on follow the last ')'; `field(n)` is field n of proc(5).
    let after_comm: Vec<&str> = stat[stat.rfind(')').unwrap() + 1..]
        .split_whitespace()
        .collect();
    let field = |n: usize| -> u64 { after_comm[n - 3].parse().unwrap() };
    let rss_bytes = field(24) * CAPTURE_UNITS.page_size;
    let io = |key| keyed(&pdir.join("io"), key);
    ProcSample {
        pid,
        ppid: field(4) as u32,
        state: after_comm[0].chars().next().unwrap(),
        utime_ticks: field(14),
        stime_ticks: field(15),
        cutime_ticks: field(16),
        cstime_ticks: field(17),
        threads: field(20) as u32,
        rss_bytes,
        hwm_bytes: keyed(&pdir.join("status"), "VmHWM").map(|kb| kb * 1024),
        pss_bytes: (rss_bytes >= PSS_THRESHOLD_BYTES)
            .then(|| keyed(&pdir.join("smaps_rollup"), "Pss").map(|kb| kb * 1024))
            .flatten(),
        read_bytes: io("read_bytes"),
        write_bytes: io("write_bytes"),
        rchar: io("rchar"),
        wchar: io("wchar"),
    }
}

/// Host counters the fixture's host files say, read without `parse.rs`.
fn host_oracle(dir: &Path) -> HostCounters {
    let stat = read(&dir.join("stat")).unwrap();
    let cpu: Vec<u64> = stat.lines().next().unwrap()["cpu".len()..]
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    let total = |file: &str, kind: &str| -> Option<u64> {
        read(&dir.join("pressure").join(file))?
            .lines()
            .find(|l| l.starts_with(kind))?
            .rsplit_once("total=")?
            .1
            .trim()
            .parse()
            .ok()
    };
    HostCounters {
        cpu_user_ticks: Some(cpu[0] + cpu[1]),
        cpu_system_ticks: Some(cpu[2] + cpu[5] + cpu[6]),
        cpu_idle_ticks: Some(cpu[3]),
        cpu_iowait_ticks: Some(cpu[4]),
        cpu_steal_ticks: Some(cpu[7]),
        load1: read(&dir.join("loadavg"))
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .ok(),
        memory_available_bytes: keyed(&dir.join("meminfo"), "MemAvailable").map(|kb| kb * 1024),
        psi: PsiCounters {
            source: Some(PsiSource::Host),
            cpu_some_usec: total("cpu", "some"),
            memory_some_usec: total("memory", "some"),
            memory_full_usec: total("memory", "full"),
            io_some_usec: total("io", "some"),
            io_full_usec: total("io", "full"),
        },
    }
}

/// One process of a case, as the fixture text shows it.
struct Expected {
    pid: u32,
    ppid: u32,
    state: char,
    /// The recorded name: comm, or argv[0]'s base name when comm was cut to 15 bytes.
    name: &'static str,
    argv: &'static [&'static str],
    /// `io` was readable when captured.
    io: bool,
    /// RSS ≥ 32 MiB, so `smaps_rollup` was captured and PSS is read.
    pss: bool,
}

/// Samples `case` twice from a fresh sampler, checks everything that holds for every case, and
/// returns the first sample and its new-process records.
fn sample_case(case: &str, root: u32, expected: &[Expected]) -> (Sample, Vec<ProcessInfo>) {
    let dir = fixture(case);
    let mut sampler = LinuxSampler::new(&dir, root, None);
    sampler.units = CAPTURE_UNITS;
    let mut first = Sample::default();
    let mut new = Vec::new();
    sampler.sample(0.0, &mut first, &mut new).unwrap();
    assert_eq!(sampler.unopened, 0, "{case}: every process could be opened");

    // Every descendant, once, with its counters as the fixture text says.
    let by_pid: BTreeMap<u32, &ProcSample> = first.processes.iter().map(|p| (p.pid, p)).collect();
    assert_eq!(
        by_pid.len(),
        first.processes.len(),
        "{case}: a pid sampled twice"
    );
    assert_eq!(
        by_pid.keys().copied().collect::<Vec<_>>(),
        expected.iter().map(|e| e.pid).collect::<Vec<_>>(),
        "{case}: the tree's members"
    );
    for e in expected {
        let got = by_pid[&e.pid];
        assert_eq!(*got, oracle(&dir, e.pid), "{case}: counters of {}", e.pid);
        assert_eq!(
            (got.ppid, got.state),
            (e.ppid, e.state),
            "{case}: {}",
            e.pid
        );
        assert_eq!(got.read_bytes.is_some(), e.io, "{case}: io of {}", e.pid);
        assert_eq!(got.wchar.is_some(), e.io, "{case}: io of {}", e.pid);
        assert_eq!(got.pss_bytes.is_some(), e.pss, "{case}: pss of {}", e.pid);
    }

    // One identity record per process, with the name and argv the fixture shows.
    let infos: BTreeMap<u32, &ProcessInfo> = new.iter().map(|p| (p.pid, p)).collect();
    assert_eq!(infos.len(), new.len(), "{case}: one process record per pid");
    assert_eq!(infos.len(), expected.len(), "{case}: a process record each");
    for e in expected {
        let info = infos[&e.pid];
        let start: u64 = read(&dir.join(format!("{}/stat", e.pid)))
            .unwrap()
            .rsplit(')')
            .next()
            .unwrap()
            .split_whitespace()
            .nth(22 - 3)
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            *info,
            ProcessInfo {
                t: 0.0,
                pid: e.pid,
                ppid: e.ppid,
                start_ticks: start,
                name: e.name.to_owned(),
                argv: e.argv.iter().map(|a| (*a).to_owned()).collect(),
                exec: false,
            },
            "{case}: identity of {}",
            e.pid
        );
    }

    assert_eq!(first.host, host_oracle(&dir), "{case}: host counters");
    assert_eq!(first.cgroup, None);

    // smaps_rollup costs ~50 µs: it is not even opened for the small processes.
    for e in expected {
        assert_eq!(
            sampler.procs[&e.pid].smaps_rollup.is_some(),
            e.pss,
            "{case}: smaps_rollup of {}",
            e.pid
        );
    }

    // A second sample re-reads the kept handles: the same counters, nothing new.
    assert_eq!(
        sampler.procs.len(),
        expected.len(),
        "{case}: a kept handle each"
    );
    let mut second = Sample::default();
    let mut new_again = Vec::new();
    sampler.sample(1.0, &mut second, &mut new_again).unwrap();
    assert!(
        new_again.is_empty(),
        "{case}: known processes reported as new: {new_again:?}"
    );
    assert_eq!(second.t, 1.0);
    second.t = first.t;
    // `status` (VmHWM) is not re-read while RSS stays below the last peak read...
    assert!(
        second.processes.iter().all(|p| p.hwm_bytes.is_none()),
        "{case}"
    );
    let mut without_hwm = first.clone();
    without_hwm
        .processes
        .iter_mut()
        .for_each(|p| p.hwm_bytes = None);
    assert_eq!(second, without_hwm, "{case}: the second sample differs");
    assert_eq!(sampler.procs.len(), expected.len(), "{case}: handles kept");
    // ...but at least every STATUS_EVERY samples.
    let mut later = Sample::default();
    for i in 2..=super::STATUS_EVERY {
        sampler
            .sample(f64::from(i), &mut later, &mut new_again)
            .unwrap();
    }
    later.t = first.t;
    assert_eq!(
        later, first,
        "{case}: VmHWM read again after STATUS_EVERY samples"
    );
    (first, new)
}

fn sample_of(s: &Sample, pid: u32) -> &ProcSample {
    s.processes.iter().find(|p| p.pid == pid).unwrap()
}

const CC1_ARGV_1: &[&str] = &[
    "/usr/lib/gcc/x86_64-linux-gnu/12/cc1",
    "-quiet",
    "-imultiarch",
    "x86_64-linux-gnu",
    "unit01.c",
    "-quiet",
    "-dumpbase",
    "unit01.c",
    "-dumpbase-ext",
    ".c",
    "-mtune=generic",
    "-march=x86-64",
    "-O2",
    "-fasynchronous-unwind-tables",
    "-o",
    "/tmp/ccCrE68X.s",
];

const CC1_ARGV_2: &[&str] = &[
    "/usr/lib/gcc/x86_64-linux-gnu/12/cc1",
    "-quiet",
    "-imultiarch",
    "x86_64-linux-gnu",
    "unit02.c",
    "-quiet",
    "-dumpbase",
    "unit02.c",
    "-dumpbase-ext",
    ".c",
    "-mtune=generic",
    "-march=x86-64",
    "-O2",
    "-fasynchronous-unwind-tables",
    "-o",
    "/tmp/ccOYggDx.s",
];

#[test]
fn make_gcc_build_in_progress() {
    let (s, _) = sample_case(
        "make-gcc",
        29914,
        &[
            Expected {
                pid: 29918,
                ppid: 29914,
                state: 'S',
                name: "make",
                argv: &[
                    "make",
                    "-j2",
                    "-C",
                    "/tmp/cicd-monitor-fixture-make",
                    "CC=x86_64-linux-gnu-gcc-12",
                ],
                io: true,
                pss: false,
            },
            // comm `x86_64-linux-gn` is the driver's name cut to 15 bytes.
            Expected {
                pid: 29920,
                ppid: 29918,
                state: 'S',
                name: "x86_64-linux-gnu-gcc-12",
                argv: &[
                    "x86_64-linux-gnu-gcc-12",
                    "-O2",
                    "-c",
                    "unit01.c",
                    "-o",
                    "unit01.o",
                ],
                io: true,
                pss: false,
            },
            Expected {
                pid: 29921,
                ppid: 29920,
                state: 'R',
                name: "cc1",
                argv: CC1_ARGV_1,
                io: true,
                pss: true,
            },
            Expected {
                pid: 29922,
                ppid: 29918,
                state: 'S',
                name: "x86_64-linux-gnu-gcc-12",
                argv: &[
                    "x86_64-linux-gnu-gcc-12",
                    "-O2",
                    "-c",
                    "unit02.c",
                    "-o",
                    "unit02.o",
                ],
                io: true,
                pss: false,
            },
            Expected {
                pid: 29923,
                ppid: 29922,
                state: 'R',
                name: "cc1",
                argv: CC1_ARGV_2,
                io: true,
                pss: true,
            },
        ],
    );
    // Spot checks against the text itself, in case the oracle shares a mistake.
    let cc1 = sample_of(&s, 29921);
    assert_eq!((cc1.utime_ticks, cc1.stime_ticks), (60, 2));
    assert_eq!(cc1.rss_bytes, 13886 * 4096);
    assert_eq!(cc1.hwm_bytes, Some(55724 * 1024));
    assert_eq!(cc1.pss_bytes, Some(42569 * 1024));
    assert_eq!(sample_of(&s, 29923).utime_ticks, 71);
    let make = sample_of(&s, 29918);
    assert_eq!(make.rss_bytes, 574 * 4096);
    assert_eq!(make.pss_bytes, None);
    // cpu  71375 12265 17378 266850 1129 0 121 112 0 0
    assert_eq!(s.host.cpu_user_ticks, Some(71375 + 12265));
    assert_eq!(s.host.cpu_system_ticks, Some(17378 + 121));
    assert_eq!(s.host.cpu_steal_ticks, Some(112));
    assert_eq!(s.host.load1, Some(2.60));
    assert_eq!(s.host.memory_available_bytes, Some(23810452 * 1024));
    assert_eq!(s.host.psi.source, Some(PsiSource::Host));
}

#[test]
fn java_child_of_a_non_main_thread() {
    let dir = fixture("java-threads");
    // What makes the case: the JVM's main thread has no children; the thread running Java's
    // `main` started `sleep`.
    assert_eq!(read(&dir.join("30338/task/30338/children")).unwrap(), "");
    assert_eq!(
        read(&dir.join("30338/task/30340/children")).unwrap(),
        "30353 "
    );
    let (s, _) = sample_case(
        "java-threads",
        30334,
        &[
            Expected {
                pid: 30338,
                ppid: 30334,
                state: 'S',
                name: "java",
                argv: &[
                    "java",
                    "-Xmx32m",
                    "-XX:+UseSerialGC",
                    "-cp",
                    "/tmp/cicd-monitor-fixture-java",
                    "Spawn",
                ],
                io: true,
                pss: true,
            },
            Expected {
                pid: 30353,
                ppid: 30338,
                state: 'S',
                name: "sleep",
                argv: &["sleep", "600"],
                io: true,
                pss: false,
            },
        ],
    );
    let java = sample_of(&s, 30338);
    assert_eq!(java.threads, 15);
    assert_eq!(java.write_bytes, Some(32768));
    assert_eq!(java.rchar, Some(280837));
    assert_eq!(java.pss_bytes, Some(35085 * 1024));
}

#[test]
fn big_process_gets_pss() {
    let (s, _) = sample_case(
        "big-rss",
        30736,
        &[Expected {
            pid: 30738,
            ppid: 30736,
            state: 'S',
            name: "python3",
            argv: &[
                "/usr/bin/python3",
                "-c",
                "import time; b = bytes(range(256)) * (1 << 18); time.sleep(600)",
            ],
            io: true,
            pss: true,
        }],
    );
    let p = sample_of(&s, 30738);
    assert_eq!(p.rss_bytes, 18426 * 4096);
    assert_eq!(p.hwm_bytes, Some(73872 * 1024));
    assert_eq!(p.pss_bytes, Some(71860 * 1024));
}

#[test]
fn zombie_and_unreadable_io() {
    let dir = fixture("zombie-and-setuid-like");
    // Captured as `nobody`: chfn (setuid root) and the zombie (its mm is gone, so its 0400 files
    // belong to root) had no readable io file.
    assert!(!dir.join("30799/io").exists() && !dir.join("30801/io").exists());
    let (s, new) = sample_case(
        "zombie-and-setuid-like",
        30795,
        &[
            Expected {
                pid: 30797,
                ppid: 30795,
                state: 'S',
                name: "python3",
                argv: &[
                    "/usr/bin/python3",
                    "-c",
                    "import os, time; os.fork() or os._exit(0); time.sleep(600)",
                ],
                io: true,
                pss: false,
            },
            Expected {
                pid: 30798,
                ppid: 30795,
                state: 'S',
                name: "sleep",
                argv: &["sleep", "600"],
                io: true,
                pss: false,
            },
            Expected {
                pid: 30799,
                ppid: 30795,
                state: 'S',
                name: "chfn",
                argv: &["chfn"],
                io: false,
                pss: false,
            },
            // A zombie: empty cmdline, no Vm* lines, RSS 0.
            Expected {
                pid: 30801,
                ppid: 30797,
                state: 'Z',
                name: "python3",
                argv: &[],
                io: false,
                pss: false,
            },
        ],
    );
    let chfn = sample_of(&s, 30799);
    assert_eq!(chfn.hwm_bytes, Some(3396 * 1024));
    assert_eq!(
        (chfn.read_bytes, chfn.write_bytes, chfn.rchar, chfn.wchar),
        (None, None, None, None)
    );
    let zombie = sample_of(&s, 30801);
    assert_eq!((zombie.rss_bytes, zombie.hwm_bytes), (0, None));
    assert!(new.iter().any(|p| p.pid == 30801 && p.argv.is_empty()));
}

// ---------------------------------------------------------------------------------------------
// Every parser under a deterministic mutator.

/// xorshift64*: deterministic, no dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform enough in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Bytes the kernel texts are made of, and a few that they never contain.
const INTERESTING: &[u8] = b"0123456789 \n\t:()-=+.kBZ\0\xff\x80";

/// Applies 1–8 random edits to `seed` (some taken from `other`), writing the result to `out`.
fn mutate(rng: &mut XorShift, seed: &[u8], other: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(seed);
    for _ in 0..1 + rng.below(8) {
        let len = out.len();
        let at = if len == 0 { 0 } else { rng.below(len + 1) };
        match rng.below(9) {
            // Flip a bit.
            0 if at < len => out[at] ^= 1 << rng.below(8),
            // Overwrite with a byte the grammar cares about.
            1 if at < len => out[at] = INTERESTING[rng.below(INTERESTING.len())],
            // Insert one.
            2 => out.insert(at, INTERESTING[rng.below(INTERESTING.len())]),
            // Delete a range.
            3 if at < len => {
                let end = (at + 1 + rng.below(16)).min(len);
                out.drain(at..end);
            }
            // Insert a long run of digits (overflow) or of 9s.
            4 => {
                let n = 1 + rng.below(30);
                let digit = if rng.below(2) == 0 {
                    b'9'
                } else {
                    b'0' + rng.below(10) as u8
                };
                out.splice(at..at, std::iter::repeat_n(digit, n));
            }
            // Duplicate a chunk of itself somewhere else.
            5 if len > 0 => {
                let from = rng.below(len);
                let end = (from + 1 + rng.below(64)).min(len);
                let chunk = out[from..end].to_vec();
                out.splice(at..at, chunk);
            }
            // Splice in a chunk of another text.
            6 if !other.is_empty() => {
                let from = rng.below(other.len());
                let end = (from + 1 + rng.below(64)).min(other.len());
                out.splice(at..at, other[from..end].iter().copied());
            }
            // Truncate.
            7 => out.truncate(at),
            // Replace a number with one near a limit.
            _ => {
                let n: &[u8] = match rng.below(4) {
                    0 => b"18446744073709551615",
                    1 => b"18446744073709551616",
                    2 => b"9223372036854775807",
                    _ => b"-9223372036854775808",
                };
                out.splice(at..at, n.iter().copied());
            }
        }
    }
}

const ITERATIONS: usize = 10_000;

/// Runs `parse` on `ITERATIONS` mutations of `seeds`; on a panic, fails naming the input.
fn no_panic(name: &str, seeds: &[Vec<u8>], mut parse: impl FnMut(&[u8])) {
    assert!(!seeds.is_empty(), "{name}: no seeds");
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15 ^ name.len() as u64);
    let mut input = Vec::new();
    for i in 0..ITERATIONS {
        let seed = &seeds[i % seeds.len()];
        let other = &seeds[rng.below(seeds.len())];
        // The seeds themselves first, then mutations.
        if i < seeds.len() {
            input.clear();
            input.extend_from_slice(seed);
        } else {
            mutate(&mut rng, seed, other, &mut input);
        }
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parse(&input)));
        if result.is_err() {
            panic!(
                "{name} panicked on iteration {i}, input {:?}",
                String::from_utf8_lossy(&input)
            );
        }
    }
}

/// The texts of the fixture files whose path below a case directory is `rel`: `"stat"`, `"loadavg"`
/// and `"pressure/io"` are host files; `"PID/stat"` stands for the file of every process,
/// `"PID/task/TID/children"` for every thread's.
fn fixture_files(rel: &str) -> Vec<Vec<u8>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let numeric = |c: &str| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit());
    let pattern: Vec<&str> = rel.split('/').collect();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/procfs");
    let mut paths = Vec::new();
    walk(&base, &mut paths);
    paths.sort();
    let texts: Vec<Vec<u8>> = paths
        .into_iter()
        .filter(|path| {
            // Below the case directory.
            let parts: Vec<String> = path
                .strip_prefix(&base)
                .unwrap()
                .iter()
                .skip(1)
                .map(|c| c.to_string_lossy().into_owned())
                .collect();
            parts.len() == pattern.len()
                && parts.iter().zip(&pattern).all(|(part, want)| match *want {
                    "PID" | "TID" => numeric(part),
                    want => part == want,
                })
        })
        .map(|p| fs::read(p).unwrap())
        .collect();
    assert!(!texts.is_empty(), "no fixture file {rel}");
    texts
}

// Cgroup counter files as this machine's kernel (6.18) prints them; the flat-keyed readers have
// no fixture tree of their own.
const CPU_STAT_V2: &[u8] =
    b"usage_usec 1138149817\nuser_usec 941937218\nsystem_usec 196212598\nnice_usec 122652677\n";
const CPUACCT_STAT_V1: &[u8] = b"user 95080\nsystem 19805\n";
const OOM_CONTROL_V1: &[u8] = b"oom_kill_disable 0\nunder_oom 0\noom_kill 0\n";

#[test]
fn proc_pid_parsers_survive_mutation() {
    no_panic("parse_stat", &fixture_files("PID/stat"), |b| {
        let _ = parse::parse_stat(b);
    });
    no_panic("parse_io", &fixture_files("PID/io"), |b| {
        let _ = parse::parse_io(b);
    });
    no_panic("parse_status", &fixture_files("PID/status"), |b| {
        let _ = parse::parse_status(b);
    });
    no_panic(
        "parse_smaps_rollup_pss",
        &fixture_files("PID/smaps_rollup"),
        |b| {
            let _ = parse::parse_smaps_rollup_pss(b);
        },
    );
    let mut pids = Vec::new();
    no_panic(
        "parse_pid_list",
        &fixture_files("PID/task/TID/children"),
        |b| {
            pids.clear();
            parse::parse_pid_list(b, &mut pids);
        },
    );
}

#[test]
fn host_and_cgroup_parsers_survive_mutation() {
    no_panic("parse_proc_stat_cpu", &fixture_files("stat"), |b| {
        let _ = parse::parse_proc_stat_cpu(b);
    });
    no_panic("parse_loadavg1", &fixture_files("loadavg"), |b| {
        let _ = parse::parse_loadavg1(b);
    });
    no_panic("parse_meminfo_available", &fixture_files("meminfo"), |b| {
        let _ = parse::parse_meminfo_available(b);
    });
    let mut psi = fixture_files("pressure/cpu");
    psi.extend(fixture_files("pressure/memory"));
    psi.extend(fixture_files("pressure/io"));
    no_panic("parse_pressure", &psi, |b| {
        let _ = parse::parse_pressure(b);
    });
    let flat = [
        CPU_STAT_V2.to_vec(),
        CPUACCT_STAT_V1.to_vec(),
        OOM_CONTROL_V1.to_vec(),
        b"4406267904\n".to_vec(),
        b"max\n".to_vec(),
    ];
    no_panic("flat_keyed/single_u64", &flat, |b| {
        for key in [&b"usage_usec"[..], b"user", b"oom_kill", b""] {
            let _ = parse::flat_keyed(b, key);
        }
        let _ = parse::single_u64(b);
    });
}

#[test]
fn cgroup_layout_survives_mutation() {
    let host = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut seeds = Vec::new();
    for case in [
        "host/debian12-kvm-hybrid",
        "host/docker-v1-limits",
        "cgroup/v1-comounted-systemd",
        "cgroup/v2-container-cgroupns",
    ] {
        let proc_self = host.join(case).join("proc/self");
        let mountinfo = fs::read(proc_self.join("mountinfo")).unwrap();
        let cgroup = fs::read(proc_self.join("cgroup")).unwrap();
        // Both texts in one input, split at the first NUL (as the fuzz target does).
        seeds.push([mountinfo, b"\0".to_vec(), cgroup].concat());
    }
    let root = Path::new("/fixture-root");
    no_panic("CgroupLayout::parse", &seeds, |b| {
        let (mountinfo, cgroup) = split_at_nul(b);
        let _ = super::cgroupfs::CgroupLayout::parse(
            root,
            &String::from_utf8_lossy(mountinfo),
            &String::from_utf8_lossy(cgroup),
        );
    });
}

/// Splits `b` at its first NUL (all of `b` and nothing when there is none).
fn split_at_nul(b: &[u8]) -> (&[u8], &[u8]) {
    match b.iter().position(|&c| c == 0) {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &[]),
    }
}

/// A record stream and profile built from the fixtures: one record of each kind, and the
/// profile the model builds from them.
fn wire_seeds() -> (Vec<Vec<u8>>, Vec<u8>) {
    let dir = fixture("make-gcc");
    let mut sampler = LinuxSampler::new(&dir, 29914, None);
    sampler.units = CAPTURE_UNITS;
    let mut sample = Sample::default();
    let mut new = Vec::new();
    sampler.sample(0.5, &mut sample, &mut new).unwrap();
    let header = crate::sample::record::Header {
        schema_version: crate::profile::SCHEMA_VERSION,
        stage: "build".to_owned(),
        job: Some("fixtures".to_owned()),
        argv: vec!["make".to_owned(), "-j2".to_owned()],
        cwd: Some("/tmp/cicd-monitor-fixture-make".to_owned()),
        started_at: "2025-12-04T17:05:00Z".to_owned(),
        started_unix_seconds: 1_764_867_900.0,
        boot_clock_seconds: 1851.0,
        ticks_per_second: 100,
        mode: "sample".to_owned(),
        sampler: "linux".to_owned(),
        discovery: "children".to_owned(),
        interval_seconds: 1.0,
        cgroup: None,
        monitor_pid: 29914,
        ci: Default::default(),
        host: Default::default(),
    };
    let mut records = vec![Record::Header(header)];
    records.extend(new.into_iter().map(Record::Process));
    records.push(Record::Sample(sample.clone()));
    sample.t = 1.5;
    records.push(Record::Sample(sample));
    records.push(Record::Exit(crate::sample::record::ProcessExit {
        t: 1.7,
        pid: 29921,
        source: "reaped".to_owned(),
        exit_code: Some(0),
        utime_usec: Some(2_400_000),
        ..Default::default()
    }));
    records.push(Record::End(crate::sample::record::End {
        t: 2.0,
        ended_at: "2025-12-04T17:05:02Z".to_owned(),
        ..Default::default()
    }));
    let mut builder =
        crate::model::builder::ProfileBuilder::new(crate::model::roles::RoleRules::builtin());
    for r in &records {
        builder.feed(r);
    }
    let profile = serde_json::to_vec_pretty(&builder.finish()).unwrap();
    let lines = records
        .iter()
        .map(|r| serde_json::to_vec(r).unwrap())
        .collect();
    (lines, profile)
}

#[test]
fn wire_formats_survive_mutation() {
    let (records, profile) = wire_seeds();
    // The seeds parse: mutations start from valid input.
    for r in &records {
        serde_json::from_slice::<Record>(r).unwrap();
    }
    serde_json::from_slice::<crate::profile::StageProfile>(&profile).unwrap();
    no_panic("Record", &records, |b| {
        if let Ok(text) = std::str::from_utf8(b) {
            let _ = serde_json::from_str::<Record>(text);
        }
    });
    no_panic("StageProfile", &[profile], |b| {
        let _ = serde_json::from_slice::<crate::profile::StageProfile>(b);
    });
}

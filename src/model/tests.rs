//! Deterministic replay of recorded streams through the builder: no processes, no clocks.

use super::builder::ProfileBuilder;
use super::roles::RoleRules;
use crate::profile::{CiContext, Host, Role};
use crate::sample::record::{
    CgroupCounters, End, Header, ProcSample, ProcessExit, ProcessInfo, Record, Rusage, Sample,
    TreeIo,
};

const MONITOR: u32 = 100;

fn header(mode: &str) -> Record {
    Record::Header(Header {
        schema_version: 1,
        stage: "build".into(),
        job: None,
        argv: vec!["make".into(), "-j2".into()],
        cwd: None,
        started_at: "2026-01-01T00:00:00.000Z".into(),
        started_unix_seconds: 1_767_225_600.0,
        boot_clock_seconds: 1000.0,
        ticks_per_second: 100,
        mode: mode.into(),
        sampler: "linux".into(),
        discovery: "children".into(),
        interval_seconds: 1.0,
        cgroup: None,
        monitor_pid: MONITOR,
        ci: CiContext {
            provider: "local".into(),
            ..CiContext::default()
        },
        host: Host {
            cpus: 2,
            ..Host::default()
        },
    })
}

fn info(t: f64, pid: u32, ppid: u32, start_s: f64, name: &str, exec: bool) -> Record {
    Record::Process(ProcessInfo {
        t,
        pid,
        ppid,
        start_ticks: ((1000.0 + start_s) * 100.0) as u64,
        name: name.into(),
        argv: vec![name.into()],
        exec,
    })
}

fn ps(pid: u32, ppid: u32, own: (u64, u64), children: (u64, u64), rss_mib: u64) -> ProcSample {
    ProcSample {
        pid,
        ppid,
        state: 'S',
        utime_ticks: own.0,
        stime_ticks: own.1,
        cutime_ticks: children.0,
        cstime_ticks: children.1,
        threads: 1,
        rss_bytes: rss_mib << 20,
        hwm_bytes: Some(rss_mib << 20),
        read_bytes: Some(0),
        write_bytes: Some(0),
        ..ProcSample::default()
    }
}

fn sample(t: f64, reaped_cpu_usec: u64, processes: Vec<ProcSample>) -> Record {
    Record::Sample(Sample {
        t,
        reaped: Rusage {
            user_usec: reaped_cpu_usec,
            system_usec: 0,
            maxrss_bytes: 0,
        },
        reaped_io: Some(TreeIo::default()),
        processes,
        ..Sample::default()
    })
}

fn end(t: f64, user_usec: u64, system_usec: u64, maxrss_mib: u64) -> Record {
    Record::End(End {
        t,
        ended_at: "2026-01-01T00:00:10.000Z".into(),
        exit_code: 0,
        reaped: Rusage {
            user_usec,
            system_usec,
            maxrss_bytes: maxrss_mib << 20,
        },
        io: Some(TreeIo {
            read_bytes: 4096,
            write_bytes: 8192,
            rchar: 1,
            wchar: 2,
        }),
        ..End::default()
    })
}

fn build(records: &[Record]) -> crate::profile::StageProfile {
    let mut b = ProfileBuilder::new(RoleRules::builtin());
    for r in records {
        b.feed(r);
    }
    b.finish()
}

/// make (pid 1) runs cc1 (pid 2, sampled) and many compilers nobody sampled; make's cutime
/// shows them. Their CPU is attributed to make, and the total is the kernel's.
#[test]
fn unsampled_children_are_attributed_to_the_reaper() {
    let p = build(&[
        header("sample"),
        info(0.0, 1, MONITOR, 0.0, "make", false),
        sample(0.0, 0, vec![ps(1, MONITOR, (0, 0), (0, 0), 2)]),
        info(1.0, 2, 1, 0.5, "cc1", false),
        sample(
            1.0,
            0,
            vec![
                ps(1, MONITOR, (1, 0), (150, 20), 2),
                ps(2, 1, (40, 5), (0, 0), 50),
            ],
        ),
        // cc1 ended after 60+5 ticks; make's children now hold 150+20+65+5 ... plus more.
        sample(2.0, 0, vec![ps(1, MONITOR, (2, 0), (400, 40), 2)]),
        Record::Exit(ProcessExit {
            t: 2.5,
            pid: 1,
            source: "reaped".into(),
            exit_code: Some(0),
            subtree_user_usec: Some(4_000_000),
            subtree_system_usec: Some(500_000),
            hwm_bytes: Some(60 << 20),
            ..ProcessExit::default()
        }),
        end(2.5, 4_100_000, 400_000, 60),
    ]);
    let t = &p.totals;
    assert_eq!(t.cpu_source, "rusage");
    assert!((t.cpu_seconds - 4.5).abs() < 1e-9);
    assert!((t.cpu_user_seconds - 4.1).abs() < 1e-9);
    let make = &p.processes[0];
    let cc1 = &p.processes[1];
    assert_eq!(cc1.role, Role::Compiler);
    assert!(
        (cc1.cpu_seconds - 0.45).abs() < 1e-9,
        "last sampled own CPU"
    );
    assert_eq!(
        cc1.end_offset_seconds,
        Some(2.0),
        "ended by the sample that missed it"
    );
    assert!((make.cpu_seconds - 0.02).abs() < 1e-9);
    // wait4 says the subtree used 4.5 s; make itself 0.02 s, cc1's record 0.45 s.
    assert!((make.children_cpu_seconds - 4.48).abs() < 1e-6);
    assert!((make.unsampled_children_cpu_seconds - (4.48 - 0.45)).abs() < 1e-6);
    let own: f64 = p.processes.iter().map(|r| r.cpu_seconds).sum();
    assert!((own + make.unsampled_children_cpu_seconds - t.cpu_seconds).abs() < 1e-6);
    assert!((t.unattributed_cpu_seconds - (4.5 - 0.47)).abs() < 1e-6);
    assert_eq!(
        t.peak_rss_bytes,
        60 << 20,
        "ru_maxrss beats the sampled 50 MiB"
    );
    assert_eq!(
        make.peak_rss_bytes,
        2 << 20,
        "a parent is not charged its subtree's peak"
    );
    assert_eq!(p.roles[&Role::BuildTool].processes, 1);
    assert!((p.roles[&Role::BuildTool].unsampled_children_cpu_seconds - 4.03).abs() < 1e-6);
    assert_eq!((t.read_bytes, t.write_bytes), (4096, 8192));
}

#[test]
fn rates_never_go_negative_and_cgroup_wins() {
    let mut s1 = sample(1.0, 0, vec![ps(1, MONITOR, (100, 0), (0, 0), 1)]);
    let mut s2 = sample(2.0, 0, vec![ps(1, MONITOR, (50, 0), (0, 0), 1)]);
    if let (Record::Sample(a), Record::Sample(b)) = (&mut s1, &mut s2) {
        a.cgroup = Some(CgroupCounters {
            cpu_usage_usec: Some(1_000_000),
            ..CgroupCounters::default()
        });
        // A cgroup counter never goes backwards; the per-process one here does (bad read).
        b.cgroup = Some(CgroupCounters {
            cpu_usage_usec: Some(1_500_000),
            ..CgroupCounters::default()
        });
    }
    let mut e = end(2.0, 1_000_000, 0, 1);
    if let Record::End(e) = &mut e {
        e.cgroup = Some(CgroupCounters {
            cpu_usage_usec: Some(1_600_000),
            cpu_user_usec: Some(1_200_000),
            cpu_system_usec: Some(400_000),
            memory_peak_bytes: Some(300 << 20),
            oom_kills: Some(1),
            ..CgroupCounters::default()
        });
    }
    let p = build(&[
        header("sample"),
        info(0.5, 1, MONITOR, 0.5, "sh", false),
        s1,
        s2,
        e,
    ]);
    assert_eq!(p.totals.cpu_source, "cgroup");
    assert!((p.totals.cpu_seconds - 1.6).abs() < 1e-9);
    assert!((p.totals.cpu_user_seconds - 1.2).abs() < 1e-9);
    assert_eq!(p.totals.peak_memory_bytes, Some(300 << 20));
    assert_eq!(p.totals.peak_memory_source.as_deref(), Some("cgroup"));
    assert_eq!(p.totals.oom_kills, Some(1));
    assert!((p.timeline[1].cpu_cores - 0.5).abs() < 1e-9);
    assert!(p.timeline.iter().all(|pt| pt.cpu_cores >= 0.0));
    assert!(
        p.timeline
            .iter()
            .all(|pt| pt.roles.values().all(|c| *c >= 0.0))
    );
}

#[test]
fn exec_updates_identity_and_pid_reuse_starts_a_new_record() {
    let p = build(&[
        header("sample"),
        info(0.0, 5, MONITOR, 0.0, "sh", false),
        sample(0.0, 0, vec![ps(5, MONITOR, (1, 0), (0, 0), 1)]),
        info(1.0, 5, MONITOR, 0.0, "gcc", true),
        sample(1.0, 0, vec![ps(5, MONITOR, (10, 0), (0, 0), 1)]),
        // pid 5 gone, then reused by a process started later.
        sample(2.0, 0, vec![]),
        info(3.0, 5, MONITOR, 2.5, "tar", false),
        sample(3.0, 0, vec![ps(5, MONITOR, (3, 0), (0, 0), 1)]),
        end(4.0, 200_000, 0, 1),
    ]);
    assert_eq!(p.processes.len(), 2);
    assert_eq!(p.processes[0].name, "gcc");
    assert_eq!(p.processes[0].role, Role::Compiler);
    assert_eq!(p.processes[0].end_offset_seconds, Some(2.0));
    assert_eq!(p.processes[1].name, "tar");
    assert_eq!(p.processes[1].role, Role::Archiver);
    assert_eq!(p.processes[1].start_offset_seconds, 2.5);
    assert_eq!(
        p.processes[1].end_offset_seconds,
        Some(4.0),
        "bounded by the command's end"
    );
}

#[test]
fn a_stream_without_end_gives_lower_bounds_and_says_so() {
    let p = build(&[
        header("sample"),
        info(0.0, 1, MONITOR, 0.0, "make", false),
        sample(0.0, 0, vec![ps(1, MONITOR, (0, 0), (0, 0), 1)]),
        sample(1.0, 0, vec![ps(1, MONITOR, (10, 5), (80, 5), 1)]),
    ]);
    assert_eq!(p.stage.exit_code, None);
    assert_eq!(p.stage.ended_at, None);
    assert_eq!(p.totals.cpu_source, "samples");
    assert!((p.totals.cpu_seconds - 1.0).abs() < 1e-9);
    assert_eq!(p.stage.wall_seconds, 1.0);
    assert!(p.warnings.iter().any(|w| w.contains("no end record")));
    assert_eq!(p.processes[0].ended_at, None);
}

#[test]
fn trace_mode_records_hold_all_cpu() {
    let p = build(&[
        header("trace"),
        info(0.0, 1, MONITOR, 0.0, "make", false),
        info(0.1, 2, 1, 0.1, "cc1", true),
        Record::Exit(ProcessExit {
            t: 0.12,
            pid: 2,
            source: "trace".into(),
            exit_code: Some(0),
            utime_usec: Some(15_000),
            stime_usec: Some(2_000),
            hwm_bytes: Some(30 << 20),
            ..ProcessExit::default()
        }),
        // wait4 saw 1 ms more: the exit work after the exit stop.
        Record::Exit(ProcessExit {
            t: 0.12,
            pid: 2,
            source: "reaped".into(),
            exit_code: Some(0),
            subtree_user_usec: Some(15_000),
            subtree_system_usec: Some(3_000),
            ..ProcessExit::default()
        }),
        Record::Exit(ProcessExit {
            t: 0.2,
            pid: 1,
            source: "trace".into(),
            exit_code: Some(0),
            utime_usec: Some(5_000),
            stime_usec: Some(0),
            ..ProcessExit::default()
        }),
        Record::Exit(ProcessExit {
            t: 0.2,
            pid: 1,
            source: "reaped".into(),
            exit_code: Some(0),
            subtree_user_usec: Some(20_000),
            subtree_system_usec: Some(3_000),
            ..ProcessExit::default()
        }),
        end(0.2, 20_000, 3_000, 30),
    ]);
    assert!(p.totals.processes_complete);
    assert_eq!(p.processes[1].observed_by, "trace");
    assert!((p.processes[1].cpu_seconds - 0.018).abs() < 1e-9);
    assert_eq!(p.processes[1].peak_rss_bytes, 30 << 20);
    assert!((p.processes[0].cpu_seconds - 0.005).abs() < 1e-9);
    assert_eq!(p.processes[0].unsampled_children_cpu_seconds, 0.0);
    assert!(p.totals.unattributed_cpu_seconds < 1e-9);
}

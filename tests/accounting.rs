//! Exact totals on real process trees: the profile's CPU equals what the kernel accounted, and
//! CPU of processes that lived between two samples is attributed, not lost.

mod common;

use std::process::Stdio;

use common::*;
use serde_json::Value;

/// A tree of `n` processes, each a short `sh` burning a few milliseconds, run one after
/// another by a parent shell.
fn short_lived_tree(n: u32) -> String {
    format!(
        "j=0; while [ $j -lt {n} ]; do sh -c '{}'; j=$((j+1)); done",
        burn(3)
    )
}

/// Runs the wrapper and returns (profile, CPU seconds the kernel charged to the wrapper and
/// everything below it, as this test process sees it through getrusage).
fn run_measured(env: &Env, stage: &str, extra: &[&str], script: &str) -> (Value, f64) {
    // getrusage(RUSAGE_CHILDREN) is process-wide: under `cargo test` (one process, tests on
    // threads) measurements must not overlap. nextest runs each test in its own process.
    static MEASURE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = MEASURE.lock().unwrap_or_else(|e| e.into_inner());
    let before = children_cpu_seconds();
    let o = env
        .wrap_cmd(stage, extra, &["sh", "-c", script])
        .stdout(Stdio::null())
        .output()
        .unwrap();
    let after = children_cpu_seconds();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    (env.profile(stage), after - before)
}

fn assert_within(label: &str, got: f64, want: f64, rel: f64) {
    let err = (got - want).abs() / want;
    assert!(
        err <= rel,
        "{label}: got {got:.4}, want {want:.4} (off by {:.2} %, allowed {:.1} %)",
        err * 100.0,
        rel * 100.0
    );
}

#[test]
fn five_hundred_short_processes_total_cpu_is_exact() {
    let env = Env::new();
    let (p, kernel) = run_measured(&env, "short", &["--quiet"], &short_lived_tree(500));
    let totals = &p["totals"];
    let tree = f(&totals["cpu_seconds"]);
    let monitor = f(&p["monitor"]["cpu_seconds"]);
    assert!(tree > 0.5, "the tree must do measurable work: {tree}");
    // getrusage of the wrapper = the wrapper itself + its whole tree.
    assert_within("tree + monitor vs getrusage", tree + monitor, kernel, 0.02);
    // rusage and (when present) the cgroup agree with each other.
    if let Some(r) = totals["cpu_rusage_seconds"].as_f64() {
        assert_within("rusage vs total", r, tree, 0.02);
    }
    // Most processes lived < 50 ms between two 1 s samples: their CPU is attributed to the
    // shell that reaped them, so per-process records plus that attribution add up.
    let procs = p["processes"].as_array().unwrap();
    let own: f64 = procs.iter().map(|r| f(&r["cpu_seconds"])).sum();
    let unsampled: f64 = procs
        .iter()
        .map(|r| f(&r["unsampled_children_cpu_seconds"]))
        .sum();
    assert_within(
        "records + unsampled children vs total",
        own + unsampled,
        tree,
        0.02,
    );
    assert_within(
        "unattributed vs unsampled children",
        f(&totals["unattributed_cpu_seconds"]),
        unsampled,
        0.05,
    );
}

#[test]
fn trace_exec_records_every_process_with_its_own_cpu() {
    let env = Env::new();
    let n = 200;
    let (p, kernel) = run_measured(
        &env,
        "traced",
        &["--quiet", "--trace-exec"],
        &short_lived_tree(n),
    );
    assert_eq!(p["monitor"]["mode"], "trace", "{:#}", p["warnings"]);
    let totals = &p["totals"];
    assert_eq!(totals["processes_complete"], true);
    let procs = p["processes"].as_array().unwrap();
    let children: Vec<&Value> = procs
        .iter()
        .filter(|r| {
            r["argv"]
                .as_array()
                .is_some_and(|a| a.len() == 3 && a[2].as_str().unwrap_or("").starts_with("i=0"))
        })
        .collect();
    assert_eq!(
        children.len(),
        n as usize,
        "every short-lived process is recorded"
    );
    assert!(
        children
            .iter()
            .all(|r| r["exit_code"] == 0 && r["observed_by"] == "trace")
    );
    assert!(children.iter().all(|r| f(&r["cpu_seconds"]) > 0.0));
    assert!(
        children
            .iter()
            .all(|r| r["peak_rss_bytes"].as_u64().unwrap() > 0)
    );
    let tree = f(&totals["cpu_seconds"]);
    let monitor = f(&p["monitor"]["cpu_seconds"]);
    assert_within("tree + monitor vs getrusage", tree + monitor, kernel, 0.02);
    let own: f64 = procs.iter().map(|r| f(&r["cpu_seconds"])).sum();
    assert_within("Σ per-process CPU vs total", own, tree, 0.03);
}

#[test]
fn portable_sampler_runs_on_linux() {
    let env = Env::new();
    let script = format!("{}; sleep 0.5", burn(100));
    let (p, kernel) = run_measured(
        &env,
        "portable",
        &["--quiet", "--sampler", "portable", "--interval", "100ms"],
        &script,
    );
    assert_eq!(p["monitor"]["sampler"], "portable");
    assert!(p["monitor"]["samples"].as_u64().unwrap() >= 3);
    let tree = f(&p["totals"]["cpu_seconds"]);
    // The wrapper's start-up (the loader, before `main`) and exit work (building and writing
    // the profile) come after or before its own measurement: a few milliseconds, which on this
    // ~0.12 s workload alone exceed 2 %.
    let measured = tree + f(&p["monitor"]["cpu_seconds"]);
    assert!(
        (measured - kernel).abs() <= 0.01 || (measured - kernel).abs() / kernel <= 0.02,
        "tree + monitor vs getrusage: got {measured:.4}, want {kernel:.4}"
    );
    assert!(
        measured <= kernel + 0.005,
        "more CPU than the kernel charged: {measured:.4} > {kernel:.4}"
    );
    assert!(
        p["processes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "sh")
    );
}

#[test]
fn io_totals_count_the_bytes_written() {
    let env = Env::new();
    // 8 MiB written and synced to storage by a child, then removed.
    let script = "dd if=/dev/zero of=blob bs=1M count=8 conv=fsync 2>/dev/null; rm blob";
    let (p, _) = run_measured(&env, "io", &["--quiet"], script);
    let written = p["totals"]["write_bytes"].as_u64().unwrap();
    assert!(written >= 8 << 20, "write_bytes {written}");
    assert!(p["totals"]["write_chars"].as_u64().unwrap() >= 8 << 20);
}

#[test]
fn peak_rss_of_largest_process_is_measured() {
    let env = Env::new();
    // A process that touches ~64 MiB (a shell string doubled until large).
    let script = "python3 -c 'b = bytearray(64 << 20); b[::4096] = b\"x\" * len(b[::4096])' || \
                  awk 'BEGIN { s = \"x\"; while (length(s) < 67108864) s = s s }'";
    let (p, _) = run_measured(&env, "mem", &["--quiet"], script);
    let peak = p["totals"]["peak_rss_bytes"].as_u64().unwrap();
    assert!(peak >= 60 << 20, "peak_rss_bytes {peak}");
}

/// Rusage of reaped children and I/O survive `exec`: a shell that ran other work and then
/// `exec`s the wrapper (as `cargo run` does) must not have that work counted as the stage's.
#[test]
fn regression_work_reaped_before_exec_is_not_counted() {
    let env = Env::new();
    let out = env.out();
    let script = format!(
        "sh -c '{burn}'; python3 -c 'b = bytearray(96 << 20); b[::4096] = b\"x\" * len(b[::4096])' 2>/dev/null \
         || awk 'BEGIN {{ s = \"x\"; while (length(s) < 100663296) s = s s }}'; \
         exec \"$0\" wrap --quiet --stage after-exec --out \"$1\" -- true",
        burn = burn(300)
    );
    let o = std::process::Command::new("sh")
        .args(["-c", &script, bin(), out.to_str().unwrap()])
        .current_dir(env.path())
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let p = env.profile("after-exec");
    let cpu = f(&p["totals"]["cpu_seconds"]);
    assert!(cpu < 0.1, "cpu_seconds {cpu}: work before exec counted");
    let rusage = f(&p["totals"]["cpu_rusage_seconds"]);
    assert!(
        rusage < 0.1,
        "cpu_rusage_seconds {rusage}: work before exec counted"
    );
    let peak = p["totals"]["peak_rss_bytes"].as_u64().unwrap();
    assert!(
        peak < 64 << 20,
        "peak_rss_bytes {peak}: a process before exec counted"
    );
    let own = p["monitor"]["peak_rss_bytes"].as_u64().unwrap();
    assert!(own < 32 << 20, "monitor peak_rss_bytes {own}");
}

/// `children` and `cgroup.procs` of a big tree are longer than one page; a read that returns
/// one page of them is not the end of the file (it once cut discovery at ~680 processes).
#[test]
fn regression_a_tree_of_900_live_processes_is_seen_whole() {
    let env = Env::new();
    let o = env.wrap_sh(
        "wide",
        &["--quiet", "--interval", "500ms"],
        "i=0; while [ $i -lt 900 ]; do sleep 3 & i=$((i+1)); done; wait",
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let p = env.profile("wide");
    let live = p["totals"]["peak_live_processes"].as_u64().unwrap();
    assert!(live >= 901, "peak_live_processes {live}");
}

/// A vforked child can exec before the tracer handles its parent's vfork event (cc → as); its
/// pid must still get one record, named for what it ran.
#[test]
fn regression_trace_exec_records_a_vforked_child_once() {
    if std::process::Command::new("cc")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no C compiler");
        return;
    }
    let env = Env::new();
    std::fs::write(env.path().join("x.c"), "int f(int x) { return x * 3; }\n").unwrap();
    let o = env.wrap_sh(
        "cc",
        &["--quiet", "--trace-exec"],
        "i=0; while [ $i -lt 12 ]; do cc -O1 -c x.c -o x$i.o || exit 1; i=$((i+1)); done",
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let p = env.profile("cc");
    let records = p["processes"].as_array().unwrap();
    let mut pids: Vec<u64> = records.iter().map(|r| r["pid"].as_u64().unwrap()).collect();
    pids.sort_unstable();
    let before = pids.len();
    pids.dedup();
    assert_eq!(pids.len(), before, "a pid recorded twice");
    let count = |name: &str| records.iter().filter(|r| r["name"] == name).count();
    assert_eq!(count("cc1"), 12);
    assert_eq!(count("as"), 12);
}

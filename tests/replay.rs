//! Deterministic replay: recorded streams (`fixtures/samples/`, made by this project's own
//! `wrap` on `fixtures/sample-build`) rebuilt into profiles through the CLI, and a live run
//! whose replay must equal what the wrapper wrote.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn fixture(name: &str) -> String {
    format!("{}/fixtures/samples/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn replay(samples: &str, out: &Path) -> (String, serde_json::Value) {
    let o = Command::new(bin())
        .args(["profile", "--from-samples", samples, "--out"])
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let profile = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    (stdout(&o), profile)
}

#[test]
fn sampled_build_replays_to_the_same_summary() {
    let env = Env::new();
    let out = env.path().join("p.json");
    let (summary, p) = replay(&fixture("stage-make-build.samples.jsonl"), &out);
    let summary = summary.replace(out.to_str().unwrap(), "[PROFILE]");
    insta::assert_snapshot!("sampled_build_summary", summary);
    assert_eq!(p["monitor"]["mode"], "sample");
    assert_eq!(p["stage"]["exit_code"], 0);
    // The compilers the samples caught are named; the rest is attributed to make.
    let roles = &p["roles"];
    assert!(roles["compiler"]["processes"].as_u64().unwrap() >= 1);
    let make = p["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "make")
        .unwrap();
    assert!(f(&make["unsampled_children_cpu_seconds"]) > 0.0);
}

#[test]
fn traced_build_replays_every_process() {
    let env = Env::new();
    let out = env.path().join("p.json");
    let (summary, p) = replay(&fixture("stage-make-build-traced.samples.jsonl"), &out);
    let summary = summary.replace(out.to_str().unwrap(), "[PROFILE]");
    insta::assert_snapshot!("traced_build_summary", summary);
    assert_eq!(p["totals"]["processes_complete"], true);
    let procs = p["processes"].as_array().unwrap();
    let cc1 = procs.iter().filter(|r| r["name"] == "cc1").count();
    assert_eq!(cc1, 25, "one cc1 per C file (24 modules + main)");
    assert!(
        procs
            .iter()
            .filter(|r| r["name"] == "cc1")
            .all(|r| r["role"] == "compiler" && r["exit_code"] == 0)
    );
    assert!(
        procs
            .iter()
            .any(|r| r["name"] == "ld" && r["role"] == "linker")
    );
    let own: f64 = procs.iter().map(|r| f(&r["cpu_seconds"])).sum();
    assert!((own - f(&p["totals"]["cpu_seconds"])).abs() < 0.01);
}

#[test]
fn a_live_profile_equals_its_replay() {
    let env = Env::new();
    for (stage, extra) in [
        ("live", vec!["--interval", "100ms"]),
        ("live-traced", vec!["--interval", "100ms", "--trace-exec"]),
    ] {
        let mut args = vec!["--quiet"];
        args.extend(extra);
        let o = env.wrap_sh(stage, &args, &format!("{} & {}; wait", burn(40), burn(20)));
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let live = env.profile(stage);
        let samples = env.out().join(format!("stage-{stage}.samples.jsonl"));
        let (_, replayed) = replay(samples.to_str().unwrap(), &env.path().join("r.json"));
        assert_eq!(
            live, replayed,
            "{stage}: replay differs from the live profile"
        );
    }
}

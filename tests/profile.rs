//! The profile contract: the schema in the repository is current, real profiles validate
//! against it, secrets never reach any file, and `show`/`profile` read what `wrap` wrote.

mod common;

use std::process::Command;

use common::*;
use serde_json::Value;

fn schema(kind: &str) -> Value {
    let path = format!("{}/schema/{kind}.schema.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn checked_in_schemas_are_current() {
    for kind in ["profile", "samples"] {
        let o = Command::new(bin()).args(["schema", kind]).output().unwrap();
        assert!(o.status.success());
        let generated: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(
            generated == schema(kind),
            "schema/{kind}.schema.json is stale: run `cargo run -- schema {kind} > schema/{kind}.schema.json`"
        );
    }
}

#[test]
fn profile_and_samples_validate_against_the_schema() {
    let env = Env::new();
    let o = env.wrap_sh(
        "valid",
        &["--quiet", "--interval", "100ms"],
        &format!("{} & sleep 0.4; wait", burn(50)),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let profile = env.profile("valid");
    let validator = jsonschema::validator_for(&schema("profile")).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&profile)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let validator = jsonschema::validator_for(&schema("samples")).unwrap();
    for (i, line) in env.samples_text("valid").lines().enumerate() {
        let record: Value = serde_json::from_str(line).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&record)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "samples line {}: {errors:#?}", i + 1);
    }
}

#[test]
fn required_fields_are_present() {
    let env = Env::new();
    let o = env.wrap_sh("fields", &["--quiet"], "exit 0");
    assert_eq!(code(&o), 0);
    let p = env.profile("fields");
    assert_eq!(p["schema_version"], 1);
    for k in [
        "name",
        "command",
        "exit_code",
        "started_at",
        "ended_at",
        "wall_seconds",
    ] {
        assert!(p["stage"].get(k).is_some(), "stage.{k}");
    }
    for k in [
        "cpu_user_seconds",
        "cpu_system_seconds",
        "peak_rss_bytes",
        "read_bytes",
        "write_bytes",
        "processes",
    ] {
        assert!(p["totals"].get(k).is_some(), "totals.{k}");
    }
    for k in ["mode", "interval_seconds", "cpu_seconds", "peak_rss_bytes"] {
        assert!(p["monitor"].get(k).is_some(), "monitor.{k}");
    }
    assert_eq!(p["ci"]["provider"], "local");
    assert!(p["host"]["cpus"].as_u64().unwrap() >= 1);
    assert!(p["host"]["memory_bytes"].as_u64().unwrap() > 0);
    for r in p["processes"].as_array().unwrap() {
        for k in [
            "pid",
            "ppid",
            "name",
            "role",
            "cpu_seconds",
            "peak_rss_bytes",
            "read_bytes",
            "write_bytes",
            "started_at",
            "ended_at",
            "exit_code",
        ] {
            assert!(r.get(k).is_some(), "processes[].{k}");
        }
    }
}

#[test]
fn secrets_never_reach_the_files() {
    let env = Env::new();
    let secret = "s3cr3t-Value-91827";
    let o = env
        .wrap_cmd(
            "secret",
            &["--interval", "100ms"],
            &[
                "sh",
                "-c",
                &format!("sleep 0.3; echo --password={secret} >/dev/null; sleep 0.3"),
                "--password",
                secret,
            ],
        )
        .env("DEPLOY_TOKEN", secret)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let profile = std::fs::read_to_string(env.profile_path("secret")).unwrap();
    let samples = env.samples_text("secret");
    assert!(!profile.contains(secret), "profile leaks the secret");
    assert!(!samples.contains(secret), "samples leak the secret");
    assert!(!stderr(&o).contains(secret), "summary leaks the secret");
    assert!(profile.contains("***"));
    // The environment itself is never stored.
    assert!(!profile.contains("DEPLOY_TOKEN") && !samples.contains("DEPLOY_TOKEN"));
}

#[test]
fn summary_is_short_and_show_prints_the_same() {
    let env = Env::new();
    let o = env.wrap_sh("sum", &[], &burn(30));
    assert_eq!(code(&o), 0);
    let lines = own_lines(&o);
    assert!((3..=6).contains(&lines.len()), "{lines:#?}");
    assert!(
        lines[0].starts_with("cicd-monitor: stage sum: exit 0, wall "),
        "{lines:?}"
    );
    let shown = Command::new(bin())
        .args(["show", env.profile_path("sum").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(shown.status.success());
    // `show` has everything but the profile path the wrapper appends.
    let shown = stdout(&shown);
    let wrapped = stderr(&o);
    let strip = |s: &str| s.split("; profile ").next().unwrap().to_owned();
    let a: Vec<String> = shown.lines().map(strip).collect();
    let b: Vec<String> = wrapped.lines().map(strip).collect();
    assert_eq!(a, b);
}

#[test]
fn quiet_prints_nothing_of_its_own() {
    let env = Env::new();
    let o = env.wrap_sh("q", &["--quiet"], "echo out; echo err >&2");
    assert_eq!(stdout(&o), "out\n");
    assert_eq!(stderr(&o), "err\n");
}

#[test]
fn show_names_the_file_and_position_of_bad_input() {
    let env = Env::new();
    let bad = env.path().join("bad.json");
    std::fs::write(&bad, "{\"schema_version\": 1,\n \"stage\": 12}").unwrap();
    let o = Command::new(bin())
        .args(["show", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.starts_with("cicd-monitor: error: failed to parse profile "),
        "{err}"
    );
    assert!(err.contains("bad.json at line 2"), "{err}");

    std::fs::write(&bad, "{\"schema_version\": 99}").unwrap();
    let o = Command::new(bin())
        .args(["show", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        stderr(&o).contains("schema_version 99, newer than"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_killed_job_leaves_samples_that_rebuild_a_profile() {
    let env = Env::new();
    let mut child = env
        .wrap_cmd(
            "killed",
            &["--interval", "100ms"],
            &[
                "sh",
                "-c",
                &format!("echo $$ > pgid; {}; sleep 30", burn(30)),
            ],
        )
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(800));
    // SIGKILL cannot be forwarded: the wrapper dies without writing its profile.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!env.profile_path("killed").exists());
    let samples = env.out().join("stage-killed.samples.jsonl");
    let o = Command::new(bin())
        .args(["profile", "--from-samples", samples.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let p = env.profile("killed");
    assert!(p["stage"]["exit_code"].is_null());
    assert!(p["monitor"]["samples"].as_u64().unwrap() >= 3);
    assert!(f(&p["totals"]["cpu_seconds"]) > 0.0);
    assert!(p["warnings"].to_string().contains("no end record"));
    // Clean up the command the killed wrapper left behind (its own process group).
    let pgid: i32 = std::fs::read_to_string(env.path().join("pgid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SAFETY: signalling the group the test started.
    unsafe { libc::kill(-pgid, libc::SIGKILL) };
}

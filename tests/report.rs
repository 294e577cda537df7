//! Job reports on recorded profiles: every format as a golden snapshot (`tests/snapshots/`),
//! rebuilt from the sample pipeline's recorded samples (`fixtures/samples/pipeline/`, made by
//! `fixtures/sample-pipeline/run.sh` under a 1 GiB memory limit), plus checks of the findings.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn report(dir: &Path, args: &[&str]) -> String {
    let o = Command::new(bin())
        .arg("report")
        .arg("--dir")
        .arg(dir)
        .args(args)
        .env_remove("CICD_MONITOR_STORE")
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stderr(&o), "", "report wrote to stderr");
    stdout(&o)
}

struct Job {
    _env: Env,
    dir: PathBuf,
}

fn job() -> Job {
    let env = Env::new();
    let dir = env.path().join("job");
    std::fs::create_dir_all(&dir).unwrap();
    pipeline_profiles(&dir);
    Job { dir, _env: env }
}

fn snapshot(name: &str, text: &str, dir: &Path) {
    let text = text
        .replace(dir.to_str().unwrap(), "[DIR]")
        .replace(env!("CARGO_PKG_VERSION"), "[VERSION]");
    insta::assert_snapshot!(name, text);
}

#[test]
fn terminal_report() {
    let j = job();
    snapshot("terminal", &report(&j.dir, &[]), &j.dir);
}

#[test]
fn markdown_report() {
    let j = job();
    let md = report(&j.dir, &["--format", "markdown"]);
    assert!(md.len() < 1 << 20);
    assert!(md.contains("```mermaid\ngantt"));
    snapshot("markdown", &md, &j.dir);
}

#[test]
fn json_report_validates_against_its_schema() {
    let j = job();
    let json = report(&j.dir, &["--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/report.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    snapshot("json", &json, &j.dir);
}

#[test]
fn html_report_is_self_contained() {
    let j = job();
    let html = report(&j.dir, &["--format", "html"]);
    for forbidden in ["<script", "http://", "https://", "<link", "@import", "url("] {
        assert!(!html.contains(forbidden), "HTML contains {forbidden}");
    }
    for chart in ["gantt", "cpu", "memory", "io", "parallelism"] {
        assert!(
            html.contains(&format!("data-chart=\"{chart}\"")),
            "no {chart} chart"
        );
    }
    snapshot("html", &html, &j.dir);
}

#[test]
fn trace_report_is_chrome_trace_json() {
    let j = job();
    let trace = report(&j.dir, &["--format", "trace"]);
    let v: serde_json::Value = serde_json::from_str(&trace).unwrap();
    let events = v["traceEvents"].as_array().unwrap();
    let stages: Vec<&str> = events
        .iter()
        .filter(|e| e["cat"] == "stage")
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["checkout", "build", "test", "package"]);
    assert!(
        events
            .iter()
            .any(|e| e["ph"] == "C" && e["name"] == "CPU cores")
    );
    assert!(events.iter().any(|e| e["ph"] == "X" && e["name"] == "cc1"));
    for e in events {
        assert!(e["ph"].is_string() && e["pid"].is_u64(), "{e}");
    }
    snapshot("trace", &trace, &j.dir);
}

#[test]
fn openmetrics_report() {
    let j = job();
    let text = report(&j.dir, &["--format", "openmetrics"]);
    assert!(text.ends_with("# EOF\n"));
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (name, value) = line.rsplit_once(' ').unwrap();
        assert!(name.starts_with("cicd_monitor_"), "{line}");
        value.parse::<f64>().unwrap();
    }
    snapshot("openmetrics", &text, &j.dir);
}

/// The acceptance of the findings: the build's serial phase is named with the process that ran
/// it, and the memory-heavy stage is the test stage, and only it.
#[test]
fn findings_name_the_serial_phase_and_the_memory_heavy_stage() {
    let j = job();
    let json: serde_json::Value =
        serde_json::from_str(&report(&j.dir, &["--format", "json"])).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let serial = findings
        .iter()
        .find(|f| f["kind"] == "under_parallelized" && f["stage"] == "build")
        .expect("a serial phase in build");
    assert!(
        serial["process"].as_str().unwrap().starts_with("cc1 "),
        "{serial}"
    );
    assert!(serial["evidence"]["serial_seconds"].as_f64().unwrap() >= 2.0);
    let memory: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["kind"] == "memory_pressure")
        .collect();
    assert_eq!(memory.len(), 1, "{memory:#?}");
    assert_eq!(memory[0]["stage"], "test");
    assert_eq!(memory[0]["evidence"]["concurrent_workers"], 2.0);
    // Sorted by saving, unknown savings last.
    let savings: Vec<f64> = findings
        .iter()
        .map(|f| f["saving_seconds"].as_f64().unwrap_or(-1.0))
        .collect();
    assert!(savings.windows(2).all(|w| w[0] >= w[1]), "{savings:?}");
}

#[test]
fn recommend_ranks_findings_with_runner_minutes() {
    let j = job();
    let o = Command::new(bin())
        .args(["recommend", "--dir"])
        .arg(&j.dir)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    snapshot("recommend", &stdout(&o), &j.dir);
}

#[test]
fn missing_directory_is_a_clear_error() {
    let env = Env::new();
    let o = Command::new(bin())
        .args(["report", "--dir"])
        .arg(env.path().join("nope"))
        .output()
        .unwrap();
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("failed to list profile directory"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stdout(&o), "");
}

#[test]
fn a_corrupt_profile_names_the_file_and_line() {
    let env = Env::new();
    let dir = env.path().join("job");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("stage-x.json"),
        "{\"schema_version\": 1,\n \"stage\": 3}",
    )
    .unwrap();
    let o = Command::new(bin())
        .args(["report", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(code(&o), 1);
    let err = stderr(&o);
    assert!(
        err.contains("stage-x.json") && err.contains("line 2"),
        "{err}"
    );
}

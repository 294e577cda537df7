//! End to end: the sample pipeline (`fixtures/sample-pipeline/run.sh`: checkout, build, test,
//! package with real git, cc, make, python and tar) runs under `wrap` inside a memory cgroup
//! of 1 GiB, as on a container runner, and the report's findings must name the build's serial
//! phase and the memory-heavy test stage. Needs root to create the cgroup; skipped otherwise.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// A memory cgroup limited to 1 GiB, removed on drop.
struct LimitedCgroup {
    dir: PathBuf,
}

impl LimitedCgroup {
    fn create() -> Result<LimitedCgroup, String> {
        let name = format!("cicd-monitor-test-{}", std::process::id());
        let limit = (1u64 << 30).to_string();
        // cgroup v1 memory controller (hybrid hosts), else v2 with memory enabled for children.
        let candidates = [
            (Path::new("/sys/fs/cgroup/memory"), "memory.limit_in_bytes"),
            (Path::new("/sys/fs/cgroup"), "memory.max"),
        ];
        let mut why = Vec::new();
        for (root, file) in candidates {
            let dir = root.join(&name);
            match std::fs::create_dir(&dir).and_then(|()| std::fs::write(dir.join(file), &limit)) {
                Ok(()) => return Ok(LimitedCgroup { dir }),
                Err(e) => {
                    let _ = std::fs::remove_dir(&dir);
                    why.push(format!("{}: {e}", dir.display()));
                }
            }
        }
        Err(why.join("; "))
    }
}

impl Drop for LimitedCgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.dir);
    }
}

#[test]
fn sample_pipeline_findings_name_serial_phase_and_memory_heavy_stage() {
    let cgroup = match LimitedCgroup::create() {
        Ok(c) => c,
        Err(why) => {
            eprintln!("skipped: cannot create a memory-limited cgroup ({why})");
            return;
        }
    };
    if Command::new("python3").arg("-V").output().is_err() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let env = Env::new();
    let out = env.path().join("profiles");
    let work = env.path().join("work");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample-pipeline/run.sh");
    // The shell moves itself into the cgroup, then runs the pipeline there.
    let o = Command::new("sh")
        .arg("-c")
        .arg("echo $$ > \"$1/cgroup.procs\" && exec \"$2\" \"$3\" \"$4\"")
        .args(["sh", cgroup.dir.to_str().unwrap(), script.to_str().unwrap()])
        .arg(&out)
        .arg(&work)
        .env("CICD_MONITOR_BIN", bin())
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}\n{}", stdout(&o), stderr(&o));

    let o = Command::new(bin())
        .args(["report", "--format", "json", "--dir"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let stages: Vec<&str> = report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["checkout", "build", "test", "package"]);
    assert_eq!(report["jobs"][0]["name"], "sample-pipeline");
    assert_eq!(report["jobs"][0]["critical_stage"], "build");
    let findings = report["findings"].as_array().unwrap();
    let text = serde_json::to_string_pretty(findings).unwrap();
    let serial = findings
        .iter()
        .find(|f| f["kind"] == "under_parallelized" && f["stage"] == "build")
        .unwrap_or_else(|| panic!("no serial phase in build: {text}"));
    assert!(
        serial["process"].as_str().unwrap_or("").starts_with("cc1 "),
        "serial phase not named after cc1: {text}"
    );
    let memory: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["kind"] == "memory_pressure")
        .collect();
    assert_eq!(memory.len(), 1, "{text}");
    assert_eq!(memory[0]["stage"], "test", "{text}");

    // Every format renders from the live profiles.
    for format in ["terminal", "markdown", "html", "trace", "openmetrics"] {
        let o = Command::new(bin())
            .args(["report", "--format", format, "--dir"])
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(code(&o), 0, "{format}: {}", stderr(&o));
        assert!(!stdout(&o).is_empty(), "{format}");
    }
}

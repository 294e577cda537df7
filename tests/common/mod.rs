//! Runs the real `cicd-monitor` binary in a temporary directory and reads what it wrote.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_cicd-monitor")
}

/// A temporary working directory with an output directory for profiles.
pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    /// `cicd-monitor wrap --out OUT --stage STAGE [extra…] -- cmd…`, stdin null.
    pub fn wrap_cmd(&self, stage: &str, extra: &[&str], cmd: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.current_dir(self.path())
            .arg("wrap")
            .arg("--out")
            .arg(self.out())
            .arg("--stage")
            .arg(stage)
            .args(extra)
            .arg("--")
            .args(cmd)
            .env_remove("CICD_MONITOR_DISABLE")
            .stdin(Stdio::null());
        c
    }

    pub fn wrap(&self, stage: &str, extra: &[&str], cmd: &[&str]) -> Output {
        self.wrap_cmd(stage, extra, cmd).output().unwrap()
    }

    /// `sh -c SCRIPT` under the wrapper.
    pub fn wrap_sh(&self, stage: &str, extra: &[&str], script: &str) -> Output {
        self.wrap(stage, extra, &["sh", "-c", script])
    }

    pub fn profile_path(&self, stage: &str) -> PathBuf {
        self.out().join(format!("stage-{stage}.json"))
    }

    pub fn profile(&self, stage: &str) -> Value {
        let text = std::fs::read_to_string(self.profile_path(stage)).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    pub fn samples_text(&self, stage: &str) -> String {
        std::fs::read_to_string(self.out().join(format!("stage-{stage}.samples.jsonl"))).unwrap()
    }
}

pub fn code(o: &Output) -> i32 {
    o.status
        .code()
        .expect("the wrapper exits, it is not killed")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Lines of stderr that are the wrapper's own (summary, warnings), not the command's.
pub fn own_lines(o: &Output) -> Vec<String> {
    stderr(o)
        .lines()
        .filter(|l| l.starts_with("cicd-monitor:") || l.starts_with("  "))
        .map(str::to_owned)
        .collect()
}

pub fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// True when `pid` exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit(')').next().map(|r| r.trim_start().to_owned()))
        .is_some_and(|r| !r.starts_with('Z') && !r.starts_with('X'))
}

/// CPU seconds of this test process's reaped children so far.
pub fn children_cpu_seconds() -> f64 {
    // SAFETY: getrusage into a zeroed struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    let s = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    s(ru.ru_utime) + s(ru.ru_stime)
}

/// A shell loop that burns roughly `n` thousand iterations of CPU (about 3 ms per thousand
/// with dash here) in one short-lived `sh` process.
pub fn burn(n: u32) -> String {
    format!("i=0; while [ $i -lt {n}000 ]; do i=$((i+1)); done")
}

/// Rebuilds the sample pipeline's stage profiles (`fixtures/samples/pipeline/`) into `dir`
/// through `profile --from-samples`: a deterministic multi-stage job.
pub fn pipeline_profiles(dir: &Path) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/samples/pipeline");
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let Some(stem) = name.strip_suffix(".samples.jsonl") else {
            continue;
        };
        let o = std::process::Command::new(bin())
            .args(["profile", "--from-samples"])
            .arg(&path)
            .arg("--out")
            .arg(dir.join(format!("{stem}.json")))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
}

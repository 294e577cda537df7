//! Fail-open: when monitoring cannot work (no /proc, a full disk, no cgroup permission) the
//! command still runs, one warning line says why, and the exit status is the command's.
//!
//! These tests build the failing environment for real (a mount namespace without /proc, a
//! 64 KiB tmpfs, an unprivileged user), which needs root; elsewhere they say so and pass.

mod common;

use std::process::Command;

use common::*;

fn is_root() -> bool {
    // SAFETY: getuid has no preconditions.
    unsafe { libc::getuid() == 0 }
}

fn warnings(o: &std::process::Output) -> Vec<String> {
    own_lines(o)
        .into_iter()
        .filter(|l| l.starts_with("cicd-monitor: warning:"))
        .collect()
}

/// Runs `script` with `sh` in a private mount namespace.
fn in_mount_ns(script: &str) -> Option<std::process::Output> {
    let o = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", script])
        .output()
        .ok()?;
    Some(o)
}

#[test]
fn without_proc_the_command_runs_with_its_status() {
    if !is_root() {
        eprintln!("skipped: needs root for a mount namespace");
        return;
    }
    let env = Env::new();
    let script = format!(
        "umount -l /proc && {} wrap --quiet --out {} -- sh -c 'echo ran; exit 3'",
        bin(),
        env.out().display()
    );
    let Some(o) = in_mount_ns(&script) else {
        eprintln!("skipped: unshare is not available");
        return;
    };
    assert_eq!(code(&o), 3, "{}", stderr(&o));
    assert_eq!(stdout(&o), "ran\n");
    let w = warnings(&o);
    assert!(!w.is_empty(), "a warning says what failed");
    assert!(w.len() <= 2, "{w:#?}");
}

#[test]
fn a_full_disk_costs_one_warning_and_nothing_else() {
    if !is_root() {
        eprintln!("skipped: needs root to mount a tmpfs");
        return;
    }
    let env = Env::new();
    let disk = env.path().join("disk");
    std::fs::create_dir(&disk).unwrap();
    // Room for the header and a few samples, then ENOSPC while the command runs.
    let script = format!(
        "mount -t tmpfs -o size=64k tmpfs {d} && {bin} wrap --quiet --interval 100ms --out {d} -- sh -c 'head -c 60000 /dev/zero > {d}/filler; sleep 1; exit 6'",
        d = disk.display(),
        bin = bin()
    );
    let Some(o) = in_mount_ns(&script) else {
        eprintln!("skipped: unshare is not available");
        return;
    };
    assert_eq!(code(&o), 6, "{}", stderr(&o));
    let w = warnings(&o);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert!(w[0].contains("No space left on device"), "{w:#?}");
}

#[test]
fn without_cgroup_permission_totals_fall_back_to_rusage() {
    if !is_root() || Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipped: needs root and setpriv to run as an unprivileged user");
        return;
    }
    let env = Env::new();
    // The unprivileged user must be able to reach the binary and write the output.
    let mut perms = std::fs::metadata(env.path()).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o777);
    std::fs::set_permissions(env.path(), perms).unwrap();
    let o = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            bin(),
            "wrap",
            "--quiet",
            "--stage",
            "nobody",
            "--out",
        ])
        .arg(env.out())
        .args(["--", "sh", "-c", &format!("{}; exit 0", burn(30))])
        .current_dir(env.path())
        .output()
        .unwrap();
    if stderr(&o).contains("Permission denied") && !env.out().exists() {
        eprintln!("skipped: the binary is not reachable by an unprivileged user here");
        return;
    }
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let w = warnings(&o);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert!(w[0].contains("no stage cgroup"), "{w:#?}");
    let p = env.profile("nobody");
    assert_eq!(p["totals"]["cpu_source"], "rusage");
    assert!(p["monitor"]["cgroup"].is_null());
    assert!(f(&p["totals"]["cpu_seconds"]) > 0.0);
}

//! The supervisor contract, on real processes: exit status, signals, stdio, reaping,
//! lingering descendants and fail-open behaviour.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

#[test]
fn exit_codes_pass_through() {
    let env = Env::new();
    for code_in in [0, 1, 7, 255] {
        let o = env.wrap_sh("exit", &["--quiet"], &format!("exit {code_in}"));
        assert_eq!(code(&o), code_in, "{}", stderr(&o));
        let p = env.profile("exit");
        assert_eq!(p["stage"]["exit_code"], code_in);
        assert!(p["stage"]["signal"].is_null());
    }
}

#[test]
fn death_by_signal_is_128_plus_n() {
    let env = Env::new();
    for (sig, n) in [("KILL", 9), ("SEGV", 11)] {
        let o = env.wrap_sh("sig", &["--quiet"], &format!("kill -{sig} $$"));
        assert_eq!(code(&o), 128 + n, "{}", stderr(&o));
        let p = env.profile("sig");
        assert_eq!(p["stage"]["exit_code"], 128 + n);
        assert_eq!(p["stage"]["signal"], n);
    }
}

#[test]
fn command_not_found_is_127_and_not_executable_is_126() {
    let env = Env::new();
    let o = env.wrap("nf", &["--quiet"], &["no-such-command-xyz"]);
    assert_eq!(code(&o), 127);
    let lines = own_lines(&o);
    assert_eq!(
        lines,
        ["cicd-monitor: error: no-such-command-xyz: command not found"],
        "exactly one clear line"
    );

    let script = env.path().join("not-executable.sh");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    let o = env.wrap("ne", &["--quiet"], &[script.to_str().unwrap()]);
    assert_eq!(code(&o), 126);
    let lines = own_lines(&o);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("permission denied"), "{lines:?}");
    assert_eq!(env.profile("ne")["stage"]["exit_code"], 126);
}

#[test]
fn binary_stdout_and_stderr_are_byte_identical() {
    let env = Env::new();
    // Every byte value, several times over, with no newline structure.
    let data: Vec<u8> = (0..(1 << 20))
        .map(|i: u32| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let file = env.path().join("blob");
    std::fs::write(&file, &data).unwrap();
    let f = file.to_str().unwrap();
    let o = env.wrap_sh("cat", &["--quiet"], &format!("cat {f}; cat {f} >&2"));
    assert_eq!(code(&o), 0);
    assert!(o.stdout == data, "stdout differs");
    assert!(
        o.stderr == data,
        "stderr differs (and --quiet prints nothing)"
    );
}

#[test]
fn output_order_on_one_stream_is_kept_and_stdin_passes_through() {
    let env = Env::new();
    let mut c = env.wrap_cmd(
        "order",
        &["--quiet"],
        &["sh", "-c", "read x; printf \"a$x\"; printf b >&2; printf c"],
    );
    // stdout and stderr on the same pipe, as in a CI log.
    let (r, w) = std::io::pipe().unwrap();
    c.stdout(w.try_clone().unwrap())
        .stderr(w)
        .stdin(Stdio::piped());
    let mut child = c.spawn().unwrap();
    drop(c);
    child.stdin.take().unwrap().write_all(b"1\n").unwrap();
    let mut out = String::new();
    std::io::Read::read_to_string(&mut { r }, &mut out).unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(out, "a1bc");
}

#[test]
fn sigterm_reaches_the_whole_group_and_leaves_nothing_behind() {
    let env = Env::new();
    let pids = env.path().join("pids");
    // Two children in the group, one that escaped it with setsid, all recording their pids.
    let script = format!(
        "sleep 300 & echo $! >> {p}; sh -c 'echo $$ >> {p}; exec sleep 300' & setsid sh -c 'echo $$ >> {p}; exec sleep 300' & wait",
        p = pids.display()
    );
    let mut child = env
        .wrap_cmd("term", &["--quiet"], &["sh", "-c", &script])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let recorded = loop {
        let text = std::fs::read_to_string(&pids).unwrap_or_default();
        let list: Vec<u32> = text.lines().filter_map(|l| l.trim().parse().ok()).collect();
        if list.len() == 3 {
            break list;
        }
        assert!(
            Instant::now() < deadline,
            "children did not start: {text:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(recorded.iter().all(|&p| alive(p)));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    // sh dies of the forwarded SIGTERM: 128 + 15.
    assert_eq!(status.code(), Some(143));
    let deadline = Instant::now() + Duration::from_secs(5);
    while recorded.iter().any(|&p| alive(p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left: Vec<u32> = recorded.iter().copied().filter(|&p| alive(p)).collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn double_forked_daemon_is_reaped_and_counted() {
    let env = Env::new();
    // The subshell exits at once, so the daemon is reparented to the wrapper (subreaper); it
    // burns CPU and exits while the command still sleeps.
    let script = format!("(sh -c '{}; exit 3' &) ; sleep 1.5", burn(150));
    let o = env.wrap_sh("daemon", &["--quiet", "--interval", "100ms"], &script);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let p = env.profile("daemon");
    let monitor_pid: u64 = serde_json::from_str::<serde_json::Value>(
        env.samples_text("daemon").lines().next().unwrap(),
    )
    .unwrap()["monitor_pid"]
        .as_u64()
        .unwrap();
    let daemon = p["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ppid"].as_u64() == Some(monitor_pid) && r["exit_code"] == 3)
        .unwrap_or_else(|| panic!("no reaped daemon in {:#}", p["processes"]));
    assert_eq!(daemon["observed_by"], "reaped");
    assert!(f(&daemon["cpu_seconds"]) > 0.05, "{daemon:#}");
    // Its CPU is part of the exact total.
    assert!(f(&p["totals"]["cpu_seconds"]) >= f(&daemon["cpu_seconds"]));
    assert_eq!(p["totals"]["lingering_processes"], 0);
}

#[test]
fn lingering_processes_are_reported_or_killed() {
    let env = Env::new();
    let started = Instant::now();
    let o = env.wrap_sh(
        "linger",
        &[],
        "sleep 30 >/dev/null 2>&1 & echo $! > pid; sleep 0.2; exit 0",
    );
    assert_eq!(code(&o), 0);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the wrapper must not wait for it"
    );
    let pid: u32 = std::fs::read_to_string(env.path().join("pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(alive(pid), "left running without --kill-lingering");
    let p = env.profile("linger");
    assert_eq!(p["totals"]["lingering_processes"], 1);
    let rec = p["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["pid"] == pid)
        .unwrap();
    assert_eq!(rec["lingering"], true);
    assert!(stderr(&o).contains(&format!(
        "still running after the command ended: sleep (pid {pid})"
    )));
    // SAFETY: cleaning up the process the test started.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };

    let o = env.wrap_sh(
        "killed",
        &["--kill-lingering", "--quiet"],
        "sleep 30 >/dev/null 2>&1 & echo $! > pid2; exit 5",
    );
    assert_eq!(code(&o), 5);
    let pid: u32 = std::fs::read_to_string(env.path().join("pid2"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(!alive(pid), "--kill-lingering ends it");
    let p = env.profile("killed");
    assert_eq!(p["totals"]["lingering_processes"], 0);
}

#[test]
fn unwritable_out_still_runs_the_command_with_its_status() {
    let env = Env::new();
    // A path below a regular file can never be created, whoever runs the test.
    let blocker = env.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let out = blocker.join("profiles");
    let o = Command::new(bin())
        .current_dir(env.path())
        .args([
            "wrap",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
            "--",
            "sh",
            "-c",
            "echo ran; exit 42",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), 42);
    assert_eq!(stdout(&o), "ran\n");
    let lines = own_lines(&o);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("cicd-monitor: warning: failed to create output directory"),
        "{lines:?}"
    );
}

#[test]
fn disabled_monitoring_still_supervises() {
    let env = Env::new();
    let o = env
        .wrap_cmd("off", &[], &["sh", "-c", "exit 9"])
        .env("CICD_MONITOR_DISABLE", "1")
        .output()
        .unwrap();
    assert_eq!(code(&o), 9);
    assert!(own_lines(&o).is_empty());
    assert!(!env.profile_path("off").exists());
}

#[test]
fn terminal_is_kept_for_the_command() {
    // `script` runs the wrapper on a pseudo-terminal, as in an interactive shell.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let env = Env::new();
    let inner = format!(
        "{} wrap --quiet --out {} -- sh -c 'test -t 0 && test -t 1 && test -t 2 && echo tty-ok'",
        bin(),
        env.out().display()
    );
    let o = Command::new("script")
        .args(["-qec", &inner, "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        stdout(&o).contains("tty-ok"),
        "{} / {}",
        stdout(&o),
        stderr(&o)
    );
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn ptrace_users_work_under_plain_wrap() {
    if Command::new("strace").arg("-V").output().is_err() {
        eprintln!("skipped: strace is not installed");
        return;
    }
    let env = Env::new();
    let o = env.wrap(
        "strace",
        &["--quiet"],
        &["strace", "-f", "-o", "/dev/null", "sh", "-c", "exit 4"],
    );
    assert_eq!(code(&o), 4, "{}", stderr(&o));
}

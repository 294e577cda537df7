//! The end-of-stage summary: 4–6 plain lines (the sixth only to name lingering processes),
//! printed by `wrap` on stderr and by `show` on stdout.

use std::fmt::Write;

use crate::profile::{Role, StageProfile};

/// Renders the summary of `p`. `profile_path` is shown when the profile was written.
pub fn render(p: &StageProfile, profile_path: Option<&str>) -> String {
    let mut out = String::new();
    let t = &p.totals;
    let status = match (p.stage.exit_code, p.stage.signal) {
        (Some(code), Some(sig)) => format!("killed by signal {sig} (status {code})"),
        (Some(code), None) => format!("exit {code}"),
        (None, _) => "did not finish".to_owned(),
    };
    let _ = writeln!(
        out,
        "cicd-monitor: stage {}: {status}, wall {}",
        p.stage.name,
        secs(p.stage.wall_seconds)
    );
    let cores = crate::host::effective_cpus(&p.host).max(1);
    let _ = writeln!(
        out,
        "  cpu {} (user {}, sys {}), parallelism {:.2} of {cores} cores ({:.0}%)",
        secs(t.cpu_seconds),
        secs(t.cpu_user_seconds),
        secs(t.cpu_system_seconds),
        t.average_parallelism,
        100.0 * t.average_parallelism / f64::from(cores),
    );
    let largest = p
        .processes
        .iter()
        .max_by_key(|r| r.peak_rss_bytes)
        .filter(|r| r.peak_rss_bytes > 0);
    let mut mem = String::from("  memory");
    if let (Some(peak), Some(src)) = (
        t.peak_memory_bytes.filter(|b| *b > 0),
        &t.peak_memory_source,
    ) {
        let what = if src == "cgroup" {
            "tree peak (cgroup)"
        } else {
            "tree peak (sampled)"
        };
        let _ = write!(mem, " {} {what},", bytes(peak));
        if let Some(limit) = p.host.memory_limit_bytes {
            let _ = write!(mem, " limit {},", bytes(limit));
        }
    }
    let _ = write!(mem, " largest process {}", bytes(t.peak_rss_bytes));
    if let Some(r) = largest.filter(|r| r.peak_rss_bytes == t.peak_rss_bytes) {
        let _ = write!(mem, " ({})", r.name);
    }
    if let Some(oom) = t.oom_kills.filter(|n| *n > 0) {
        let _ = write!(mem, ", {oom} OOM kill(s)");
    }
    let _ = writeln!(
        out,
        "{mem}; io read {}, written {}",
        bytes(t.read_bytes),
        bytes(t.write_bytes)
    );
    if t.cpu_seconds > 0.0 {
        let _ = writeln!(out, "  {}", roles_line(p));
    }
    let mut last = format!(
        "  {} process{}",
        t.processes,
        if t.processes == 1 { "" } else { "es" }
    );
    if !t.processes_complete {
        last.push_str(" seen");
    }
    if t.lingering_processes > 0 {
        let _ = write!(last, ", {} still running", t.lingering_processes);
    }
    let _ = write!(
        last,
        "; monitor {} cpu, {} rss",
        secs(p.monitor.cpu_seconds),
        bytes(p.monitor.peak_rss_bytes)
    );
    if let Some(path) = profile_path {
        let _ = write!(last, "; profile {path}");
    }
    let _ = writeln!(out, "{last}");
    out
}

/// One line naming the processes still running after the command ended.
pub fn lingering_line(p: &StageProfile, killed: bool) -> String {
    let names: Vec<String> = p
        .processes
        .iter()
        .filter(|r| r.lingering)
        .take(5)
        .map(|r| format!("{} (pid {})", r.name, r.pid))
        .collect();
    let more = p.totals.lingering_processes as usize
        - names.len().min(p.totals.lingering_processes as usize);
    let mut s = format!(
        "  still running after the command ended: {}",
        names.join(", ")
    );
    if more > 0 {
        let _ = write!(s, " and {more} more");
    }
    if !killed {
        s.push_str("; --kill-lingering ends them");
    }
    s.push('\n');
    s
}

/// "roles: compiler 81% · linker 9% · shell 2% · unattributed 8% (reaped by make)".
fn roles_line(p: &StageProfile) -> String {
    let total = p.totals.cpu_seconds;
    let mut roles: Vec<(Role, f64)> = p
        .roles
        .iter()
        .map(|(r, t)| (*r, t.cpu_seconds))
        .filter(|(_, c)| *c / total >= 0.005)
        .collect();
    roles.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut parts: Vec<String> = roles
        .iter()
        .take(4)
        .map(|(r, c)| format!("{} {:.0}%", r.label(), (100.0 * c / total).min(100.0)))
        .collect();
    let unattributed = p.totals.unattributed_cpu_seconds;
    if unattributed / total >= 0.005 {
        let reaper = p
            .processes
            .iter()
            .max_by(|a, b| {
                a.unsampled_children_cpu_seconds
                    .total_cmp(&b.unsampled_children_cpu_seconds)
            })
            .filter(|r| r.unsampled_children_cpu_seconds > 0.0);
        let mut s = format!("short-lived {:.0}%", 100.0 * unattributed / total);
        if let Some(r) = reaper {
            let _ = write!(s, " (children of {})", r.name);
        }
        if p.monitor.mode != "trace" {
            s.push_str(", --trace-exec names them");
        }
        parts.push(s);
    }
    if parts.is_empty() {
        return "roles: none measurable".to_owned();
    }
    format!("cpu by role: {}", parts.join(" · "))
}

/// Seconds with a unit: `0.42s`, `57.2s`, `12m03s`, `2h05m`.
pub fn secs(s: f64) -> String {
    if s < 10.0 {
        format!("{s:.2}s")
    } else if s < 600.0 {
        format!("{s:.1}s")
    } else if s < 7200.0 {
        let m = (s / 60.0).floor();
        format!("{m:.0}m{:02.0}s", (s - m * 60.0).floor())
    } else {
        let h = (s / 3600.0).floor();
        format!("{h:.0}h{:02.0}m", ((s - h * 3600.0) / 60.0).floor())
    }
}

/// Bytes in binary units: `512 B`, `4.0 KiB`, `1.2 GiB`.
pub fn bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else if v < 10.0 {
        format!("{v:.1} {}", UNITS[u])
    } else {
        format!("{v:.0} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(secs(0.424), "0.42s");
        assert_eq!(secs(57.23), "57.2s");
        assert_eq!(secs(723.0), "12m03s");
        assert_eq!(secs(7500.0), "2h05m");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(4096), "4.0 KiB");
        assert_eq!(bytes(1288490188), "1.2 GiB");
        assert_eq!(bytes(340 << 20), "340 MiB");
    }
}

//! The job report as GitHub-flavoured Markdown, for the GitHub step summary and PR/MR comments.
//!
//! Offline only: the stage gantt is a Mermaid block (rendered by GitHub and GitLab themselves),
//! never an image from an outside service. Every name from a profile is escaped, so a stage or
//! process name cannot inject Markdown, HTML or an @-mention. The output is trimmed to the
//! target's size limit by dropping detail sections first, then findings, never mid-element.

use std::fmt::Write;

use crate::analyze::Analysis;
use crate::profile::report::{Finding, JobReport, StageSummary};

use super::summary::{bytes, secs};

/// GitHub's limit on a job's step summary: 1 MiB.
pub const STEP_SUMMARY_LIMIT: usize = 1024 * 1024;
/// GitHub's limit on an issue or PR comment body: 65536 characters. GitLab's note limit is
/// larger (1 000 000), so the same text fits both.
pub const COMMENT_LIMIT: usize = 65_536;

/// Renders the report in at most `limit` bytes (characters count at most as bytes, so a byte
/// limit is also a character limit). `marker`, when given, is put first as a hidden HTML
/// comment so a later run finds and updates the same comment.
pub fn render(a: &Analysis, limit: usize, marker: Option<&str>) -> String {
    let r = &a.report;
    let head = head(r, marker);
    let gantt = gantt(r);
    let findings: Vec<String> = r.findings.iter().map(finding).collect();
    let details: Vec<String> = r.stages.iter().map(stage_details).collect();
    let footer = format!(
        "\n<sub>{} {} · {} stage profile(s)</sub>\n",
        r.tool.name,
        r.tool.version,
        r.stages.len()
    );

    // Assemble greedily in priority order: head, findings, gantt, details. Each piece is kept
    // whole or dropped whole; what was dropped is said at the end.
    let reserve = footer.len() + 200;
    let mut out = head;
    let mut dropped_findings = 0;
    if !findings.is_empty() {
        out.push_str("\n#### Findings, biggest expected saving first\n\n");
        for (i, f) in findings.iter().enumerate() {
            let item = format!("{}. {f}", i + 1);
            if out.len() + item.len() + reserve > limit {
                dropped_findings = findings.len() - i;
                break;
            }
            out.push_str(&item);
        }
    }
    let mut dropped_details = 0;
    if out.len() + gantt.len() + reserve <= limit {
        out.push_str(&gantt);
    } else {
        dropped_details += 1;
    }
    for (i, d) in details.iter().enumerate() {
        if out.len() + d.len() + reserve > limit {
            dropped_details += details.len() - i;
            break;
        }
        out.push_str(d);
    }
    if dropped_findings + dropped_details > 0 {
        let _ = writeln!(
            out,
            "\n_Trimmed to fit {}: {dropped_findings} finding(s) and {dropped_details} detail section(s) left out; the full report is in the job's artifacts._",
            bytes(limit as u64)
        );
    }
    if out.len() + footer.len() <= limit {
        out.push_str(&footer);
    }
    if out.len() > limit {
        // Only a head alone larger than the limit gets here (thousands of stages): cut at a
        // line boundary.
        let mut cut = limit.saturating_sub(64);
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        let cut = out[..cut].rfind('\n').unwrap_or(0);
        out.truncate(cut);
        out.push_str("\n\n_Trimmed to fit the size limit._\n");
    }
    out
}

fn head(r: &JobReport, marker: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(m) = marker {
        let _ = writeln!(out, "<!-- {} -->", m.replace("--", "- -"));
    }
    for job in &r.jobs {
        let status = if job.succeeded { "✅" } else { "❌" };
        let _ = writeln!(
            out,
            "### {status} cicd-monitor: {} — wall {}, CPU {}, {} cores\n",
            esc(&job.name),
            secs(job.wall_seconds),
            secs(job.cpu_seconds),
            job.cpus
        );
        let _ = writeln!(
            out,
            "| Stage | Wall | Share | CPU | Parallelism | Peak memory | Read | Written | Exit |"
        );
        let _ = writeln!(out, "|---|--:|--:|--:|--:|--:|--:|--:|--:|");
        for s in r.stages.iter().filter(|s| s.job == job.name) {
            let _ = writeln!(
                out,
                "| {}{} | {} | {:.0}% | {} | {:.2} of {} | {} ({:.0}%) | {} | {} | {} |",
                if s.critical { "**" } else { "" },
                esc(&s.name) + if s.critical { "**" } else { "" },
                secs(s.wall_seconds),
                100.0 * s.share_of_job,
                secs(s.cpu_seconds),
                s.average_parallelism,
                s.cpus,
                bytes(s.peak_memory_bytes),
                100.0 * s.memory_utilization,
                bytes(s.read_bytes),
                bytes(s.write_bytes),
                s.exit_code
                    .map_or_else(|| "–".to_owned(), |c| c.to_string()),
            );
        }
        if let Some(c) = &job.critical_stage {
            let _ = writeln!(out, "\nCritical stage: **{}**.", esc(c));
        }
    }
    out
}

fn finding(f: &Finding) -> String {
    let mut s = format!("**{}**", f.kind.as_str());
    if let Some(stage) = &f.stage {
        let _ = write!(s, " · `{}`", code(stage));
    }
    let _ = write!(s, " — {}", esc(&f.title));
    if let Some(saving) = f.saving_seconds.filter(|s| *s >= 0.05) {
        let _ = write!(s, " _(saves ~{} per run)_", secs(saving));
    }
    let _ = writeln!(s, "<br>→ {}", esc(&f.suggestion));
    if !f.evidence.is_empty() {
        let ev: Vec<String> = f
            .evidence
            .iter()
            .map(|(k, v)| format!("{}={}", esc(k), number(*v)))
            .collect();
        let _ = writeln!(
            s,
            "   <details><summary>evidence</summary>{}</details>\n",
            ev.join(", ")
        );
    }
    s
}

/// A number as in evidence: integers without decimals, others with up to 3.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

fn gantt(r: &JobReport) -> String {
    if r.stages.len() < 2 {
        return String::new();
    }
    let mut s = String::from(
        "\n<details><summary>Stage timeline</summary>\n\n```mermaid\ngantt\n    dateFormat X\n    axisFormat %H:%M:%S\n",
    );
    for job in &r.jobs {
        let _ = writeln!(s, "    section {}", mermaid(&job.name));
        for st in r.stages.iter().filter(|st| st.job == job.name) {
            let start = st.start_offset_seconds.floor() as u64;
            let end = (st.start_offset_seconds + st.wall_seconds)
                .ceil()
                .max(start as f64 + 1.0) as u64;
            let _ = writeln!(
                s,
                "    {} ({}) :{}{start}, {end}",
                mermaid(&st.name),
                secs(st.wall_seconds),
                if st.critical { "crit, " } else { "" },
            );
        }
    }
    s.push_str("```\n\n</details>\n");
    s
}

fn stage_details(s: &StageSummary) -> String {
    let mut out = format!(
        "\n<details><summary>{} — roles and top processes</summary>\n\n",
        esc(&s.name)
    );
    if !s.roles.is_empty() {
        out.push_str("| Role | CPU | Share | Processes | Peak RSS |\n|---|--:|--:|--:|--:|\n");
        for r in &s.roles {
            let _ = writeln!(
                out,
                "| {} | {} | {:.0}% | {} | {} |",
                r.role.label(),
                secs(r.cpu_seconds),
                100.0 * r.cpu_share,
                r.processes,
                bytes(r.peak_rss_bytes)
            );
        }
        out.push('\n');
    }
    for (title, list) in [("Top CPU", &s.top_cpu), ("Top memory", &s.top_memory)] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "{title}:\n\n| Process | Role | CPU | Peak RSS | Command |\n|---|---|--:|--:|---|"
        );
        for p in list.iter() {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | `{}` |",
                esc(&p.name),
                p.role.label(),
                secs(p.cpu_seconds),
                bytes(p.peak_rss_bytes),
                code(&p.command)
            );
        }
        out.push('\n');
    }
    out.push_str("</details>\n");
    out
}

/// Escapes text for Markdown and HTML, in tables too: no formatting, links, HTML or mentions.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '@' => out.push_str("&#64;"),
            '|' => out.push_str("\\|"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text inside an inline code span in a table: backticks and pipes cannot be escaped there, so
/// they are replaced.
fn code(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '`' => '\'',
            '|' => '¦',
            '\n' | '\r' => ' ',
            c => c,
        })
        .collect()
}

/// A Mermaid task or section name: Mermaid's separators (`:`, `;`, `#`) and quotes removed.
fn mermaid(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| match c {
            ':' | ';' | '#' | '"' | '`' | '<' | '>' | '&' | '%' | '\n' | '\r' => ' ',
            c => c,
        })
        .collect();
    let t = cleaned.trim();
    if t.is_empty() {
        "stage".to_owned()
    } else {
        t.chars().take(60).collect()
    }
}

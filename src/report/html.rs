//! The job report as one self-contained HTML file: inline CSS and SVG charts (CPU, memory, I/O
//! and parallelism over time per stage, and the stage gantt). No script, font, stylesheet or
//! image is loaded from anywhere, so it opens offline, from a CI artifact or `publishHTML`.

use std::fmt::Write;

use crate::analyze::{Analysis, LoadedStage};
use crate::profile::report::{JobReport, StageSummary};

use super::summary::{bytes, secs};
use super::svg::{self, Bar, Merge, Series, Unit, html};

const CSS: &str = "body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:980px;color:#1b1f24;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #d0d7de}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}tr.critical td{font-weight:600}
.finding{border-left:4px solid #bf8700;padding:4px 12px;margin:10px 0;background:#fff8e5}
.finding .kind{font-family:ui-monospace,monospace;font-size:12px;color:#6e7781}
.finding .saving{color:#1a7f37}.suggestion{margin:2px 0}.evidence{font-family:ui-monospace,monospace;font-size:12px;color:#57606a}
svg.chart{width:100%;height:auto;display:block;margin:6px 0}
svg .grid{stroke:#eaeef2}svg .level{stroke:#cf222e;stroke-dasharray:4 3}
svg .axis,svg .legend,svg .title{font-size:11px;fill:#57606a}svg .title{font-weight:600;fill:#1b1f24}
svg .series{fill:none;stroke-width:1.6}svg .s0{stroke:#0969da;fill:#0969da}svg .s1{stroke:#8250df;fill:#8250df}
svg .s2{stroke:#1a7f37;fill:#1a7f37}svg .s3{stroke:#bc4c00;fill:#bc4c00}svg polyline.series{fill:none}
svg .bar{fill:#54aeff}svg .bar.critical{fill:#cf222e}
code{font-size:12px}footer{margin-top:32px;color:#6e7781;font-size:12px}";

/// Renders the page.
pub fn render(a: &Analysis) -> String {
    let r = &a.report;
    let title = match r.jobs.as_slice() {
        [one] => format!("cicd-monitor: {}", one.name),
        jobs => format!("cicd-monitor: {} jobs", jobs.len()),
    };
    let mut out = String::with_capacity(64 * 1024);
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <title>{}</title><style>{CSS}</style></head><body>\n<h1>{}</h1>",
        html(&title),
        html(&title)
    );
    jobs_table(&mut out, r);
    out.push_str("<h2>Stage timeline</h2>\n");
    out.push_str(&gantt(a));
    findings(&mut out, r);
    for job in &a.jobs {
        for stage in &job.stages {
            let summary = r
                .stages
                .iter()
                .find(|s| s.job == job.name && s.name == stage.profile.stage.name);
            stage_section(&mut out, stage, summary);
        }
    }
    let _ = writeln!(
        out,
        "<footer>{} {} · report schema {}</footer>\n</body></html>",
        html(&r.tool.name),
        html(&r.tool.version),
        r.schema_version
    );
    out
}

fn jobs_table(out: &mut String, r: &JobReport) {
    for job in &r.jobs {
        let _ = writeln!(
            out,
            "<p>Job <b>{}</b> ({}{}): wall {}, CPU {}, {} cores, {} memory, {}.</p>",
            html(&job.name),
            html(&job.provider),
            job.git_ref
                .as_deref()
                .map(|g| format!(", {}", html(g)))
                .unwrap_or_default(),
            secs(job.wall_seconds),
            secs(job.cpu_seconds),
            job.cpus,
            bytes(job.memory_bytes),
            if job.succeeded { "succeeded" } else { "failed" }
        );
        out.push_str(
            "<table class=\"stages\"><tr><th>Stage</th><th>Wall</th><th>Share</th><th>CPU</th>\
             <th>Parallelism</th><th>Peak memory</th><th>Read</th><th>Written</th><th>Exit</th></tr>\n",
        );
        for s in r.stages.iter().filter(|s| s.job == job.name) {
            let _ = writeln!(
                out,
                "<tr{}><td>{}</td><td>{}</td><td>{:.0}%</td><td>{}</td><td>{:.2} of {}</td>\
                 <td>{} ({:.0}%)</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                if s.critical {
                    " class=\"critical\""
                } else {
                    ""
                },
                html(&s.name),
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
                    .map_or_else(|| "–".to_owned(), |c| c.to_string())
            );
        }
        out.push_str("</table>\n");
    }
}

fn gantt(a: &Analysis) -> String {
    let r = &a.report;
    // Jobs of a pipeline start at different times: place each against the earliest.
    let starts: Vec<Option<std::time::SystemTime>> = r
        .jobs
        .iter()
        .map(|j| crate::analyze::job::parse_time(&j.started_at))
        .collect();
    let first = starts.iter().flatten().min().copied();
    let bars: Vec<Bar> = r
        .stages
        .iter()
        .map(|s| {
            let job_offset = r
                .jobs
                .iter()
                .position(|j| j.name == s.job)
                .and_then(|i| starts[i])
                .zip(first)
                .map_or(0.0, |(st, f)| {
                    st.duration_since(f).unwrap_or_default().as_secs_f64()
                });
            Bar {
                label: if r.jobs.len() > 1 {
                    format!("{}/{}", s.job, s.name)
                } else {
                    s.name.clone()
                },
                start: job_offset + s.start_offset_seconds,
                length: s.wall_seconds,
                critical: s.critical,
                tooltip: format!(
                    "{}: {} wall, {} CPU, {:.2} cores",
                    s.name,
                    secs(s.wall_seconds),
                    secs(s.cpu_seconds),
                    s.average_parallelism
                ),
            }
        })
        .collect();
    svg::gantt(&bars)
}

fn findings(out: &mut String, r: &JobReport) {
    let _ = writeln!(out, "<h2>Findings ({})</h2>", r.findings.len());
    if r.findings.is_empty() {
        out.push_str("<p>No bottleneck found.</p>\n");
    }
    for f in &r.findings {
        let ev: Vec<String> = f
            .evidence
            .iter()
            .map(|(k, v)| format!("{}={}", html(k), v))
            .collect();
        let _ = writeln!(
            out,
            "<div class=\"finding\" data-kind=\"{}\"><div class=\"kind\">{}{}</div><div><b>{}</b>{}</div>\
             <div class=\"suggestion\">→ {}</div><div class=\"evidence\">{}</div></div>",
            f.kind.as_str(),
            f.kind.as_str(),
            f.stage
                .as_deref()
                .map(|s| format!(" · {}", html(s)))
                .unwrap_or_default(),
            html(&f.title),
            f.saving_seconds
                .filter(|s| *s >= 0.05)
                .map(|s| format!(" <span class=\"saving\">saves ~{} per run</span>", secs(s)))
                .unwrap_or_default(),
            html(&f.suggestion),
            ev.join(" ")
        );
    }
    for w in &r.warnings {
        let _ = writeln!(out, "<p class=\"warning\">warning: {}</p>", html(w));
    }
}

fn stage_section(out: &mut String, stage: &LoadedStage, summary: Option<&StageSummary>) {
    let p = &stage.profile;
    let wall = p.stage.wall_seconds;
    let cores = f64::from(crate::host::effective_cpus(&p.host).max(1));
    let _ = writeln!(
        out,
        "<h2 id=\"stage-{}\">Stage {}</h2>\n<p><code>{}</code></p>",
        html(&p.stage.name),
        html(&p.stage.name),
        html(&p.stage.command)
    );
    let series = |f: &dyn Fn(&crate::profile::TimelinePoint) -> Option<f64>, merge: Merge| {
        let pts: Vec<(f64, f64)> = p
            .timeline
            .iter()
            .filter_map(|pt| f(pt).map(|v| (pt.t, v)))
            .collect();
        svg::downsample(&pts, merge)
    };
    let mut cpu = vec![Series {
        name: "stage".into(),
        class: "s0",
        points: series(&|pt| Some(pt.cpu_cores), Merge::Mean),
    }];
    let host = series(&|pt| pt.host_cpu_cores, Merge::Mean);
    if !host.is_empty() {
        cpu.push(Series {
            name: "whole host".into(),
            class: "s3",
            points: host,
        });
    }
    out.push_str(&svg::line_chart(
        "cpu",
        "CPU (cores)",
        Unit::Cores,
        wall,
        &cpu,
        Some((cores, format!("{cores} cores"))),
    ));
    let mut mem = vec![Series {
        name: "RSS of processes".into(),
        class: "s1",
        points: series(&|pt| Some(pt.rss_bytes as f64), Merge::Max),
    }];
    let cg = series(&|pt| pt.cgroup_memory_bytes.map(|b| b as f64), Merge::Max);
    if !cg.is_empty() {
        mem.push(Series {
            name: "cgroup memory".into(),
            class: "s0",
            points: cg,
        });
    }
    let limit = p.host.memory_limit_bytes;
    out.push_str(&svg::line_chart(
        "memory",
        "Memory",
        Unit::Bytes,
        wall,
        &mem,
        limit.map(|l| (l as f64, format!("limit {}", bytes(l)))),
    ));
    out.push_str(&svg::line_chart(
        "io",
        "Storage I/O",
        Unit::BytesPerSecond,
        wall,
        &[
            Series {
                name: "read".into(),
                class: "s2",
                points: series(&|pt| Some(pt.read_bytes_per_second), Merge::Mean),
            },
            Series {
                name: "written".into(),
                class: "s3",
                points: series(&|pt| Some(pt.write_bytes_per_second), Merge::Mean),
            },
        ],
        None,
    ));
    out.push_str(&svg::line_chart(
        "parallelism",
        "Parallelism (live processes, threads)",
        Unit::Count,
        wall,
        &[
            Series {
                name: "processes".into(),
                class: "s0",
                points: series(&|pt| Some(f64::from(pt.processes)), Merge::Max),
            },
            Series {
                name: "threads".into(),
                class: "s1",
                points: series(&|pt| Some(f64::from(pt.threads)), Merge::Max),
            },
        ],
        None,
    ));
    let Some(s) = summary else {
        return;
    };
    if !s.roles.is_empty() {
        out.push_str(
            "<h3>CPU by role</h3><table><tr><th>Role</th><th>CPU</th><th>Share</th><th>Processes</th><th>Peak RSS</th></tr>\n",
        );
        for r in &s.roles {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{:.0}%</td><td>{}</td><td>{}</td></tr>",
                r.role.label(),
                secs(r.cpu_seconds),
                100.0 * r.cpu_share,
                r.processes,
                bytes(r.peak_rss_bytes)
            );
        }
        out.push_str("</table>\n");
    }
    for (title, list) in [
        ("Top processes by CPU", &s.top_cpu),
        ("Top processes by memory", &s.top_memory),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "<h3>{title}</h3><table><tr><th>Process</th><th>Role</th><th>CPU</th><th>Peak RSS</th><th>Started</th><th>Command</th></tr>"
        );
        for pr in list.iter() {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td style=\"text-align:left\"><code>{}</code></td></tr>",
                html(&pr.name),
                pr.role.label(),
                secs(pr.cpu_seconds),
                bytes(pr.peak_rss_bytes),
                secs(pr.start_offset_seconds),
                html(&pr.command)
            );
        }
        out.push_str("</table>\n");
    }
}

//! The job as Chrome trace-event JSON, which Perfetto (ui.perfetto.dev, offline too) and
//! chrome://tracing open: one trace process per stage, its processes as slices on their own
//! tracks (tid = pid), counter tracks for CPU, memory and I/O, and a "stages" track.
//!
//! Format: <https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU>,
//! JSON Object Format with `traceEvents`; timestamps in microseconds.

use serde_json::{Value, json};

use crate::analyze::Analysis;
use crate::analyze::job::parse_time;

/// Renders the trace.
pub fn render(a: &Analysis) -> String {
    let mut events: Vec<Value> = Vec::new();
    let first = a
        .jobs
        .iter()
        .filter_map(|j| j.stages.first())
        .filter_map(|s| parse_time(&s.profile.stage.started_at))
        .min();
    // Trace pid 1 holds the stage slices; each stage is then its own trace process from 2 on.
    events.push(meta("process_name", 1, 0, json!({"name": "stages"})));
    events.push(meta("process_sort_index", 1, 0, json!({"sort_index": 0})));
    let mut next_pid = 2u32;
    for job in &a.jobs {
        for (row, stage) in job.stages.iter().enumerate() {
            let p = &stage.profile;
            let base = parse_time(&p.stage.started_at)
                .zip(first)
                .map_or(stage.offset_seconds, |(s, f)| {
                    s.duration_since(f).unwrap_or_default().as_secs_f64()
                });
            let us = |t: f64| ((base + t) * 1e6).round();
            let tid = row as u32 + 1;
            events.push(meta(
                "thread_name",
                1,
                tid,
                json!({"name": format!("{} / {}", job.name, p.stage.name)}),
            ));
            events.push(json!({
                "name": p.stage.name, "cat": "stage", "ph": "X", "pid": 1, "tid": tid,
                "ts": us(0.0), "dur": (p.stage.wall_seconds * 1e6).round(),
                "args": {
                    "job": job.name, "command": p.stage.command,
                    "exit_code": p.stage.exit_code,
                    "cpu_seconds": p.totals.cpu_seconds,
                    "peak_memory_bytes": crate::analyze::job::peak_memory(p),
                }
            }));
            let pid = next_pid;
            next_pid += 1;
            events.push(meta(
                "process_name",
                pid,
                0,
                json!({"name": format!("stage {}", p.stage.name)}),
            ));
            events.push(meta(
                "process_sort_index",
                pid,
                0,
                json!({"sort_index": pid}),
            ));
            for r in &p.processes {
                let end = r.end_offset_seconds.unwrap_or(p.stage.wall_seconds);
                events.push(json!({
                    "name": r.name, "cat": r.role.as_str(), "ph": "X", "pid": pid, "tid": r.pid,
                    "ts": us(r.start_offset_seconds),
                    "dur": ((end - r.start_offset_seconds).max(0.0) * 1e6).round(),
                    "args": {
                        "pid": r.pid, "ppid": r.ppid, "role": r.role.as_str(),
                        "command": crate::model::builder::shell_join(&r.argv),
                        "cpu_seconds": r.cpu_seconds, "peak_rss_bytes": r.peak_rss_bytes,
                        "read_bytes": r.read_bytes, "write_bytes": r.write_bytes,
                        "exit_code": r.exit_code,
                    }
                }));
                events.push(meta(
                    "thread_name",
                    pid,
                    r.pid,
                    json!({"name": format!("{} {}", r.name, r.pid)}),
                ));
            }
            for pt in &p.timeline {
                let ts = us(pt.t);
                let mut cpu = json!({"stage": pt.cpu_cores});
                if let Some(h) = pt.host_cpu_cores {
                    cpu["other work"] = json!((h - pt.cpu_cores).max(0.0));
                }
                events.push(counter("CPU cores", pid, ts, cpu));
                let mut mem = json!({"rss": pt.rss_bytes});
                if let Some(c) = pt.cgroup_memory_bytes {
                    mem["cgroup"] = json!(c);
                }
                events.push(counter("memory bytes", pid, ts, mem));
                events.push(counter(
                    "I/O bytes/s",
                    pid,
                    ts,
                    json!({"read": pt.read_bytes_per_second, "write": pt.write_bytes_per_second}),
                ));
                events.push(counter(
                    "processes",
                    pid,
                    ts,
                    json!({"processes": pt.processes}),
                ));
            }
        }
    }
    let doc = json!({
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {
            "tool": format!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")),
        },
    });
    let mut s = serde_json::to_string(&doc).expect("trace serialises");
    s.push('\n');
    s
}

fn meta(name: &str, pid: u32, tid: u32, args: Value) -> Value {
    json!({"name": name, "ph": "M", "pid": pid, "tid": tid, "args": args})
}

fn counter(name: &str, pid: u32, ts: f64, args: Value) -> Value {
    json!({"name": name, "ph": "C", "pid": pid, "ts": ts, "args": args})
}

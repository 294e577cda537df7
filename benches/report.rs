//! Report generation for a long job: 2 hours in 4 stages of 30 minutes, 1 s samples (7200
//! timeline points) and 1000 processes, synthesised from the sample pipeline's recorded build
//! stage. Measures loading the profiles from disk and analysing them, then each format.
//! Target: the whole report in well under a second.
//!
//!     cargo bench --bench report

use std::hint::black_box;
use std::path::Path;

use cicd_monitor::analyze;
use cicd_monitor::model::roles::RoleRules;
use cicd_monitor::profile::{StageProfile, write_profile_atomic};
use cicd_monitor::report::{self, Format};
use criterion::{Criterion, criterion_group, criterion_main};

const STAGES: usize = 4;
const STAGE_SECONDS: usize = 1800;
const PROCESSES_PER_STAGE: usize = 250;

/// A 30-minute stage with 250 processes, from the recorded build stage's shapes.
fn synthetic_stage(base: &StageProfile, index: usize) -> StageProfile {
    let mut p = base.clone();
    p.stage.name = format!("stage{index}");
    p.stage.wall_seconds = STAGE_SECONDS as f64;
    let points = &base.timeline;
    p.timeline = (0..STAGE_SECONDS)
        .map(|i| {
            let mut pt = points[i % points.len()].clone();
            pt.t = (i + 1) as f64;
            pt.cpu_cores = 0.5 + 1.5 * ((i as f64 / 97.0).sin().abs());
            pt
        })
        .collect();
    let procs = &base.processes;
    p.processes = (0..PROCESSES_PER_STAGE)
        .map(|i| {
            let mut r = procs[i % procs.len()].clone();
            r.pid = 10_000 + (index * PROCESSES_PER_STAGE + i) as u32;
            r.start_offset_seconds = (i * STAGE_SECONDS / PROCESSES_PER_STAGE) as f64;
            r.end_offset_seconds = Some(r.start_offset_seconds + 5.0 + (i % 60) as f64);
            r.cpu_seconds = 1.0 + (i % 17) as f64;
            r
        })
        .collect();
    p.stage.started_at = cicd_monitor::clock::rfc3339(1.8e9 + (index * STAGE_SECONDS) as f64);
    p
}

fn bench(c: &mut Criterion) {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/samples/pipeline/stage-build.samples.jsonl");
    let base = cicd_monitor::model::replay::replay(&samples, RoleRules::builtin()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..STAGES {
        let stage = synthetic_stage(&base, i);
        write_profile_atomic(&dir.path().join(format!("stage-stage{i}.json")), &stage).unwrap();
    }
    let load = || {
        let job = analyze::load_job(dir.path()).unwrap();
        analyze::analyse(vec![job], Vec::new())
    };
    let analysis = load();
    assert_eq!(analysis.report.stages.len(), STAGES);

    let mut g = c.benchmark_group("report_2h_1000_processes");
    g.sample_size(10);
    g.bench_function("load_and_analyse", |b| b.iter(|| black_box(load())));
    for (name, format) in [
        ("terminal", Format::Terminal),
        ("markdown", Format::Markdown),
        ("html", Format::Html),
        ("json", Format::Json),
        ("trace", Format::Trace),
        ("openmetrics", Format::OpenMetrics),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| black_box(report::render(&analysis, format)))
        });
    }
    // What `publish` does: load once, render every format.
    g.bench_function("load_analyse_and_every_format", |b| {
        b.iter(|| {
            let a = load();
            for f in [
                Format::Terminal,
                Format::Markdown,
                Format::Html,
                Format::Json,
                Format::Trace,
                Format::OpenMetrics,
            ] {
                black_box(report::render(&a, f));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

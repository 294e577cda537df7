//! Each finding rule on a stage shaped to show it (and only it): a recorded build profile whose
//! timeline and totals are rewritten per case, so every rule is tested on both sides of its
//! thresholds without timing flakiness.

use std::path::{Path, PathBuf};

use super::job::job_from_profiles;
use super::{Analysis, analyse};
use crate::model::roles::RoleRules;
use crate::profile::report::FindingKind;
use crate::profile::{StageProfile, TimelinePoint};

/// The recorded build stage, on a quiet 4-core, 8 GiB host, with a flat timeline of `cores`.
fn stage(wall: usize, point: impl Fn(usize) -> TimelinePoint) -> StageProfile {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/samples/stage-make-build.samples.jsonl");
    let mut p = crate::model::replay::replay(&samples, RoleRules::builtin()).unwrap();
    p.host.cpus = 4;
    p.host.cpus_allowed = None;
    p.host.cpu_quota_cores = None;
    p.host.memory_bytes = 8 << 30;
    p.host.memory_limit_bytes = None;
    p.stage.wall_seconds = wall as f64;
    p.timeline = (0..wall)
        .map(|i| {
            let mut pt = point(i);
            pt.t = (i + 1) as f64;
            pt
        })
        .collect();
    p.totals.cpu_seconds = p.timeline.iter().map(|pt| pt.cpu_cores).sum();
    p.totals.peak_memory_bytes = Some(200 << 20);
    p.totals.oom_kills = Some(0);
    p
}

/// A point where the tree uses `cores` on an otherwise idle host.
fn quiet(cores: f64) -> TimelinePoint {
    TimelinePoint {
        cpu_cores: cores,
        host_cpu_cores: Some(cores + 0.05),
        host_steal_ratio: Some(0.0),
        host_iowait_ratio: Some(0.0),
        psi_cpu_some: Some(0.0),
        psi_memory_some: Some(0.0),
        psi_memory_full: Some(0.0),
        psi_io_some: Some(0.0),
        psi_io_full: Some(0.0),
        ..TimelinePoint::default()
    }
}

fn analysed(p: StageProfile) -> Analysis {
    let job = job_from_profiles(Path::new("job"), vec![(PathBuf::from("stage-x.json"), p)]);
    analyse(vec![job], Vec::new())
}

fn kinds(a: &Analysis) -> Vec<FindingKind> {
    let mut k: Vec<FindingKind> = a.report.findings.iter().map(|f| f.kind).collect();
    k.sort();
    k
}

#[test]
fn a_stage_using_every_core_is_cpu_saturated() {
    let a = analysed(stage(60, |_| TimelinePoint {
        psi_cpu_some: Some(0.6),
        ..quiet(3.9)
    }));
    let f = a
        .report
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::CpuSaturated)
        .expect("cpu_saturated");
    assert_eq!(f.evidence["saturated_seconds"], 60.0);
    assert_eq!(f.saving_seconds, Some(30.0));
    assert!(f.suggestion.contains("8 cores"), "{}", f.suggestion);
    // A saturated job needs a bigger runner, and is not under-parallelised.
    assert_eq!(
        kinds(&a),
        [FindingKind::CpuSaturated, FindingKind::RightSize]
    );
    let right = a
        .report
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::RightSize)
        .unwrap();
    assert_eq!(right.evidence["recommended_cores"], 8.0);
}

#[test]
fn a_serial_phase_is_found_with_its_length() {
    // 20 s at 3.4 cores, then 30 s at one core, then 10 s at 3.4 cores (not saturated).
    let mut p = stage(60, |i| quiet(if (20..50).contains(&i) { 1.0 } else { 3.4 }));
    // The compiler that ran alone in the phase.
    let cc1 = p.processes.iter_mut().find(|r| r.name == "cc1").unwrap();
    cc1.start_offset_seconds = 19.5;
    cc1.end_offset_seconds = Some(50.5);
    cc1.cpu_seconds = 30.0;
    let a = analysed(p);
    let f = a
        .report
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::UnderParallelized)
        .expect("under_parallelized");
    assert_eq!(f.evidence["serial_seconds"], 30.0);
    assert_eq!(f.evidence["serial_start_seconds"], 20.0);
    assert_eq!(f.evidence["serial_end_seconds"], 50.0);
    assert_eq!(f.saving_seconds, Some(22.5));
    assert_eq!(f.process.as_deref(), Some("cc1 (compiler)"));
    assert!(
        f.suggestion.contains("cc1 compiles alone"),
        "{}",
        f.suggestion
    );
}

#[test]
fn a_busy_stage_far_below_its_cores_is_under_parallelized() {
    // 1.6 of 4 cores throughout: no single serial phase, but half the machine idle.
    let a = analysed(stage(60, |_| quiet(1.6)));
    let f = a
        .report
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::UnderParallelized)
        .expect("under_parallelized");
    assert!(f.title.contains("1.60 of 4 cores"), "{}", f.title);
    assert_eq!(f.saving_seconds, Some(36.0));
}

#[test]
fn storage_stalls_make_a_stage_io_bound_not_waiting() {
    let a = analysed(stage(60, |_| TimelinePoint {
        psi_io_some: Some(0.45),
        psi_io_full: Some(0.30),
        host_iowait_ratio: Some(0.2),
        ..quiet(0.05)
    }));
    let f = a
        .report
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::IoBound)
        .expect("io_bound");
    assert_eq!(f.evidence["psi_io_some"], 0.45);
    assert_eq!(f.saving_seconds, Some(18.0));
    assert!(!kinds(&a).contains(&FindingKind::Waiting));
}

#[test]
fn an_idle_tree_is_waiting() {
    let a = analysed(stage(60, |_| quiet(0.01)));
    let f = a
        .report
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::Waiting)
        .expect("waiting");
    assert_eq!(f.evidence["idle_seconds"], 60.0);
    assert_eq!(f.saving_seconds, None);
    assert!(!kinds(&a).contains(&FindingKind::UnderParallelized));
}

#[test]
fn near_the_memory_limit_is_memory_pressure() {
    let mut p = stage(60, |_| TimelinePoint {
        psi_memory_some: Some(0.2),
        psi_memory_full: Some(0.05),
        ..quiet(3.0)
    });
    p.host.memory_limit_bytes = Some(1 << 30);
    p.totals.peak_memory_bytes = Some(950 << 20);
    p.totals.oom_kills = Some(1);
    let a = analysed(p);
    let f = a
        .report
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::MemoryPressure)
        .expect("memory_pressure");
    assert!(
        (f.evidence["peak_share"] - 0.9277).abs() < 1e-3,
        "{:?}",
        f.evidence
    );
    assert_eq!(f.evidence["oom_kills"], 1.0);
    assert_eq!(f.saving_seconds, Some(3.0));
    assert!(f.title.contains("OOM-killed"), "{}", f.title);
}

#[test]
fn other_work_on_the_host_is_a_noisy_neighbor_and_hides_parallelism_findings() {
    // The tree gets one core while others take 2.9 of 4 and its tasks wait to run.
    let a = analysed(stage(60, |_| TimelinePoint {
        host_cpu_cores: Some(3.9),
        psi_cpu_some: Some(0.5),
        ..quiet(1.0)
    }));
    let f = a
        .report
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::NoisyNeighbor)
        .expect("noisy_neighbor");
    assert_eq!(f.evidence["starved_seconds"], 60.0);
    assert!((f.evidence["other_cpu_cores"] - 2.9).abs() < 1e-9);
    assert_eq!(kinds(&a), [FindingKind::NoisyNeighbor]);
}

#[test]
fn hypervisor_steal_alone_is_a_noisy_neighbor() {
    let a = analysed(stage(60, |_| TimelinePoint {
        host_steal_ratio: Some(0.12),
        ..quiet(3.9)
    }));
    assert!(kinds(&a).contains(&FindingKind::NoisyNeighbor));
}

#[test]
fn a_small_job_on_a_big_runner_gets_a_smaller_runner() {
    let a = analysed(stage(60, |i| quiet(if i % 10 == 0 { 1.9 } else { 1.2 })));
    let f = a
        .report
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::RightSize)
        .expect("right_size");
    assert_eq!(f.evidence["recommended_cores"], 3.0);
    assert_eq!(f.evidence["recommended_memory_bytes"], (1u64 << 30) as f64);
    assert_eq!(f.stage, None);
    assert!(
        f.title.contains("would run as fast on 3 cores / 1 GiB"),
        "{}",
        f.title
    );
}

#[test]
fn short_stages_get_no_findings() {
    let a = analysed(stage(3, |_| quiet(0.01)));
    assert!(a.report.findings.is_empty(), "{:?}", a.report.findings);
}

#[test]
fn markdown_fits_the_comment_limit_and_escapes_names() {
    use crate::report::markdown;
    let mut p = stage(60, |i| quiet(if (20..50).contains(&i) { 1.0 } else { 3.4 }));
    p.stage.name = "<img src=x>@octocat|**bold**".to_owned();
    let a = analysed(p);
    let full = markdown::render(&a, markdown::COMMENT_LIMIT, Some("cicd-monitor:ci/build"));
    assert!(full.starts_with("<!-- cicd-monitor:ci/build -->\n"));
    // Outside code spans (which GitHub shows literally, mentions included) nothing is live.
    let outside: String = full.split('`').step_by(2).collect();
    assert!(
        !outside.contains("<img") && !outside.contains("@octocat"),
        "{full}"
    );
    assert!(
        full.contains("&lt;img src=x&gt;&#64;octocat\\|\\*\\*bold\\*\\*"),
        "{full}"
    );
    assert!(!full.contains("Trimmed"));
    for limit in [600, 1500, 3000] {
        let trimmed = markdown::render(&a, limit, None);
        assert!(trimmed.len() <= limit, "{limit}: {}", trimmed.len());
        assert!(trimmed.contains("Trimmed"), "{trimmed}");
        // Elements are dropped whole: every <details> that opens also closes.
        assert_eq!(
            trimmed.matches("<details>").count(),
            trimmed.matches("</details>").count(),
            "{trimmed}"
        );
    }
}

#[test]
fn openmetrics_labels_are_escaped_and_bounded() {
    let mut p = stage(60, |_| quiet(2.0));
    p.stage.name = format!("a\"b\\c\n{}", "x".repeat(200));
    let text = crate::report::openmetrics::render(&analysed(p));
    let line = text
        .lines()
        .find(|l| l.starts_with("cicd_monitor_stage_wall_seconds{"))
        .unwrap();
    assert!(line.contains(r#"stage="a\"b\\c\nxxx"#), "{line}");
    assert!(!line.contains(&"x".repeat(61)), "{line}");
    assert!(text.ends_with("# EOF\n"));
}

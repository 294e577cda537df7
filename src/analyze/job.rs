//! Loading the stage profiles of a job and merging them into per-stage and per-job summaries.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::profile::report::{JobSummary, ProcessSummary, RoleSummary, StageSummary};
use crate::profile::{ProfileIoError, StageProfile, read_profile};

/// A stage profile and where it was read from.
#[derive(Debug, Clone)]
pub struct LoadedStage {
    /// The profile file.
    pub path: PathBuf,
    /// The profile.
    pub profile: StageProfile,
    /// Seconds from the start of the job's first stage to this stage's start.
    pub offset_seconds: f64,
}

/// The stages of one job, in order of start.
#[derive(Debug, Clone)]
pub struct Job {
    /// Job name.
    pub name: String,
    /// The directory the profiles came from.
    pub dir: PathBuf,
    /// Stages, in order of start.
    pub stages: Vec<LoadedStage>,
}

/// Why the profiles of a job could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("failed to list profile directory {path}")]
    ListDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no stage profiles (stage-*.json) in {path}")]
    Empty { path: PathBuf },
    #[error(transparent)]
    Profile(#[from] ProfileIoError),
}

/// Reads every `stage-*.json` in `dir` (not the `.samples.jsonl` files) as one job. A profile
/// that fails to parse is an error naming the file: a report silently missing a stage would
/// mislead.
pub fn load_job(dir: &Path) -> Result<Job, LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|source| LoadError::ListDir {
        path: dir.to_owned(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("stage-") && n.ends_with(".json"))
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(LoadError::Empty {
            path: dir.to_owned(),
        });
    }
    let mut profiles = Vec::with_capacity(paths.len());
    for path in paths {
        let profile = read_profile(&path)?;
        profiles.push((path, profile));
    }
    Ok(job_from_profiles(dir, profiles))
}

/// Groups already-read profiles into a job, ordering stages by start time.
pub fn job_from_profiles(dir: &Path, profiles: Vec<(PathBuf, StageProfile)>) -> Job {
    let mut stages: Vec<(Option<SystemTime>, PathBuf, StageProfile)> = profiles
        .into_iter()
        .map(|(path, p)| (parse_time(&p.stage.started_at), path, p))
        .collect();
    stages.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let first = stages.iter().filter_map(|s| s.0).min();
    let name = stages
        .iter()
        .find_map(|s| s.2.stage.job.clone().or_else(|| s.2.ci.job_name.clone()))
        .unwrap_or_else(|| {
            dir.canonicalize()
                .ok()
                .as_deref()
                .unwrap_or(dir)
                .file_name()
                .map_or_else(|| "job".to_owned(), |n| n.to_string_lossy().into_owned())
        });
    let stages = stages
        .into_iter()
        .map(|(start, path, profile)| LoadedStage {
            offset_seconds: match (start, first) {
                (Some(s), Some(f)) => s.duration_since(f).unwrap_or_default().as_secs_f64(),
                _ => 0.0,
            },
            path,
            profile,
        })
        .collect();
    Job {
        name,
        dir: dir.to_owned(),
        stages,
    }
}

/// Parses an RFC 3339 timestamp as written in profiles.
pub fn parse_time(s: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339_weak(s).ok()
}

/// The job's summary line and its stages' summaries.
pub fn summarize(job: &Job) -> (JobSummary, Vec<StageSummary>) {
    let wall = job
        .stages
        .iter()
        .map(|s| s.offset_seconds + s.profile.stage.wall_seconds)
        .fold(0.0, f64::max);
    let critical = job
        .stages
        .iter()
        .max_by(|a, b| {
            a.profile
                .stage
                .wall_seconds
                .total_cmp(&b.profile.stage.wall_seconds)
        })
        .map(|s| s.profile.stage.name.clone());
    let stages: Vec<StageSummary> = job
        .stages
        .iter()
        .map(|s| stage_summary(&job.name, s, wall, critical.as_deref()))
        .collect();
    let first = job.stages.first().map(|s| &s.profile);
    let ci = first.map(|p| &p.ci);
    let host = first.map(|p| &p.host);
    let stage_seconds: f64 = stages.iter().map(|s| s.wall_seconds).sum();
    let cpu_seconds: f64 = stages.iter().map(|s| s.cpu_seconds).sum();
    let all_ended = job
        .stages
        .iter()
        .all(|s| s.profile.stage.ended_at.is_some());
    let ended_at = job
        .stages
        .first()
        .and_then(|s| parse_time(&s.profile.stage.started_at))
        .filter(|_| all_ended)
        .map(|start| crate::clock::rfc3339(unix_seconds(start + Duration::from_secs_f64(wall))));
    let summary = JobSummary {
        name: job.name.clone(),
        provider: ci.map_or_else(|| "local".to_owned(), |c| c.provider.clone()),
        url: ci.and_then(|c| c.job_url.clone().or_else(|| c.pipeline_url.clone())),
        repository: ci.and_then(|c| c.repository.clone()),
        git_ref: ci.and_then(|c| c.git_ref.clone()),
        commit: ci.and_then(|c| c.commit.clone()),
        runner: ci.and_then(|c| c.runner_name.clone()),
        host_class: host.map_or_else(String::new, |h| h.fingerprint.clone()),
        cpus: host.map_or(1, crate::host::effective_cpus),
        memory_bytes: host.map_or(0, crate::host::effective_memory_bytes),
        started_at: first.map_or_else(String::new, |p| p.stage.started_at.clone()),
        ended_at,
        wall_seconds: wall,
        stage_seconds,
        cpu_seconds,
        average_parallelism: ratio(cpu_seconds, stage_seconds),
        peak_memory_bytes: stages
            .iter()
            .map(|s| s.peak_memory_bytes)
            .max()
            .unwrap_or(0),
        read_bytes: stages.iter().map(|s| s.read_bytes).sum(),
        write_bytes: stages.iter().map(|s| s.write_bytes).sum(),
        critical_stage: critical,
        stages: stages.len() as u32,
        succeeded: job
            .stages
            .iter()
            .all(|s| s.profile.stage.exit_code == Some(0)),
    };
    (summary, stages)
}

fn unix_seconds(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// The tree's peak memory: the cgroup peak when measured, else the sampled tree peak, else the
/// largest process.
pub fn peak_memory(p: &StageProfile) -> u64 {
    p.totals
        .peak_memory_bytes
        .filter(|b| *b > 0)
        .unwrap_or(p.totals.peak_rss_bytes)
}

/// Memory the stage could use.
pub fn memory_limit(p: &StageProfile) -> u64 {
    crate::host::effective_memory_bytes(&p.host)
}

fn stage_summary(
    job: &str,
    s: &LoadedStage,
    job_wall: f64,
    critical: Option<&str>,
) -> StageSummary {
    let p = &s.profile;
    let t = &p.totals;
    let cpus = crate::host::effective_cpus(&p.host).max(1);
    let wall = p.stage.wall_seconds;
    let parallelism = ratio(t.cpu_seconds, wall);
    let peak_memory = peak_memory(p);
    let limit = memory_limit(p);
    let mut roles: Vec<RoleSummary> = p
        .roles
        .iter()
        .map(|(role, r)| RoleSummary {
            role: *role,
            cpu_seconds: r.cpu_seconds + r.unsampled_children_cpu_seconds,
            cpu_share: ratio(
                r.cpu_seconds + r.unsampled_children_cpu_seconds,
                t.cpu_seconds,
            )
            .min(1.0),
            processes: r.processes,
            peak_rss_bytes: r.peak_rss_bytes,
        })
        .collect();
    roles.sort_by(|a, b| b.cpu_seconds.total_cmp(&a.cpu_seconds));
    let mut by_cpu: Vec<&crate::profile::ProcessRecord> = p.processes.iter().collect();
    by_cpu.sort_by(|a, b| {
        b.cpu_seconds
            .total_cmp(&a.cpu_seconds)
            .then(a.pid.cmp(&b.pid))
    });
    let mut by_mem: Vec<&crate::profile::ProcessRecord> = p.processes.iter().collect();
    by_mem.sort_by(|a, b| {
        b.peak_rss_bytes
            .cmp(&a.peak_rss_bytes)
            .then(a.pid.cmp(&b.pid))
    });
    StageSummary {
        job: job.to_owned(),
        name: p.stage.name.clone(),
        command: p.stage.command.clone(),
        exit_code: p.stage.exit_code,
        started_at: p.stage.started_at.clone(),
        start_offset_seconds: s.offset_seconds,
        wall_seconds: wall,
        share_of_job: ratio(wall, job_wall).min(1.0),
        critical: critical == Some(p.stage.name.as_str()),
        cpu_user_seconds: t.cpu_user_seconds,
        cpu_system_seconds: t.cpu_system_seconds,
        cpu_seconds: t.cpu_seconds,
        cpus,
        average_parallelism: parallelism,
        cpu_utilization: ratio(parallelism, f64::from(cpus)).min(1.0),
        peak_memory_bytes: peak_memory,
        memory_limit_bytes: limit,
        memory_utilization: ratio(peak_memory as f64, limit as f64),
        peak_rss_bytes: t.peak_rss_bytes,
        read_bytes: t.read_bytes,
        write_bytes: t.write_bytes,
        processes: t.processes,
        roles,
        top_cpu: by_cpu
            .into_iter()
            .filter(|r| r.cpu_seconds > 0.0)
            .take(5)
            .map(process_summary)
            .collect(),
        top_memory: by_mem
            .into_iter()
            .filter(|r| r.peak_rss_bytes > 0)
            .take(5)
            .map(process_summary)
            .collect(),
        profile_path: s.path.display().to_string(),
    }
}

/// A process for top lists.
pub fn process_summary(r: &crate::profile::ProcessRecord) -> ProcessSummary {
    let mut command = if r.argv.is_empty() {
        r.name.clone()
    } else {
        crate::model::builder::shell_join(&r.argv)
    };
    if command.chars().count() > 120 {
        command = command.chars().take(119).collect::<String>() + "…";
    }
    ProcessSummary {
        pid: r.pid,
        name: r.name.clone(),
        role: r.role,
        command,
        cpu_seconds: r.cpu_seconds,
        peak_rss_bytes: r.peak_rss_bytes,
        start_offset_seconds: r.start_offset_seconds,
        lifetime_seconds: r
            .end_offset_seconds
            .map(|e| (e - r.start_offset_seconds).max(0.0)),
    }
}

/// `a / b`, or 0 when `b` is not positive.
pub fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 && a.is_finite() { a / b } else { 0.0 }
}

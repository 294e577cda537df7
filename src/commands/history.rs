//! `cicd-monitor history ingest DIR…` and `history list`: the history store from the command
//! line. One line per directory on stderr; the list is a table on stdout.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cli::{HistoryCommand, HistoryIngestArgs, HistoryListArgs};
use crate::exit_codes;
use crate::profile::StageProfile;
use crate::store::{RunFilter, RunSummary, Store, StoreError, identity};

/// Why a history command failed.
#[derive(Debug, thiserror::Error)]
enum HistoryError {
    #[error(
        "no history store: pass --store or set {}, or set HOME or XDG_DATA_HOME for the default",
        crate::env_vars::STORE
    )]
    NoStore,
    #[error(transparent)]
    Load(#[from] crate::analyze::LoadError),
    #[error("failed to record the job in {}", path.display())]
    Record {
        path: PathBuf,
        #[source]
        source: StoreError,
    },
}

pub fn history(args: &HistoryCommand) -> i32 {
    match args {
        HistoryCommand::Ingest(args) => ingest(args),
        HistoryCommand::List(args) => list(args),
    }
}

/// The store spec: `--store`/`CICD_MONITOR_STORE`, else the default path.
fn store_spec(store: Option<&str>) -> Result<String, HistoryError> {
    if let Some(spec) = store.filter(|s| !s.is_empty()) {
        return Ok(spec.to_owned());
    }
    crate::store::default_path(&|name| std::env::var(name).ok())
        .map(|path| path.to_string_lossy().into_owned())
        .ok_or(HistoryError::NoStore)
}

fn open(store: Option<&str>) -> Option<Store> {
    let opened = store_spec(store)
        .map_err(|e| crate::warn::report(&e))
        .ok()?;
    Store::open(&opened)
        .map_err(|e| crate::warn::report(&e))
        .ok()
}

fn ingest(args: &HistoryIngestArgs) -> i32 {
    let Some(store) = open(args.store.as_deref()) else {
        return exit_codes::FAILURE;
    };
    let mut status = exit_codes::SUCCESS;
    for dir in &args.dirs {
        match ingest_dir(&store, dir) {
            Ok(line) => eprintln!("cicd-monitor: {}: {line}", dir.display()),
            Err(e) => {
                crate::warn::report(&e);
                status = exit_codes::FAILURE;
            }
        }
    }
    status
}

/// Records one job directory; returns the line that says what happened.
fn ingest_dir(store: &Store, dir: &Path) -> Result<String, HistoryError> {
    let job = crate::analyze::load_job(dir)?;
    let mut profiles: Vec<StageProfile> = job.stages.iter().map(|s| s.profile.clone()).collect();
    fill_from_git(&mut profiles, dir);
    let record_err = |source| HistoryError::Record {
        path: dir.to_owned(),
        source,
    };
    let outcome = store.ingest(&profiles).map_err(record_err)?;
    // The run's findings as this version computes them, for cross-run analyses.
    let findings = crate::analyze::analyse(vec![job], Vec::new())
        .report
        .findings;
    store
        .record_findings(outcome.run_id, &findings)
        .map_err(record_err)?;
    let branch = identity::branch_of(&profiles[0].ci);
    let branch = if branch.is_empty() {
        "no branch"
    } else {
        &branch
    };
    let stages = |n: u32| format!("{n} stage{}", if n == 1 { "" } else { "s" });
    Ok(if outcome.new {
        format!(
            "recorded run {} ({}, {branch}) in {}",
            outcome.run_id,
            stages(outcome.stages_added),
            store.location()
        )
    } else if outcome.stages_added > 0 {
        format!(
            "run {} already recorded; added {}",
            outcome.run_id,
            stages(outcome.stages_added)
        )
    } else {
        format!("run {} already recorded", outcome.run_id)
    })
}

/// Outside CI the profile has no branch, repository or commit: take them from git in the
/// stage's working directory (else the job directory), the same for every stage of the job.
fn fill_from_git(profiles: &mut [StageProfile], dir: &Path) {
    let Some(first) = profiles.first() else {
        return;
    };
    if first.ci.provider != "local" {
        return;
    }
    let cwd = first
        .stage
        .cwd
        .as_deref()
        .map(PathBuf::from)
        .filter(|cwd| cwd.is_dir())
        .unwrap_or_else(|| dir.to_owned());
    let git_ref = first.ci.git_ref.clone().or_else(|| {
        git(&cwd, &["rev-parse", "--abbrev-ref", "HEAD"]).filter(|branch| branch != "HEAD")
    });
    let commit = first
        .ci
        .commit
        .clone()
        .or_else(|| git(&cwd, &["rev-parse", "HEAD"]));
    let repository = first.ci.repository.clone().or_else(|| {
        git(&cwd, &["config", "--get", "remote.origin.url"])
            .and_then(|url| identity::repository_from_remote(&url))
    });
    for p in profiles {
        p.ci.git_ref.clone_from(&git_ref);
        p.ci.commit.clone_from(&commit);
        p.ci.repository.clone_from(&repository);
    }
}

/// One line of git's output; `None` when git is missing or fails.
fn git(cwd: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(cwd)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let line = text.trim();
    (out.status.success() && !line.is_empty()).then(|| line.to_owned())
}

fn list(args: &HistoryListArgs) -> i32 {
    let Some(store) = open(args.store.as_deref()) else {
        return exit_codes::FAILURE;
    };
    let filter = RunFilter {
        branch: args.branch.as_deref().map(identity::branch_name),
        limit: args.limit,
        ..RunFilter::default()
    };
    match store.recent_runs(&filter) {
        Ok(runs) => super::print_stdout(&render_table(&runs)),
        Err(e) => {
            crate::warn::report(&e);
            exit_codes::FAILURE
        }
    }
}

/// Runs as an aligned plain-text table, newest first.
fn render_table(runs: &[RunSummary]) -> String {
    let header = [
        "ID",
        "STARTED",
        "REPOSITORY",
        "BRANCH",
        "COMMIT",
        "JOB",
        "STAGES",
        "WALL",
        "HOST",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| (*h).to_owned()).collect()];
    for r in runs {
        let job = match (&r.pipeline_id, &r.job_name) {
            (Some(p), Some(j)) => format!("{} #{p} {j}", r.provider),
            (Some(p), None) => format!("{} #{p}", r.provider),
            (None, Some(j)) => format!("{} {j}", r.provider),
            (None, None) => r.provider.clone(),
        };
        let job = match r.attempt {
            Some(a) if a > 1 => format!("{job} (attempt {a})"),
            _ => job,
        };
        let stages = if r.failed_stages > 0 {
            format!("{} ({} failed)", r.stages, r.failed_stages)
        } else {
            r.stages.to_string()
        };
        let started = r
            .started_at
            .get(..19)
            .unwrap_or(&r.started_at)
            .replace('T', " ");
        rows.push(vec![
            r.id.to_string(),
            started,
            or_dash(&r.repository),
            or_dash(&r.branch),
            r.commit
                .as_deref()
                .map_or("-".into(), |c| c.chars().take(10).collect()),
            job,
            stages,
            format!("{:.1}s", r.wall_seconds),
            r.host_class.clone(),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|row| row[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn or_dash(s: &str) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s.to_owned()
    }
}

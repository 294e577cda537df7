//! Who a run is: its key, branch, repository and host class, from the stage profiles of one
//! job directory. Pure functions; no database.
//!
//! **Run key** (re-ingesting the same job finds the same row):
//! - in CI, with a pipeline id: `provider|repository|pipeline_name|pipeline_id|job_id|job_name|attempt`
//!   (attempt 1 when unknown). Jenkins leaves `job_name` out: there it is the Pipeline
//!   `STAGE_NAME`, which differs between the stages of one build;
//! - otherwise (local runs): `PROVIDER:` and a 64-bit FNV-1a hash of the host name and the
//!   started_at and command of the earliest stage, so adding a later stage's profile to the
//!   directory and ingesting again completes the same run.
//!
//! **Branch**: `ci.git_ref` normalised by [`branch_name`]; empty when unknown.
//!
//! **Host class**: `host.fingerprint` as written by `wrap` (`arch/Nc/MGiB/cpu model`, with the
//! effective cores and memory, cgroup quota and limits applied; see `host::fingerprint`), or
//! computed the same way when a profile has none. Baselines compare only stages of one class.

use crate::profile::{CiContext, StageProfile};

use super::StoreError;

/// `refs/heads/main` → `main`; `refs/pull/17/merge` → `pull/17`;
/// `refs/merge-requests/5/head` → `merge-requests/5`; `refs/tags/v1` → `v1`;
/// `refs/remotes/origin/main` → `main`; anything else unchanged.
pub fn branch_name(git_ref: &str) -> String {
    let git_ref = git_ref.trim();
    for (prefix, label) in [
        ("refs/pull/", "pull"),
        ("refs/merge-requests/", "merge-requests"),
    ] {
        if let Some(rest) = git_ref.strip_prefix(prefix) {
            let number = rest.split('/').next().unwrap_or(rest);
            return format!("{label}/{number}");
        }
    }
    for prefix in ["refs/heads/", "refs/tags/", "refs/remotes/origin/"] {
        if let Some(rest) = git_ref.strip_prefix(prefix) {
            return rest.to_owned();
        }
    }
    git_ref.to_owned()
}

/// The branch of a CI context: [`branch_name`] of `git_ref`; Jenkins' `GIT_BRANCH` keeps its
/// remote (`origin/main`), which is dropped. Empty when unknown.
pub fn branch_of(ci: &CiContext) -> String {
    let Some(git_ref) = ci.git_ref.as_deref() else {
        return String::new();
    };
    let branch = branch_name(git_ref);
    match branch.strip_prefix("origin/") {
        Some(rest) if ci.provider == "jenkins" => rest.to_owned(),
        _ => branch,
    }
}

/// `owner/name` from a clone URL (`https://host/owner/name.git`, `git@host:owner/name.git`),
/// without credentials; `None` when the URL has no path.
pub fn repository_from_remote(url: &str) -> Option<String> {
    let url = url.trim();
    let path = if let Some((_, rest)) = url.split_once("://") {
        rest.split_once('/').map(|(_, path)| path)?
    } else if let Some((host, path)) = url.split_once(':') {
        // scp-like `user@host:owner/name.git`; a bare Windows or local path has no `@`.
        if !host.contains('@') {
            return Some(url.trim_end_matches(".git").to_owned());
        }
        path
    } else {
        url
    };
    let path = path
        .trim_matches('/')
        .trim_end_matches(".git")
        .trim_end_matches('/');
    (!path.is_empty()).then(|| path.to_owned())
}

/// The host class of a profile (see the module doc).
pub fn host_class(profile: &StageProfile) -> String {
    if profile.host.fingerprint.is_empty() {
        crate::host::fingerprint(&profile.host)
    } else {
        profile.host.fingerprint.clone()
    }
}

/// The fields that must agree between the stages of one job.
fn job_identity(ci: &CiContext) -> [Option<&str>; 7] {
    let job_name = if ci.provider == "jenkins" {
        None
    } else {
        ci.job_name.as_deref()
    };
    [
        Some(ci.provider.as_str()),
        ci.repository.as_deref(),
        ci.pipeline_name.as_deref(),
        ci.pipeline_id.as_deref(),
        ci.job_id.as_deref(),
        job_name,
        None,
    ]
}

/// The run key of the stage profiles of one job (see the module doc). Fails when the profiles
/// come from different jobs or name a stage twice.
pub fn run_key(profiles: &[StageProfile]) -> Result<String, StoreError> {
    let first = profiles.first().ok_or(StoreError::NoProfiles)?;
    let mut names = std::collections::BTreeSet::new();
    for p in profiles {
        if job_identity(&p.ci) != job_identity(&first.ci) || p.ci.attempt != first.ci.attempt {
            return Err(StoreError::MixedJobs {
                first: first.stage.name.clone(),
                second: p.stage.name.clone(),
            });
        }
        if !names.insert(p.stage.name.as_str()) {
            return Err(StoreError::DuplicateStage {
                stage: p.stage.name.clone(),
            });
        }
    }
    let ci = &first.ci;
    if ci.provider != "local" && ci.pipeline_id.is_some() {
        let fields = job_identity(ci);
        let mut key: Vec<&str> = fields[..6].iter().map(|f| f.unwrap_or("")).collect();
        let attempt = ci.attempt.unwrap_or(1).to_string();
        key.push(&attempt);
        return Ok(key.join("|"));
    }
    let earliest = earliest_stage(profiles)?;
    let mut hash = Fnv1a::new();
    for part in [
        earliest.host.hostname.as_deref().unwrap_or(""),
        &earliest.stage.started_at,
        &earliest.stage.command,
    ] {
        hash.write(part.as_bytes());
        hash.write(&[0x1f]);
    }
    Ok(format!("{}:{:016x}", ci.provider, hash.0))
}

/// The stage that started first (ties: by name, so the choice is stable).
fn earliest_stage(profiles: &[StageProfile]) -> Result<&StageProfile, StoreError> {
    let mut best: Option<(i64, &StageProfile)> = None;
    for p in profiles {
        let at = started_at_ms(p)?;
        let better = match best {
            None => true,
            Some((best_at, best_p)) => (at, &p.stage.name) < (best_at, &best_p.stage.name),
        };
        if better {
            best = Some((at, p));
        }
    }
    best.map(|(_, p)| p).ok_or(StoreError::NoProfiles)
}

/// `stage.started_at` in milliseconds since the Unix epoch.
pub fn started_at_ms(p: &StageProfile) -> Result<i64, StoreError> {
    let bad = || StoreError::BadTimestamp {
        stage: p.stage.name.clone(),
        value: p.stage.started_at.clone(),
    };
    let text = p.stage.started_at.trim();
    let t = humantime::parse_rfc3339(text)
        .or_else(|_| humantime::parse_rfc3339_weak(text.trim_end_matches('Z')))
        .map_err(|_| bad())?;
    let since = t.duration_since(std::time::UNIX_EPOCH).map_err(|_| bad())?;
    i64::try_from(since.as_millis()).map_err(|_| bad())
}

/// 64-bit FNV-1a: small, stable across versions and platforms (unlike `DefaultHasher`).
struct Fnv1a(u64);

impl Fnv1a {
    fn new() -> Fnv1a {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branches() {
        for (git_ref, branch) in [
            ("refs/heads/main", "main"),
            ("refs/heads/feature/login", "feature/login"),
            ("refs/pull/17/merge", "pull/17"),
            ("refs/pull/17/head", "pull/17"),
            ("refs/merge-requests/5/head", "merge-requests/5"),
            ("refs/tags/v1.2", "v1.2"),
            ("refs/remotes/origin/dev", "dev"),
            ("main", "main"),
            ("origin/main", "origin/main"),
        ] {
            assert_eq!(branch_name(git_ref), branch, "{git_ref}");
        }
        let jenkins = CiContext {
            provider: "jenkins".into(),
            git_ref: Some("origin/main".into()),
            ..CiContext::default()
        };
        assert_eq!(branch_of(&jenkins), "main");
    }

    #[test]
    fn remotes() {
        for (url, repo) in [
            ("https://github.com/owner/name.git", Some("owner/name")),
            (
                "https://user:tok@gitlab.example.com/g/sub/p.git",
                Some("g/sub/p"),
            ),
            ("git@github.com:owner/name.git", Some("owner/name")),
            ("ssh://git@host:22/owner/name", Some("owner/name")),
            ("https://github.com", None),
        ] {
            assert_eq!(repository_from_remote(url).as_deref(), repo, "{url}");
        }
    }

    #[test]
    fn fnv_is_stable() {
        let mut h = Fnv1a::new();
        h.write(b"a");
        assert_eq!(h.0, 0xaf63_dc4c_8601_ec8c);
    }
}

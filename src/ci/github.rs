//! GitHub Actions.
//!
//! Variables checked against "Variables reference", section "Default environment variables":
//! <https://docs.github.com/en/actions/reference/workflows-and-actions/variables>.
//! The run URL is composed as that page's note says:
//! `$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID`.
//!
//! | field           | variables                                                    |
//! |-----------------|--------------------------------------------------------------|
//! | marker          | `GITHUB_ACTIONS=true`                                        |
//! | `pipeline_id`   | `GITHUB_RUN_ID`                                              |
//! | `pipeline_name` | `GITHUB_WORKFLOW`                                            |
//! | `pipeline_url`  | `GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`, `GITHUB_RUN_ID`    |
//! | `job_name`      | `GITHUB_JOB` (the job's key in the workflow file)            |
//! | `attempt`       | `GITHUB_RUN_ATTEMPT`                                         |
//! | `runner_name`   | `RUNNER_NAME`                                                |
//! | `runner_labels` | `RUNNER_OS`, `RUNNER_ARCH` (lowercased), `RUNNER_ENVIRONMENT` |
//! | `repository`    | `GITHUB_REPOSITORY`                                          |
//! | `git_ref`       | `GITHUB_HEAD_REF`, else `GITHUB_REF_NAME`, else `GITHUB_REF` |
//! | `commit`        | `GITHUB_SHA`                                                 |
//! | `event`         | `GITHUB_EVENT_NAME`                                          |
//!
//! GitHub gives a job neither its numeric id nor its URL in the environment, so `job_id` and
//! `job_url` stay empty.

use super::{Env, labels, short_ref};
use crate::profile::CiContext;

/// The context of a GitHub Actions job, or `None` outside GitHub Actions.
pub(super) fn detect(env: &Env<'_>) -> Option<CiContext> {
    // Always `true` in a workflow, and a workflow cannot overwrite `GITHUB_*` variables.
    if !env.is_true("GITHUB_ACTIONS") {
        return None;
    }
    let run_id = env.get("GITHUB_RUN_ID");
    let repository = env.get("GITHUB_REPOSITORY");
    let pipeline_url = match (env.url("GITHUB_SERVER_URL"), &repository, &run_id) {
        (Some(server), Some(repository), Some(run_id)) => Some(format!(
            "{}/{repository}/actions/runs/{run_id}",
            server.trim_end_matches('/')
        )),
        _ => None,
    };
    // Lowercase OS and architecture (`Linux` → `linux`, `X64` → `x64`) match the default
    // labels GitHub gives self-hosted runners (`self-hosted`, `linux`, `x64`), which
    // `RUNNER_ENVIRONMENT` already spells that way.
    let runner_labels = labels(
        [
            env.get("RUNNER_OS").map(|os| os.to_lowercase()),
            env.get("RUNNER_ARCH").map(|arch| arch.to_lowercase()),
            env.get("RUNNER_ENVIRONMENT"),
        ]
        .into_iter()
        .flatten(),
    );
    // On a pull request `GITHUB_REF` is the merge ref `refs/pull/N/merge` and
    // `GITHUB_REF_NAME` is `N/merge`; the source branch is in `GITHUB_HEAD_REF`, which is
    // empty for other events.
    let git_ref = env
        .first(&["GITHUB_HEAD_REF", "GITHUB_REF_NAME"])
        .or_else(|| env.get("GITHUB_REF").map(|git_ref| short_ref(&git_ref)));
    Some(CiContext {
        provider: "github".to_owned(),
        pipeline_id: run_id,
        pipeline_name: env.get("GITHUB_WORKFLOW"),
        pipeline_url,
        job_id: None,
        job_name: env.get("GITHUB_JOB"),
        job_url: None,
        attempt: env.attempt("GITHUB_RUN_ATTEMPT"),
        runner_name: env.get("RUNNER_NAME"),
        runner_labels,
        repository,
        git_ref,
        commit: env.get("GITHUB_SHA"),
        event: env.get("GITHUB_EVENT_NAME"),
    })
}

#[cfg(test)]
mod tests {
    use crate::ci::detect_vars;

    /// Variables every job of the run sees, on a GitHub-hosted runner.
    const RUN: [(&str, &str); 12] = [
        ("CI", "true"),
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "octocat/Hello-World"),
        ("GITHUB_RUN_ID", "1658821493"),
        ("GITHUB_RUN_NUMBER", "3"),
        ("GITHUB_WORKFLOW", "My test workflow"),
        ("GITHUB_JOB", "greeting_job"),
        ("RUNNER_NAME", "GitHub Actions 2"),
        ("RUNNER_OS", "Linux"),
        ("RUNNER_ARCH", "X64"),
        ("RUNNER_ENVIRONMENT", "github-hosted"),
    ];

    /// `RUN` plus `extra`; a name in `extra` overrides the same name in `RUN`.
    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut vars = RUN.to_vec();
        vars.extend_from_slice(extra);
        vars
    }

    #[test]
    fn push() {
        insta::assert_debug_snapshot!(detect_vars(&with(&[
            ("GITHUB_RUN_ATTEMPT", "1"),
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_REF", "refs/heads/feature-branch-1"),
            ("GITHUB_REF_NAME", "feature-branch-1"),
            ("GITHUB_REF_TYPE", "branch"),
            // Set, and empty, for events other than pull requests.
            ("GITHUB_HEAD_REF", ""),
            ("GITHUB_BASE_REF", ""),
            ("GITHUB_SHA", "ffac537e6cbbf934b08745a378932722df287a53"),
            ("GITHUB_TOKEN", "ghs_notInTheContext"),
        ])));
    }

    #[test]
    fn pull_request() {
        insta::assert_debug_snapshot!(detect_vars(&with(&[
            ("GITHUB_RUN_ATTEMPT", "1"),
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_REF", "refs/pull/53/merge"),
            ("GITHUB_REF_NAME", "53/merge"),
            ("GITHUB_HEAD_REF", "test/pull_request_target"),
            ("GITHUB_BASE_REF", "main"),
            ("GITHUB_SHA", "6113728f27ae82c7b1a177c8d03f9e96e0adf246"),
        ])));
    }

    #[test]
    fn retried_on_a_self_hosted_runner() {
        insta::assert_debug_snapshot!(detect_vars(&with(&[
            ("GITHUB_SERVER_URL", "https://ghe.example.com/"),
            ("GITHUB_RUN_ATTEMPT", "3"),
            ("GITHUB_EVENT_NAME", "workflow_dispatch"),
            ("GITHUB_REF", "refs/tags/v1.2.0"),
            ("GITHUB_REF_NAME", "v1.2.0"),
            ("GITHUB_SHA", "ffac537e6cbbf934b08745a378932722df287a53"),
            ("RUNNER_NAME", "build-arm-01"),
            ("RUNNER_ARCH", "ARM64"),
            ("RUNNER_ENVIRONMENT", "self-hosted"),
        ])));
    }

    #[test]
    fn only_the_marker() {
        let ctx = detect_vars(&[("GITHUB_ACTIONS", "true")]);
        assert_eq!(ctx, crate::ci::context("github"));
    }

    #[test]
    fn run_url_needs_all_its_parts() {
        let vars: Vec<_> = RUN
            .into_iter()
            .filter(|(name, _)| *name != "GITHUB_SERVER_URL")
            .collect();
        let ctx = detect_vars(&vars);
        assert_eq!(ctx.pipeline_url, None);
        assert_eq!(ctx.pipeline_id.as_deref(), Some("1658821493"));
    }

    #[test]
    fn server_url_credentials_are_dropped() {
        let ctx = detect_vars(&with(&[(
            "GITHUB_SERVER_URL",
            "https://user:pat123@ghe.example.com",
        )]));
        assert_eq!(
            ctx.pipeline_url.as_deref(),
            Some("https://ghe.example.com/octocat/Hello-World/actions/runs/1658821493")
        );
    }

    #[test]
    fn bad_attempts_are_left_out() {
        for attempt in ["", "  ", "0", "first", "-2"] {
            let ctx = detect_vars(&with(&[("GITHUB_RUN_ATTEMPT", attempt)]));
            assert_eq!(ctx.attempt, None, "{attempt:?}");
        }
        let ctx = detect_vars(&with(&[("GITHUB_RUN_ATTEMPT", " 2\n")]));
        assert_eq!(ctx.attempt, Some(2));
    }

    #[test]
    fn ref_without_ref_name() {
        let ctx = detect_vars(&with(&[("GITHUB_REF", "refs/heads/main")]));
        assert_eq!(ctx.git_ref.as_deref(), Some("main"));
    }
}

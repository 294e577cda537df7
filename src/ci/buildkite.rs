//! Buildkite.
//!
//! Variables checked against "Environment variables":
//! <https://buildkite.com/docs/pipelines/configure/environment-variables>.
//!
//! | field           | variables                                                         |
//! |-----------------|-------------------------------------------------------------------|
//! | marker          | `BUILDKITE=true`                                                  |
//! | `pipeline_id`   | `BUILDKITE_BUILD_ID` (the build's UUID; the number is in the URL) |
//! | `pipeline_name` | `BUILDKITE_PIPELINE_SLUG`                                         |
//! | `pipeline_url`  | `BUILDKITE_BUILD_URL`                                             |
//! | `job_id`        | `BUILDKITE_JOB_ID`                                                |
//! | `job_name`      | `BUILDKITE_LABEL`, else `BUILDKITE_STEP_KEY`                      |
//! | `attempt`       | `BUILDKITE_RETRY_COUNT` + 1                                       |
//! | `runner_name`   | `BUILDKITE_AGENT_NAME`                                            |
//! | `runner_labels` | `queue=` + `BUILDKITE_AGENT_META_DATA_QUEUE`, `BUILDKITE_COMPUTE_TYPE` |
//! | `repository`    | `BUILDKITE_REPO`, credentials removed                             |
//! | `git_ref`       | `BUILDKITE_BRANCH`, else `BUILDKITE_TAG`                          |
//! | `commit`        | `BUILDKITE_COMMIT` when it is a SHA                               |
//! | `event`         | `BUILDKITE_GITHUB_EVENT`, else `pull_request` when                |
//! |                 | `BUILDKITE_PULL_REQUEST` is a number, else `BUILDKITE_SOURCE`     |
//!
//! Agent tags reach the job as `BUILDKITE_AGENT_META_DATA_<TAG>` variables, one per tag. A
//! lookup cannot list variables, so only the queue tag, the one the documentation names, is
//! read. The page documents no job URL, so `job_url` stays empty.

use super::{Env, labels};
use crate::profile::CiContext;

/// The context of a Buildkite job, or `None` outside Buildkite.
pub(super) fn detect(env: &Env<'_>) -> Option<CiContext> {
    if !env.is_true("BUILDKITE") {
        return None;
    }
    // The number of retries before this run of the job; `0` on the first run.
    let attempt = env
        .get("BUILDKITE_RETRY_COUNT")
        .and_then(|retries| retries.parse::<u32>().ok())
        .and_then(|retries| retries.checked_add(1));
    // Written in the agent's own `key=value` tag syntax; the compute type is `hosted` or
    // `self-hosted`.
    let runner_labels = labels(
        [
            env.get("BUILDKITE_AGENT_META_DATA_QUEUE")
                .map(|queue| format!("queue={queue}")),
            env.get("BUILDKITE_COMPUTE_TYPE"),
        ]
        .into_iter()
        .flatten(),
    );
    // `BUILDKITE_PULL_REQUEST` is the pull request's number, or `false` if there is none.
    let pull_request = env
        .get("BUILDKITE_PULL_REQUEST")
        .filter(|number| number.parse::<u64>().is_ok());
    let event = env
        .get("BUILDKITE_GITHUB_EVENT")
        .or_else(|| pull_request.map(|_| "pull_request".to_owned()))
        .or_else(|| env.get("BUILDKITE_SOURCE"));
    Some(CiContext {
        provider: "buildkite".to_owned(),
        pipeline_id: env.get("BUILDKITE_BUILD_ID"),
        pipeline_name: env.get("BUILDKITE_PIPELINE_SLUG"),
        pipeline_url: env.url("BUILDKITE_BUILD_URL"),
        job_id: env.get("BUILDKITE_JOB_ID"),
        job_name: env.first(&["BUILDKITE_LABEL", "BUILDKITE_STEP_KEY"]),
        job_url: None,
        attempt,
        runner_name: env.get("BUILDKITE_AGENT_NAME"),
        runner_labels,
        // A hook may set `BUILDKITE_REPO`; an HTTPS remote can carry a token.
        repository: env.url("BUILDKITE_REPO"),
        git_ref: env.first(&["BUILDKITE_BRANCH", "BUILDKITE_TAG"]),
        // "Usually a 40-byte hexadecimal SHA-1 hash, but can also be a symbolic name like
        // HEAD": a symbolic name says nothing about the commit built, so it is left out.
        commit: env
            .get("BUILDKITE_COMMIT")
            .filter(|commit| is_commit_sha(commit)),
        event,
    })
}

/// True for an abbreviated or full hexadecimal object name (SHA-1 or SHA-256).
fn is_commit_sha(value: &str) -> bool {
    (7..=64).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use crate::ci::detect_vars;

    /// Variables of a job, with the example values of the documentation.
    const JOB: [(&str, &str); 18] = [
        ("CI", "true"),
        ("BUILDKITE", "true"),
        ("BUILDKITE_ORGANIZATION_SLUG", "acme-inc"),
        ("BUILDKITE_PIPELINE_SLUG", "my-project"),
        ("BUILDKITE_PIPELINE_NAME", "my_project"),
        ("BUILDKITE_BUILD_ID", "4735ba57-80d0-46e2-8fa0-b28223a86586"),
        ("BUILDKITE_BUILD_NUMBER", "1514"),
        (
            "BUILDKITE_BUILD_URL",
            "https://buildkite.com/acme-inc/my-project/builds/1514",
        ),
        ("BUILDKITE_JOB_ID", "e44f9784-e20e-4b93-a21d-f41fd5869db9"),
        ("BUILDKITE_LABEL", ":hammer: Specs"),
        ("BUILDKITE_STEP_KEY", "tests-06"),
        ("BUILDKITE_AGENT_NAME", "elastic-builders-088264dc4f9"),
        ("BUILDKITE_AGENT_ID", "1a222222-e999-3636-8ddd-802222222222"),
        ("BUILDKITE_AGENT_META_DATA_QUEUE", "default"),
        ("BUILDKITE_COMPUTE_TYPE", "self-hosted"),
        ("BUILDKITE_REPO", "git@github.com:acme-inc/my-project.git"),
        (
            "BUILDKITE_AGENT_ACCESS_TOKEN",
            "83d544ccc223c157d2bf80d3f2a32982c32c3c0db8e3674820da5064783fb091",
        ),
        ("BUILDKITE_PULL_REQUEST_BASE_BRANCH", ""),
    ];

    /// `JOB` plus `extra`; a name in `extra` overrides the same name in `JOB`.
    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut vars = JOB.to_vec();
        vars.extend_from_slice(extra);
        vars
    }

    #[test]
    fn push() {
        insta::assert_debug_snapshot!(detect_vars(&with(&[
            ("BUILDKITE_RETRY_COUNT", "0"),
            ("BUILDKITE_BRANCH", "main"),
            ("BUILDKITE_TAG", ""),
            (
                "BUILDKITE_COMMIT",
                "83a20ec058e2fb00e7fa4558c4c6e81e2dcf253d"
            ),
            ("BUILDKITE_PULL_REQUEST", "false"),
            ("BUILDKITE_SOURCE", "webhook"),
            ("BUILDKITE_GITHUB_EVENT", "push"),
        ])));
    }

    #[test]
    fn retried_pull_request() {
        insta::assert_debug_snapshot!(detect_vars(&with(&[
            ("BUILDKITE_RETRY_COUNT", "2"),
            ("BUILDKITE_BRANCH", "feature/login"),
            (
                "BUILDKITE_COMMIT",
                "44af8aa0007898d08f1bec401df7c077c1df0722"
            ),
            ("BUILDKITE_PULL_REQUEST", "123"),
            ("BUILDKITE_PULL_REQUEST_BASE_BRANCH", "main"),
            ("BUILDKITE_SOURCE", "webhook"),
            (
                "BUILDKITE_REPO",
                "https://x-access-token:ghs_16C7e42F292c6912E7710c8@github.com/acme-inc/my-project.git",
            ),
            ("BUILDKITE_COMPUTE_TYPE", "hosted"),
            ("BUILDKITE_AGENT_META_DATA_QUEUE", "linux-large"),
        ])));
    }

    #[test]
    fn manual_build_from_the_dashboard() {
        let ctx = detect_vars(&with(&[
            ("BUILDKITE_COMMIT", "HEAD"),
            ("BUILDKITE_BRANCH", "main"),
            ("BUILDKITE_PULL_REQUEST", "false"),
            ("BUILDKITE_SOURCE", "ui"),
            ("BUILDKITE_LABEL", ""),
        ]));
        assert_eq!(ctx.commit, None);
        assert_eq!(ctx.event.as_deref(), Some("ui"));
        assert_eq!(ctx.job_name.as_deref(), Some("tests-06"));
    }

    #[test]
    fn tag_build() {
        let ctx = detect_vars(&with(&[
            ("BUILDKITE_BRANCH", ""),
            ("BUILDKITE_TAG", "v1.2.3"),
        ]));
        assert_eq!(ctx.git_ref.as_deref(), Some("v1.2.3"));
    }

    #[test]
    fn bad_retry_counts_are_left_out() {
        for retries in ["", "-1", "many", "4294967295"] {
            let ctx = detect_vars(&with(&[("BUILDKITE_RETRY_COUNT", retries)]));
            assert_eq!(ctx.attempt, None, "{retries:?}");
        }
    }

    #[test]
    fn only_the_marker() {
        assert_eq!(
            detect_vars(&[("BUILDKITE", "true")]),
            crate::ci::context("buildkite")
        );
    }
}

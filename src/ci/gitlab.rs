//! GitLab CI/CD.
//!
//! Variables checked against "Predefined CI/CD variables reference":
//! <https://docs.gitlab.com/ci/variables/predefined_variables/>, including its sections on
//! merge request and external pull request pipelines.
//!
//! | field           | variables                                                          |
//! |-----------------|--------------------------------------------------------------------|
//! | marker          | `GITLAB_CI=true`                                                   |
//! | `pipeline_id`   | `CI_PIPELINE_ID`                                                   |
//! | `pipeline_name` | `CI_PIPELINE_NAME` (`workflow:name`, GitLab 16.3 and later)        |
//! | `pipeline_url`  | `CI_PIPELINE_URL`                                                  |
//! | `job_id`        | `CI_JOB_ID`                                                        |
//! | `job_name`      | `CI_JOB_NAME`                                                      |
//! | `job_url`       | `CI_JOB_URL`                                                       |
//! | `runner_name`   | `CI_RUNNER_DESCRIPTION` (the name shown for the runner)            |
//! | `runner_labels` | `CI_RUNNER_TAGS`                                                   |
//! | `repository`    | `CI_PROJECT_PATH`                                                  |
//! | `git_ref`       | `CI_MERGE_REQUEST_SOURCE_BRANCH_NAME`, else                        |
//! |                 | `CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME`, else `CI_COMMIT_REF_NAME` |
//! | `commit`        | `CI_COMMIT_SHA`                                                    |
//! | `event`         | `CI_PIPELINE_SOURCE` (`push`, `merge_request_event`, ...)          |
//!
//! The reference documents no retry counter for jobs, so `attempt` stays empty. The
//! repository comes from `CI_PROJECT_PATH`, never from `CI_REPOSITORY_URL`, which embeds the
//! job token (`https://gitlab-ci-token:$CI_JOB_TOKEN@...`).

use super::{Env, labels};
use crate::profile::CiContext;

/// The context of a GitLab CI/CD job, or `None` outside GitLab CI/CD.
pub(super) fn detect(env: &Env<'_>) -> Option<CiContext> {
    if !env.is_true("GITLAB_CI") {
        return None;
    }
    Some(CiContext {
        provider: "gitlab".to_owned(),
        pipeline_id: env.get("CI_PIPELINE_ID"),
        pipeline_name: env.get("CI_PIPELINE_NAME"),
        pipeline_url: env.url("CI_PIPELINE_URL"),
        job_id: env.get("CI_JOB_ID"),
        job_name: env.get("CI_JOB_NAME"),
        job_url: env.url("CI_JOB_URL"),
        attempt: None,
        runner_name: env.get("CI_RUNNER_DESCRIPTION"),
        runner_labels: env
            .get("CI_RUNNER_TAGS")
            .map(|tags| runner_tags(&tags))
            .unwrap_or_default(),
        repository: env.get("CI_PROJECT_PATH"),
        git_ref: env.first(&[
            "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
            "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME",
            "CI_COMMIT_REF_NAME",
        ]),
        commit: env.get("CI_COMMIT_SHA"),
        event: env.get("CI_PIPELINE_SOURCE"),
    })
}

/// Parses `CI_RUNNER_TAGS`.
///
/// The reference calls it "a comma-separated list of the runner tags", and older runners
/// write it so (`docker, linux`); current ones write a JSON array (`["docker", "linux"]`).
/// A value that looks like an array but is not valid JSON is split on commas with its
/// brackets and quotes removed.
fn runner_tags(raw: &str) -> Vec<String> {
    if raw.starts_with('[')
        && let Ok(tags) = serde_json::from_str::<Vec<String>>(raw)
    {
        return labels(tags);
    }
    let list = raw.strip_prefix('[').unwrap_or(raw);
    let list = list.strip_suffix(']').unwrap_or(list);
    labels(list.split(',').map(|tag| tag.trim().trim_matches('"')))
}

#[cfg(test)]
mod tests {
    use super::runner_tags;
    use crate::ci::detect_vars;

    /// Variables of a job on a GitLab.com hosted runner.
    const JOB: [(&str, &str); 16] = [
        ("CI", "true"),
        ("GITLAB_CI", "true"),
        ("CI_SERVER_URL", "https://gitlab.example.com"),
        ("CI_PROJECT_PATH", "my-group/my-project"),
        (
            "CI_PROJECT_URL",
            "https://gitlab.example.com/my-group/my-project",
        ),
        (
            "CI_REPOSITORY_URL",
            "https://gitlab-ci-token:[MASKED]@gitlab.example.com/my-group/my-project.git",
        ),
        ("CI_JOB_TOKEN", "glcbt-notInTheContext"),
        ("CI_PIPELINE_ID", "1289371862"),
        ("CI_PIPELINE_IID", "412"),
        (
            "CI_PIPELINE_URL",
            "https://gitlab.example.com/my-group/my-project/-/pipelines/1289371862",
        ),
        ("CI_JOB_ID", "6789012345"),
        ("CI_JOB_NAME", "build linux"),
        ("CI_JOB_STAGE", "build"),
        (
            "CI_JOB_URL",
            "https://gitlab.example.com/my-group/my-project/-/jobs/6789012345",
        ),
        (
            "CI_RUNNER_DESCRIPTION",
            "3-blue.saas-linux-small-amd64.runners-manager.gitlab.com/default",
        ),
        ("CI_RUNNER_ID", "12270807"),
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
            (
                "CI_RUNNER_TAGS",
                r#"["gce", "east-c", "linux", "docker", "saas-linux-small-amd64"]"#,
            ),
            ("CI_PIPELINE_SOURCE", "push"),
            ("CI_COMMIT_BRANCH", "main"),
            ("CI_COMMIT_REF_NAME", "main"),
            ("CI_COMMIT_SHA", "1ecfd275763eff1d6b4844ea3168962458c9f27a"),
        ])));
    }

    #[test]
    fn merge_request() {
        insta::assert_debug_snapshot!(detect_vars(&with(&[
            ("CI_PIPELINE_NAME", "MR pipeline: feature/login"),
            ("CI_RUNNER_DESCRIPTION", "group-runner-docker-03"),
            // The comma-separated format of older runners.
            ("CI_RUNNER_TAGS", "docker, linux,  large"),
            ("CI_PIPELINE_SOURCE", "merge_request_event"),
            ("CI_MERGE_REQUEST_IID", "42"),
            ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "feature/login"),
            ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"),
            ("CI_COMMIT_REF_NAME", "feature/login"),
            ("CI_COMMIT_SHA", "dd648b2e48ce6518303b0bb580b2ee32fadaf045"),
        ])));
    }

    #[test]
    fn external_pull_request() {
        let ctx = detect_vars(&with(&[
            ("CI_PIPELINE_SOURCE", "external_pull_request_event"),
            ("CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME", "fix/typo"),
            ("CI_COMMIT_REF_NAME", "fix/typo"),
            ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", ""),
        ]));
        assert_eq!(ctx.git_ref.as_deref(), Some("fix/typo"));
        assert_eq!(ctx.event.as_deref(), Some("external_pull_request_event"));
    }

    #[test]
    fn only_the_marker() {
        assert_eq!(
            detect_vars(&[("GITLAB_CI", "true")]),
            crate::ci::context("gitlab")
        );
    }

    #[test]
    fn empty_values_are_absent() {
        let ctx = detect_vars(&[
            ("GITLAB_CI", "true"),
            ("CI_PIPELINE_NAME", ""),
            ("CI_RUNNER_TAGS", ""),
            ("CI_RUNNER_DESCRIPTION", " "),
            ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", ""),
            ("CI_COMMIT_REF_NAME", "main"),
        ]);
        assert_eq!(ctx.pipeline_name, None);
        assert_eq!(ctx.runner_name, None);
        assert!(ctx.runner_labels.is_empty());
        assert_eq!(ctx.git_ref.as_deref(), Some("main"));
    }

    #[test]
    fn urls_lose_credentials() {
        let ctx = detect_vars(&with(&[
            (
                "CI_PIPELINE_URL",
                "https://oauth2:glpat-secret@gitlab.example.com/g/p/-/pipelines/1",
            ),
            (
                "CI_JOB_URL",
                "https://gitlab-ci-token:[MASKED]@gitlab.example.com/g/p/-/jobs/2",
            ),
        ]));
        assert_eq!(
            ctx.pipeline_url.as_deref(),
            Some("https://gitlab.example.com/g/p/-/pipelines/1")
        );
        assert_eq!(
            ctx.job_url.as_deref(),
            Some("https://gitlab.example.com/g/p/-/jobs/2")
        );
        assert_eq!(ctx.repository.as_deref(), Some("my-group/my-project"));
    }

    #[test]
    fn runner_tag_formats() {
        assert_eq!(runner_tags(r#"["docker", "linux"]"#), ["docker", "linux"]);
        assert_eq!(runner_tags("[]"), Vec::<String>::new());
        assert_eq!(runner_tags("docker,linux"), ["docker", "linux"]);
        assert_eq!(runner_tags("docker, linux, "), ["docker", "linux"]);
        assert_eq!(runner_tags("single"), ["single"]);
        // Bracketed but not JSON.
        assert_eq!(runner_tags("[docker, linux]"), ["docker", "linux"]);
        assert_eq!(runner_tags(r#"["docker", "linux""#), ["docker", "linux"]);
    }
}

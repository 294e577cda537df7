//! CircleCI.
//!
//! Variables checked against "Project values and variables", section "Built-in environment
//! variables": <https://circleci.com/docs/reference/variables/>.
//!
//! | field         | variables                                                           |
//! |---------------|---------------------------------------------------------------------|
//! | marker        | `CIRCLECI=true`                                                     |
//! | `pipeline_id` | `CIRCLE_WORKFLOW_ID` (the workflow instance all its jobs share)     |
//! | `job_id`      | `CIRCLE_BUILD_NUM` (the job number of the UI, URLs and API)         |
//! | `job_name`    | `CIRCLE_JOB`                                                        |
//! | `job_url`     | `CIRCLE_BUILD_URL`                                                  |
//! | `repository`  | `CIRCLE_PROJECT_USERNAME`/`CIRCLE_PROJECT_REPONAME`, else           |
//! |               | `CIRCLE_REPOSITORY_URL` with credentials removed                    |
//! | `git_ref`     | `CIRCLE_BRANCH`, else `CIRCLE_TAG`                                  |
//! | `commit`      | `CIRCLE_SHA1`                                                       |
//!
//! CircleCI passes no workflow name, workflow URL, attempt, runner name, runner labels or
//! trigger event to the job's environment: those are pipeline values (`<< pipeline.… >>`)
//! that a configuration has to export itself, so those fields stay empty. The project
//! variables are only set for GitHub OAuth and Bitbucket Cloud projects.

use super::Env;
use crate::profile::CiContext;

/// The context of a CircleCI job, or `None` outside CircleCI.
pub(super) fn detect(env: &Env<'_>) -> Option<CiContext> {
    if !env.is_true("CIRCLECI") {
        return None;
    }
    let repository = match (
        env.get("CIRCLE_PROJECT_USERNAME"),
        env.get("CIRCLE_PROJECT_REPONAME"),
    ) {
        (Some(owner), Some(name)) => Some(format!("{owner}/{name}")),
        _ => env.url("CIRCLE_REPOSITORY_URL"),
    };
    Some(CiContext {
        provider: "circleci".to_owned(),
        pipeline_id: env.get("CIRCLE_WORKFLOW_ID"),
        pipeline_name: None,
        pipeline_url: None,
        job_id: env.get("CIRCLE_BUILD_NUM"),
        job_name: env.get("CIRCLE_JOB"),
        job_url: env.url("CIRCLE_BUILD_URL"),
        attempt: None,
        runner_name: None,
        runner_labels: Vec::new(),
        repository,
        git_ref: env.first(&["CIRCLE_BRANCH", "CIRCLE_TAG"]),
        commit: env.get("CIRCLE_SHA1"),
        event: None,
    })
}

#[cfg(test)]
mod tests {
    use crate::ci::detect_vars;

    #[test]
    fn branch_with_pull_request() {
        insta::assert_debug_snapshot!(detect_vars(&[
            ("CI", "true"),
            ("CIRCLECI", "true"),
            ("CIRCLE_PIPELINE_ID", "7b0a2f6c-5e3b-4a8e-9a51-0d1f2c3b4a59"),
            ("CIRCLE_WORKFLOW_ID", "2e3c7f0a-8b4d-4c1e-a6f5-93d2b1e0c7a4"),
            (
                "CIRCLE_WORKFLOW_JOB_ID",
                "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"
            ),
            ("CIRCLE_BUILD_NUM", "1234"),
            ("CIRCLE_BUILD_URL", "https://circleci.com/gh/acme/app/1234"),
            ("CIRCLE_JOB", "build"),
            ("CIRCLE_NODE_INDEX", "0"),
            ("CIRCLE_NODE_TOTAL", "1"),
            ("CIRCLE_PROJECT_USERNAME", "acme"),
            ("CIRCLE_PROJECT_REPONAME", "app"),
            ("CIRCLE_REPOSITORY_URL", "git@github.com:acme/app.git"),
            ("CIRCLE_BRANCH", "feature/login"),
            ("CIRCLE_SHA1", "0f3b2c1d4e5f60718293a4b5c6d7e8f901234567"),
            ("CIRCLE_PULL_REQUEST", "https://github.com/acme/app/pull/7"),
            ("CIRCLE_USERNAME", "octocat"),
        ]));
    }

    #[test]
    fn tag_on_a_gitlab_project() {
        // GitLab projects get neither the project variables nor the repository URL.
        insta::assert_debug_snapshot!(detect_vars(&[
            ("CIRCLECI", "true"),
            ("CIRCLE_WORKFLOW_ID", "5d6e7f80-9a0b-4c1d-8e2f-3a4b5c6d7e8f"),
            ("CIRCLE_BUILD_NUM", "88"),
            (
                "CIRCLE_BUILD_URL",
                "https://app.circleci.com/jobs/gl/acme/app/88"
            ),
            ("CIRCLE_JOB", "release"),
            ("CIRCLE_BRANCH", ""),
            ("CIRCLE_TAG", "v2.0.0"),
            ("CIRCLE_SHA1", "89abcdef0123456789abcdef0123456789abcdef"),
        ]));
    }

    #[test]
    fn repository_url_fallback_loses_credentials() {
        let ctx = detect_vars(&[
            ("CIRCLECI", "true"),
            ("CIRCLE_PROJECT_USERNAME", "acme"),
            (
                "CIRCLE_REPOSITORY_URL",
                "https://oauth2:gho_secret@github.com/acme/app.git",
            ),
        ]);
        assert_eq!(
            ctx.repository.as_deref(),
            Some("https://github.com/acme/app.git")
        );
    }

    #[test]
    fn only_the_marker() {
        assert_eq!(
            detect_vars(&[("CIRCLECI", "true")]),
            crate::ci::context("circleci")
        );
    }
}

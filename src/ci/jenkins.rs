//! Jenkins.
//!
//! Variables checked against the Jenkins Pipeline book, "Using environment variables"
//! (<https://www.jenkins.io/doc/book/pipeline/jenkinsfile/#using-environment-variables>, whose
//! full list each controller serves at `${JENKINS_URL}env-vars.html`), against the Pipeline
//! Stage Step plugin for `STAGE_NAME` (JENKINS-44456), and against the Git plugin's
//! "Environment Variables" section (<https://plugins.jenkins.io/git/#plugin-content-environment-variables>).
//!
//! | field           | variables                                                        |
//! |-----------------|------------------------------------------------------------------|
//! | marker          | `BUILD_TAG=jenkins-…`, or `JENKINS_URL` with `BUILD_NUMBER`      |
//! | `pipeline_id`   | `BUILD_NUMBER`                                                   |
//! | `pipeline_name` | `JOB_NAME` (`folder/job`, `org/repo/branch` in multibranch)       |
//! | `pipeline_url`  | `BUILD_URL`                                                      |
//! | `job_name`      | `STAGE_NAME` (inside a Pipeline `stage` only)                    |
//! | `runner_name`   | `NODE_NAME`                                                      |
//! | `runner_labels` | `NODE_LABELS` (whitespace-separated)                             |
//! | `repository`    | `GIT_URL` (Git plugin), credentials removed                      |
//! | `git_ref`       | `CHANGE_BRANCH`, else `BRANCH_NAME`, else `GIT_LOCAL_BRANCH`,    |
//! |                 | else `GIT_BRANCH` (which keeps its remote: `origin/main`)        |
//! | `commit`        | `GIT_COMMIT` (Git plugin)                                        |
//! | `event`         | `pull_request` when `CHANGE_ID` is set, else empty               |
//!
//! A Jenkins build has no job id, job URL or attempt: a rebuild or replay is a new build with
//! a new number. `JENKINS_URL` is only set when the controller's URL is configured, so the
//! marker falls back to `BUILD_TAG`, which Jenkins always sets to `jenkins-${JOB_NAME}-${BUILD_NUMBER}`.

use super::{Env, labels};
use crate::profile::CiContext;

/// The context of a Jenkins build, or `None` outside Jenkins.
pub(super) fn detect(env: &Env<'_>) -> Option<CiContext> {
    let tagged = env
        .get("BUILD_TAG")
        .is_some_and(|tag| tag.starts_with("jenkins-"));
    // `JENKINS_URL` alone is not a build: the Jenkins CLI reads it from developers' shells.
    let has_url = env.get("JENKINS_URL").is_some() && env.get("BUILD_NUMBER").is_some();
    if !(tagged || has_url) {
        return None;
    }
    Some(CiContext {
        provider: "jenkins".to_owned(),
        pipeline_id: env.get("BUILD_NUMBER"),
        pipeline_name: env.get("JOB_NAME"),
        pipeline_url: env.url("BUILD_URL"),
        job_id: None,
        job_name: env.get("STAGE_NAME"),
        job_url: None,
        attempt: None,
        runner_name: env.get("NODE_NAME"),
        runner_labels: env
            .get("NODE_LABELS")
            .map(|node_labels| labels(node_labels.split_whitespace()))
            .unwrap_or_default(),
        // `GIT_URL` is the remote as configured and may hold `user:password@`.
        repository: env.url("GIT_URL"),
        // In a multibranch change request `BRANCH_NAME` is `PR-24`; the source branch is
        // `CHANGE_BRANCH`.
        git_ref: env.first(&[
            "CHANGE_BRANCH",
            "BRANCH_NAME",
            "GIT_LOCAL_BRANCH",
            "GIT_BRANCH",
        ]),
        commit: env.get("GIT_COMMIT"),
        event: env.get("CHANGE_ID").map(|_| "pull_request".to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use crate::ci::detect_vars;

    #[test]
    fn multibranch_pull_request() {
        insta::assert_debug_snapshot!(detect_vars(&[
            ("CI", "true"),
            ("JENKINS_URL", "https://ci.example.com/"),
            ("JENKINS_HOME", "/var/jenkins_home"),
            ("BUILD_NUMBER", "153"),
            ("BUILD_ID", "153"),
            ("BUILD_DISPLAY_NAME", "#153"),
            ("BUILD_TAG", "jenkins-acme-app-PR-24-153"),
            ("JOB_NAME", "acme/app/PR-24"),
            ("JOB_BASE_NAME", "PR-24"),
            (
                "BUILD_URL",
                "https://ci.example.com/job/acme/job/app/job/PR-24/153/"
            ),
            (
                "JOB_URL",
                "https://ci.example.com/job/acme/job/app/job/PR-24/"
            ),
            ("EXECUTOR_NUMBER", "1"),
            ("NODE_NAME", "linux-agent-07"),
            ("NODE_LABELS", "docker linux  x86_64 linux-agent-07"),
            ("STAGE_NAME", "Build"),
            ("BRANCH_NAME", "PR-24"),
            ("CHANGE_ID", "24"),
            ("CHANGE_BRANCH", "feature/login"),
            ("CHANGE_TARGET", "main"),
            ("CHANGE_URL", "https://git.example.com/acme/app/pull/24"),
            ("GIT_COMMIT", "ce9a3c1404e8c91be604088670e93434c4253f03"),
            ("GIT_BRANCH", "PR-24"),
            (
                "GIT_URL",
                "https://deploy-bot:s3cr3t@git.example.com/acme/app.git"
            ),
        ]));
    }

    #[test]
    fn freestyle_without_configured_url() {
        insta::assert_debug_snapshot!(detect_vars(&[
            ("BUILD_NUMBER", "42"),
            ("BUILD_ID", "42"),
            ("BUILD_TAG", "jenkins-nightly-42"),
            ("JOB_NAME", "nightly"),
            ("NODE_NAME", "built-in"),
            ("NODE_LABELS", "built-in"),
            ("WORKSPACE", "/var/jenkins_home/workspace/nightly"),
            ("GIT_BRANCH", "origin/main"),
            ("GIT_LOCAL_BRANCH", ""),
            ("GIT_COMMIT", "a806ba7701bcfc9f784ccb7854c26f03e045c1d2"),
            ("GIT_URL", "git@git.example.com:acme/app.git"),
        ]));
    }

    #[test]
    fn branch_build() {
        let ctx = detect_vars(&[
            ("JENKINS_URL", "https://ci.example.com/"),
            ("BUILD_NUMBER", "9"),
            ("BUILD_TAG", "jenkins-acme-app-main-9"),
            ("BRANCH_NAME", "main"),
            ("GIT_BRANCH", "main"),
            ("CHANGE_ID", ""),
            ("CHANGE_BRANCH", ""),
        ]);
        assert_eq!(ctx.git_ref.as_deref(), Some("main"));
        assert_eq!(ctx.event, None);
    }

    #[test]
    fn url_without_a_build_is_not_jenkins() {
        let ctx = detect_vars(&[("JENKINS_URL", "https://ci.example.com/")]);
        assert_eq!(ctx.provider, "local");
    }

    #[test]
    fn url_with_a_build_number_is_jenkins() {
        let ctx = detect_vars(&[
            ("JENKINS_URL", "https://ci.example.com/"),
            ("BUILD_NUMBER", "3"),
        ]);
        assert_eq!(ctx.provider, "jenkins");
        assert_eq!(ctx.pipeline_id.as_deref(), Some("3"));
    }

    #[test]
    fn other_build_tags_are_not_jenkins() {
        let ctx = detect_vars(&[("BUILD_TAG", "v1.2.3"), ("BUILD_NUMBER", "3")]);
        assert_eq!(ctx.provider, "local");
    }

    #[test]
    fn build_url_loses_credentials() {
        let ctx = detect_vars(&[
            ("BUILD_TAG", "jenkins-app-5"),
            (
                "BUILD_URL",
                "https://admin:apitoken@ci.example.com/job/app/5/",
            ),
        ]);
        assert_eq!(
            ctx.pipeline_url.as_deref(),
            Some("https://ci.example.com/job/app/5/")
        );
    }
}

//! Azure Pipelines.
//!
//! Variables checked against "Use predefined variables":
//! <https://learn.microsoft.com/azure/devops/pipelines/build/variables>. A variable
//! `Build.BuildId` reaches scripts as `BUILD_BUILDID` (dots become underscores, letters are
//! uppercased), as that page says.
//!
//! | field           | variables                                                        |
//! |-----------------|------------------------------------------------------------------|
//! | marker          | `TF_BUILD=True`                                                  |
//! | `pipeline_id`   | `BUILD_BUILDID`                                                  |
//! | `pipeline_name` | `BUILD_DEFINITIONNAME`                                           |
//! | `pipeline_url`  | `SYSTEM_COLLECTIONURI` (else `SYSTEM_TEAMFOUNDATIONCOLLECTIONURI`), |
//! |                 | `SYSTEM_TEAMPROJECT`, `BUILD_BUILDID`                            |
//! | `job_id`        | `SYSTEM_JOBID` (one attempt of one job)                          |
//! | `job_name`      | `SYSTEM_JOBDISPLAYNAME`, else `SYSTEM_JOBNAME`                   |
//! | `attempt`       | `SYSTEM_JOBATTEMPT`                                              |
//! | `runner_name`   | `AGENT_NAME`                                                     |
//! | `runner_labels` | `AGENT_OS`, `AGENT_OSARCHITECTURE`                               |
//! | `repository`    | `BUILD_REPOSITORY_NAME`, else `BUILD_REPOSITORY_URI` with        |
//! |                 | credentials removed                                              |
//! | `git_ref`       | `SYSTEM_PULLREQUEST_SOURCEBRANCH`, else `BUILD_SOURCEBRANCH`     |
//! | `commit`        | `BUILD_SOURCEVERSION`                                            |
//! | `event`         | `BUILD_REASON` (`IndividualCI`, `PullRequest`, `Manual`, ...)    |
//!
//! The run URL is `{collection}{project}/_build/results?buildId={id}`, the results page of
//! the run in the web interface. The page documents no job URL, so `job_url` stays empty.
//! `BUILD_SOURCEBRANCHNAME` is not used: it keeps only the last path segment
//! (`refs/heads/feature/tools` → `tools`).

use super::{Env, labels, short_ref, strip_userinfo};
use crate::profile::CiContext;

/// The context of an Azure Pipelines job, or `None` outside Azure Pipelines.
pub(super) fn detect(env: &Env<'_>) -> Option<CiContext> {
    // "Set to `True` if the script is being run by a build task."
    if !env.is_true("TF_BUILD") {
        return None;
    }
    let build_id = env.get("BUILD_BUILDID");
    let collection = env
        .first(&["SYSTEM_COLLECTIONURI", "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI"])
        .map(|uri| strip_userinfo(&uri));
    let pipeline_url = match (collection, env.get("SYSTEM_TEAMPROJECT"), &build_id) {
        (Some(collection), Some(project), Some(build_id)) => Some(format!(
            "{}/{}/_build/results?buildId={}",
            collection.trim_end_matches('/'),
            encode_path_segment(&project),
            encode_path_segment(build_id),
        )),
        _ => None,
    };
    // Pull request builds check out the merge ref `refs/pull/N/merge`; the source branch is
    // in `SYSTEM_PULLREQUEST_SOURCEBRANCH`.
    let git_ref = env
        .first(&["SYSTEM_PULLREQUEST_SOURCEBRANCH", "BUILD_SOURCEBRANCH"])
        .map(|git_ref| short_ref(&git_ref));
    Some(CiContext {
        provider: "azure".to_owned(),
        pipeline_id: build_id,
        pipeline_name: env.get("BUILD_DEFINITIONNAME"),
        pipeline_url,
        job_id: env.get("SYSTEM_JOBID"),
        job_name: env.first(&["SYSTEM_JOBDISPLAYNAME", "SYSTEM_JOBNAME"]),
        job_url: None,
        attempt: env.attempt("SYSTEM_JOBATTEMPT"),
        runner_name: env.get("AGENT_NAME"),
        runner_labels: labels(
            [env.get("AGENT_OS"), env.get("AGENT_OSARCHITECTURE")]
                .into_iter()
                .flatten(),
        ),
        repository: env
            .get("BUILD_REPOSITORY_NAME")
            .or_else(|| env.url("BUILD_REPOSITORY_URI")),
        git_ref,
        commit: env.get("BUILD_SOURCEVERSION"),
        event: env.get("BUILD_REASON"),
    })
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so a project named
/// `Fabrikam Fiber` becomes the path segment `Fabrikam%20Fiber`.
fn encode_path_segment(segment: &str) -> String {
    let mut encoded = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::encode_path_segment;
    use crate::ci::detect_vars;

    /// Variables of a job of a YAML pipeline on a Microsoft-hosted agent.
    const JOB: [(&str, &str); 17] = [
        ("TF_BUILD", "True"),
        ("SYSTEM_COLLECTIONURI", "https://dev.azure.com/fabrikam/"),
        (
            "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI",
            "https://dev.azure.com/fabrikam/",
        ),
        ("SYSTEM_TEAMPROJECT", "Fabrikam Fiber"),
        ("SYSTEM_DEFINITIONID", "12"),
        ("BUILD_BUILDID", "1430"),
        ("BUILD_BUILDNUMBER", "20240607.3"),
        ("BUILD_BUILDURI", "vstfs:///Build/Build/1430"),
        ("BUILD_DEFINITIONNAME", "fabrikam-ci"),
        ("SYSTEM_JOBID", "12f1170f-54f2-53f3-20dd-22fc7dff55f9"),
        ("SYSTEM_JOBNAME", "build_linux"),
        ("SYSTEM_JOBDISPLAYNAME", "Build (Linux)"),
        ("AGENT_NAME", "Azure Pipelines 3"),
        ("AGENT_MACHINENAME", "fv-az123-456"),
        ("AGENT_OS", "Linux"),
        ("AGENT_OSARCHITECTURE", "X64"),
        ("BUILD_REPOSITORY_PROVIDER", "TfsGit"),
    ];

    /// `JOB` plus `extra`; a name in `extra` overrides the same name in `JOB`.
    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut vars = JOB.to_vec();
        vars.extend_from_slice(extra);
        vars
    }

    #[test]
    fn continuous_integration_push() {
        insta::assert_debug_snapshot!(detect_vars(&with(&[
            ("SYSTEM_JOBATTEMPT", "1"),
            ("BUILD_REASON", "IndividualCI"),
            ("BUILD_REPOSITORY_NAME", "Scripts"),
            (
                "BUILD_REPOSITORY_URI",
                "https://fabrikam@dev.azure.com/fabrikam/Fabrikam%20Fiber/_git/Scripts",
            ),
            ("BUILD_SOURCEBRANCH", "refs/heads/feature/tools"),
            ("BUILD_SOURCEBRANCHNAME", "tools"),
            (
                "BUILD_SOURCEVERSION",
                "8c7a3f5e0d2b4a6c9e1f3b5d7a9c0e2f4b6d8a0c"
            ),
        ])));
    }

    #[test]
    fn retried_pull_request() {
        insta::assert_debug_snapshot!(detect_vars(&with(&[
            ("SYSTEM_JOBATTEMPT", "2"),
            ("BUILD_REASON", "PullRequest"),
            ("BUILD_REPOSITORY_PROVIDER", "GitHub"),
            ("BUILD_REPOSITORY_NAME", "fabrikam/web"),
            ("BUILD_REPOSITORY_URI", "https://github.com/fabrikam/web"),
            ("BUILD_SOURCEBRANCH", "refs/pull/17/merge"),
            ("BUILD_SOURCEBRANCHNAME", "merge"),
            (
                "BUILD_SOURCEVERSION",
                "b2f4a6c8e0d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9"
            ),
            ("SYSTEM_PULLREQUEST_PULLREQUESTNUMBER", "17"),
            (
                "SYSTEM_PULLREQUEST_SOURCEBRANCH",
                "refs/heads/users/raisa/new-feature"
            ),
            ("SYSTEM_PULLREQUEST_TARGETBRANCH", "main"),
            (
                "SYSTEM_ACCESSTOKEN",
                "eyJ0eXAiOiJKV1QiLCJhbGciOi.notInTheContext"
            ),
            ("AGENT_NAME", "build-agent-arm-2"),
            ("AGENT_OSARCHITECTURE", "ARM64"),
        ])));
    }

    #[test]
    fn repository_uri_fallback_loses_userinfo() {
        let ctx = detect_vars(&with(&[(
            "BUILD_REPOSITORY_URI",
            "https://fabrikam@dev.azure.com/fabrikam/Fabrikam%20Fiber/_git/Scripts",
        )]));
        assert_eq!(
            ctx.repository.as_deref(),
            Some("https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_git/Scripts")
        );
    }

    #[test]
    fn run_url_without_trailing_slash_or_project() {
        let ctx = detect_vars(&with(&[(
            "SYSTEM_COLLECTIONURI",
            "https://tfs.example.com/tfs/DefaultCollection",
        )]));
        assert_eq!(
            ctx.pipeline_url.as_deref(),
            Some(
                "https://tfs.example.com/tfs/DefaultCollection/Fabrikam%20Fiber/_build/results?buildId=1430"
            )
        );
        let ctx = detect_vars(&with(&[("SYSTEM_TEAMPROJECT", "")]));
        assert_eq!(ctx.pipeline_url, None);
    }

    #[test]
    fn display_name_falls_back_to_name() {
        let ctx = detect_vars(&with(&[("SYSTEM_JOBDISPLAYNAME", "")]));
        assert_eq!(ctx.job_name.as_deref(), Some("build_linux"));
    }

    #[test]
    fn marker_is_case_insensitive_and_alone_is_enough() {
        assert_eq!(
            detect_vars(&[("TF_BUILD", "true")]),
            crate::ci::context("azure")
        );
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(encode_path_segment("Fabrikam Fiber"), "Fabrikam%20Fiber");
        assert_eq!(encode_path_segment("a/b?c#d"), "a%2Fb%3Fc%23d");
        assert_eq!(encode_path_segment("Projekt-ä"), "Projekt-%C3%A4");
        assert_eq!(encode_path_segment("plain_name.1~"), "plain_name.1~");
    }
}

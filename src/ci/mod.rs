//! CI context detection from the environment.
//!
//! [`detect`] reads the variables a CI system documents for its jobs and fills a
//! [`CiContext`]: provider, pipeline, job, attempt, runner, repository, ref, commit and the
//! event that triggered the run. Detection never fails: outside a recognised CI system the
//! provider is `local` and every other field is empty.
//!
//! There is one submodule per provider. Each opens with the documentation page its variable
//! names were checked against and a table of which variable fills which field.
//!
//! Rules shared by every provider:
//! - a variable that is unset, empty or only whitespace counts as absent; values are trimmed;
//! - a number that does not parse (an attempt of `abc` or `0`) is left out, never guessed;
//! - no credential is ever copied: token variables are never read, credential-free variables
//!   are preferred (`CI_PROJECT_PATH` over `CI_REPOSITORY_URL`), and every URL that is stored
//!   has its `user:password@` part removed;
//! - `git_ref` is a branch or tag name in short form (`main`, not `refs/heads/main`); for a
//!   pull or merge request it is the source branch.
//!
//! Depends on `crate::profile` (for [`CiContext`]) and nothing else in the crate.

mod azure;
mod buildkite;
mod circleci;
mod github;
mod gitlab;
mod jenkins;

use crate::profile::CiContext;

/// The `provider` value outside any recognised CI system.
const LOCAL: &str = "local";

/// Provider detectors in the order they are tried; the first to recognise its marker wins.
///
/// Each marker is a variable the CI system itself sets for every job (`GITHUB_ACTIONS`,
/// `GITLAB_CI`, `BUILDKITE`, `CIRCLECI`, `TF_BUILD`), so two of them are rarely set at once.
/// When they are, the order settles it:
/// - GitHub Actions comes first because a workflow cannot overwrite `GITHUB_*` variables, so
///   its marker is the hardest to fake or leak;
/// - Jenkins comes last because it has no dedicated marker: it is recognised by
///   `BUILD_TAG=jenkins-…` or by `JENKINS_URL` together with `BUILD_NUMBER`. `JENKINS_URL` alone
///   is not enough, since the Jenkins CLI reads it from a developer's shell too.
///
/// `CI=true`, which most systems set, names no system and is not used: on its own it gives
/// `local`.
const DETECTORS: [fn(&Env<'_>) -> Option<CiContext>; 6] = [
    github::detect,
    gitlab::detect,
    buildkite::detect,
    circleci::detect,
    azure::detect,
    jenkins::detect,
];

/// Detects the CI system and its context from an environment lookup (tests pass a map).
///
/// `env` returns the value of a variable, or `None` when it is unset. Providers are tried in
/// a fixed order (GitHub Actions, GitLab CI, Buildkite, CircleCI, Azure Pipelines, Jenkins);
/// when none matches, the provider is `local` and every other field is empty.
pub fn detect(env: &dyn Fn(&str) -> Option<String>) -> CiContext {
    let env = Env { lookup: env };
    DETECTORS
        .iter()
        .find_map(|detect_provider| detect_provider(&env))
        .unwrap_or_else(|| context(LOCAL))
}

/// `detect` over the process environment.
pub fn detect_from_env() -> CiContext {
    // A value that is not valid Unicode counts as absent: every variable read here is
    // documented to hold text.
    detect(&|name| std::env::var(name).ok())
}

/// The environment as the providers read it: values trimmed, empty values absent.
struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl Env<'_> {
    /// The trimmed value of `name`, or `None` when it is unset, empty or only whitespace.
    fn get(&self, name: &str) -> Option<String> {
        let value = (self.lookup)(name)?;
        let value = value.trim();
        (!value.is_empty()).then(|| value.to_owned())
    }

    /// The first of `names` that has a value.
    fn first(&self, names: &[&str]) -> Option<String> {
        names.iter().find_map(|name| self.get(name))
    }

    /// True when `name` is `true` in any letter case (Azure Pipelines writes `True`).
    fn is_true(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|value| value.eq_ignore_ascii_case("true"))
    }

    /// The value of `name` as a URL with any `user:password@` removed.
    fn url(&self, name: &str) -> Option<String> {
        self.get(name).map(|url| strip_userinfo(&url))
    }

    /// The value of `name` as an attempt number (1 or more).
    fn attempt(&self, name: &str) -> Option<u32> {
        self.get(name).and_then(|value| parse_attempt(&value))
    }
}

/// An empty context for `provider`.
fn context(provider: &str) -> CiContext {
    CiContext {
        provider: provider.to_owned(),
        ..CiContext::default()
    }
}

/// Parses an attempt number; attempts start at 1, so `0` is as invalid as `abc`.
fn parse_attempt(value: &str) -> Option<u32> {
    value.parse::<u32>().ok().filter(|&attempt| attempt >= 1)
}

/// `refs/heads/main` → `main`, `refs/tags/v1` → `v1`; any other ref is returned unchanged.
fn short_ref(git_ref: &str) -> String {
    git_ref
        .strip_prefix("refs/heads/")
        .or_else(|| git_ref.strip_prefix("refs/tags/"))
        .unwrap_or(git_ref)
        .to_owned()
}

/// Runner labels: trimmed, without empty ones or repeats, in their first order.
fn labels<I>(raw: I) -> Vec<String>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    let mut labels: Vec<String> = Vec::new();
    for label in raw {
        let label = label.as_ref().trim();
        if !label.is_empty() && !labels.iter().any(|seen| seen == label) {
            labels.push(label.to_owned());
        }
    }
    labels
}

/// Removes the `userinfo@` part (user name, password or token) from a URL's authority.
///
/// `https://gitlab-ci-token:[MASKED]@gitlab.example.com/g/p.git` becomes
/// `https://gitlab.example.com/g/p.git`. A value without a `scheme://` prefix is returned
/// unchanged: that covers plain names and scp-like Git addresses (`git@host:owner/repo.git`),
/// whose `git@` is an SSH login name that carries no secret, authentication being by key.
fn strip_userinfo(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let authority_start = scheme_end + "://".len();
    let rest = &url[authority_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    // The last `@` of the authority ends the userinfo; an unescaped `@` in a password
    // comes before it.
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}{}", &url[..authority_start], &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// Runs [`detect`] over a fixed set of variables, as the provider tests do; when a name
/// appears twice, the later value wins.
#[cfg(test)]
fn detect_vars(vars: &[(&str, &str)]) -> CiContext {
    let vars: std::collections::HashMap<String, String> = vars
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    detect(&|name| vars.get(name).cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_set_is_local() {
        assert_eq!(detect_vars(&[]), context("local"));
    }

    #[test]
    fn ci_true_alone_is_local() {
        // `CI=true` is set by most systems and names none of them.
        assert_eq!(
            detect_vars(&[("CI", "true"), ("BUILD_NUMBER", "12")]),
            context("local")
        );
    }

    #[test]
    fn markers_need_their_documented_value() {
        let ctx = detect_vars(&[
            ("GITHUB_ACTIONS", "false"),
            ("GITLAB_CI", ""),
            ("BUILDKITE", "  "),
            ("CIRCLECI", "0"),
            ("TF_BUILD", "no"),
        ]);
        assert_eq!(ctx.provider, "local");
    }

    #[test]
    fn github_wins_over_a_leaked_jenkins_marker() {
        let ctx = detect_vars(&[
            ("GITHUB_ACTIONS", "true"),
            ("JENKINS_URL", "https://jenkins.example.com/"),
            ("BUILD_NUMBER", "7"),
            ("BUILD_TAG", "jenkins-app-7"),
        ]);
        assert_eq!(ctx.provider, "github");
    }

    #[test]
    fn dedicated_markers_win_over_jenkins() {
        let jenkins = [("BUILD_TAG", "jenkins-app-7"), ("BUILD_NUMBER", "7")];
        for (marker, value, provider) in [
            ("GITLAB_CI", "true", "gitlab"),
            ("BUILDKITE", "true", "buildkite"),
            ("CIRCLECI", "true", "circleci"),
            ("TF_BUILD", "True", "azure"),
        ] {
            let mut vars = jenkins.to_vec();
            vars.push((marker, value));
            assert_eq!(detect_vars(&vars).provider, provider, "{marker}");
        }
    }

    #[test]
    fn no_secret_reaches_the_context() {
        // Every provider's marker plus the credentials its jobs may see; each provider is
        // detected in turn by leaving out the markers ahead of it.
        let secrets = [
            ("GITHUB_TOKEN", "ghs_secret0001"),
            ("ACTIONS_RUNTIME_TOKEN", "secret0002"),
            ("CI_JOB_TOKEN", "secret0003"),
            (
                "CI_REPOSITORY_URL",
                "https://gitlab-ci-token:secret0004@gitlab.example.com/g/p.git",
            ),
            ("CI_REGISTRY_PASSWORD", "secret0005"),
            ("BUILDKITE_AGENT_ACCESS_TOKEN", "secret0006"),
            (
                "BUILDKITE_REPO",
                "https://x-access-token:secret0007@github.com/acme/app.git",
            ),
            (
                "CIRCLE_REPOSITORY_URL",
                "https://oauth2:secret0008@github.com/acme/app.git",
            ),
            ("SYSTEM_ACCESSTOKEN", "secret0009"),
            (
                "BUILD_REPOSITORY_URI",
                "https://user:secret0010@dev.azure.com/fabrikam/_git/app",
            ),
            (
                "GIT_URL",
                "https://deploy:secret0011@git.example.com/acme/app.git",
            ),
        ];
        let markers = [
            ("GITHUB_ACTIONS", "true"),
            ("GITLAB_CI", "true"),
            ("BUILDKITE", "true"),
            ("CIRCLECI", "true"),
            ("TF_BUILD", "True"),
            ("BUILD_TAG", "jenkins-app-7"),
        ];
        for skip in 0..markers.len() {
            let mut vars = secrets.to_vec();
            vars.extend_from_slice(&markers[skip..]);
            let ctx = detect_vars(&vars);
            assert_ne!(ctx.provider, "local");
            let text = format!("{ctx:?}");
            assert!(!text.contains("secret"), "{}: {text}", ctx.provider);
        }
    }

    #[test]
    fn values_are_trimmed_and_blank_is_absent() {
        let env = |name: &str| match name {
            "A" => Some("  value \n".to_owned()),
            "B" => Some(" \t ".to_owned()),
            _ => None,
        };
        let env = Env { lookup: &env };
        assert_eq!(env.get("A").as_deref(), Some("value"));
        assert_eq!(env.get("B"), None);
        assert_eq!(env.get("C"), None);
        assert_eq!(env.first(&["B", "C", "A"]).as_deref(), Some("value"));
    }

    #[test]
    fn attempts_start_at_one() {
        assert_eq!(parse_attempt("1"), Some(1));
        assert_eq!(parse_attempt("12"), Some(12));
        assert_eq!(parse_attempt("0"), None);
        assert_eq!(parse_attempt("-1"), None);
        assert_eq!(parse_attempt("two"), None);
        assert_eq!(parse_attempt("1.5"), None);
        assert_eq!(parse_attempt("99999999999"), None);
    }

    #[test]
    fn short_refs() {
        assert_eq!(short_ref("refs/heads/feature/login"), "feature/login");
        assert_eq!(short_ref("refs/tags/v1.2.3"), "v1.2.3");
        assert_eq!(short_ref("refs/pull/17/merge"), "refs/pull/17/merge");
        assert_eq!(short_ref("main"), "main");
    }

    #[test]
    fn labels_drop_blanks_and_repeats() {
        assert_eq!(
            labels([" linux", "", "docker ", "linux", "  "]),
            ["linux", "docker"]
        );
    }

    #[test]
    fn userinfo_is_stripped() {
        for (url, clean) in [
            (
                "https://gitlab-ci-token:[MASKED]@gitlab.example.com/g/p.git",
                "https://gitlab.example.com/g/p.git",
            ),
            (
                "https://user:p@ss@git.example.com:8443/a/b?x=1#y",
                "https://git.example.com:8443/a/b?x=1#y",
            ),
            (
                "ssh://git@git.example.com/a/b.git",
                "ssh://git.example.com/a/b.git",
            ),
            ("https://token@host", "https://host"),
            (
                "https://host/path/user@example",
                "https://host/path/user@example",
            ),
            (
                "https://dev.azure.com/fabrikam/",
                "https://dev.azure.com/fabrikam/",
            ),
            ("git@github.com:acme/app.git", "git@github.com:acme/app.git"),
            ("acme/app", "acme/app"),
            ("odd scheme://user:pw@host/x", "odd scheme://host/x"),
        ] {
            assert_eq!(strip_userinfo(url), clean, "{url}");
        }
    }
}

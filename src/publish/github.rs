//! GitHub Actions: the sticky pull request comment, through octocrab.
//!
//! | what            | from                                                                     |
//! |-----------------|--------------------------------------------------------------------------|
//! | token           | `CICD_MONITOR_GITHUB_TOKEN`, else `GITHUB_TOKEN`, else `GH_TOKEN`         |
//! | API base        | `GITHUB_API_URL` (GitHub Enterprise Server: `https://HOST/api/v3`), else `https://api.github.com` |
//! | repository      | `GITHUB_REPOSITORY` (`owner/name`)                                        |
//! | pull request    | `pull_request.number` of the event file `GITHUB_EVENT_PATH` (also `issue.number` of a PR's `issue_comment`), else `GITHUB_REF` = `refs/pull/N/merge` |
//! | marker key      | `GITHUB_WORKFLOW` and `GITHUB_JOB`: `<!-- cicd-monitor:WORKFLOW/JOB -->`  |
//!
//! The key holds the job too, so that two jobs of one workflow that both publish keep a comment
//! each instead of overwriting each other on every run; the usual setup, one publishing job,
//! gives one comment per workflow. `GITHUB_TOKEN` needs `pull-requests: write` (or
//! `issues: write`) for the comment.
//!
//! Requests (REST API, `X-GitHub-Api-Version: 2022-11-28`): `GET
//! /repos/O/R/issues/N/comments?per_page=100`, following `Link: rel="next"`; then `PATCH
//! /repos/O/R/issues/comments/ID` of the first comment with the marker, or `POST
//! /repos/O/R/issues/N/comments`. Comments are cut to GitHub's 65,536 characters.
//!
//! octocrab runs on [`Transport`], a tower service over [`crate::http::Client`]: retries,
//! timeouts and redacted errors are the same as for GitLab.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use http_body_util::{BodyExt, Full};
use octocrab::models::issues::Comment;
use octocrab::service::middleware::base_uri::BaseUriLayer;
use octocrab::{AuthState, OctoBody, Octocrab, OctocrabBuilder};
use url::Url;

use super::{
    CommentAction, CommentOutcome, PublishError, PublishRequest, comment_body, find_http_error,
    marker,
};
use crate::http::{Client, HttpError, Request, Secret};

/// GitHub's limit for an issue or pull request comment body, in characters.
pub const COMMENT_LIMIT_CHARS: usize = 65_536;
/// The API of github.com.
pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// Token variables, in the order they are read.
pub const TOKEN_VARS: [&str; 3] = [crate::env_vars::GITHUB_TOKEN, "GITHUB_TOKEN", "GH_TOKEN"];
/// Pages of 100 comments read at most while looking for the marker.
const MAX_PAGES: usize = 50;

/// Everything the comment step needs, read from the environment.
#[derive(Debug)]
pub struct Plan {
    pub api_base: Url,
    pub owner: String,
    pub repo: String,
    pub pull_request: u64,
    pub token: Secret,
    pub marker: String,
}

/// The plan, `Ok(Err(reason))` when the comment step does not apply (no token, not a pull
/// request), or an error when a variable is unusable.
pub fn plan(req: &PublishRequest<'_>) -> Result<Result<Plan, String>, PublishError> {
    let Some(token) = req.first_var(&TOKEN_VARS) else {
        return Ok(Err(format!("no token: set {}", TOKEN_VARS.join(" or "))));
    };
    let Some(pull_request) = pull_request_number(req) else {
        return Ok(Err("not a pull request".to_owned()));
    };
    let Some(repository) = req.var("GITHUB_REPOSITORY") else {
        return Ok(Err("GITHUB_REPOSITORY is not set".to_owned()));
    };
    let Some((owner, repo)) = repository
        .split_once('/')
        .filter(|(owner, repo)| !owner.is_empty() && !repo.is_empty() && !repo.contains('/'))
    else {
        return Err(PublishError::Config {
            name: "GITHUB_REPOSITORY".to_owned(),
            message: format!("is not owner/name: {repository}"),
        });
    };
    let api_url = req
        .var("GITHUB_API_URL")
        .unwrap_or_else(|| DEFAULT_API_URL.to_owned());
    let api_base = Url::parse(&api_url).map_err(|e| PublishError::Config {
        name: "GITHUB_API_URL".to_owned(),
        message: format!("is not a URL: {e}"),
    })?;
    let key = match (req.var("GITHUB_WORKFLOW"), req.var("GITHUB_JOB")) {
        (Some(workflow), Some(job)) => format!("{workflow}/{job}"),
        (Some(name), None) | (None, Some(name)) => name,
        (None, None) => "report".to_owned(),
    };
    Ok(Ok(Plan {
        api_base,
        owner: owner.to_owned(),
        repo: repo.to_owned(),
        pull_request,
        token: Secret::new(token),
        marker: marker(&key),
    }))
}

/// The pull request number: from the event payload, else from the merge ref.
fn pull_request_number(req: &PublishRequest<'_>) -> Option<u64> {
    let from_event = req.var("GITHUB_EVENT_PATH").and_then(|path| {
        // An unreadable event file is not an error: the ref may still name the PR.
        let text = std::fs::read_to_string(path).ok()?;
        let event: serde_json::Value = serde_json::from_str(&text).ok()?;
        event
            .pointer("/pull_request/number")
            .and_then(serde_json::Value::as_u64)
            .or_else(|| {
                // `issue_comment` on a pull request: the issue is the PR.
                event
                    .pointer("/issue/pull_request")
                    .and_then(|_| event.pointer("/issue/number"))
                    .and_then(serde_json::Value::as_u64)
            })
    });
    from_event.or_else(|| {
        req.var("GITHUB_REF")?
            .strip_prefix("refs/pull/")?
            .split_once('/')?
            .0
            .parse()
            .ok()
    })
}

/// Creates or updates the one comment with `plan.marker`.
pub async fn sticky_comment(
    plan: &Plan,
    req: &PublishRequest<'_>,
) -> Result<CommentOutcome, PublishError> {
    let client = super::http_client(req, &plan.token)?;
    let octocrab = octocrab_for(plan, client.clone())?;
    let (body, truncated) = comment_body(
        &plan.marker,
        &req.content.comment_markdown,
        COMMENT_LIMIT_CHARS,
    );
    let issues = octocrab.issues(&plan.owner, &plan.repo);
    let pr = plan.pull_request;
    let where_ = format!("pull request #{pr} of {}/{}", plan.owner, plan.repo);
    let client = &client;
    let fail = |action: String| move |e: octocrab::Error| error(client, action, e);

    let mut existing = None;
    let mut page = issues
        .list_comments(pr)
        .per_page(100)
        .send()
        .await
        .map_err(fail(format!("list the comments of {where_}")))?;
    for _ in 0..MAX_PAGES {
        existing = page
            .items
            .iter()
            .find(|comment| {
                comment
                    .body
                    .as_deref()
                    .is_some_and(|b| b.contains(&plan.marker))
            })
            .map(|comment| comment.id);
        if existing.is_some() {
            break;
        }
        match octocrab
            .get_page(&page.next)
            .await
            .map_err(fail(format!("list the comments of {where_}")))?
        {
            Some(next) => page = next,
            None => break,
        }
    }

    let (comment, action) = match existing {
        Some(id) => (
            // Not `issues.update_comment`: octocrab sends that as POST, which GitHub accepts as
            // an alias but which reads as a create to the retry policy. PATCH is the documented
            // method, and safe to repeat.
            octocrab
                .patch::<Comment, _, _>(
                    format!("/repos/{}/{}/issues/comments/{id}", plan.owner, plan.repo),
                    Some(&serde_json::json!({ "body": body })),
                )
                .await
                .map_err(fail(format!("update comment {id} on {where_}")))?,
            CommentAction::Updated,
        ),
        None => (
            issues
                .create_comment(pr, &body)
                .await
                .map_err(fail(format!("create a comment on {where_}")))?,
            CommentAction::Created,
        ),
    };
    Ok(CommentOutcome {
        id: comment.id.into_inner(),
        url: Some(comment.html_url.to_string()),
        action,
        truncated,
    })
}

/// An octocrab error as a [`PublishError`]: the transport's [`HttpError`] when there is one
/// (URL, status), else octocrab's message, scrubbed.
fn error(client: &Client, action: String, e: octocrab::Error) -> PublishError {
    match find_http_error(&e) {
        Some(http) => PublishError::Http {
            action,
            source: http.clone(),
        },
        None => PublishError::Api {
            action,
            message: client.scrub(&crate::warn::chain(&e)),
        },
    }
}

/// octocrab over [`Transport`], with relative routes resolved against `plan.api_base`.
fn octocrab_for(plan: &Plan, client: Client) -> Result<Octocrab, PublishError> {
    let base: http::Uri = plan
        .api_base
        .as_str()
        .trim_end_matches('/')
        .parse()
        .map_err(|e| PublishError::Config {
            name: "GITHUB_API_URL".to_owned(),
            message: format!("is not a URI: {e}"),
        })?;
    let (name, value) = client
        .secret_header(
            http::header::AUTHORIZATION,
            &format!("Bearer {}", plan.token.expose()),
        )
        .map_err(|source| PublishError::Http {
            action: "authenticate to GitHub".to_owned(),
            source,
        })?;
    let transport = Transport {
        client,
        headers: vec![
            (name, value),
            (
                http::header::ACCEPT,
                HeaderValue::from_static("application/vnd.github+json"),
            ),
            (
                HeaderName::from_static("x-github-api-version"),
                HeaderValue::from_static("2022-11-28"),
            ),
        ],
    };
    match OctocrabBuilder::new_empty()
        .with_service(transport)
        .with_layer(&BaseUriLayer::new(base))
        .with_auth(AuthState::None)
        .build()
    {
        Ok(octocrab) => Ok(octocrab),
        Err(never) => match never {},
    }
}

/// The innermost service of octocrab's tower stack: sends each request with
/// [`crate::http::Client`] and the GitHub headers (token included).
#[derive(Clone)]
pub struct Transport {
    client: Client,
    headers: Vec<(HeaderName, HeaderValue)>,
}

type TransportFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<Full<Bytes>>, HttpError>> + Send>>;

impl tower::Service<http::Request<OctoBody>> for Transport {
    type Response = http::Response<Full<Bytes>>;
    type Error = HttpError;
    type Future = TransportFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<OctoBody>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let uri = parts.uri.to_string();
            let invalid = |message: String| HttpError::Invalid {
                url: this.client.redact_url(&uri),
                message,
            };
            let url = Url::parse(&uri).map_err(|e| invalid(e.to_string()))?;
            let body = body
                .collect()
                .await
                .map_err(|e| invalid(this.client.scrub(&e.to_string())))?
                .to_bytes();
            let mut headers = parts.headers;
            for (name, value) in &this.headers {
                headers.insert(name.clone(), value.clone());
            }
            if !body.is_empty() && !headers.contains_key(http::header::CONTENT_TYPE) {
                headers.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
            }
            let response = this
                .client
                .send(Request {
                    method: parts.method,
                    url,
                    headers,
                    body,
                })
                .await?;
            let mut out = http::Response::new(Full::new(response.body));
            *out.status_mut() = response.status;
            *out.headers_mut() = response.headers;
            Ok(out)
        })
    }
}

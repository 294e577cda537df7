//! GitLab CI: the sticky merge request note, through the `gitlab` crate's typed endpoints.
//!
//! | what          | from                                                                        |
//! |---------------|-----------------------------------------------------------------------------|
//! | token         | `CICD_MONITOR_GITLAB_TOKEN`, else `GITLAB_TOKEN`: a project, group or personal access token with `api` scope (`CI_JOB_TOKEN` cannot write notes) |
//! | API base      | `CI_API_V4_URL`, else `CI_SERVER_URL` + `/api/v4`                           |
//! | project       | `CI_MERGE_REQUEST_PROJECT_ID` (the MR's project, also for forks), else `CI_PROJECT_ID` |
//! | merge request | `CI_MERGE_REQUEST_IID` (merge request pipelines only)                       |
//! | marker key    | `CI_JOB_NAME`: `<!-- cicd-monitor:JOB -->`                                  |
//!
//! Requests (REST v4, header `PRIVATE-TOKEN`): `GET
//! projects/P/merge_requests/IID/notes?page=N&per_page=100` until a short page; then `PUT
//! projects/P/merge_requests/IID/notes/ID` of the first user note with the marker, or `POST
//! projects/P/merge_requests/IID/notes` (form-encoded `body`). Notes are cut to GitLab's
//! 1,000,000 characters.
//!
//! The crate's own client (`gitlab::AsyncGitlab`) is not used: it takes a host name and adds
//! `/api/v4` itself, so a `CI_API_V4_URL` under a relative URL root or a plain-http test server
//! needs its insecure mode; it calls `GET /user` when built, which a project access token
//! without `read_user` may fail; and it neither retries nor honours `Retry-After`. The crate's
//! endpoint and pagination types run instead on [`Api`], an `AsyncClient` over
//! [`crate::http::Client`], the same transport as for GitHub.

use std::borrow::Cow;

use bytes::Bytes;
use gitlab::api::projects::merge_requests::notes::{
    CreateMergeRequestNote, EditMergeRequestNote, MergeRequestNotes,
};
use gitlab::api::{ApiError, AsyncClient, AsyncQuery, Pagination, RestClient};
use http::HeaderName;
use url::Url;

use super::{
    CommentAction, CommentOutcome, PublishError, PublishRequest, comment_body, find_http_error,
    marker,
};
use crate::http::{Client, HttpError, Request, Secret};

/// GitLab's limit for a note, in characters.
pub const NOTE_LIMIT_CHARS: usize = 1_000_000;
/// Token variables, in the order they are read.
pub const TOKEN_VARS: [&str; 2] = [crate::env_vars::GITLAB_TOKEN, "GITLAB_TOKEN"];

/// Everything the note step needs, read from the environment.
#[derive(Debug)]
pub struct Plan {
    /// Ends with `/`, so that endpoints join below it.
    pub api_base: Url,
    /// Numeric id, or `group/project` path.
    pub project: String,
    pub merge_request: u64,
    pub token: Secret,
    pub marker: String,
    /// The MR's web page, for the note's URL.
    pub merge_request_url: Option<String>,
}

/// The plan, `Ok(Err(reason))` when the note step does not apply, or an error when a variable
/// is unusable.
pub fn plan(req: &PublishRequest<'_>) -> Result<Result<Plan, String>, PublishError> {
    let Some(token) = req.first_var(&TOKEN_VARS) else {
        return Ok(Err(format!(
            "no token: set {} (CI_JOB_TOKEN cannot write notes)",
            TOKEN_VARS.join(" or ")
        )));
    };
    let Some(iid) = req.var("CI_MERGE_REQUEST_IID") else {
        return Ok(Err("not a merge request pipeline".to_owned()));
    };
    let merge_request = iid.parse().map_err(|_| PublishError::Config {
        name: "CI_MERGE_REQUEST_IID".to_owned(),
        message: format!("is not a number: {iid}"),
    })?;
    let Some(project) = req.first_var(&["CI_MERGE_REQUEST_PROJECT_ID", "CI_PROJECT_ID"]) else {
        return Ok(Err("CI_PROJECT_ID is not set".to_owned()));
    };
    let (name, api) = match req.var("CI_API_V4_URL") {
        Some(url) => ("CI_API_V4_URL", url),
        None => match req.var("CI_SERVER_URL") {
            Some(server) => (
                "CI_SERVER_URL",
                format!("{}/api/v4", server.trim_end_matches('/')),
            ),
            None => {
                return Ok(Err(
                    "neither CI_API_V4_URL nor CI_SERVER_URL is set".to_owned()
                ));
            }
        },
    };
    let api_base = Url::parse(&format!("{}/", api.trim_end_matches('/'))).map_err(|e| {
        PublishError::Config {
            name: name.to_owned(),
            message: format!("is not a URL: {e}"),
        }
    })?;
    let merge_request_url = req
        .first_var(&["CI_MERGE_REQUEST_PROJECT_URL", "CI_PROJECT_URL"])
        .map(|project_url| {
            format!(
                "{}/-/merge_requests/{merge_request}",
                project_url.trim_end_matches('/')
            )
        });
    let key = req
        .var("CI_JOB_NAME")
        .unwrap_or_else(|| "report".to_owned());
    Ok(Ok(Plan {
        api_base,
        project,
        merge_request,
        token: Secret::new(token),
        marker: marker(&key),
        merge_request_url,
    }))
}

/// A note as the notes API returns it (only the fields used).
#[derive(Debug, serde::Deserialize)]
struct Note {
    id: u64,
    #[serde(default)]
    body: String,
    /// Notes GitLab writes itself ("added 1 commit"): never ours.
    #[serde(default)]
    system: bool,
}

/// Creates or updates the one note with `plan.marker`.
pub async fn sticky_note(
    plan: &Plan,
    req: &PublishRequest<'_>,
) -> Result<CommentOutcome, PublishError> {
    let client = super::http_client(req, &plan.token)?;
    let token = client
        .secret_header(
            HeaderName::from_static("private-token"),
            plan.token.expose(),
        )
        .map_err(|source| PublishError::Http {
            action: "authenticate to GitLab".to_owned(),
            source,
        })?;
    let api = Api {
        client: client.clone(),
        base: plan.api_base.clone(),
        token,
    };
    let project: gitlab::api::common::NameOrId<'_> = match plan.project.parse::<u64>() {
        Ok(id) => id.into(),
        Err(_) => plan.project.as_str().into(),
    };
    let mr = plan.merge_request;
    let where_ = format!("merge request !{mr} of project {}", plan.project);
    let (body, truncated) = comment_body(
        &plan.marker,
        &req.content.comment_markdown,
        NOTE_LIMIT_CHARS,
    );
    let client = &client;
    let fail = |action: String| move |e: ApiError<HttpError>| error(client, action, e);
    let built = |action: &str| {
        let action = action.to_owned();
        move |e: Box<dyn std::error::Error>| PublishError::Api {
            action,
            message: e.to_string(),
        }
    };

    let list = MergeRequestNotes::builder()
        .project(project.clone())
        .merge_request(mr)
        .build()
        .map_err(|e| built("list notes")(e.into()))?;
    let notes: Vec<Note> = gitlab::api::paged(list, Pagination::All)
        .query_async(&api)
        .await
        .map_err(fail(format!("list the notes of {where_}")))?;
    let existing = notes
        .iter()
        .find(|note| !note.system && note.body.contains(&plan.marker))
        .map(|note| note.id);

    let (note, action): (Note, _) = match existing {
        Some(id) => {
            let edit = EditMergeRequestNote::builder()
                .project(project)
                .merge_request(mr)
                .note(id)
                .body(Cow::Borrowed(body.as_str()))
                .build()
                .map_err(|e| built("edit a note")(e.into()))?;
            let note = edit
                .query_async(&api)
                .await
                .map_err(fail(format!("update note {id} on {where_}")))?;
            (note, CommentAction::Updated)
        }
        None => {
            let create = CreateMergeRequestNote::builder()
                .project(project)
                .merge_request(mr)
                .body(Cow::Borrowed(body.as_str()))
                .build()
                .map_err(|e| built("create a note")(e.into()))?;
            let note = create
                .query_async(&api)
                .await
                .map_err(fail(format!("create a note on {where_}")))?;
            (note, CommentAction::Created)
        }
    };
    Ok(CommentOutcome {
        id: note.id,
        url: plan
            .merge_request_url
            .as_ref()
            .map(|url| format!("{url}#note_{}", note.id)),
        action,
        truncated,
    })
}

/// A gitlab crate error as a [`PublishError`]: the transport's [`HttpError`] when there is one
/// (URL, status), else the crate's message, scrubbed.
fn error(client: &Client, action: String, e: ApiError<HttpError>) -> PublishError {
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

/// The gitlab crate's client interface over [`crate::http::Client`].
pub struct Api {
    client: Client,
    base: Url,
    token: (HeaderName, http::HeaderValue),
}

impl RestClient for Api {
    type Error = HttpError;

    fn rest_endpoint(&self, endpoint: &str) -> Result<Url, ApiError<HttpError>> {
        self.base.join(endpoint).map_err(|e| {
            ApiError::client(HttpError::Invalid {
                url: self.client.redact_url(self.base.as_str()),
                message: format!("failed to join {endpoint}: {e}"),
            })
        })
    }
}

#[async_trait::async_trait]
impl AsyncClient for Api {
    async fn rest_async(
        &self,
        request: http::request::Builder,
        body: Vec<u8>,
    ) -> Result<http::Response<Bytes>, ApiError<HttpError>> {
        let request = request.body(()).map_err(|e| {
            ApiError::client(HttpError::Invalid {
                url: String::new(),
                message: e.to_string(),
            })
        })?;
        let (parts, ()) = request.into_parts();
        let uri = parts.uri.to_string();
        let mut url = Url::parse(&uri).map_err(|e| {
            ApiError::client(HttpError::Invalid {
                url: self.client.redact_url(&uri),
                message: e.to_string(),
            })
        })?;
        // The crate leaves an empty query (`notes?`) on endpoints without parameters.
        if url.query() == Some("") {
            url.set_query(None);
        }
        let mut headers = parts.headers;
        headers.insert(self.token.0.clone(), self.token.1.clone());
        let response = self
            .client
            .send(Request {
                method: parts.method,
                url,
                headers,
                body: Bytes::from(body),
            })
            .await
            .map_err(ApiError::client)?;
        let mut out = http::Response::new(response.body);
        *out.status_mut() = response.status;
        *out.headers_mut() = response.headers;
        Ok(out)
    }
}

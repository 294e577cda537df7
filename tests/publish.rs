//! `cicd-monitor publish` against a local HTTP server that answers as the GitHub and GitLab REST
//! APIs document (response shapes from their reference pages: "List issue comments", "Create an
//! issue comment", "Update an issue comment"; "List all merge request notes", "Create new merge
//! request note", "Modify existing merge request note"). Every request is recorded and checked:
//! method, path and query, token header, body.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use cicd_monitor::http::RetryPolicy;
use cicd_monitor::publish::{
    self, CommentAction, PublishContent, PublishError, PublishOutcome, PublishRequest, Target,
};
use serde_json::{Value, json};

const GITHUB_TOKEN: &str = "ghs_16C7e42F292c6912E7710c838347Ae178B4a";
const GITLAB_TOKEN: &str = "glpat-Xz9fJq2LkP0aB7cD4eF1";
const JOB_TOKEN: &str = "glcbt-64_jobtokenjobtokenjob";

// ---------------------------------------------------------------------------------------------
// A small HTTP/1.1 server: one request per connection (`Connection: close`), bounded in time.

#[derive(Debug, Clone)]
struct Recorded {
    method: String,
    /// Path and query, as sent.
    target: String,
    /// Header names lowercased.
    headers: HashMap<String, String>,
    body: String,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("JSON body")
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

fn reply(status: u16, body: Value) -> Reply {
    Reply {
        status,
        headers: vec![],
        body: body.to_string(),
    }
}

type Handler = Box<dyn FnMut(&Recorded, &str) -> Reply + Send>;

struct Server {
    base: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Server {
    fn start(handler: impl FnMut(&Recorded, &str) -> Reply + Send + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let mut handler: Handler = Box::new(handler);
        let thread = {
            let (base, requests, stop) = (base.clone(), requests.clone(), stop.clone());
            thread::spawn(move || {
                // Bounded: the server ends by itself after 60 s even if a test hangs.
                let deadline = Instant::now() + Duration::from_secs(60);
                while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            serve(stream, &base, &requests, &mut handler);
                        }
                        Err(_) => thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        Server {
            base,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// The requests received since the last call.
    fn take(&self) -> Vec<Recorded> {
        std::mem::take(&mut self.requests.lock().unwrap())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(stream: TcpStream, base: &str, requests: &Mutex<Vec<Recorded>>, handler: &mut Handler) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    let length: usize = headers
        .get("content-length")
        .map_or(0, |v| v.parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let recorded = Recorded {
        method,
        target,
        headers,
        body: String::from_utf8(body).unwrap(),
    };
    let reply = handler(&recorded, base);
    requests.lock().unwrap().push(recorded);
    let mut out = format!(
        "HTTP/1.1 {} X\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (name, value) in &reply.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&reply.body);
    let mut stream = stream;
    let _ = stream.write_all(out.as_bytes());
}

// ---------------------------------------------------------------------------------------------
// API response shapes.

/// A user as the GitHub REST API embeds it.
fn github_user(login: &str, id: u64, kind: &str) -> Value {
    json!({
        "login": login, "id": id, "node_id": "MDQ6VXNlcjE=",
        "avatar_url": "https://github.com/images/error/octocat_happy.gif", "gravatar_id": "",
        "url": format!("https://api.github.com/users/{login}"),
        "html_url": format!("https://github.com/{login}"),
        "followers_url": "https://api.github.com/users/octocat/followers",
        "following_url": "https://api.github.com/users/octocat/following{/other_user}",
        "gists_url": "https://api.github.com/users/octocat/gists{/gist_id}",
        "starred_url": "https://api.github.com/users/octocat/starred{/owner}{/repo}",
        "subscriptions_url": "https://api.github.com/users/octocat/subscriptions",
        "organizations_url": "https://api.github.com/users/octocat/orgs",
        "repos_url": "https://api.github.com/users/octocat/repos",
        "events_url": "https://api.github.com/users/octocat/events{/privacy}",
        "received_events_url": "https://api.github.com/users/octocat/received_events",
        "type": kind, "site_admin": false
    })
}

/// An issue comment as `GET /repos/{owner}/{repo}/issues/{n}/comments` lists it.
fn github_comment(id: u64, body: &str, by_bot: bool) -> Value {
    let user = if by_bot {
        github_user("github-actions[bot]", 41898282, "Bot")
    } else {
        github_user("octocat", 1, "User")
    };
    json!({
        "id": id,
        "node_id": "MDEyOklzc3VlQ29tbWVudDE=",
        "url": format!("https://api.github.com/repos/octo/app/issues/comments/{id}"),
        "html_url": format!("https://github.com/octo/app/pull/42#issuecomment-{id}"),
        "body": body,
        "user": user,
        "created_at": "2011-04-14T16:00:49Z",
        "updated_at": "2011-04-14T16:00:49Z",
        "issue_url": "https://api.github.com/repos/octo/app/issues/42",
        "author_association": "COLLABORATOR"
    })
}

/// A merge request note as the GitLab notes API returns it.
fn gitlab_note(id: u64, body: &str, system: bool) -> Value {
    json!({
        "id": id,
        "body": body,
        "attachment": null,
        "author": {
            "id": 1, "username": "project_278964_bot", "name": "cicd-monitor",
            "state": "active", "avatar_url": null,
            "web_url": "https://gitlab.example.com/project_278964_bot"
        },
        "created_at": "2013-10-02T09:22:45Z",
        "updated_at": "2013-10-02T10:22:45Z",
        "system": system,
        "noteable_id": 377,
        "noteable_type": "MergeRequest",
        "project_id": 278964,
        "noteable_iid": 7,
        "resolvable": false,
        "confidential": false,
        "internal": false,
        "imported": false,
        "imported_from": "none"
    })
}

// ---------------------------------------------------------------------------------------------
// Helpers.

fn content() -> PublishContent {
    PublishContent {
        step_summary_markdown: "## cicd-monitor: job build\n\n| stage | wall |\n|---|---|\n| build | 3.9 s |\n"
            .to_owned(),
        comment_markdown: "### cicd-monitor\nbuild: 3.9 s, parallelism 1.9 of 2 cores\n".to_owned(),
        html: "<!doctype html><title>report</title>".to_owned(),
        json: "{\"schema_version\":1}".to_owned(),
        openmetrics: "# TYPE cicd_stage_wall_seconds gauge\ncicd_stage_wall_seconds{stage=\"build\"} 3.9\n# EOF\n".to_owned(),
        console: "cicd-monitor: job build: 1 stage, wall 3.9s\n".to_owned(),
    }
}

struct Env(HashMap<String, String>);

impl Env {
    fn new(vars: &[(&str, &str)]) -> Env {
        Env(vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect())
    }
    fn set(&mut self, name: &str, value: &str) {
        self.0.insert(name.to_owned(), value.to_owned());
    }
    fn lookup(&self) -> impl Fn(&str) -> Option<String> + '_ {
        |name| self.0.get(name).cloned()
    }
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_wait: Duration::from_secs(5),
    }
}

/// Runs publish; returns the outcome and what went to the console writer.
fn run(
    target: Target,
    env: &Env,
    dir: &Path,
    content: &PublishContent,
) -> (Result<PublishOutcome, PublishError>, String) {
    let lookup = env.lookup();
    let mut req = PublishRequest::new(target, dir, content, &lookup);
    req.retry = fast_retries();
    let mut console = Vec::new();
    let result = publish::publish_to(&req, &mut console);
    (result, String::from_utf8(console).unwrap())
}

/// No secret in any text the tool shows.
fn assert_no_secret(text: &str) {
    for secret in [GITHUB_TOKEN, GITLAB_TOKEN, JOB_TOKEN] {
        assert!(!text.contains(secret), "secret leaked in: {text}");
    }
}

/// The error's message with its causes, and its Debug form.
fn shown(e: &PublishError) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!("\ncaused by: {s}"));
        source = s.source();
    }
    format!("{text}\n{e:?}")
}

fn github_env(server: &Server, dir: &Path) -> Env {
    let event = dir.join("event.json");
    std::fs::write(
        &event,
        json!({"action": "synchronize", "number": 42, "pull_request": {"number": 42}}).to_string(),
    )
    .unwrap();
    Env::new(&[
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_API_URL", &server.base),
        ("GITHUB_REPOSITORY", "octo/app"),
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
        ("GITHUB_REF", "refs/pull/42/merge"),
        ("GITHUB_WORKFLOW", "CI"),
        ("GITHUB_JOB", "build"),
        ("GITHUB_TOKEN", GITHUB_TOKEN),
        (
            "GITHUB_STEP_SUMMARY",
            dir.join("step_summary.md").to_str().unwrap(),
        ),
    ])
}

const GITHUB_MARKER: &str = "<!-- cicd-monitor:CI/build -->";
const LIST_PATH: &str = "/repos/octo/app/issues/42/comments?per_page=100";

fn assert_github_headers(request: &Recorded) {
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {GITHUB_TOKEN}").as_str())
    );
    assert_eq!(
        request.header("accept"),
        Some("application/vnd.github+json")
    );
    assert_eq!(request.header("x-github-api-version"), Some("2022-11-28"));
    assert!(
        request
            .header("user-agent")
            .is_some_and(|ua| ua.starts_with("cicd-monitor/"))
    );
}

// ---------------------------------------------------------------------------------------------
// GitHub.

/// The first run creates the comment; the second finds it by its marker and updates the same
/// comment id. The step summary is appended to both times, the report files are written.
#[test]
fn github_creates_then_updates_one_sticky_comment() {
    let comments = Arc::new(Mutex::new(vec![github_comment(
        11,
        "Looks good to me",
        false,
    )]));
    let server = {
        let comments = comments.clone();
        Server::start(move |request, _| {
            let mut comments = comments.lock().unwrap();
            match (request.method.as_str(), request.target.as_str()) {
                ("GET", LIST_PATH) => reply(200, Value::Array(comments.clone())),
                ("POST", "/repos/octo/app/issues/42/comments") => {
                    let created =
                        github_comment(1001, request.json()["body"].as_str().unwrap(), true);
                    comments.push(created.clone());
                    reply(201, created)
                }
                ("PATCH", "/repos/octo/app/issues/comments/1001") => {
                    let updated =
                        github_comment(1001, request.json()["body"].as_str().unwrap(), true);
                    comments[1] = updated.clone();
                    reply(200, updated)
                }
                _ => reply(404, json!({"message": "Not Found"})),
            }
        })
    };
    let dir = tempfile::tempdir().unwrap();
    let env = github_env(&server, dir.path());
    let artifacts = dir.path().join("report");
    let content = content();
    let expected_body = format!("{GITHUB_MARKER}\n{}", content.comment_markdown);

    let (result, console) = run(Target::Github, &env, &artifacts, &content);
    let outcome = result.unwrap();
    assert_eq!(console, "");
    let comment = outcome.comment.clone().unwrap();
    assert_eq!(comment.action, CommentAction::Created);
    assert_eq!(comment.id, 1001);
    assert_eq!(
        comment.url.as_deref(),
        Some("https://github.com/octo/app/pull/42#issuecomment-1001")
    );
    let requests = server.take();
    let seen: Vec<_> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.target.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("GET", LIST_PATH),
            ("POST", "/repos/octo/app/issues/42/comments")
        ]
    );
    requests.iter().for_each(assert_github_headers);
    assert_eq!(requests[0].body, "");
    assert_eq!(requests[1].json(), json!({ "body": expected_body }));
    assert_eq!(requests[1].header("content-type"), Some("application/json"));

    // The step summary and the files.
    let summary = outcome.step_summary.clone().unwrap();
    assert!(!summary.truncated);
    assert_eq!(
        std::fs::read_to_string(&summary.path).unwrap(),
        content.step_summary_markdown
    );
    let names: Vec<_> = outcome
        .files
        .iter()
        .map(|p| {
            p.strip_prefix(&artifacts)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        names,
        ["report.html", "report.json", "report.md", "metrics.txt"]
    );
    assert_eq!(
        std::fs::read_to_string(artifacts.join("metrics.txt")).unwrap(),
        content.openmetrics
    );

    // Second run: the comment is in the list now, so it is updated, not posted again.
    let (result, _) = run(Target::Github, &env, &artifacts, &content);
    let outcome = result.unwrap();
    let comment = outcome.comment.unwrap();
    assert_eq!(comment.action, CommentAction::Updated);
    assert_eq!(comment.id, 1001);
    let requests = server.take();
    let seen: Vec<_> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.target.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("GET", LIST_PATH),
            ("PATCH", "/repos/octo/app/issues/comments/1001")
        ]
    );
    requests.iter().for_each(assert_github_headers);
    assert_eq!(requests[1].json(), json!({ "body": expected_body }));
    assert_eq!(comments.lock().unwrap().len(), 2, "no second comment");
    // Appended, with a blank line between the two runs' summaries.
    assert_eq!(
        std::fs::read_to_string(outcome.step_summary.unwrap().path).unwrap(),
        format!(
            "{}\n{}",
            content.step_summary_markdown, content.step_summary_markdown
        )
    );
}

/// The marked comment is on the second page of comments: it is found through the `Link`
/// header and updated.
#[test]
fn github_follows_pagination_to_the_marked_comment() {
    let server =
        Server::start(
            |request, base| match (request.method.as_str(), request.target.as_str()) {
                ("GET", LIST_PATH) => {
                    let page: Vec<_> = (1..=100)
                        .map(|id| github_comment(id, &format!("comment {id}"), false))
                        .collect();
                    let next = format!(
                        "{base}/repositories/1296269/issues/42/comments?per_page=100&page=2"
                    );
                    let last = next.clone();
                    Reply {
                        status: 200,
                        headers: vec![(
                            "link".to_owned(),
                            format!("<{next}>; rel=\"next\", <{last}>; rel=\"last\""),
                        )],
                        body: Value::Array(page).to_string(),
                    }
                }
                ("GET", "/repositories/1296269/issues/42/comments?per_page=100&page=2") => reply(
                    200,
                    json!([
                        github_comment(101, "comment 101", false),
                        github_comment(102, &format!("{GITHUB_MARKER}\nold report"), true),
                    ]),
                ),
                ("PATCH", "/repos/octo/app/issues/comments/102") => reply(
                    200,
                    github_comment(102, request.json()["body"].as_str().unwrap(), true),
                ),
                _ => reply(404, json!({"message": "Not Found"})),
            },
        );
    let dir = tempfile::tempdir().unwrap();
    let env = github_env(&server, dir.path());
    let (result, _) = run(Target::Github, &env, &dir.path().join("report"), &content());
    let comment = result.unwrap().comment.unwrap();
    assert_eq!((comment.id, comment.action), (102, CommentAction::Updated));
    let requests = server.take();
    let seen: Vec<_> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.target.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("GET", LIST_PATH),
            (
                "GET",
                "/repositories/1296269/issues/42/comments?per_page=100&page=2"
            ),
            ("PATCH", "/repos/octo/app/issues/comments/102"),
        ]
    );
    requests.iter().for_each(assert_github_headers);
}

/// A 503 is retried after the `Retry-After` the server names, then the run goes on.
#[test]
fn github_retries_a_503_honouring_retry_after() {
    let mut failed_once = false;
    let server =
        Server::start(
            move |request, _| match (request.method.as_str(), request.target.as_str()) {
                ("GET", LIST_PATH) if !failed_once => {
                    failed_once = true;
                    Reply {
                        status: 503,
                        headers: vec![("retry-after".to_owned(), "1".to_owned())],
                        body: json!({"message": "Service Unavailable"}).to_string(),
                    }
                }
                ("GET", LIST_PATH) => reply(200, json!([])),
                ("POST", "/repos/octo/app/issues/42/comments") => reply(
                    201,
                    github_comment(5, request.json()["body"].as_str().unwrap(), true),
                ),
                _ => reply(404, json!({"message": "Not Found"})),
            },
        );
    let dir = tempfile::tempdir().unwrap();
    let env = github_env(&server, dir.path());
    let started = Instant::now();
    let (result, _) = run(Target::Github, &env, &dir.path().join("report"), &content());
    let elapsed = started.elapsed();
    let comment = result.unwrap().comment.unwrap();
    assert_eq!((comment.id, comment.action), (5, CommentAction::Created));
    assert!(elapsed >= Duration::from_secs(1), "{elapsed:?}");
    let seen: Vec<_> = server
        .take()
        .into_iter()
        .map(|r| (r.method, r.target))
        .collect();
    assert_eq!(
        seen,
        [
            ("GET".to_owned(), LIST_PATH.to_owned()),
            ("GET".to_owned(), LIST_PATH.to_owned()),
            (
                "POST".to_owned(),
                "/repos/octo/app/issues/42/comments".to_owned()
            ),
        ]
    );
}

/// A 401 is a typed error with the URL and the status, not retried; the token is in no
/// message, Debug output or console line, even when the server echoes it back.
#[test]
fn github_401_is_a_typed_error_without_the_token() {
    let server = Server::start(|_, _| {
        reply(
            401,
            json!({
                "message": format!("Bad credentials: {GITHUB_TOKEN}"),
                "documentation_url": "https://docs.github.com/rest",
                "status": "401"
            }),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let env = github_env(&server, dir.path());
    let (result, console) = run(Target::Github, &env, &dir.path().join("report"), &content());
    let error = result.unwrap_err();
    assert_eq!(error.status(), Some(401));
    let PublishError::Http { action, source } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(action, "list the comments of pull request #42 of octo/app");
    assert_eq!(source.url(), format!("{}{LIST_PATH}", server.base).as_str());
    let text = shown(&error);
    assert!(text.contains("status 401"), "{text}");
    assert!(text.contains("Bad credentials: ***"), "{text}");
    assert_no_secret(&text);
    assert_no_secret(&console);
    assert_eq!(server.take().len(), 1, "a 401 is not retried");
}

/// A server that cannot be reached is a network error after the bounded retries (connect
/// errors are retried even for a create); credentials in the API URL are redacted.
#[test]
fn github_unreachable_is_a_network_error() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(|_, _| reply(500, json!({})));
    let mut env = github_env(&server, dir.path());
    env.set(
        "GITHUB_API_URL",
        &format!("http://x-access-token:{GITHUB_TOKEN}@127.0.0.1:{port}"),
    );
    let (result, _) = run(Target::Github, &env, &dir.path().join("report"), &content());
    let error = result.unwrap_err();
    let PublishError::Http { source, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(
        matches!(
            source,
            cicd_monitor::http::HttpError::Network { attempts: 3, .. }
        ),
        "{source:?}"
    );
    assert_eq!(error.status(), None);
    let text = shown(&error);
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert_no_secret(&text);
    assert!(server.take().is_empty());
}

/// Without a token, or outside a pull request, there is no request at all and the outcome says
/// why; the step summary and the files are still written.
#[test]
fn github_without_token_or_pull_request_only_writes() {
    let server = Server::start(|_, _| reply(500, json!({})));
    let dir = tempfile::tempdir().unwrap();
    let mut env = github_env(&server, dir.path());
    env.0.remove("GITHUB_TOKEN");
    let (result, _) = run(Target::Github, &env, &dir.path().join("report"), &content());
    let outcome = result.unwrap();
    assert_eq!(outcome.comment, None);
    assert!(outcome.step_summary.is_some());
    assert_eq!(outcome.files.len(), 4);
    assert!(
        outcome.notes[0].starts_with("comment: no token"),
        "{:?}",
        outcome.notes
    );

    let mut env = github_env(&server, dir.path());
    env.set("GITHUB_REF", "refs/heads/main");
    env.0.remove("GITHUB_EVENT_PATH");
    let (result, _) = run(Target::Github, &env, &dir.path().join("report"), &content());
    assert_eq!(result.unwrap().notes, ["comment: not a pull request"]);

    // `comment: false` skips it silently.
    let env = github_env(&server, dir.path());
    let lookup = env.lookup();
    let content = content();
    let artifacts = dir.path().join("report");
    let mut req = PublishRequest::new(Target::Github, &artifacts, &content, &lookup);
    req.comment = false;
    assert_eq!(publish::publish(&req).unwrap().comment, None);
    assert!(server.take().is_empty());
}

/// The step summary never grows past GitHub's 1 MiB: the Markdown is cut at a line end with a
/// note, and when the step's summary is already full nothing is appended.
#[test]
fn step_summary_stays_within_one_mib() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "x".repeat(1024 * 1024 - 4096)).unwrap();
    let env = Env::new(&[("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())]);
    let mut content = content();
    content.step_summary_markdown = "| a row of the stage table |\n".repeat(1000);
    let (result, _) = run(Target::Github, &env, &dir.path().join("report"), &content);
    let outcome = result.unwrap();
    let appended = outcome.step_summary.unwrap();
    assert!(appended.truncated);
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.len() <= 1024 * 1024, "{}", text.len());
    assert!(
        text.ends_with("report.md)._\n"),
        "{}",
        &text[text.len() - 100..]
    );
    assert!(text.contains("|\n\n_… trimmed"));

    // Full: nothing more is written, and the outcome says so.
    std::fs::write(&summary, "x".repeat(1024 * 1024)).unwrap();
    let (result, _) = run(Target::Github, &env, &dir.path().join("report"), &content);
    let outcome = result.unwrap();
    assert_eq!(outcome.step_summary, None);
    assert!(
        outcome.notes.iter().any(|n| n.contains("1 MiB")),
        "{:?}",
        outcome.notes
    );
    assert_eq!(std::fs::metadata(&summary).unwrap().len(), 1024 * 1024);
}

/// A comment longer than GitHub's 65,536 characters is cut to fit.
#[test]
fn github_comment_is_cut_to_the_limit() {
    let server = Server::start(|request, _| match request.method.as_str() {
        "GET" => reply(200, json!([])),
        _ => reply(
            201,
            github_comment(9, request.json()["body"].as_str().unwrap(), true),
        ),
    });
    let dir = tempfile::tempdir().unwrap();
    let env = github_env(&server, dir.path());
    let mut content = content();
    content.comment_markdown = "| ü | stage row |\n".repeat(10_000);
    let (result, _) = run(Target::Github, &env, &dir.path().join("report"), &content);
    assert!(result.unwrap().comment.unwrap().truncated);
    let requests = server.take();
    let body = requests[1].json()["body"].as_str().unwrap().to_owned();
    assert!(body.chars().count() <= 65_536);
    assert!(body.starts_with(GITHUB_MARKER));
}

// ---------------------------------------------------------------------------------------------
// GitLab.

const NOTES_PATH: &str = "/api/v4/projects/278964/merge_requests/7/notes";
const GITLAB_MARKER: &str = "<!-- cicd-monitor:publish-report -->";

fn gitlab_env(server: &Server) -> Env {
    Env::new(&[
        ("GITLAB_CI", "true"),
        ("CI_API_V4_URL", &format!("{}/api/v4", server.base)),
        ("CI_SERVER_URL", "https://gitlab.example.com"),
        ("CI_PROJECT_ID", "278964"),
        ("CI_PROJECT_URL", "https://gitlab.example.com/acme/app"),
        ("CI_MERGE_REQUEST_IID", "7"),
        ("CI_JOB_NAME", "publish-report"),
        ("CI_JOB_TOKEN", JOB_TOKEN),
        ("CICD_MONITOR_GITLAB_TOKEN", GITLAB_TOKEN),
    ])
}

fn form_body(text: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("body", text)
        .finish()
}

fn body_of_form(request: &Recorded) -> String {
    url::form_urlencoded::parse(request.body.as_bytes())
        .find(|(k, _)| k == "body")
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

fn assert_gitlab_headers(request: &Recorded) {
    assert_eq!(request.header("private-token"), Some(GITLAB_TOKEN));
    assert_eq!(request.header("authorization"), None);
    assert_no_secret(&format!("{:?}", request.target));
}

/// Creates the MR note, then updates the same note; `metrics.txt` and the report files are in
/// the artifacts directory.
#[test]
fn gitlab_creates_then_updates_one_sticky_note() {
    let notes = Arc::new(Mutex::new(vec![gitlab_note(
        300,
        "added 1 commit\n\n<ul><li>a1b2c3d4 - fix</li></ul>",
        true,
    )]));
    let list = format!("{NOTES_PATH}?per_page=100&page=1");
    let server = {
        let (notes, list) = (notes.clone(), list.clone());
        Server::start(move |request, _| {
            let mut notes = notes.lock().unwrap();
            let edit = format!("{NOTES_PATH}/901");
            match (request.method.as_str(), request.target.as_str()) {
                ("GET", target) if target == list => reply(200, Value::Array(notes.clone())),
                ("POST", NOTES_PATH) => {
                    let note = gitlab_note(901, &body_of_form(request), false);
                    notes.push(note.clone());
                    reply(201, note)
                }
                ("PUT", target) if target == edit => {
                    let note = gitlab_note(901, &body_of_form(request), false);
                    notes[1] = note.clone();
                    reply(200, note)
                }
                _ => reply(404, json!({"message": "404 Not found"})),
            }
        })
    };
    let dir = tempfile::tempdir().unwrap();
    let env = gitlab_env(&server);
    let artifacts = dir.path().join("report");
    let content = content();
    let expected = format!("{GITLAB_MARKER}\n{}", content.comment_markdown);

    let (result, console) = run(Target::Gitlab, &env, &artifacts, &content);
    let outcome = result.unwrap();
    assert_eq!(console, "");
    let note = outcome.comment.unwrap();
    assert_eq!((note.id, note.action), (901, CommentAction::Created));
    assert_eq!(
        note.url.as_deref(),
        Some("https://gitlab.example.com/acme/app/-/merge_requests/7#note_901")
    );
    let requests = server.take();
    let seen: Vec<_> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.target.as_str()))
        .collect();
    assert_eq!(seen, [("GET", list.as_str()), ("POST", NOTES_PATH)]);
    requests.iter().for_each(assert_gitlab_headers);
    assert_eq!(requests[1].body, form_body(&expected));
    assert_eq!(
        requests[1].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        std::fs::read_to_string(artifacts.join("metrics.txt")).unwrap(),
        content.openmetrics
    );
    for name in ["report.html", "report.json", "report.md"] {
        assert!(artifacts.join(name).is_file(), "{name}");
    }

    let (result, _) = run(Target::Gitlab, &env, &artifacts, &content);
    let note = result.unwrap().comment.unwrap();
    assert_eq!((note.id, note.action), (901, CommentAction::Updated));
    let requests = server.take();
    let seen: Vec<_> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.target.as_str()))
        .collect();
    let edit = format!("{NOTES_PATH}/901");
    assert_eq!(seen, [("GET", list.as_str()), ("PUT", edit.as_str())]);
    requests.iter().for_each(assert_gitlab_headers);
    assert_eq!(requests[1].body, form_body(&expected));
    assert_eq!(notes.lock().unwrap().len(), 2, "no second note");
}

/// 100 notes fill the first page; the marked one is on page 2.
#[test]
fn gitlab_reads_the_second_page() {
    let server = Server::start(|request, _| {
        let page1 = format!("{NOTES_PATH}?per_page=100&page=1");
        let page2 = format!("{NOTES_PATH}?per_page=100&page=2");
        let edit = format!("{NOTES_PATH}/1205");
        match (request.method.as_str(), request.target.as_str()) {
            ("GET", t) if t == page1 => reply(
                200,
                Value::Array(
                    (1..=100)
                        .map(|id| gitlab_note(1000 + id, "LGTM", false))
                        .collect(),
                ),
            ),
            ("GET", t) if t == page2 => reply(
                200,
                json!([gitlab_note(1205, &format!("{GITLAB_MARKER}\nold"), false)]),
            ),
            ("PUT", t) if t == edit => reply(200, gitlab_note(1205, &body_of_form(request), false)),
            _ => reply(404, json!({"message": "404 Not found"})),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let (result, _) = run(
        Target::Gitlab,
        &gitlab_env(&server),
        &dir.path().join("report"),
        &content(),
    );
    let note = result.unwrap().comment.unwrap();
    assert_eq!((note.id, note.action), (1205, CommentAction::Updated));
    let seen: Vec<_> = server
        .take()
        .into_iter()
        .map(|r| format!("{} {}", r.method, r.target))
        .collect();
    assert_eq!(
        seen,
        [
            format!("GET {NOTES_PATH}?per_page=100&page=1"),
            format!("GET {NOTES_PATH}?per_page=100&page=2"),
            format!("PUT {NOTES_PATH}/1205"),
        ]
    );
}

/// GitLab's 401 is a typed error with URL and status; no token anywhere.
#[test]
fn gitlab_401_is_a_typed_error_without_the_token() {
    let server = Server::start(|_, _| reply(401, json!({"message": "401 Unauthorized"})));
    let dir = tempfile::tempdir().unwrap();
    let env = gitlab_env(&server);
    let (result, console) = run(Target::Gitlab, &env, &dir.path().join("report"), &content());
    let error = result.unwrap_err();
    assert_eq!(error.status(), Some(401));
    let PublishError::Http { source, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(
        source.url(),
        format!("{}{NOTES_PATH}?per_page=100&page=1", server.base)
    );
    let text = shown(&error);
    assert!(text.contains("401 Unauthorized"), "{text}");
    assert_no_secret(&text);
    assert_no_secret(&console);
    assert_eq!(server.take().len(), 1);
}

/// A 502 on the create is retried (the server did not act on it); a 500 is not, since it may
/// have created the note already.
#[test]
fn gitlab_create_retries_only_when_safe() {
    let attempts = Arc::new(Mutex::new(0));
    let server = {
        let attempts = attempts.clone();
        Server::start(move |request, _| match request.method.as_str() {
            "GET" => reply(200, json!([])),
            _ => {
                let mut n = attempts.lock().unwrap();
                *n += 1;
                match *n {
                    1 => reply(502, json!({"message": "502 Bad Gateway"})),
                    2 => reply(201, gitlab_note(7, &body_of_form(request), false)),
                    _ => reply(500, json!({"message": "500 Internal Server Error"})),
                }
            }
        })
    };
    let dir = tempfile::tempdir().unwrap();
    let env = gitlab_env(&server);
    let (result, _) = run(Target::Gitlab, &env, &dir.path().join("report"), &content());
    assert_eq!(result.unwrap().comment.unwrap().id, 7);
    assert_eq!(server.take().len(), 3);

    let (result, _) = run(Target::Gitlab, &env, &dir.path().join("report"), &content());
    assert_eq!(result.unwrap_err().status(), Some(500));
    assert_eq!(
        server.take().len(),
        2,
        "GET, then one POST: a 500 on create is final"
    );
}

/// `CI_JOB_TOKEN` alone cannot write notes: the step is skipped, no request is made.
#[test]
fn gitlab_job_token_alone_is_not_used() {
    let server = Server::start(|_, _| reply(500, json!({})));
    let mut env = gitlab_env(&server);
    env.0.remove("CICD_MONITOR_GITLAB_TOKEN");
    let dir = tempfile::tempdir().unwrap();
    let (result, _) = run(Target::Gitlab, &env, &dir.path().join("report"), &content());
    let outcome = result.unwrap();
    assert_eq!(outcome.comment, None);
    assert!(outcome.notes[0].contains("CI_JOB_TOKEN cannot write notes"));
    assert!(server.take().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Jenkins and files.

/// Jenkins: the files for archiveArtifacts/publishHTML, and the console summary on the console
/// writer (stderr in real runs).
#[test]
fn jenkins_writes_files_and_the_console_summary() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::new(&[("BUILD_TAG", "jenkins-app-7"), ("BUILD_NUMBER", "7")]);
    assert_eq!(publish::detect(&env.lookup()), Target::Jenkins);
    let artifacts = dir.path().join("out/report");
    let content = content();
    let (result, console) = run(Target::Jenkins, &env, &artifacts, &content);
    let outcome = result.unwrap();
    assert!(outcome.console);
    assert_eq!(console, content.console);
    assert_eq!(
        std::fs::read_to_string(artifacts.join("report.html")).unwrap(),
        content.html
    );
    assert_eq!(
        std::fs::read_to_string(artifacts.join("report.json")).unwrap(),
        content.json
    );
    assert_eq!(outcome.comment, None);
}

/// Files: only the four files; an unwritable directory is a typed error naming the path.
#[test]
fn files_only_and_write_errors() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::new(&[]);
    let (result, console) = run(Target::Files, &env, dir.path(), &content());
    let outcome = result.unwrap();
    assert_eq!(outcome.files.len(), 4);
    assert_eq!((outcome.step_summary, outcome.comment), (None, None));
    assert_eq!(console, "");
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["metrics.txt", "report.html", "report.json", "report.md"]
    );

    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let (result, _) = run(Target::Files, &env, &blocker.join("report"), &content());
    let error = result.unwrap_err();
    assert!(matches!(error, PublishError::Write { .. }), "{error:?}");
    assert!(error.to_string().contains("a-file/report"), "{error}");
}

// ---------------------------------------------------------------------------------------------
// The binary: `cicd-monitor publish` on the sample pipeline's profiles, run twice as two jobs
// of the same workflow would, against the same server.

#[path = "common/mod.rs"]
mod common;

#[test]
fn cli_publish_creates_then_updates_the_comment_and_never_logs_the_token() {
    let comments = Arc::new(Mutex::new(Vec::<Value>::new()));
    let server = {
        let comments = comments.clone();
        Server::start(move |request, _| {
            let mut comments = comments.lock().unwrap();
            match (request.method.as_str(), request.target.as_str()) {
                ("GET", LIST_PATH) => reply(200, Value::Array(comments.clone())),
                ("POST", "/repos/octo/app/issues/42/comments") => {
                    let c = github_comment(7001, request.json()["body"].as_str().unwrap(), true);
                    comments.push(c.clone());
                    reply(201, c)
                }
                ("PATCH", "/repos/octo/app/issues/comments/7001") => {
                    let c = github_comment(7001, request.json()["body"].as_str().unwrap(), true);
                    comments[0] = c.clone();
                    reply(200, c)
                }
                _ => reply(404, json!({"message": "Not Found"})),
            }
        })
    };
    let dir = tempfile::tempdir().unwrap();
    let profiles = dir.path().join("profiles");
    std::fs::create_dir_all(&profiles).unwrap();
    common::pipeline_profiles(&profiles);
    let env = github_env(&server, dir.path());
    let publish = || {
        let mut cmd = std::process::Command::new(common::bin());
        cmd.args(["publish", "--dir"]).arg(&profiles).env_clear();
        cmd.env("PATH", std::env::var_os("PATH").unwrap());
        for (k, v) in &env.0 {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    for (run, action) in [(1, "created"), (2, "updated")] {
        let o = publish();
        let (out, err) = (common::stdout(&o), common::stderr(&o));
        assert_eq!(common::code(&o), 0, "run {run}: {err}");
        assert_eq!(out, "", "publish writes no data to stdout");
        assert!(
            err.contains(&format!("{action} comment")),
            "run {run}: {err}"
        );
        assert_no_secret(&err);
    }
    let requests = server.take();
    let seen: Vec<_> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.target.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("GET", LIST_PATH),
            ("POST", "/repos/octo/app/issues/42/comments"),
            ("GET", LIST_PATH),
            ("PATCH", "/repos/octo/app/issues/comments/7001"),
        ]
    );
    requests.iter().for_each(assert_github_headers);
    assert_eq!(comments.lock().unwrap().len(), 1, "one sticky comment");
    let body = requests[3].json()["body"].as_str().unwrap().to_owned();
    assert!(body.starts_with(GITHUB_MARKER), "{body}");
    assert!(body.contains("cicd-monitor: sample-pipeline"), "{body}");
    assert!(body.len() <= 65_536);
    // The step summary got the report once per run.
    let summary = std::fs::read_to_string(dir.path().join("step_summary.md")).unwrap();
    assert_eq!(
        summary
            .matches("### ✅ cicd-monitor: sample-pipeline")
            .count(),
        2
    );
    for file in ["report.html", "report.json", "report.md", "metrics.txt"] {
        assert!(profiles.join("report").join(file).is_file(), "{file}");
    }
}

//! The one HTTP layer for talking to CI servers (GitHub, GitLab, later Jenkins).
//!
//! - [`Client`]: a `reqwest` client with connect and request timeouts that sends one
//!   [`Request`] with the [`RetryPolicy`] (backoff, `Retry-After`, GitHub rate-limit headers,
//!   bounded tries). Every status that is not a success becomes an [`HttpError`] here, so the
//!   API crates on top (octocrab, gitlab) see successes only.
//! - [`Secret`]: a token whose `Display` and `Debug` are masked; its value leaves only through
//!   [`Secret::expose`], into a header marked sensitive.
//! - [`HttpError`]: method, URL (credentials redacted) and status, with a short excerpt of the
//!   server's message, scrubbed of every secret the client knows.
//!
//! async inside (octocrab and the gitlab crate are async); callers run it on a current-thread
//! tokio runtime (see `crate::publish`). Depends on `crate::redact` only.

pub mod retry;

use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use url::Url;

use crate::redact::{MASK, Redactor};
pub use retry::RetryPolicy;
use retry::{Decision, Failure};

/// A credential. Shown as `***` by `Display` and `Debug`; [`Secret::expose`] gives the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential; surrounding whitespace (a newline from a file) is dropped.
    pub fn new(value: impl Into<String>) -> Secret {
        let value: String = value.into();
        Secret(value.trim().to_owned())
    }

    /// The credential itself, for the one place that needs it: a request header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({MASK})")
    }
}

/// A failed request. Messages never hold a credential: URLs are redacted, server messages are
/// scrubbed of the client's secrets and of anything that looks like one.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpError {
    /// The server answered with a status that is not a success (after any retries).
    #[error("{method} {url} failed with status {status}{}", message_suffix(.message))]
    Status {
        method: Method,
        /// The URL, credentials redacted.
        url: String,
        status: u16,
        /// The server's message (`message` of a JSON error, else the start of the body).
        message: String,
        /// Tries made, the first included.
        attempts: u32,
    },
    /// The server asked to wait longer than the retry policy allows.
    #[error(
        "{method} {url} is rate limited (status {status}): the server asks to wait {}s, more than the {}s allowed",
        .wait.as_secs(), .max_wait.as_secs()
    )]
    RateLimited {
        method: Method,
        url: String,
        status: u16,
        wait: Duration,
        max_wait: Duration,
    },
    /// No response: connection refused, DNS, TLS or a timeout.
    #[error("{method} {url} failed after {attempts} tries: {message}")]
    Network {
        method: Method,
        url: String,
        message: String,
        attempts: u32,
    },
    /// The request could not be built (bad URL or header value).
    #[error("failed to build the request for {url}: {message}")]
    Invalid { url: String, message: String },
}

fn message_suffix(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

impl HttpError {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Status { status, .. } | HttpError::RateLimited { status, .. } => {
                Some(*status)
            }
            HttpError::Network { .. } | HttpError::Invalid { .. } => None,
        }
    }

    /// The redacted URL of the request.
    pub fn url(&self) -> &str {
        match self {
            HttpError::Status { url, .. }
            | HttpError::RateLimited { url, .. }
            | HttpError::Network { url, .. }
            | HttpError::Invalid { url, .. } => url,
        }
    }
}

/// One request: everything needed to send it again on a retry.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A successful response, body read whole (API answers are small).
#[derive(Debug, Clone)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Connect timeout: a CI server that takes longer to accept a connection is down.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Whole-request timeout, reading the body included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest server message kept in an error.
const MAX_MESSAGE_LEN: usize = 300;

/// The HTTP client: timeouts, retries, redacted errors.
#[derive(Clone)]
pub struct Client {
    inner: reqwest::Client,
    policy: RetryPolicy,
    /// Values masked in every error message, besides what [`Redactor`] finds by itself.
    secrets: Vec<Secret>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("policy", &self.policy)
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl Client {
    /// A client with the default timeouts; `secrets` are masked in every error it returns.
    pub fn new(policy: RetryPolicy, secrets: Vec<Secret>) -> Result<Client, HttpError> {
        let inner = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("cicd-monitor/", env!("CARGO_PKG_VERSION")))
            // An API answer that redirects elsewhere would carry the token along: not followed.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| HttpError::Invalid {
                url: String::new(),
                message: error_chain(&e.without_url()),
            })?;
        Ok(Client {
            inner,
            policy,
            secrets,
        })
    }

    /// `url` with credentials masked: user info, secret query parameters, known secrets.
    pub fn redact_url(&self, url: &str) -> String {
        self.scrub(url)
    }

    /// `text` with the client's secrets and anything that looks like a credential masked.
    pub fn scrub(&self, text: &str) -> String {
        let mut text = Redactor::default().redact_str(text).into_owned();
        for secret in &self.secrets {
            if !secret.expose().is_empty() {
                text = text.replace(secret.expose(), MASK);
            }
        }
        text
    }

    /// A header holding a secret, marked sensitive so that `Debug` of a request hides it.
    pub fn secret_header(
        &self,
        name: HeaderName,
        value: &str,
    ) -> Result<(HeaderName, HeaderValue), HttpError> {
        let mut value = HeaderValue::from_str(value).map_err(|_| HttpError::Invalid {
            url: String::new(),
            message: format!("the value of the {name} header is not valid header text"),
        })?;
        value.set_sensitive(true);
        Ok((name, value))
    }

    /// Sends `request`, retrying as the policy says. Any status but 2xx is an error.
    pub async fn send(&self, request: Request) -> Result<Response, HttpError> {
        let url = self.redact_url(request.url.as_str());
        let method = request.method.clone();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (failure, headers, body, message) = match self.send_once(&request).await {
                Ok(response) if response.status.is_success() => return Ok(response),
                Ok(response) => {
                    let message = self.server_message(&response.body);
                    (
                        Failure::Status(response.status),
                        response.headers,
                        response.body,
                        message,
                    )
                }
                Err((failure, message)) => (failure, HeaderMap::new(), Bytes::new(), message),
            };
            match self.policy.decide(
                &method,
                attempt,
                failure,
                &headers,
                &body,
                SystemTime::now(),
            ) {
                Decision::RetryAfter(wait) => tokio::time::sleep(wait).await,
                Decision::WaitTooLong(wait) => {
                    let Failure::Status(status) = failure else {
                        unreachable!("only a response asks for a wait")
                    };
                    return Err(HttpError::RateLimited {
                        method,
                        url,
                        status: status.as_u16(),
                        wait,
                        max_wait: self.policy.max_wait,
                    });
                }
                Decision::Stop => {
                    return Err(match failure {
                        Failure::Status(status) => HttpError::Status {
                            method,
                            url,
                            status: status.as_u16(),
                            message,
                            attempts: attempt,
                        },
                        Failure::Connect | Failure::Transport => HttpError::Network {
                            method,
                            url,
                            message,
                            attempts: attempt,
                        },
                    });
                }
            }
        }
    }

    /// One try. A network failure comes back as its kind and a scrubbed message.
    async fn send_once(&self, request: &Request) -> Result<Response, (Failure, String)> {
        let mut builder = self
            .inner
            .request(request.method.clone(), request.url.clone())
            .headers(request.headers.clone());
        if !request.body.is_empty() {
            builder = builder.body(request.body.clone());
        }
        let network = |e: reqwest::Error| {
            let failure = if e.is_connect() {
                Failure::Connect
            } else {
                Failure::Transport
            };
            // reqwest's messages name the URL: it is dropped here and given, redacted, by
            // the error itself.
            (failure, self.scrub(&error_chain(&e.without_url())))
        };
        let response = builder.send().await.map_err(network)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(network)?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// The `message` of a JSON error body (GitHub and GitLab both use it), else the start of
    /// the body, scrubbed and shortened.
    fn server_message(&self, body: &[u8]) -> String {
        let text = match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(serde_json::Value::Object(map)) => match map.get("message").or(map.get("error")) {
                Some(serde_json::Value::String(message)) => message.clone(),
                Some(other) => other.to_string(),
                None => String::from_utf8_lossy(body).into_owned(),
            },
            _ => String::from_utf8_lossy(body).into_owned(),
        };
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut text = self.scrub(&text);
        if text.len() > MAX_MESSAGE_LEN {
            let mut end = MAX_MESSAGE_LEN;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
            text.push('…');
        }
        text
    }
}

/// An error and its sources as one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    crate::warn::chain(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_is_masked() {
        let secret = Secret::new(" ghp_abcdef123456\n");
        assert_eq!(secret.to_string(), "***");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(secret.expose(), "ghp_abcdef123456");
    }

    #[test]
    fn urls_and_messages_are_scrubbed() {
        let client =
            Client::new(RetryPolicy::none(), vec![Secret::new("glpat-0123456789")]).unwrap();
        assert_eq!(
            client.redact_url(
                "https://oauth2:abc@gitlab.example.com/api/v4/x?private_token=abc&page=2"
            ),
            "https://oauth2:***@gitlab.example.com/api/v4/x?private_token=***&page=2"
        );
        assert_eq!(
            client.server_message(b"{\"message\":\"token glpat-0123456789 is revoked\"}"),
            "token *** is revoked"
        );
        let long = "x".repeat(1000);
        assert!(client.server_message(long.as_bytes()).len() <= MAX_MESSAGE_LEN + 3);
        assert!(!format!("{client:?}").contains("glpat"));
    }
}

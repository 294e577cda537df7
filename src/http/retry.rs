//! When to try a request again, and how long to wait first.
//!
//! Pure functions of the status, the response headers and the clock, so every rule is tested
//! without a server. The rules:
//!
//! - **Retried**: network errors, `429`, `500`, `502`, `503`, `504`, and a `403` that is a rate
//!   limit (GitHub answers an exhausted primary limit with `403` and
//!   `x-ratelimit-remaining: 0`, a secondary limit with `403` and `Retry-After`, or with a
//!   message naming the secondary rate limit).
//! - **Non-idempotent requests** (`POST`: creating a comment) are retried only when the server
//!   surely did not act on them: `429`, a `403` rate limit, `502`/`503`/`504` and connect
//!   errors. A `500` or a timeout after the request was sent may have created the comment, and a
//!   retry would post it twice.
//! - **Waiting**: `Retry-After` (seconds or an HTTP date) wins; else `x-ratelimit-reset` (epoch
//!   seconds) when `x-ratelimit-remaining` is `0`; else GitHub's advice for secondary limits
//!   (one minute); else exponential backoff from `base_delay` (1 s, 2 s, 4 s …), capped.
//! - **Bounded**: at most `max_attempts` tries, and no single wait over `max_wait`: a server
//!   that asks for longer is not waited for (the build is not held for a rate-limit reset an
//!   hour away); the caller gets the error with the wait the server asked for.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method, StatusCode};

/// How many times and how long to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first one included (1 = no retry).
    pub max_attempts: u32,
    /// First backoff delay when the server names none; doubles with each retry.
    pub base_delay: Duration,
    /// Longest single wait, whether computed or asked for by the server.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    /// 4 tries, backoff from 1 s, waits of at most 60 s: a publish step that runs into an outage
    /// gives up within about two minutes and a half instead of holding the pipeline.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_secs(1),
            max_wait: Duration::from_secs(60),
        }
    }
}

/// What went wrong with one try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The connection could not be made: the request never reached the server.
    Connect,
    /// The request may have been sent (timeout, reset connection, broken body).
    Transport,
    /// The server answered with this status.
    Status(StatusCode),
}

/// The decision after a failed try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Try again after this delay.
    RetryAfter(Duration),
    /// Do not try again: the failure is final.
    Stop,
    /// The server asked to wait longer than the policy allows: give up.
    WaitTooLong(Duration),
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Decides what to do after try number `attempt` (1-based) failed with `failure`;
    /// `headers` and `body` are the response's (empty for network errors).
    pub fn decide(
        &self,
        method: &Method,
        attempt: u32,
        failure: Failure,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Decision {
        if !is_retryable(method, failure, headers, body) || attempt >= self.max_attempts {
            return Decision::Stop;
        }
        let asked = match failure {
            Failure::Status(status) => server_wait(status, headers, body, now),
            Failure::Connect | Failure::Transport => None,
        };
        match asked {
            Some(wait) if wait > self.max_wait => Decision::WaitTooLong(wait),
            Some(wait) => Decision::RetryAfter(wait),
            None => Decision::RetryAfter(self.backoff(attempt)),
        }
    }

    /// Exponential backoff after try number `attempt`: `base_delay × 2^(attempt−1)`, capped.
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.base_delay.saturating_mul(factor).min(self.max_wait)
    }
}

/// Whether a failure is worth another try of this method.
fn is_retryable(method: &Method, failure: Failure, headers: &HeaderMap, body: &[u8]) -> bool {
    // PATCH of a comment or note sets its body: repeating it gives the same state, so only
    // POST (create) is treated as non-idempotent.
    let idempotent = method != Method::POST;
    match failure {
        Failure::Connect => true,
        Failure::Transport => idempotent,
        Failure::Status(status) => match status.as_u16() {
            429 | 502..=504 => true,
            403 => is_rate_limited(headers, body),
            500 => idempotent,
            _ => false,
        },
    }
}

/// A `403` that is a rate limit rather than a permission problem.
fn is_rate_limited(headers: &HeaderMap, body: &[u8]) -> bool {
    header_str(headers, "x-ratelimit-remaining") == Some("0")
        || headers.contains_key(http::header::RETRY_AFTER)
        || is_secondary_limit_message(body)
}

/// GitHub's secondary rate limit message ("You have exceeded a secondary rate limit").
fn is_secondary_limit_message(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]).to_ascii_lowercase();
    text.contains("secondary rate limit")
}

/// The wait the server asks for, if it names one.
fn server_wait(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Option<Duration> {
    if let Some(wait) = retry_after(headers, now) {
        return Some(wait);
    }
    if header_str(headers, "x-ratelimit-remaining") == Some("0")
        && let Some(reset) =
            header_str(headers, "x-ratelimit-reset").and_then(|value| value.parse::<u64>().ok())
    {
        let reset = SystemTime::UNIX_EPOCH + Duration::from_secs(reset);
        // One more second: the reset time is rounded down to a whole second.
        return Some(
            reset
                .duration_since(now)
                .unwrap_or(Duration::ZERO)
                .saturating_add(Duration::from_secs(1)),
        );
    }
    // GitHub: "wait for at least one minute before retrying" a secondary rate limit that
    // names no time.
    if matches!(status.as_u16(), 403 | 429) && is_secondary_limit_message(body) {
        return Some(Duration::from_secs(60));
    }
    None
}

/// `Retry-After` as a delay: a number of seconds or an HTTP date (RFC 9110 §10.2.3).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = header_str(headers, http::header::RETRY_AFTER.as_str())?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    fn status(code: u16) -> Failure {
        Failure::Status(StatusCode::from_u16(code).unwrap())
    }

    const NOW: Duration = Duration::from_secs(1_700_000_000);

    fn decide(
        method: Method,
        attempt: u32,
        failure: Failure,
        h: &HeaderMap,
        body: &str,
    ) -> Decision {
        RetryPolicy::default().decide(
            &method,
            attempt,
            failure,
            h,
            body.as_bytes(),
            SystemTime::UNIX_EPOCH + NOW,
        )
    }

    #[test]
    fn server_errors_back_off_exponentially() {
        let none = HeaderMap::new();
        for (attempt, secs) in [(1, 1), (2, 2), (3, 4)] {
            assert_eq!(
                decide(Method::GET, attempt, status(503), &none, ""),
                Decision::RetryAfter(Duration::from_secs(secs))
            );
        }
        assert_eq!(
            decide(Method::GET, 4, status(503), &none, ""),
            Decision::Stop
        );
    }

    #[test]
    fn client_errors_are_final() {
        let none = HeaderMap::new();
        for code in [400, 401, 403, 404, 422] {
            assert_eq!(
                decide(Method::GET, 1, status(code), &none, ""),
                Decision::Stop,
                "{code}"
            );
        }
    }

    #[test]
    fn retry_after_seconds_and_date() {
        let h = headers(&[("retry-after", "7")]);
        assert_eq!(
            decide(Method::GET, 1, status(429), &h, ""),
            Decision::RetryAfter(Duration::from_secs(7))
        );
        let date = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + NOW + Duration::from_secs(30));
        let h = headers(&[("retry-after", &date)]);
        assert_eq!(
            decide(Method::GET, 1, status(503), &h, ""),
            Decision::RetryAfter(Duration::from_secs(30))
        );
        let h = headers(&[("retry-after", "3600")]);
        assert_eq!(
            decide(Method::GET, 1, status(429), &h, ""),
            Decision::WaitTooLong(Duration::from_secs(3600))
        );
    }

    #[test]
    fn github_primary_and_secondary_limits() {
        let reset = (NOW.as_secs() + 20).to_string();
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset),
        ]);
        assert_eq!(
            decide(
                Method::POST,
                1,
                status(403),
                &h,
                "{\"message\":\"API rate limit exceeded\"}"
            ),
            Decision::RetryAfter(Duration::from_secs(21))
        );
        let secondary = "{\"message\":\"You have exceeded a secondary rate limit.\"}";
        assert_eq!(
            decide(Method::GET, 1, status(403), &HeaderMap::new(), secondary),
            Decision::RetryAfter(Duration::from_secs(60))
        );
        // A plain 403 is a permission problem.
        assert_eq!(
            decide(
                Method::GET,
                1,
                status(403),
                &headers(&[("x-ratelimit-remaining", "4999")]),
                "{\"message\":\"Resource not accessible by integration\"}"
            ),
            Decision::Stop
        );
    }

    #[test]
    fn creating_is_not_repeated_when_it_may_have_happened() {
        let none = HeaderMap::new();
        assert_eq!(
            decide(Method::POST, 1, status(500), &none, ""),
            Decision::Stop
        );
        assert_eq!(
            decide(Method::POST, 1, Failure::Transport, &none, ""),
            Decision::Stop
        );
        assert!(matches!(
            decide(Method::POST, 1, status(503), &none, ""),
            Decision::RetryAfter(_)
        ));
        assert!(matches!(
            decide(Method::POST, 1, Failure::Connect, &none, ""),
            Decision::RetryAfter(_)
        ));
        assert!(matches!(
            decide(Method::PATCH, 1, status(500), &none, ""),
            Decision::RetryAfter(_)
        ));
    }
}

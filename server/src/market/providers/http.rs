//! The HTTP plumbing shared by every client: timeouts, retries with backoff, status mapping and the
//! first look at a body (HTML error pages and broken JSON become [`ProviderError::Malformed`]).
//!
//! Retries use `backon` (already in the dependency tree through `redis`): exponential backoff with
//! jitter, a predicate deciding which errors are worth another attempt, and an `adjust` hook that
//! replaces the computed delay with the provider's `Retry-After`.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use super::{ProviderError, ProviderKind};

/// How failed requests are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: no retry).
    pub max_retries: usize,
    /// Delay before the first retry; it doubles on each further one.
    pub min_delay: Duration,
    /// Longest delay between two attempts.
    pub max_delay: Duration,
    /// Longest `Retry-After` we wait for. A provider asking for more is left alone and the error returned
    /// at once, so that a [`ProviderChain`](super::ProviderChain) can ask the next provider instead.
    pub max_retry_after: Duration,
    /// Add a random part (up to the delay itself) so that clients do not retry in step.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            min_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
            max_retry_after: Duration::from_secs(5),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// A single attempt, never retried.
    pub fn never() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..Self::default()
        }
    }

    fn backoff(&self) -> ExponentialBuilder {
        let b = ExponentialBuilder::new()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay.max(self.min_delay))
            .with_factor(2.0)
            .with_max_times(self.max_retries);
        if self.jitter {
            b.with_jitter()
        } else {
            b
        }
    }

    fn should_retry(&self, err: &ProviderError) -> bool {
        match err {
            ProviderError::RateLimited {
                retry_after: Some(wait),
                ..
            } => *wait <= self.max_retry_after,
            other => other.is_transient(),
        }
    }
}

/// Timeouts and retries of one provider's client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    /// Whole request, body included.
    pub timeout: Duration,
    /// TCP and TLS connection.
    pub connect_timeout: Duration,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            retry: RetryPolicy::default(),
        }
    }
}

/// One provider's HTTP client.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    provider: ProviderKind,
    retry: RetryPolicy,
}

impl Http {
    pub(crate) fn new(
        provider: ProviderKind,
        settings: &HttpSettings,
    ) -> Result<Self, ProviderError> {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .user_agent(concat!("tickercast/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderError::Transport {
                provider,
                source: e.without_url(),
            })?;
        Ok(Http {
            client,
            provider,
            retry: settings.retry.clone(),
        })
    }

    /// GETs `url` with `query` and `headers`, retrying transient failures, and returns the body of a
    /// successful answer. Non-2xx statuses become errors here.
    pub(crate) async fn get(
        &self,
        url: &str,
        query: &[(&str, String)],
        headers: &HeaderMap,
    ) -> Result<Vec<u8>, ProviderError> {
        let provider = self.provider;
        let attempt = || async {
            let response = self
                .client
                .get(url)
                .query(query)
                .headers(headers.clone())
                .send()
                .await
                .map_err(|e| transport_error(provider, e))?;
            let status = response.status();
            let retry_after = retry_after(response.headers(), Utc::now());
            let body = response
                .bytes()
                .await
                .map_err(|e| transport_error(provider, e))?;
            if status.is_success() {
                Ok(body.to_vec())
            } else {
                Err(status_error(provider, status, retry_after, &body))
            }
        };
        attempt
            .retry(self.retry.backoff())
            .sleep(tokio::time::sleep)
            .when(|e| self.retry.should_retry(e))
            .adjust(|e, next| {
                // `next` is `None` once the retries are used up: keep it so, whatever the header says.
                next.map(|backoff| match e {
                    ProviderError::RateLimited {
                        retry_after: Some(wait),
                        ..
                    } => *wait,
                    _ => backoff,
                })
            })
            .notify(|e, wait| {
                tracing::warn!(provider = %provider, error = %e, ?wait, "retrying market-data request");
            })
            .await
    }

    /// GETs and parses JSON (see [`Http::get`] and [`parse_json`]).
    pub(crate) async fn get_json(
        &self,
        url: &str,
        query: &[(&str, String)],
        headers: &HeaderMap,
    ) -> Result<serde_json::Value, ProviderError> {
        let body = self.get(url, query, headers).await?;
        parse_json(self.provider, &body)
    }
}

fn transport_error(provider: ProviderKind, e: reqwest::Error) -> ProviderError {
    if e.is_timeout() {
        ProviderError::Timeout { provider }
    } else {
        // The URL may carry the API key in its query string.
        ProviderError::Transport {
            provider,
            source: e.without_url(),
        }
    }
}

fn status_error(
    provider: ProviderKind,
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &[u8],
) -> ProviderError {
    match status.as_u16() {
        429 => ProviderError::RateLimited {
            provider,
            retry_after,
        },
        401 | 403 => ProviderError::Unauthorized {
            provider,
            detail: error_message(body),
        },
        404 => ProviderError::not_found(provider, error_message(body)),
        // A parameter the provider will not serve (Yahoo answers 422 to intraday data older than it
        // keeps): its own words say more than the status.
        400 | 422 => ProviderError::Rejected {
            provider,
            detail: error_message(body),
        },
        code => ProviderError::Upstream {
            provider,
            status: code,
        },
    }
}

/// The human message of an error body: the usual JSON fields (`error`, `message`, Yahoo's
/// `chart.error.description` and `finance.error.description`), else the start of the text.
fn error_message(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        for pointer in [
            "/error",
            "/message",
            "/chart/error/description",
            "/finance/error/description",
        ] {
            if let Some(s) = v.pointer(pointer).and_then(|m| m.as_str()) {
                return excerpt(s);
            }
        }
    }
    excerpt(&String::from_utf8_lossy(body))
}

/// The first 160 characters of `text` on one line, for error messages.
pub(crate) fn excerpt(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut clipped: String = one_line.chars().take(160).collect();
    if one_line.chars().count() > 160 {
        clipped.push('…');
    }
    clipped
}

/// Reads a `Retry-After` header: delay-seconds or an HTTP date (a date in the past means now).
pub(crate) fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// Parses a 200 body as JSON. An empty body, an HTML page (a proxy's or the provider's error page) or
/// broken JSON is [`ProviderError::Malformed`].
pub(crate) fn parse_json(
    provider: ProviderKind,
    body: &[u8],
) -> Result<serde_json::Value, ProviderError> {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(ProviderError::malformed(provider, "empty body"));
    }
    if trimmed.starts_with('<') {
        return Err(ProviderError::malformed(
            provider,
            format!("an HTML page instead of JSON: {}", excerpt(trimmed)),
        ));
    }
    serde_json::from_str(trimmed)
        .map_err(|e| ProviderError::malformed(provider, format!("invalid JSON: {e}")))
}

/// Deserializes a parsed body into a provider's documented shape.
pub(crate) fn decode<T: DeserializeOwned>(
    provider: ProviderKind,
    value: serde_json::Value,
) -> Result<T, ProviderError> {
    serde_json::from_value(value)
        .map_err(|e| ProviderError::malformed(provider, format!("unexpected JSON shape: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(retry_after_value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_str(retry_after_value).unwrap(),
        );
        h
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_as_an_http_date() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:27:30Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            retry_after(&headers("120"), now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            retry_after(&headers("Wed, 21 Oct 2015 07:28:00 GMT"), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after(&headers("Wed, 21 Oct 2015 07:00:00 GMT"), now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn html_pages_and_broken_json_in_a_200_are_malformed() {
        let p = ProviderKind::Yahoo;
        let html = parse_json(p, b"\n<!DOCTYPE html><html><body>Oops</body></html>").unwrap_err();
        assert!(matches!(html, ProviderError::Malformed { .. }));
        assert!(html.to_string().contains("HTML"), "{html}");
        assert!(matches!(
            parse_json(p, b"{\"chart\": ").unwrap_err(),
            ProviderError::Malformed { .. }
        ));
        assert!(matches!(
            parse_json(p, b"  ").unwrap_err(),
            ProviderError::Malformed { .. }
        ));
        assert!(parse_json(p, b"{\"ok\": true}").is_ok());
    }

    #[test]
    fn a_retry_after_longer_than_the_cap_is_not_waited_for() {
        let policy = RetryPolicy {
            max_retry_after: Duration::from_secs(5),
            ..RetryPolicy::default()
        };
        let limited = |secs| ProviderError::RateLimited {
            provider: ProviderKind::Finnhub,
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert!(policy.should_retry(&limited(5)));
        assert!(!policy.should_retry(&limited(60)));
        assert!(policy.should_retry(&ProviderError::Upstream {
            provider: ProviderKind::Finnhub,
            status: 503,
        }));
        assert!(!policy.should_retry(&ProviderError::Upstream {
            provider: ProviderKind::Finnhub,
            status: 400,
        }));
        assert!(!policy.should_retry(&ProviderError::malformed(ProviderKind::Finnhub, "x")));
    }

    #[test]
    fn a_refused_parameter_is_rejected_with_the_providers_words() {
        let err = status_error(
            ProviderKind::Yahoo,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            br#"{"chart":{"result":null,"error":{"code":"Unprocessable Entity","description":"The requested range must be within the last 60 days."}}}"#,
        );
        assert!(matches!(err, ProviderError::Rejected { .. }), "{err}");
        assert!(err.to_string().contains("last 60 days"), "{err}");
        assert!(!err.is_transient());
    }

    #[test]
    fn error_messages_come_from_the_json_error_field() {
        assert_eq!(
            error_message(br#"{"status":"NOT_FOUND","message":"Ticker not found."}"#),
            "Ticker not found."
        );
        assert_eq!(
            error_message(br#"{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}"#),
            "No data found, symbol may be delisted"
        );
        assert_eq!(
            error_message(br#"{"finance":{"result":null,"error":{"code":"Bad Request","description":"Invalid Search Query"}}}"#),
            "Invalid Search Query"
        );
        assert_eq!(error_message(b"Too Many\n Requests"), "Too Many Requests");
    }
}

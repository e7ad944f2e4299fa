//! Fixtures, settings with tiny retry delays, and shorthands.

use std::time::Duration;

use app::domain::Symbol;
use chrono::NaiveDate;
use server::market::providers::{DateRange, HttpSettings, RetryPolicy, SearchText};
use wiremock::ResponseTemplate;

/// A fixture's text: `tests/fixtures/providers/{provider}/{name}`.
pub fn fixture(provider: &str, name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/providers/{provider}/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// A 200 serving a JSON fixture.
pub fn json(provider: &str, name: &str) -> ResponseTemplate {
    json_status(200, provider, name)
}

/// A JSON fixture served with `status`.
pub fn json_status(status: u16, provider: &str, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(fixture(provider, name), "application/json")
}

/// A response with `status` and a raw body of the given content type.
pub fn raw(status: u16, body: &str, content_type: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), content_type)
}

/// Two retries (three attempts), delays of a few milliseconds, `Retry-After` waited for up to 50 ms.
pub fn settings() -> HttpSettings {
    HttpSettings {
        timeout: Duration::from_secs(5),
        connect_timeout: Duration::from_secs(2),
        retry: RetryPolicy {
            max_retries: 2,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_retry_after: Duration::from_millis(50),
            jitter: true,
        },
    }
}

pub fn symbol(s: &str) -> Symbol {
    Symbol::parse(s).unwrap()
}

pub fn search_query(s: &str) -> SearchText {
    SearchText::parse(s).unwrap()
}

pub fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub fn range(from: &str, to: &str) -> DateRange {
    DateRange::new(day(from), day(to)).unwrap()
}

/// Asserts two floats agree to 1e-9.
#[track_caller]
pub fn assert_close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < 1e-9,
        "expected {expected}, got {actual}"
    );
}

/// Requests the mock server received.
pub async fn request_count(server: &wiremock::MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

//! The error contract every provider client keeps, as one table: what a rate limit (a 429 or a
//! notice inside a 200), an unknown symbol, an empty answer, a broken body, a bad key and a server
//! error each become, and how many requests they cost (retries only for what retrying can fix).
//! Success paths, with each provider's own paths and parameters, are in the per-provider files.

use std::sync::Arc;
use std::time::Duration;

use server::market::providers::{
    AlphaVantage, ApiKey, Finnhub, MarketDataProvider, Polygon, ProviderError, ProviderKind, Yahoo,
};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{fixture, json, json_status, range, raw, request_count, settings, symbol};

/// What the client is asked for.
#[derive(Debug, Clone, Copy)]
enum Call {
    Daily,
    Quote,
    Overview,
}

/// The error the client must answer.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Rate limited, with this `Retry-After` (`None`: none given).
    RateLimited(Option<Duration>),
    /// Rate limited, whatever the wait.
    RateLimitedAny,
    /// Not found, the provider's message kept.
    NotFound(&'static str),
    NoData,
    Malformed,
    /// Upstream failure with this status.
    Upstream(u16),
    /// Unauthorized, the provider's message kept.
    Unauthorized(&'static str),
    Rejected,
}

struct Case {
    provider: ProviderKind,
    what: &'static str,
    call: Call,
    response: ResponseTemplate,
    expect: Expect,
    /// Requests the answer must cost (three = the first attempt and two retries).
    requests: Option<usize>,
}

fn case(
    provider: ProviderKind,
    what: &'static str,
    call: Call,
    response: ResponseTemplate,
    expect: Expect,
    requests: Option<usize>,
) -> Case {
    Case {
        provider,
        what,
        call,
        response,
        expect,
        requests,
    }
}

fn client(kind: ProviderKind, server: &MockServer) -> Arc<dyn MarketDataProvider> {
    let uri = server.uri();
    match kind {
        ProviderKind::AlphaVantage => Arc::new(
            AlphaVantage::new(&uri, ApiKey::new("test-key").unwrap(), &settings()).unwrap(),
        ),
        ProviderKind::Finnhub => {
            Arc::new(Finnhub::new(&uri, ApiKey::new("test-token").unwrap(), &settings()).unwrap())
        }
        ProviderKind::Polygon => {
            Arc::new(Polygon::new(&uri, ApiKey::new("test-key").unwrap(), &settings()).unwrap())
        }
        ProviderKind::Yahoo => Arc::new(Yahoo::new(&uri, &settings()).unwrap()),
    }
}

fn cases() -> Vec<Case> {
    use Call::*;
    use Expect::*;
    use ProviderKind::*;
    let half = |provider: &str, name: &str| {
        let text = fixture(provider, name);
        raw(200, &text[..text.len() / 2], "application/json")
    };
    vec![
        // Alpha Vantage answers most errors inside a 200.
        case(
            AlphaVantage,
            "a rate-limit note",
            Quote,
            json("alphavantage", "note_rate_limit.json"),
            RateLimited(None),
            Some(1),
        ),
        case(
            AlphaVantage,
            "a rate-limit information",
            Quote,
            json("alphavantage", "information_rate_limit.json"),
            RateLimited(None),
            Some(1),
        ),
        case(
            AlphaVantage,
            "an error message about the symbol",
            Daily,
            json("alphavantage", "error_message.json"),
            NotFound(""),
            None,
        ),
        case(
            AlphaVantage,
            "an empty series",
            Daily,
            json("alphavantage", "empty_series.json"),
            NoData,
            None,
        ),
        case(
            AlphaVantage,
            "half a JSON body",
            Daily,
            half("alphavantage", "daily_adjusted.json"),
            Malformed,
            None,
        ),
        case(
            AlphaVantage,
            "an HTML error page",
            Daily,
            raw(
                200,
                "<html><body><h1>502 Bad Gateway</h1></body></html>",
                "text/html",
            ),
            Malformed,
            None,
        ),
        case(
            AlphaVantage,
            "a 500",
            Quote,
            raw(500, "Internal Server Error", "text/plain"),
            Upstream(500),
            Some(3),
        ),
        // Finnhub.
        case(
            Finnhub,
            "a no_data status",
            Daily,
            json("finnhub", "no_data.json"),
            NoData,
            None,
        ),
        case(
            Finnhub,
            "a 429 with a long Retry-After",
            Quote,
            json_status(429, "finnhub", "rate_limit.json").insert_header("Retry-After", "30"),
            RateLimited(Some(Duration::from_secs(30))),
            Some(1),
        ),
        case(
            Finnhub,
            "a bad token",
            Quote,
            raw(401, r#"{"error":"Invalid API key"}"#, "application/json"),
            Unauthorized("Invalid API key"),
            None,
        ),
        case(
            Finnhub,
            "broken JSON",
            Quote,
            raw(200, r#"{"c": 183.05, "pc": "#, "application/json"),
            Malformed,
            None,
        ),
        case(
            Finnhub,
            "a 503",
            Daily,
            raw(503, "", "text/plain"),
            Upstream(503),
            Some(3),
        ),
        // Polygon.
        case(
            Polygon,
            "an unknown ticker",
            Overview,
            json_status(404, "polygon", "not_found.json"),
            NotFound("Ticker not found."),
            None,
        ),
        case(
            Polygon,
            "an empty range",
            Daily,
            json("polygon", "empty_aggs.json"),
            NoData,
            None,
        ),
        case(
            Polygon,
            "a 429 with Retry-After 0",
            Daily,
            json_status(429, "polygon", "rate_limit.json").insert_header("Retry-After", "0"),
            RateLimited(Some(Duration::ZERO)),
            Some(3),
        ),
        case(
            Polygon,
            "a rate-limit status in a 200",
            Daily,
            json("polygon", "rate_limit.json"),
            RateLimitedAny,
            None,
        ),
        case(
            Polygon,
            "a wrongly typed body",
            Daily,
            raw(
                200,
                r#"{"ticker":"AAPL","results":[{"o":"high","c":1,"h":1,"l":1,"v":1,"t":1}]}"#,
                "application/json",
            ),
            Malformed,
            None,
        ),
        case(
            Polygon,
            "a 500",
            Daily,
            raw(500, r#"{"status":"ERROR"}"#, "application/json"),
            Upstream(500),
            Some(3),
        ),
        case(
            Polygon,
            "a plan that does not cover the data",
            Daily,
            raw(
                200,
                r#"{"status":"NOT_AUTHORIZED","request_id":"1","message":"You are not entitled to this data. Please upgrade your plan at https://polygon.io/pricing"}"#,
                "application/json",
            ),
            Unauthorized("not entitled"),
            None,
        ),
        case(
            Polygon,
            "an unknown API key",
            Daily,
            raw(
                200,
                r#"{"status":"ERROR","request_id":"2","error":"Unknown API Key"}"#,
                "application/json",
            ),
            Unauthorized("Unknown API Key"),
            None,
        ),
        case(
            Polygon,
            "a request it cannot parse",
            Daily,
            raw(
                200,
                r#"{"status":"ERROR","request_id":"3","error":"Could not parse the time parameter: 'from'."}"#,
                "application/json",
            ),
            Rejected,
            None,
        ),
        // Yahoo.
        case(
            Yahoo,
            "an unknown symbol",
            Daily,
            json_status(404, "yahoo", "not_found.json"),
            NotFound("may be delisted"),
            Some(1),
        ),
        case(
            Yahoo,
            "an empty chart",
            Daily,
            json("yahoo", "empty_chart.json"),
            NoData,
            None,
        ),
        case(
            Yahoo,
            "a 429 without Retry-After",
            Daily,
            raw(429, "Too Many Requests", "text/plain"),
            RateLimited(None),
            Some(3),
        ),
        case(
            Yahoo,
            "broken JSON",
            Daily,
            raw(200, r#"{"chart":{"result":[{"meta":"#, "application/json"),
            Malformed,
            None,
        ),
        case(
            Yahoo,
            "a consent page",
            Daily,
            raw(200, &fixture("yahoo", "consent_page.html"), "text/html"),
            Malformed,
            None,
        ),
    ]
}

#[track_caller]
fn check(c: &Case, err: &ProviderError) {
    let ctx = format!("{:?}, {}: {err}", c.provider, c.what);
    let ok = match (c.expect, err) {
        (
            Expect::RateLimited(wait),
            ProviderError::RateLimited {
                provider,
                retry_after,
            },
        ) => *provider == c.provider && *retry_after == wait,
        (Expect::RateLimitedAny, ProviderError::RateLimited { .. }) => true,
        (Expect::NotFound(text), ProviderError::NotFound { .. })
        | (Expect::Unauthorized(text), ProviderError::Unauthorized { .. }) => {
            err.to_string().contains(text)
        }
        (Expect::NoData, ProviderError::NoData { .. })
        | (Expect::Malformed, ProviderError::Malformed { .. })
        | (Expect::Rejected, ProviderError::Rejected { .. }) => true,
        (Expect::Upstream(want), ProviderError::Upstream { status, .. }) => *status == want,
        _ => false,
    };
    assert!(ok, "expected {:?}: {ctx}", c.expect);
}

#[tokio::test]
async fn every_provider_answers_each_failure_with_the_same_error_and_the_right_number_of_requests()
{
    for c in cases() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(c.response.clone())
            .mount(&server)
            .await;
        let client = client(c.provider, &server);
        let err = match c.call {
            Call::Daily => client
                .daily_bars(&symbol("AAPL"), range("2024-05-06", "2024-05-10"))
                .await
                .map(|_| ()),
            Call::Quote => client.quote(&symbol("AAPL")).await.map(|_| ()),
            Call::Overview => client.overview(&symbol("ZZZZ")).await.map(|_| ()),
        }
        .expect_err(c.what);
        check(&c, &err);
        if let Some(n) = c.requests {
            assert_eq!(
                request_count(&server).await,
                n,
                "{:?}, {}",
                c.provider,
                c.what
            );
        }
    }
}

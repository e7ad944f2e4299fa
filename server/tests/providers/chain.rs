use std::sync::Arc;
use std::time::{Duration, Instant};

use server::market::providers::{
    AlphaVantage, ApiKey, ChainError, Finnhub, HttpSettings, Interval, MarketDataProvider, Polygon,
    ProviderChain, ProviderError, ProviderKind, RetryPolicy, Yahoo,
};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{
    assert_close, json, json_status, range, request_count, search_query, settings, symbol,
};

fn finnhub(server: &MockServer, settings: &HttpSettings) -> Arc<dyn MarketDataProvider> {
    Arc::new(Finnhub::new(&server.uri(), ApiKey::new("t").unwrap(), settings).unwrap())
}

fn yahoo(server: &MockServer) -> Arc<dyn MarketDataProvider> {
    Arc::new(Yahoo::new(&server.uri(), &settings()).unwrap())
}

fn polygon(server: &MockServer) -> Arc<dyn MarketDataProvider> {
    Arc::new(Polygon::new(&server.uri(), ApiKey::new("p").unwrap(), &settings()).unwrap())
}

fn alphavantage(server: &MockServer) -> Arc<dyn MarketDataProvider> {
    Arc::new(AlphaVantage::new(&server.uri(), ApiKey::new("k").unwrap(), &settings()).unwrap())
}

#[tokio::test]
async fn a_rate_limited_first_provider_falls_through_to_the_second_which_is_named() {
    let first = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/quote"))
        .respond_with(
            json_status(429, "finnhub", "rate_limit.json").insert_header("Retry-After", "60"),
        )
        .mount(&first)
        .await;
    let second = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v8/finance/chart/AAPL"))
        .respond_with(json("yahoo", "chart.json"))
        .expect(1)
        .mount(&second)
        .await;
    let chain = ProviderChain::new(vec![finnhub(&first, &settings()), yahoo(&second)]);

    let answer = chain.quote(&symbol("AAPL")).await.unwrap();

    assert_eq!(answer.source, ProviderKind::Yahoo);
    assert_eq!(answer.value.source, ProviderKind::Yahoo);
    assert_close(answer.value.price, 186.1);
    // A minute's Retry-After is not waited for: one request, then the next provider.
    assert_eq!(request_count(&first).await, 1);
}

#[tokio::test]
async fn the_first_provider_that_answers_is_the_only_one_asked() {
    let first = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v8/finance/chart/AAPL"))
        .respond_with(json("yahoo", "chart.json"))
        .mount(&first)
        .await;
    let second = MockServer::start().await;
    let chain = ProviderChain::new(vec![yahoo(&first), finnhub(&second, &settings())]);

    let answer = chain
        .daily_bars(&symbol("AAPL"), range("2024-05-06", "2024-05-10"))
        .await
        .unwrap();

    assert_eq!(answer.source, ProviderKind::Yahoo);
    assert_eq!(answer.value.len(), 5);
    assert_eq!(request_count(&second).await, 0);
}

#[tokio::test]
async fn a_provider_without_the_data_kind_is_skipped() {
    let unused = MockServer::start().await;
    let av = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/query"))
        .and(query_param("function", "OVERVIEW"))
        .respond_with(json("alphavantage", "overview.json"))
        .mount(&av)
        .await;
    let chain = ProviderChain::new(vec![yahoo(&unused), alphavantage(&av)]);

    let answer = chain.overview(&symbol("IBM")).await.unwrap();

    assert_eq!(answer.source, ProviderKind::AlphaVantage);
    assert_eq!(answer.value.exchange.as_deref(), Some("NYSE"));
}

#[tokio::test]
async fn when_every_provider_fails_each_error_is_reported_in_order() {
    let first = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json("alphavantage", "note_rate_limit.json"))
        .mount(&first)
        .await;
    let second = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json_status(404, "yahoo", "not_found.json"))
        .mount(&second)
        .await;
    let chain = ProviderChain::new(vec![alphavantage(&first), yahoo(&second)]);

    let err = chain.quote(&symbol("ZZZZ")).await.unwrap_err();

    let attempts = err.attempts();
    assert_eq!(attempts.len(), 2);
    assert!(matches!(
        attempts[0],
        ProviderError::RateLimited {
            provider: ProviderKind::AlphaVantage,
            ..
        }
    ));
    assert!(matches!(
        attempts[1],
        ProviderError::NotFound {
            provider: ProviderKind::Yahoo,
            ..
        }
    ));
    let message = err.to_string();
    assert!(
        message.contains("alphavantage") && message.contains("yahoo"),
        "{message}"
    );
}

#[tokio::test]
async fn an_empty_chain_says_so() {
    let err = ProviderChain::default()
        .quote(&symbol("AAPL"))
        .await
        .unwrap_err();
    assert!(matches!(err, ChainError::NoProviders));
}

/// The backoff alone would wait ten seconds; `Retry-After: 0` makes the retry immediate.
#[tokio::test]
async fn a_retry_waits_for_retry_after_instead_of_the_backoff() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/quote"))
        .respond_with(
            json_status(429, "finnhub", "rate_limit.json").insert_header("Retry-After", "0"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/quote"))
        .respond_with(json("finnhub", "quote.json"))
        .mount(&server)
        .await;
    let slow_backoff = HttpSettings {
        retry: RetryPolicy {
            max_retries: 2,
            min_delay: Duration::from_secs(10),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(5),
            jitter: false,
        },
        ..settings()
    };
    let chain = ProviderChain::new(vec![finnhub(&server, &slow_backoff)]);

    let started = Instant::now();
    let answer = tokio::time::timeout(Duration::from_secs(5), chain.quote(&symbol("AAPL")))
        .await
        .expect("the retry waited for the backoff, not for Retry-After")
        .unwrap();

    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(answer.source, ProviderKind::Finnhub);
    assert_close(answer.value.price, 183.05);
    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn a_slow_provider_times_out_after_its_retries_and_the_next_one_answers() {
    let slow = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json("finnhub", "quote.json").set_delay(Duration::from_secs(2)))
        .mount(&slow)
        .await;
    let fast = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v8/finance/chart/AAPL"))
        .respond_with(json("yahoo", "chart.json"))
        .mount(&fast)
        .await;
    let impatient = HttpSettings {
        timeout: Duration::from_millis(100),
        retry: RetryPolicy {
            max_retries: 1,
            ..settings().retry
        },
        ..settings()
    };
    let chain = ProviderChain::new(vec![finnhub(&slow, &impatient), yahoo(&fast)]);

    let answer = chain.quote(&symbol("AAPL")).await.unwrap();

    assert_eq!(answer.source, ProviderKind::Yahoo);
    assert_eq!(request_count(&slow).await, 2);
}

#[tokio::test]
async fn a_timeout_is_its_own_error() {
    let slow = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
        .mount(&slow)
        .await;
    let impatient = HttpSettings {
        timeout: Duration::from_millis(100),
        retry: RetryPolicy::never(),
        ..settings()
    };
    let err = finnhub(&slow, &impatient)
        .quote(&symbol("AAPL"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::Timeout {
                provider: ProviderKind::Finnhub
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error_without_the_key() {
    // Bind a port, then free it, so nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = AlphaVantage::new(
        &format!("http://{addr}"),
        ApiKey::new("very-secret-key").unwrap(),
        &HttpSettings {
            retry: RetryPolicy::never(),
            ..settings()
        },
    )
    .unwrap();
    let err = client.quote(&symbol("IBM")).await.unwrap_err();
    assert!(matches!(err, ProviderError::Transport { .. }), "{err}");
    let chain: Vec<String> =
        std::iter::successors(Some(&err as &dyn std::error::Error), |e| e.source())
            .map(ToString::to_string)
            .collect();
    assert!(
        chain.iter().all(|m| !m.contains("very-secret-key")),
        "{chain:?}"
    );
}

#[tokio::test]
async fn intraday_bars_fall_through_a_rate_limit_and_an_empty_answer_to_the_provider_that_has_them()
{
    let limited = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(
            "/v2/aggs/ticker/AAPL/range/5/minute/2024-03-08/2024-03-11",
        ))
        .respond_with(json("polygon", "rate_limit.json"))
        .mount(&limited)
        .await;
    let empty = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/stock/candle"))
        .and(query_param("resolution", "5"))
        .respond_with(json("finnhub", "no_data.json"))
        .mount(&empty)
        .await;
    let yahoo_server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v8/finance/chart/AAPL"))
        .and(query_param("interval", "5m"))
        .respond_with(json("yahoo", "chart_5m.json"))
        .expect(1)
        .mount(&yahoo_server)
        .await;
    let chain = ProviderChain::new(vec![
        polygon(&limited),
        finnhub(&empty, &settings()),
        yahoo(&yahoo_server),
    ]);

    let answer = chain
        .intraday_bars(
            &symbol("AAPL"),
            range("2024-03-08", "2024-03-11"),
            Interval::Min5,
        )
        .await
        .unwrap();

    assert_eq!(answer.source, ProviderKind::Yahoo);
    assert_eq!(answer.value.len(), 5);
    assert_eq!(
        answer.value[0].start.to_rfc3339(),
        "2024-03-08T14:30:00+00:00"
    );
    assert_eq!(request_count(&limited).await, 1);
    assert_eq!(request_count(&empty).await, 1);
}

#[tokio::test]
async fn when_no_provider_has_intraday_bars_each_reason_is_reported() {
    let empty = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json("finnhub", "no_data.json"))
        .mount(&empty)
        .await;
    let missing = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json_status(404, "yahoo", "not_found.json"))
        .mount(&missing)
        .await;
    let chain = ProviderChain::new(vec![finnhub(&empty, &settings()), yahoo(&missing)]);

    let err = chain
        .intraday_bars(
            &symbol("ZZZZ"),
            range("2024-03-08", "2024-03-11"),
            Interval::Min1,
        )
        .await
        .unwrap_err();

    let attempts = err.attempts();
    assert_eq!(attempts.len(), 2);
    assert!(matches!(
        attempts[0],
        ProviderError::NoData {
            provider: ProviderKind::Finnhub,
            ..
        }
    ));
    assert!(matches!(
        attempts[1],
        ProviderError::NotFound {
            provider: ProviderKind::Yahoo,
            ..
        }
    ));
}

#[tokio::test]
async fn a_search_falls_through_a_rate_limit_and_a_broken_answer_to_the_provider_that_answers() {
    let limited = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/query"))
        .and(query_param("function", "SYMBOL_SEARCH"))
        .respond_with(json("alphavantage", "note_rate_limit.json"))
        .mount(&limited)
        .await;
    let broken = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3/reference/tickers"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>oops</html>", "text/html"))
        .mount(&broken)
        .await;
    let answering = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/search"))
        .and(query_param("q", "apple"))
        .respond_with(json("finnhub", "symbol_search.json"))
        .expect(1)
        .mount(&answering)
        .await;
    let chain = ProviderChain::new(vec![
        alphavantage(&limited),
        polygon(&broken),
        finnhub(&answering, &settings()),
    ]);

    let answer = chain.search(&search_query("apple")).await.unwrap();

    assert_eq!(answer.source, ProviderKind::Finnhub);
    assert_eq!(answer.value.len(), 4);
    assert_eq!(answer.value[0].symbol, "AAPL");
    assert_eq!(request_count(&limited).await, 1);
    assert_eq!(request_count(&broken).await, 1);
}

/// "Nothing matches" is an answer: the next provider is not asked, and it is not an error.
#[tokio::test]
async fn an_empty_search_answer_is_final() {
    let empty = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/finance/search"))
        .respond_with(json("yahoo", "symbol_search_empty.json"))
        .mount(&empty)
        .await;
    let next = MockServer::start().await;
    let chain = ProviderChain::new(vec![yahoo(&empty), polygon(&next)]);

    let answer = chain.search(&search_query("zzzzzz")).await.unwrap();

    assert_eq!(answer.source, ProviderKind::Yahoo);
    assert!(answer.value.is_empty());
    assert_eq!(request_count(&next).await, 0);
}

#[tokio::test]
async fn when_every_provider_fails_a_search_each_error_is_reported() {
    let limited = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            json_status(429, "finnhub", "rate_limit.json").insert_header("Retry-After", "60"),
        )
        .mount(&limited)
        .await;
    let down = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&down)
        .await;
    let chain = ProviderChain::new(vec![finnhub(&limited, &settings()), yahoo(&down)]);

    let err = chain.search(&search_query("apple")).await.unwrap_err();

    let attempts = err.attempts();
    assert_eq!(attempts.len(), 2);
    assert!(matches!(
        attempts[0],
        ProviderError::RateLimited {
            provider: ProviderKind::Finnhub,
            ..
        }
    ));
    assert!(matches!(
        attempts[1],
        ProviderError::Upstream {
            provider: ProviderKind::Yahoo,
            status: 503
        }
    ));
}

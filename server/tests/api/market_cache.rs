//! The data layer's protections against real Redis and a local provider: single-flight loads, the
//! shared token bucket, the circuit breaker, a Redis that is down, and their metrics.

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::domain::Symbol;
use server::cache::Cache;
use server::market::breaker::{BreakerSettings, CircuitState};
use server::market::cached::{CacheKind, MarketCache};
use server::market::guarded::GuardedProvider;
use server::market::limiter::{Decision, RateLimiter, RateLimits, RateWindow};
use server::market::providers::{
    ApiKey, Finnhub, HttpSettings, MarketDataProvider, ProviderError, ProviderKind, Quote,
    RetryPolicy,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::kit::{redis_url, spawn_app};

/// A fresh key prefix, so tests sharing the Redis never see each other's keys.
fn prefix() -> String {
    format!("test:{}:", uuid::Uuid::new_v4().simple())
}

/// A cache over the test Redis; two caches with one prefix behave like two processes.
async fn cache(prefix: &str) -> Cache {
    Cache::new(redis::Client::open(redis_url().await).unwrap(), prefix)
}

/// A cache over a port nobody listens on: Redis is down.
fn dead_cache() -> Cache {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    Cache::new(
        redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap(),
        prefix(),
    )
}

/// Finnhub's `/quote` answer, as documented (`c` current, `pc` previous close, `t` Unix time).
fn finnhub_quote() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({
        "c": 261.74, "d": -1.27, "dp": -0.4829, "h": 263.31, "l": 260.68,
        "o": 261.07, "pc": 263.01, "t": 1602705600
    }))
}

fn no_retries() -> HttpSettings {
    HttpSettings {
        timeout: Duration::from_secs(2),
        retry: RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        },
        ..HttpSettings::default()
    }
}

/// The real Finnhub client pointed at `server`, behind a guard with the given limits and breaker.
fn guarded_finnhub(
    server: &MockServer,
    limiter: RateLimiter,
    breaker: BreakerSettings,
) -> Arc<GuardedProvider> {
    let client = Finnhub::new(
        &server.uri(),
        ApiKey::new("test-key").unwrap(),
        &no_retries(),
    )
    .expect("client builds");
    Arc::new(GuardedProvider::new(Arc::new(client), limiter, breaker))
}

fn unlimited(cache: Cache) -> RateLimiter {
    RateLimiter::new(
        cache,
        RateLimits::default().with(ProviderKind::Finnhub, vec![]),
    )
}

fn aapl() -> Symbol {
    Symbol::parse("AAPL").unwrap()
}

async fn provider_requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn a_hundred_concurrent_requests_for_a_cold_key_make_one_provider_call() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/quote"))
        .respond_with(finnhub_quote().set_delay(Duration::from_millis(200)))
        .mount(&server)
        .await;
    let prefix = prefix();
    // Two caches on one prefix: two processes sharing a Redis.
    let processes = [
        MarketCache::new(cache(&prefix).await),
        MarketCache::new(cache(&prefix).await),
    ];
    let provider = guarded_finnhub(
        &server,
        unlimited(cache(&prefix).await),
        BreakerSettings::default(),
    );

    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..100 {
        let cache = processes[i % 2].clone();
        let provider = provider.clone();
        tasks.spawn(async move {
            cache
                .get_or_load(CacheKind::Quote, "AAPL", || async move {
                    provider.quote(&aapl()).await.map_err(|e| e.to_string())
                })
                .await
        });
    }
    let quotes: Vec<Quote> = tasks
        .join_all()
        .await
        .into_iter()
        .map(|r| r.expect("every caller gets the quote"))
        .collect();

    assert_eq!(provider_requests(&server).await, 1);
    assert_eq!(quotes.len(), 100);
    assert!(quotes
        .iter()
        .all(|q| q.price == 261.74 && q.previous_close == 263.01));

    // Later callers are served from Redis.
    let again: Result<Quote, String> = processes[0]
        .get_or_load(CacheKind::Quote, "AAPL", || async {
            Err("the provider must not be asked".to_string())
        })
        .await;
    assert_eq!(again.unwrap().price, 261.74);
    assert_eq!(provider_requests(&server).await, 1);
}

#[tokio::test]
async fn loader_errors_reach_every_waiting_caller_and_are_not_cached() {
    let prefix = prefix();
    let cache = MarketCache::new(cache(&prefix).await);
    let failed: Result<u32, String> = cache
        .get_or_load(CacheKind::News, "market", || async {
            Err("every provider failed".to_string())
        })
        .await;
    assert_eq!(failed, Err("every provider failed".to_string()));
    let loaded: Result<u32, String> = cache
        .get_or_load(CacheKind::News, "market", || async { Ok(3) })
        .await;
    assert_eq!(loaded, Ok(3));
}

#[tokio::test]
async fn a_five_a_minute_bucket_denies_the_sixth_call_across_two_processes() {
    let prefix = prefix();
    let limits = RateLimits::default().with(ProviderKind::Polygon, vec![RateWindow::per_minute(5)]);
    let a = RateLimiter::new(cache(&prefix).await, limits.clone());
    let b = RateLimiter::new(cache(&prefix).await, limits);

    for limiter in [&a, &b, &a, &b, &a] {
        assert_eq!(
            limiter.acquire(ProviderKind::Polygon).await,
            Decision::Allowed
        );
    }
    for limiter in [&b, &a] {
        match limiter.acquire(ProviderKind::Polygon).await {
            Decision::Denied { retry_after } => {
                assert!(
                    retry_after > Duration::from_secs(10) && retry_after <= Duration::from_secs(12),
                    "one token of 5/min comes back within 12 s, got {retry_after:?}"
                );
            }
            Decision::Allowed => panic!("a sixth call within the minute was allowed"),
        }
    }
    // Other providers have buckets of their own.
    assert_eq!(a.acquire(ProviderKind::Finnhub).await, Decision::Allowed);
}

#[tokio::test]
async fn the_limiter_reloads_its_script_after_redis_forgets_it() {
    let prefix = prefix();
    let limits = RateLimits::default().with(ProviderKind::Polygon, vec![RateWindow::per_minute(2)]);
    let limiter = RateLimiter::new(cache(&prefix).await, limits);
    assert_eq!(
        limiter.acquire(ProviderKind::Polygon).await,
        Decision::Allowed
    );

    // What a Redis restart does to loaded scripts (EVALSHA then answers NOSCRIPT).
    let mut raw = redis::Client::open(redis_url().await)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut raw)
        .await
        .unwrap();

    // Still counted in Redis, not in a per-process fallback: the third call is refused.
    assert_eq!(
        limiter.acquire(ProviderKind::Polygon).await,
        Decision::Allowed
    );
    assert!(matches!(
        limiter.acquire(ProviderKind::Polygon).await,
        Decision::Denied { .. }
    ));
    let other_process = RateLimiter::new(cache(&prefix).await, limiter.limits().clone());
    assert!(matches!(
        other_process.acquire(ProviderKind::Polygon).await,
        Decision::Denied { .. }
    ));
}

#[tokio::test]
async fn every_window_of_a_provider_is_enforced_in_redis() {
    let prefix = prefix();
    // 10 a minute but only 3 an hour: the hourly window is what runs out.
    let limits = RateLimits::default().with(
        ProviderKind::AlphaVantage,
        vec![
            RateWindow::per_minute(10),
            RateWindow::new(3, Duration::from_secs(3600)).unwrap(),
        ],
    );
    let limiter = RateLimiter::new(cache(&prefix).await, limits);
    for _ in 0..3 {
        assert_eq!(
            limiter.acquire(ProviderKind::AlphaVantage).await,
            Decision::Allowed
        );
    }
    let Decision::Denied { retry_after } = limiter.acquire(ProviderKind::AlphaVantage).await else {
        panic!("the hourly window is empty");
    };
    assert!(retry_after > Duration::from_secs(1100), "{retry_after:?}");
}

#[tokio::test]
async fn a_rate_limited_provider_is_not_called_and_the_error_says_when_to_retry() {
    let server = MockServer::start().await;
    Mock::given(path("/quote"))
        .respond_with(finnhub_quote())
        .mount(&server)
        .await;
    let limits = RateLimits::default().with(ProviderKind::Finnhub, vec![RateWindow::per_minute(2)]);
    let provider = guarded_finnhub(
        &server,
        RateLimiter::new(cache(&prefix()).await, limits),
        BreakerSettings::default(),
    );
    provider.quote(&aapl()).await.unwrap();
    provider.quote(&aapl()).await.unwrap();
    let err = provider.quote(&aapl()).await.unwrap_err();
    assert!(
        matches!(err, ProviderError::RateLimited { retry_after: Some(d), .. } if d <= Duration::from_secs(30)),
        "{err:?}"
    );
    assert_eq!(provider_requests(&server).await, 2);
}

#[tokio::test]
async fn the_breaker_opens_after_failures_skips_the_provider_and_half_opens_after_the_cool_down() {
    let server = MockServer::start().await;
    Mock::given(path("/quote"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(3)
        .mount(&server)
        .await;
    Mock::given(path("/quote"))
        .respond_with(finnhub_quote())
        .mount(&server)
        .await;
    let provider = guarded_finnhub(
        &server,
        unlimited(cache(&prefix()).await),
        BreakerSettings {
            failure_threshold: 3,
            cool_down: Duration::from_millis(300),
        },
    );

    for _ in 0..3 {
        let err = provider.quote(&aapl()).await.unwrap_err();
        assert!(
            matches!(err, ProviderError::Upstream { status: 503, .. }),
            "{err:?}"
        );
    }
    assert_eq!(provider.breaker().state(), CircuitState::Open);

    // While open the provider is skipped, with the time left to wait.
    let skipped = provider.quote(&aapl()).await.unwrap_err();
    assert!(matches!(
        skipped,
        ProviderError::RateLimited {
            retry_after: Some(_),
            ..
        }
    ));
    assert_eq!(provider_requests(&server).await, 3);

    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(provider.breaker().state(), CircuitState::HalfOpen);
    let quote = provider
        .quote(&aapl())
        .await
        .expect("the trial call succeeds");
    assert_eq!(quote.price, 261.74);
    assert_eq!(provider.breaker().state(), CircuitState::Closed);
    assert_eq!(provider_requests(&server).await, 4);
}

#[tokio::test]
async fn with_redis_down_loads_still_work_once_per_key_and_the_limiter_falls_back() {
    let server = MockServer::start().await;
    Mock::given(path("/quote"))
        .respond_with(finnhub_quote().set_delay(Duration::from_millis(100)))
        .mount(&server)
        .await;
    let limits = RateLimits::default().with(ProviderKind::Finnhub, vec![RateWindow::per_minute(2)]);
    let provider = guarded_finnhub(
        &server,
        RateLimiter::new(dead_cache(), limits),
        BreakerSettings::default(),
    );
    let cache = MarketCache::new(dead_cache());
    let started = Instant::now();

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (cache, provider) = (cache.clone(), provider.clone());
        tasks.spawn(async move {
            cache
                .get_or_load(CacheKind::Quote, "AAPL", || async move {
                    provider.quote(&aapl()).await.map_err(|e| e.to_string())
                })
                .await
        });
    }
    for result in tasks.join_all().await {
        assert_eq!(result.expect("loaded without Redis").price, 261.74);
    }
    assert_eq!(
        provider_requests(&server).await,
        1,
        "still single-flight in-process"
    );

    // Nothing was stored, so the next request loads again; the in-process bucket allows a second
    // call and refuses a third.
    let second: Result<Quote, String> = cache
        .get_or_load(CacheKind::Quote, "AAPL", || async {
            provider.quote(&aapl()).await.map_err(|e| e.to_string())
        })
        .await;
    assert!(second.is_ok());
    assert!(matches!(
        provider.quote(&aapl()).await,
        Err(ProviderError::RateLimited { .. })
    ));
    assert_eq!(provider_requests(&server).await, 2);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "a down Redis must not stall requests: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn cache_and_provider_metrics_are_shown_on_the_metrics_endpoint() {
    let app = spawn_app().await;
    let server = MockServer::start().await;
    Mock::given(path("/quote"))
        .respond_with(finnhub_quote())
        .mount(&server)
        .await;
    let prefix = prefix();
    let provider = guarded_finnhub(
        &server,
        unlimited(cache(&prefix).await),
        BreakerSettings::default(),
    );
    let market_cache = MarketCache::new(cache(&prefix).await);
    for _ in 0..2 {
        let quote: Result<Quote, String> = market_cache
            .get_or_load(CacheKind::Overview, "METRICS", || async {
                provider.quote(&aapl()).await.map_err(|e| e.to_string())
            })
            .await;
        quote.unwrap();
    }

    // A provider whose bucket holds one call: the second is refused locally and counted.
    let limits = RateLimits::default().with(ProviderKind::Finnhub, vec![RateWindow::per_minute(1)]);
    let limited = guarded_finnhub(
        &server,
        RateLimiter::new(cache(&prefix).await, limits),
        BreakerSettings::default(),
    );
    limited.quote(&aapl()).await.unwrap();
    assert!(limited.quote(&aapl()).await.is_err());

    let body = app.get("/metrics").await.text().await.unwrap();
    let line = |name: &str, labels: &[&str]| {
        body.lines().any(|l| {
            l.starts_with(&format!("{name}{{")) && labels.iter().all(|label| l.contains(label))
        })
    };
    assert!(
        line(
            "tickercast_cache_requests_total",
            &["kind=\"overview\"", "outcome=\"miss\""]
        ),
        "{body}"
    );
    assert!(line(
        "tickercast_cache_requests_total",
        &["kind=\"overview\"", "outcome=\"hit\""]
    ));
    assert!(line(
        "tickercast_provider_calls_total",
        &[
            "provider=\"finnhub\"",
            "operation=\"quote\"",
            "outcome=\"ok\""
        ]
    ));
    assert!(line("tickercast_circuit_state", &["provider=\"finnhub\""]));
    assert!(line(
        "tickercast_provider_rate_limited_total",
        &["provider=\"finnhub\""]
    ));
    assert!(line(
        "tickercast_provider_calls_total",
        &["provider=\"finnhub\"", "outcome=\"skipped_rate_limit\""]
    ));
}

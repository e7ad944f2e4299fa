//! Any ticker: search through the providers, the first request for an unbundled symbol backfilling
//! it as one job, unknown symbols answered from memory, the offline explanation, models only where
//! the history allows them, and actuals filled after every refresh.

use chrono::{NaiveDate, Utc};
use serde_json::{json, Value};
use server::market::calendar;
use server::market::ingest::last_completed_session;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::kit::{assert_error, spawn_app, spawn_app_with, Options, TestApp};

fn fixture(name: &str) -> Value {
    let p = format!(
        "{}/tests/fixtures/providers/yahoo/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// `n` trading days ending on `last`, oldest first.
fn trading_days(last: NaiveDate, n: usize) -> Vec<NaiveDate> {
    let mut days = vec![last];
    while days.len() < n {
        let before = calendar::previous_trading_day(*days.last().unwrap()).unwrap();
        days.push(before);
    }
    days.reverse();
    days
}

/// A Yahoo chart of `days`, closes on a gentle zig-zag from 150.
fn chart(symbol: &str, days: &[NaiveDate]) -> Value {
    let close: Vec<f64> = (0..days.len())
        .map(|i| 150.0 + (i as f64 * 0.9).sin() * 4.0 + i as f64 * 0.05)
        .collect();
    let ts: Vec<i64> = days
        .iter()
        .map(|d| d.and_hms_opt(14, 30, 0).unwrap().and_utc().timestamp())
        .collect();
    json!({"chart": {"result": [{
        "meta": {"currency": "USD", "symbol": symbol, "exchangeName": "NMS",
                 "instrumentType": "EQUITY", "regularMarketPrice": close.last(),
                 "chartPreviousClose": close[0], "gmtoffset": -18000, "timezone": "EST",
                 "exchangeTimezoneName": "America/New_York", "dataGranularity": "1d"},
        "timestamp": ts,
        "indicators": {
            "quote": [{
                "open": close.iter().map(|c| c - 0.5).collect::<Vec<_>>(),
                "high": close.iter().map(|c| c + 1.0).collect::<Vec<_>>(),
                "low": close.iter().map(|c| c - 1.0).collect::<Vec<_>>(),
                "close": close,
                "volume": vec![1_000_000u64; days.len()]
            }],
            "adjclose": [{"adjclose": close}]
        }
    }], "error": null}})
}

/// A Yahoo that knows Apple (search and chart) and nothing else.
async fn yahoo_with_apple(days: &[NaiveDate]) -> MockServer {
    let yahoo = MockServer::start().await;
    mount_apple(&yahoo, days).await;
    yahoo
}

async fn mount_apple(yahoo: &MockServer, days: &[NaiveDate]) {
    yahoo.reset().await;
    Mock::given(method("GET"))
        .and(path("/v1/finance/search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("symbol_search.json")))
        .mount(yahoo)
        .await;
    Mock::given(method("GET"))
        .and(path("/v8/finance/chart/AAPL"))
        .respond_with(ResponseTemplate::new(200).set_body_json(chart("AAPL", days)))
        .mount(yahoo)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(fixture("not_found.json")))
        .mount(yahoo)
        .await;
}

async fn online_app(yahoo: &MockServer) -> TestApp {
    spawn_app_with(Options {
        env: vec![
            ("MARKET_DATA_PROVIDERS".into(), "yahoo".into()),
            ("YAHOO_BASE_URL".into(), yahoo.uri()),
            ("MARKET_DATA_MAX_RETRIES".into(), "0".into()),
        ],
        ..Options::default()
    })
    .await
}

async fn wait_for_job(app: &TestApp, id: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let (status, job) = app.get_json(&format!("/api/v1/jobs/{id}")).await;
        assert_eq!(status, 200, "{job}");
        if job["status"] == "done" || job["status"] == "failed" {
            return job;
        }
        assert!(std::time::Instant::now() < deadline, "job still {job}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

async fn requests_to(yahoo: &MockServer, prefix: &str) -> usize {
    yahoo
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().starts_with(prefix))
        .count()
}

#[tokio::test]
async fn an_unbundled_symbol_is_fetched_by_one_job_then_charts_and_forecasts() {
    let last = last_completed_session(Utc::now()).unwrap();
    let days = trading_days(last, 60);
    let yahoo = yahoo_with_apple(&days).await;
    let app = online_app(&yahoo).await;

    // The search finds Apple at the provider, not stored yet.
    let (status, found) = app.get_json("/api/v1/search?q=apple").await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["source"], "yahoo");
    assert_eq!(found["matches"][0]["symbol"], "AAPL");
    assert_eq!(found["matches"][0]["name"], "Apple Inc.");
    assert_eq!(found["matches"][0]["stored"], false);

    // Five concurrent first requests, through three routes: one backfill job, 202 for each.
    let paths = [
        "/api/v1/quote/AAPL",
        "/api/v1/timeseries/AAPL?range=MAX",
        "/api/v1/predictions/AAPL",
        "/api/v1/overview/AAPL",
        "/api/v1/quote/aapl",
    ];
    let answers = futures::future::join_all(paths.iter().map(|p| app.get(p))).await;
    let mut jobs = Vec::new();
    for res in answers {
        assert_eq!(res.status(), 202);
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["symbol"], "AAPL");
        assert_eq!(body["name"], "Apple Inc.");
        assert_eq!(
            location,
            format!("/api/v1/jobs/{}", body["job"]["id"].as_str().unwrap())
        );
        jobs.push(body["job"]["id"].as_str().unwrap().to_owned());
    }
    jobs.dedup();
    assert_eq!(
        jobs.len(),
        1,
        "concurrent first requests join one job: {jobs:?}"
    );

    let job = wait_for_job(&app, &jobs[0]).await;
    assert_eq!(job["status"], "done", "{job}");

    let (status, series) = app.get_json("/api/v1/timeseries/AAPL?range=MAX").await;
    assert_eq!(status, 200, "{series}");
    assert_eq!(series["points"].as_array().unwrap().len(), 60);
    assert_eq!(series["points"][59]["date"], last.to_string());

    // The baselines forecast; every trained model says what history it needs, and nothing is
    // queued for them, now or on the next request.
    for _ in 0..2 {
        let (status, p) = app.get_json("/api/v1/predictions/AAPL").await;
        assert_eq!(status, 200, "{p}");
        assert!(p.get("job_id").is_none(), "{p}");
        for m in p["models"].as_array().unwrap() {
            match m["model"].as_str().unwrap() {
                "naive" | "drift" => assert_eq!(m["status"], "ready", "{m}"),
                _ => {
                    assert_eq!(m["status"], "insufficient_history", "{m}");
                    let message = m["message"].as_str().unwrap();
                    assert!(message.contains("needs 315 trading days"), "{message}");
                    assert!(message.contains("AAPL has 60"), "{message}");
                }
            }
        }
    }
    let train_jobs: i64 =
        sqlx::query_scalar("select count(*) from jobs where symbol = 'AAPL' and kind = 'train'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(train_jobs, 0);

    // Stored now: the search says so, and a second visit makes no provider call for bars.
    let (_, found) = app.get_json("/api/v1/search?q=apple").await;
    assert_eq!(found["matches"][0]["symbol"], "AAPL");
    assert_eq!(found["matches"][0]["stored"], true);
    let charts = requests_to(&yahoo, "/v8/finance/chart/AAPL").await;
    let (status, _) = app.get_json("/api/v1/timeseries/AAPL?range=1M").await;
    assert_eq!(status, 200);
    assert_eq!(requests_to(&yahoo, "/v8/finance/chart/AAPL").await, charts);

    // The stock page renders the chart, not the progress bar.
    let html = app.get("/stock/AAPL").await.text().await.unwrap();
    assert!(
        html.contains("id=\"price-chart\""),
        "no chart on the stock page"
    );
}

#[tokio::test]
async fn a_symbol_nobody_knows_is_a_404_answered_from_memory_and_stores_nothing() {
    let days = trading_days(last_completed_session(Utc::now()).unwrap(), 10);
    let yahoo = yahoo_with_apple(&days).await;
    let app = online_app(&yahoo).await;

    let (status, body) = app.get_json("/api/v1/quote/ZZZZQ").await;
    assert_error(status, &body, 404, "unknown_symbol");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("No market-data provider (yahoo) knows"),
        "{message}"
    );
    let asked = yahoo.received_requests().await.unwrap().len();
    assert!(asked >= 1);

    // Asked again (page or API): the answer comes from memory, not from the provider.
    let (status, _) = app.get_json("/api/v1/timeseries/ZZZZQ").await;
    assert_eq!(status, 404);
    let res = app.get("/stock/ZZZZQ").await;
    assert_eq!(res.status(), 404);
    assert_eq!(yahoo.received_requests().await.unwrap().len(), asked);

    let stored: i64 = sqlx::query_scalar("select count(*) from tickers where symbol = 'ZZZZQ'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
    let queued: i64 = sqlx::query_scalar("select count(*) from jobs where symbol = 'ZZZZQ'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(queued, 0);
}

#[tokio::test]
async fn offline_an_unknown_symbol_says_what_is_available_and_how_to_add_more() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/v1/predictions/AAPL").await;
    assert_error(status, &body, 404, "unknown_symbol");
    let message = body["error"]["message"].as_str().unwrap();
    for expected in [
        "GOOG",
        "MSFT",
        "^GSPC",
        "ALPHAVANTAGE_API_KEY",
        "/admin/import",
    ] {
        assert!(
            message.contains(expected),
            "{expected} missing from: {message}"
        );
    }
    let res = app.get("/stock/AAPL").await;
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("import a CSV file"),
        "the page explains the offline choices"
    );

    // The search lists the stored tickers and says why there is nothing else.
    let (status, found) = app.get_json("/api/v1/search?q=goo").await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["matches"][0]["symbol"], "GOOG");
    assert_eq!(found["matches"][0]["stored"], true);
    assert!(found["notice"]
        .as_str()
        .unwrap()
        .contains("No market-data provider"));
    let (_, by_name) = app.get_json("/api/v1/search?q=microsoft").await;
    assert_eq!(by_name["matches"][0]["symbol"], "MSFT");

    // Bad search text is a 400 with the reason; the results page works without JavaScript.
    let (status, body) = app.get_json("/api/v1/search?q=%3Cscript%3E").await;
    assert_error(status, &body, 400, "bad_request");
    let (status, body) = app.get_json("/api/v1/search").await;
    assert_error(status, &body, 400, "bad_request");
    let res = app.get("/search?q=micro").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("data-testid=\"search-results\""));
    assert!(html.contains("href=\"/stock/MSFT\""));
    // A stored symbol typed exactly goes straight to its page.
    let res = app.get("/search?q=msft").await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(res.headers()["location"], "/stock/MSFT");
}

#[tokio::test]
async fn a_refresh_fills_the_actuals_of_the_predictions_waiting_for_its_bars() {
    let last = last_completed_session(Utc::now()).unwrap();
    let days = trading_days(last, 40);
    // First the history up to the day before the last session.
    let yahoo = yahoo_with_apple(&days[..39]).await;
    let app = online_app(&yahoo).await;
    let (status, body) = app.get_json("/api/v1/quote/AAPL").await;
    assert_eq!(status, 202, "{body}");
    let job = wait_for_job(&app, body["job"]["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "done", "{job}");
    // The predictions from the day before, recorded by the predict job the refresh queued.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "select count(*) from predictions where symbol = 'AAPL' and horizon = 1 and actual is null",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no predictions recorded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    // The last session's bar arrives with the next refresh: the one-day predictions get it.
    mount_apple(&yahoo, &days).await;
    let refresh = app
        .jobs
        .enqueue(server::jobs::JobSpec::refresh(&crate::kit::sym("AAPL")))
        .await
        .unwrap();
    let job = wait_for_job(&app, &refresh.id.to_string()).await;
    assert_eq!(job["status"], "done", "{job}");
    // (The refresh's own predict job records new ones from the last session, still waiting.)
    let filled: Vec<(NaiveDate, Option<f64>)> = sqlx::query_as(
        "select target_date, actual from predictions
         where symbol = 'AAPL' and horizon = 1 and as_of = $1",
    )
    .bind(days[38])
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(!filled.is_empty());
    for (target, actual) in filled {
        assert_eq!(target, last);
        assert!(actual.is_some(), "the actual of {target} was not filled");
    }
}

/// One provider's fixtures: what its search, daily bars and quote answer, in its own format.
struct ProviderFixtures {
    env: Vec<(String, String)>,
    mocks: Vec<Mock>,
}

fn provider_fixture(provider: &str, name: &str) -> Value {
    let p = format!(
        "{}/tests/fixtures/providers/{provider}/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn ok(provider: &str, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(provider_fixture(provider, name))
}

/// Apple is known (search and bars); ZZZZQ is not (an empty search, a quote that says so).
fn fixtures_of(provider: &str, uri: &str) -> ProviderFixtures {
    use wiremock::matchers::{path_regex, query_param};
    let key = |var: &str| (var.to_string(), "test-key".to_string());
    let base = |var: &str| (var.to_string(), uri.to_string());
    match provider {
        "alphavantage" => ProviderFixtures {
            env: vec![key("ALPHAVANTAGE_API_KEY"), base("ALPHAVANTAGE_BASE_URL")],
            mocks: vec![
                Mock::given(query_param("function", "SYMBOL_SEARCH"))
                    .and(query_param("keywords", "AAPL"))
                    .respond_with(ok(provider, "symbol_search.json")),
                Mock::given(query_param("function", "SYMBOL_SEARCH"))
                    .respond_with(ok(provider, "symbol_search_empty.json")),
                Mock::given(query_param("function", "TIME_SERIES_DAILY_ADJUSTED"))
                    .and(query_param("symbol", "AAPL"))
                    .respond_with(ok(provider, "daily_adjusted.json")),
                Mock::given(query_param("function", "GLOBAL_QUOTE"))
                    .respond_with(ok(provider, "empty_quote.json")),
            ],
        },
        "finnhub" => ProviderFixtures {
            env: vec![key("FINNHUB_API_KEY"), base("FINNHUB_BASE_URL")],
            mocks: vec![
                Mock::given(path("/search"))
                    .and(query_param("q", "AAPL"))
                    .respond_with(ok(provider, "symbol_search.json")),
                Mock::given(path("/search")).respond_with(ok(provider, "symbol_search_empty.json")),
                Mock::given(path("/stock/candle"))
                    .and(query_param("symbol", "AAPL"))
                    .respond_with(ok(provider, "candle.json")),
                Mock::given(path("/quote")).respond_with(ok(provider, "unknown_quote.json")),
            ],
        },
        "polygon" => ProviderFixtures {
            env: vec![key("POLYGON_API_KEY"), base("POLYGON_BASE_URL")],
            mocks: vec![
                Mock::given(path("/v3/reference/tickers"))
                    .and(query_param("search", "AAPL"))
                    .respond_with(ok(provider, "symbol_search.json")),
                Mock::given(path("/v3/reference/tickers"))
                    .respond_with(ok(provider, "symbol_search_empty.json")),
                Mock::given(path_regex(r"^/v2/aggs/ticker/AAPL/range/1/day/"))
                    .respond_with(ok(provider, "aggs.json")),
                Mock::given(path_regex(r"^/v2/aggs/ticker/ZZZZQ/prev")).respond_with(
                    ResponseTemplate::new(404)
                        .set_body_json(provider_fixture(provider, "not_found.json")),
                ),
            ],
        },
        other => panic!("no fixtures for {other}"),
    }
}

#[tokio::test]
async fn every_provider_onboards_a_symbol_it_knows_and_refuses_one_it_does_not() {
    for provider in ["alphavantage", "finnhub", "polygon"] {
        let server = MockServer::start().await;
        let fixtures = fixtures_of(provider, &server.uri());
        for mock in fixtures.mocks {
            mock.mount(&server).await;
        }
        let mut env = fixtures.env;
        env.push(("MARKET_DATA_PROVIDERS".into(), provider.into()));
        // Alpha Vantage's free five calls a minute would be spent before the unknown symbol.
        env.push((
            format!("RATE_LIMIT_{}", provider.to_uppercase()),
            "1000/min".into(),
        ));
        env.push(("MARKET_DATA_MAX_RETRIES".into(), "0".into()));
        let app = spawn_app_with(Options {
            env,
            ..Options::default()
        })
        .await;

        let (status, body) = app.get_json("/api/v1/timeseries/AAPL?range=MAX").await;
        assert_eq!(status, 202, "{provider}: {body}");
        assert!(
            body["name"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .starts_with("apple"),
            "{provider}: {body}"
        );
        assert_eq!(body["providers"], provider);
        let job = wait_for_job(&app, body["job"]["id"].as_str().unwrap()).await;
        assert_eq!(job["status"], "done", "{provider}: {job}");
        let (status, series) = app.get_json("/api/v1/timeseries/AAPL?range=MAX").await;
        assert_eq!(status, 200, "{provider}: {series}");
        assert!(
            !series["points"].as_array().unwrap().is_empty(),
            "{provider}: {series}"
        );

        let (status, body) = app.get_json("/api/v1/quote/ZZZZQ").await;
        assert_eq!(status, 404, "{provider}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&format!("No market-data provider ({provider}) knows")),
            "{provider}: {body}"
        );
    }
}

#[tokio::test]
async fn an_anonymous_address_fetches_a_few_new_symbols_a_day() {
    let days = trading_days(last_completed_session(Utc::now()).unwrap(), 10);
    let yahoo = yahoo_with_apple(&days).await;
    let app = online_app(&yahoo).await;
    // Five distinct unknown symbols spend the address's allowance (each costs provider calls)…
    for s in ["ZZZA", "ZZZB", "ZZZC", "ZZZD", "ZZZE"] {
        let (status, body) = app.get_json(&format!("/api/v1/quote/{s}")).await;
        assert_error(status, &body, 404, "unknown_symbol");
    }
    // …the same one again is free (and answered from memory)…
    let (status, _) = app.get_json("/api/v1/quote/ZZZA").await;
    assert_eq!(status, 404);
    // …and a sixth new one waits for tomorrow, without asking a provider.
    let asked = yahoo.received_requests().await.unwrap().len();
    let (status, body) = app.get_json("/api/v1/quote/AAPL").await;
    assert_error(status, &body, 429, "rate_limited");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("the 5 new tickers a day"), "{message}");
    assert_eq!(yahoo.received_requests().await.unwrap().len(), asked);
    // An account has its own, larger allowance.
    let key = app.api_key("collector", false).await;
    let (status, body) = app.get_json_with("/api/v1/quote/AAPL", &key).await;
    assert_eq!(status, 202, "{body}");
}

#[tokio::test]
async fn a_backfill_that_failed_is_said_plainly_and_not_retried_on_every_request() {
    let yahoo = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/finance/search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("symbol_search.json")))
        .mount(&yahoo)
        .await;
    // Known to the search, but its bars cannot be had.
    Mock::given(method("GET"))
        .and(path("/v8/finance/chart/AAPL"))
        .respond_with(ResponseTemplate::new(500).set_body_string("upstream down"))
        .mount(&yahoo)
        .await;
    let app = spawn_app_with(Options {
        env: vec![
            ("MARKET_DATA_PROVIDERS".into(), "yahoo".into()),
            ("YAHOO_BASE_URL".into(), yahoo.uri()),
            ("MARKET_DATA_MAX_RETRIES".into(), "0".into()),
            ("APP_JOB_MAX_ATTEMPTS".into(), "1".into()),
        ],
        ..Options::default()
    })
    .await;
    let (status, body) = app.get_json("/api/v1/quote/AAPL").await;
    assert_eq!(status, 202, "{body}");
    let job = wait_for_job(&app, body["job"]["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "failed", "{job}");

    for _ in 0..3 {
        let (status, body) = app.get_json("/api/v1/timeseries/AAPL").await;
        assert_error(status, &body, 404, "unknown_symbol");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("fetching its history from yahoo failed"),
            "{message}"
        );
        assert!(message.contains("tried again 10 minutes"), "{message}");
    }
    let jobs: i64 = sqlx::query_scalar("select count(*) from jobs where symbol = 'AAPL'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(jobs, 1, "no new backfill on every request");
}

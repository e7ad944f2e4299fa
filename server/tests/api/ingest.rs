//! Incremental ingestion into Postgres, against Yahoo's chart API served by a local mock.
//!
//! The prices are synthetic round numbers (so the adjusted values can be worked out by hand), served
//! in Yahoo's documented chart format: one bar per session stamped at the 09:30 New York open, with
//! splits and dividends under `events`.

use app::domain::Symbol;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Map, Value};
use server::market::ingest::{IngestError, Ingestor};
use server::market::providers::{
    DateRange, Interval, NewsArticle, ProviderKind, ProvidersConfig, Sentiment, SentimentLabel,
};
use server::market::store::{self, ActionKind, Adjustment, Bar};
use sqlx::PgPool;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::kit::{assert_close, day, migrated_pool, spawn_app_with, Options};

fn symbol() -> Symbol {
    Symbol::parse("ACME").unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// The 09:30 New York open of a summer (EDT) day, as Yahoo stamps its daily bars.
fn open_ts(date: &str) -> i64 {
    day(date)
        .and_hms_opt(13, 30, 0)
        .unwrap()
        .and_utc()
        .timestamp()
}

/// One bar: date, open, high, low, close, volume.
pub type Row = (&'static str, f64, f64, f64, f64, u64);

/// A Yahoo chart response with `rows`, splits `(date, numerator, denominator)` and dividends
/// `(date, amount)`.
pub fn chart(rows: &[Row], splits: &[(&str, f64, f64)], dividends: &[(&str, f64)]) -> Value {
    let mut split_events = Map::new();
    for (date, num, den) in splits {
        split_events.insert(
            open_ts(date).to_string(),
            json!({"date": open_ts(date), "numerator": num, "denominator": den,
                   "splitRatio": format!("{num}:{den}")}),
        );
    }
    let mut dividend_events = Map::new();
    for (date, amount) in dividends {
        dividend_events.insert(
            open_ts(date).to_string(),
            json!({"amount": amount, "date": open_ts(date)}),
        );
    }
    json!({"chart": {"result": [{
        "meta": {"currency": "USD", "symbol": "ACME", "exchangeName": "NMS",
                 "instrumentType": "EQUITY", "gmtoffset": -14400, "timezone": "EDT",
                 "exchangeTimezoneName": "America/New_York", "dataGranularity": "1d"},
        "timestamp": rows.iter().map(|r| open_ts(r.0)).collect::<Vec<_>>(),
        "events": {"splits": split_events, "dividends": dividend_events},
        "indicators": {
            "quote": [{
                "open": rows.iter().map(|r| r.1).collect::<Vec<_>>(),
                "high": rows.iter().map(|r| r.2).collect::<Vec<_>>(),
                "low": rows.iter().map(|r| r.3).collect::<Vec<_>>(),
                "close": rows.iter().map(|r| r.4).collect::<Vec<_>>(),
                "volume": rows.iter().map(|r| r.5).collect::<Vec<_>>()
            }],
            "adjclose": [{"adjclose": rows.iter().map(|r| r.4).collect::<Vec<_>>()}]
        }
    }], "error": null}})
}

/// Answers every chart request with `body` (the client keeps only the days it asked for).
pub async fn serve(server: &MockServer, body: Value) {
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/v8/finance/chart/ACME"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// An ingestor asking only Yahoo at `server`, without retries, fetching new symbols from `start`.
fn ingestor(pool: &PgPool, server: &MockServer, start: &str) -> Ingestor {
    let uri = server.uri();
    let config = ProvidersConfig::from_lookup(|k| match k {
        "MARKET_DATA_PROVIDERS" => Some("yahoo".into()),
        "YAHOO_BASE_URL" => Some(uri.clone()),
        "MARKET_DATA_MAX_RETRIES" => Some("0".into()),
        _ => None,
    })
    .unwrap();
    Ingestor::new(pool.clone(), config.build_chain().unwrap()).with_history_start(day(start))
}

/// The `(period1, period2)` of every chart request the mock received, in order.
async fn requested_periods(server: &MockServer) -> Vec<(i64, i64)> {
    let requests = server.received_requests().await.unwrap_or_default();
    requests
        .iter()
        .map(|r| {
            let param = |name: &str| {
                r.url
                    .query_pairs()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.parse::<i64>().unwrap())
                    .unwrap()
            };
            (param("period1"), param("period2"))
        })
        .collect()
}

/// Yahoo's window for a range of days: a day either side of whole UTC days.
fn window(from: &str, to: &str) -> (i64, i64) {
    let r = DateRange::new(day(from), day(to)).unwrap();
    let first = r.from().and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp();
    let last = r
        .to()
        .and_hms_opt(23, 59, 59)
        .unwrap()
        .and_utc()
        .timestamp();
    (first - 86_400, last + 86_400)
}

async fn bars(pool: &PgPool, adjustment: Adjustment) -> Vec<Bar> {
    store::daily_bars(pool, &symbol(), None, None, adjustment)
        .await
        .unwrap()
}

pub const WEEK_OF_17_AUG: &[Row] = &[
    ("2020-08-17", 100.0, 102.0, 99.0, 101.0, 1_000),
    ("2020-08-18", 101.0, 103.0, 100.0, 102.0, 1_100),
    ("2020-08-19", 102.0, 104.0, 101.0, 103.0, 1_200),
    ("2020-08-20", 103.0, 105.0, 102.0, 104.0, 1_300),
    ("2020-08-21", 104.0, 106.0, 103.0, 105.0, 1_400),
];

#[tokio::test]
async fn ingesting_twice_adds_nothing_and_asks_no_provider_the_second_time() {
    let pool = migrated_pool().await;
    let server = MockServer::start().await;
    serve(&server, chart(WEEK_OF_17_AUG, &[], &[])).await;
    let ingestor = ingestor(&pool, &server, "2020-08-17");
    // Friday evening after the close.
    let now = at("2020-08-21T21:00:00Z");

    let first = ingestor.refresh_daily_as_of(&symbol(), now).await.unwrap();
    assert_eq!(first.source, Some(ProviderKind::Yahoo));
    assert_eq!((first.fetched, first.inserted, first.updated), (5, 5, 0));
    assert_eq!(
        first.range,
        Some(DateRange::new(day("2020-08-17"), day("2020-08-21")).unwrap())
    );

    // Over the weekend there is still no new session.
    for later in [now, at("2020-08-23T15:00:00Z")] {
        let again = ingestor
            .refresh_daily_as_of(&symbol(), later)
            .await
            .unwrap();
        assert!(again.up_to_date(), "{again:?}");
        assert_eq!(again.inserted, 0);
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 1);

    let stored = bars(&pool, Adjustment::Raw).await;
    assert_eq!(stored.len(), 5);
    assert_close(stored[4].close, 105.0, 1e-11);
    assert_eq!(stored[4].volume, 1_400);
    let ticker = store::ticker(&pool, &symbol()).await.unwrap().unwrap();
    assert_eq!(ticker.kind, "stock");
    assert!(ticker.active);
    let log = store::fetch_log(&pool, Some(&symbol()), 10).await.unwrap();
    assert_eq!(log.len(), 1, "one provider call, one log row: {log:?}");
    assert_eq!((log[0].status.as_str(), log[0].rows), ("ok", 5), "{log:?}");
    assert_eq!(log[0].provider.as_deref(), Some("yahoo"));
}

#[tokio::test]
async fn an_incremental_fetch_asks_only_for_the_missing_days() {
    let pool = migrated_pool().await;
    let server = MockServer::start().await;
    serve(&server, chart(WEEK_OF_17_AUG, &[], &[])).await;
    let ingestor = ingestor(&pool, &server, "2020-08-17");
    ingestor
        .refresh_daily_as_of(&symbol(), at("2020-08-21T21:00:00Z"))
        .await
        .unwrap();

    // Wednesday before the close: Monday and Tuesday are missing, Wednesday is not over yet. The
    // provider answers with more than was asked for (a day already stored, and today's partial bar).
    serve(
        &server,
        chart(
            &[
                ("2020-08-21", 104.0, 106.0, 103.0, 105.0, 1_400),
                ("2020-08-24", 105.0, 107.0, 104.0, 106.0, 1_500),
                ("2020-08-25", 106.0, 108.0, 105.0, 107.0, 1_600),
                ("2020-08-26", 107.0, 109.0, 106.0, 108.0, 900),
            ],
            &[],
            &[],
        ),
    )
    .await;
    let report = ingestor
        .refresh_daily_as_of(&symbol(), at("2020-08-26T17:00:00Z"))
        .await
        .unwrap();

    assert_eq!(
        report.range,
        Some(DateRange::new(day("2020-08-24"), day("2020-08-25")).unwrap())
    );
    assert_eq!(
        requested_periods(&server).await,
        [window("2020-08-24", "2020-08-25")]
    );
    assert_eq!((report.fetched, report.inserted), (2, 2));
    let dates: Vec<NaiveDate> = bars(&pool, Adjustment::Raw)
        .await
        .iter()
        .map(|b| b.date)
        .collect();
    assert_eq!(dates.len(), 7);
    assert_eq!(dates[5..], [day("2020-08-24"), day("2020-08-25")]);
    let log = store::fetch_log(&pool, Some(&symbol()), 1).await.unwrap();
    assert_eq!(
        (log[0].range_from, log[0].range_to),
        (Some(day("2020-08-24")), Some(day("2020-08-25")))
    );
}

#[tokio::test]
async fn a_split_recorded_later_re_derives_the_adjusted_history() {
    let pool = migrated_pool().await;
    let server = MockServer::start().await;
    // A 0.52 dividend goes ex on the 28th; the close before it is 104.
    serve(
        &server,
        chart(
            &[
                ("2020-08-26", 100.0, 104.0, 98.0, 102.0, 1_000),
                ("2020-08-27", 102.0, 106.0, 100.0, 104.0, 2_000),
                ("2020-08-28", 104.0, 108.0, 102.0, 100.0, 3_000),
            ],
            &[],
            &[("2020-08-28", 0.52)],
        ),
    )
    .await;
    let ingestor = ingestor(&pool, &server, "2020-08-26");
    let first = ingestor
        .refresh_daily_as_of(&symbol(), at("2020-08-28T21:00:00Z"))
        .await
        .unwrap();
    assert_eq!(first.actions, 1);

    // Dividend factor 1 - 0.52 / 104 = 0.995 on the days before the 28th.
    let adjusted = bars(&pool, Adjustment::Adjusted).await;
    assert_close(adjusted[0].close, 102.0 * 0.995, 1e-11);
    assert_close(adjusted[1].close, 104.0 * 0.995, 1e-11);
    assert_close(adjusted[2].close, 100.0, 1e-11);

    // Monday: a 4-for-1 split goes ex, reported with the new bar.
    serve(
        &server,
        chart(
            &[("2020-08-31", 26.0, 27.0, 25.0, 26.5, 12_000)],
            &[("2020-08-31", 4.0, 1.0)],
            &[],
        ),
    )
    .await;
    let second = ingestor
        .refresh_daily_as_of(&symbol(), at("2020-08-31T21:00:00Z"))
        .await
        .unwrap();
    assert_eq!((second.inserted, second.actions), (1, 1));

    let actions = store::corporate_actions(&pool, &symbol()).await.unwrap();
    let kinds: Vec<_> = actions
        .iter()
        .map(|a| (a.ex_date, a.kind, a.value))
        .collect();
    assert_eq!(
        kinds,
        [
            (day("2020-08-28"), ActionKind::Dividend, 0.52),
            (day("2020-08-31"), ActionKind::Split, 4.0)
        ]
    );

    // Before the 28th: 0.995 * 1/4 = 0.24875; on the 28th: 1/4; from the 31st: unchanged.
    // Volumes scale with the split only.
    let adjusted = bars(&pool, Adjustment::Adjusted).await;
    assert_eq!(adjusted.len(), 4);
    let b26 = &adjusted[0];
    assert_close(b26.open, 24.875, 1e-11);
    assert_close(b26.high, 25.87, 1e-11);
    assert_close(b26.low, 24.3775, 1e-11);
    assert_close(b26.close, 25.3725, 1e-11);
    assert_eq!(b26.volume, 4_000);
    assert_close(adjusted[1].close, 25.87, 1e-11);
    assert_close(adjusted[2].high, 27.0, 1e-11);
    assert_close(adjusted[2].close, 25.0, 1e-11);
    assert_eq!(adjusted[2].volume, 12_000);
    assert_close(adjusted[3].close, 26.5, 1e-11);
    assert_eq!(adjusted[3].volume, 12_000);

    // The raw bars are kept as they were reported.
    let raw = bars(&pool, Adjustment::Raw).await;
    assert_close(raw[0].close, 102.0, 1e-11);
    assert_eq!(raw[0].volume, 1_000);

    // A range read sees the same derived history.
    let window = store::daily_bars(
        &pool,
        &symbol(),
        Some(day("2020-08-27")),
        Some(day("2020-08-28")),
        Adjustment::Adjusted,
    )
    .await
    .unwrap();
    assert_eq!(window.len(), 2);
    assert_close(window[0].close, 25.87, 1e-11);
}

#[tokio::test]
async fn a_failing_provider_leaves_stored_data_untouched_and_logs_the_error() {
    let pool = migrated_pool().await;
    let server = MockServer::start().await;
    serve(&server, chart(WEEK_OF_17_AUG, &[], &[])).await;
    let ingestor = ingestor(&pool, &server, "2020-08-17");
    ingestor
        .refresh_daily_as_of(&symbol(), at("2020-08-21T21:00:00Z"))
        .await
        .unwrap();
    let before = bars(&pool, Adjustment::Raw).await;

    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/v8/finance/chart/ACME"))
        .respond_with(ResponseTemplate::new(500).set_body_string("Internal Server Error"))
        .mount(&server)
        .await;
    let err = ingestor
        .refresh_daily_as_of(&symbol(), at("2020-08-25T21:00:00Z"))
        .await
        .unwrap_err();

    assert!(matches!(err, IngestError::Providers(_)), "{err:?}");
    assert_eq!(bars(&pool, Adjustment::Raw).await, before);
    let log = store::fetch_log(&pool, Some(&symbol()), 10).await.unwrap();
    assert_eq!(log.len(), 2, "{log:?}");
    let failed = &log[0];
    assert_eq!(failed.status, "error");
    assert_eq!(failed.provider.as_deref(), Some("yahoo"));
    assert_eq!(failed.rows, 0);
    assert_eq!(
        (failed.range_from, failed.range_to),
        (Some(day("2020-08-24")), Some(day("2020-08-25")))
    );
    assert!(
        failed.error.as_deref().unwrap_or_default().contains("500"),
        "{failed:?}"
    );

    // Once the provider is back, the same missing days are fetched.
    serve(
        &server,
        chart(
            &[("2020-08-24", 105.0, 107.0, 104.0, 106.0, 1_500)],
            &[],
            &[],
        ),
    )
    .await;
    let report = ingestor
        .refresh_daily_as_of(&symbol(), at("2020-08-24T21:00:00Z"))
        .await
        .unwrap();
    assert_eq!(report.inserted, 1);
}

#[tokio::test]
async fn news_is_stored_once_per_symbol_and_url() {
    let pool = migrated_pool().await;
    let article = |url: &str, hour: u32| NewsArticle {
        title: format!("Article at {hour}h"),
        source: "Reuters".into(),
        url: url.into(),
        image: None,
        published_at: day("2024-05-10").and_hms_opt(hour, 0, 0).unwrap().and_utc(),
        summary: Some("Summary".into()),
        sentiment: Some(Sentiment {
            score: 0.2,
            label: Some(SentimentLabel::SomewhatBullish),
        }),
    };
    let msft = Symbol::parse("MSFT").unwrap();
    let batch = [
        article("https://e.com/a", 9),
        article("https://e.com/b", 10),
    ];

    let first = store::upsert_news(&pool, Some(&msft), &batch, ProviderKind::Finnhub)
        .await
        .unwrap();
    let again = store::upsert_news(&pool, Some(&msft), &batch, ProviderKind::Finnhub)
        .await
        .unwrap();
    // The same URL as market news is a separate article; twice as market news is still one.
    store::upsert_news(&pool, None, &batch[..1], ProviderKind::Finnhub)
        .await
        .unwrap();
    store::upsert_news(&pool, None, &batch[..1], ProviderKind::Finnhub)
        .await
        .unwrap();

    assert_eq!((first.inserted, first.updated), (2, 0));
    assert_eq!((again.inserted, again.updated), (0, 2));
    let stored = store::latest_news(&pool, Some(&msft), 10).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].url, "https://e.com/b", "newest first");
    assert_eq!(
        stored[0]
            .sentiment_label
            .as_deref()
            .and_then(SentimentLabel::parse),
        Some(SentimentLabel::SomewhatBullish)
    );
    assert_eq!(store::latest_news(&pool, None, 10).await.unwrap().len(), 1);
    assert_eq!(
        store::latest_news(&pool, Some(&msft), 1)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_seed_loads_the_four_bundled_series_idempotently_with_their_metadata() {
    let pool = migrated_pool().await;
    let first = server::seed::load_bundled(&pool).await.unwrap();
    let second = server::seed::load_bundled(&pool).await.unwrap();

    assert_eq!(
        first,
        [
            ("^GSPC", 5031),
            ("^IXIC", 5031),
            ("MSFT", 7983),
            ("GOOG", 2148)
        ]
    );
    assert!(second.iter().all(|(_, n)| *n == 0), "{second:?}");

    let tickers = store::tickers(&pool, true).await.unwrap();
    let mut meta: Vec<_> = tickers
        .iter()
        .map(|t| {
            (
                t.symbol.as_str(),
                t.kind.as_str(),
                t.exchange.as_deref(),
                t.sector.is_some(),
            )
        })
        .collect();
    meta.sort();
    assert_eq!(
        meta,
        [
            ("GOOG", "stock", Some("NASDAQ"), true),
            ("MSFT", "stock", Some("NASDAQ"), true),
            ("^GSPC", "index", Some("INDEX"), false),
            ("^IXIC", "index", Some("INDEX"), false),
        ]
    );
    // Bundled history needs no adjustment: with no recorded actions, adjusted equals raw.
    let goog = Symbol::parse("GOOG").unwrap();
    let last = store::last_bar_date(&pool, &goog).await.unwrap();
    assert_eq!(last, Some(day("2013-03-01")));
    let raw = store::daily_bars(&pool, &goog, last, last, Adjustment::Raw)
        .await
        .unwrap();
    let adjusted = store::daily_bars(&pool, &goog, last, last, Adjustment::Adjusted)
        .await
        .unwrap();
    assert_eq!(raw, adjusted);
    assert_close(raw[0].close, 806.19, 1e-11);
}

/// A fixture of `tests/fixtures/providers/{provider}/{name}`, served as JSON.
fn provider_fixture(provider: &str, name: &str) -> ResponseTemplate {
    let file = format!(
        "{}/tests/fixtures/providers/{provider}/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let body = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    ResponseTemplate::new(200).set_body_raw(body, "application/json")
}

/// An ingestor asking only Finnhub at `server`, without retries.
fn finnhub_ingestor(pool: &PgPool, server: &MockServer) -> Ingestor {
    let uri = server.uri();
    let config = ProvidersConfig::from_lookup(|k| match k {
        "MARKET_DATA_PROVIDERS" => Some("finnhub".into()),
        "FINNHUB_API_KEY" => Some("test-key".into()),
        "FINNHUB_BASE_URL" => Some(uri.clone()),
        "MARKET_DATA_MAX_RETRIES" => Some("0".into()),
        _ => None,
    })
    .unwrap();
    Ingestor::new(pool.clone(), config.build_chain().unwrap())
}

#[tokio::test]
async fn a_profile_names_a_ticker_first_seen_through_a_provider_and_is_stored() {
    let pool = migrated_pool().await;
    server::seed::load_bundled(&pool).await.unwrap();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/stock/profile2"))
        .respond_with(provider_fixture("finnhub", "profile2.json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/stock/metric"))
        .respond_with(provider_fixture("finnhub", "metric.json"))
        .mount(&server)
        .await;
    let ingestor = finnhub_ingestor(&pool, &server);
    let aapl = Symbol::parse("AAPL").unwrap();

    let first = ingestor.refresh_profile(&aapl).await.unwrap();
    let again = ingestor.refresh_profile(&aapl).await.unwrap();

    assert_eq!((first.inserted, first.updated), (1, 0));
    assert_eq!((again.inserted, again.updated), (0, 1));
    let ticker = store::ticker(&pool, &aapl).await.unwrap().unwrap();
    assert_eq!(ticker.name, "Apple Inc");
    assert_eq!(
        ticker.exchange.as_deref(),
        Some("NASDAQ NMS - GLOBAL MARKET")
    );
    assert_eq!(ticker.industry.as_deref(), Some("Technology"));
    assert_eq!(ticker.source, "Market data from finnhub");
    let profile = store::company_profile(&pool, &aapl).await.unwrap().unwrap();
    assert_eq!(profile.provider, "finnhub");
    assert_eq!(profile.overview.country.as_deref(), Some("US"));
    // Finnhub gives market capitalisation in millions.
    assert_close(profile.overview.market_cap.unwrap(), 2_826_637.5e6, 1e-11);
    assert_eq!(profile.overview.ipo_date, Some(day("1980-12-12")));

    // A bundled ticker keeps the name that describes its series; the metadata is filled in.
    let goog = Symbol::parse("GOOG").unwrap();
    ingestor.refresh_profile(&goog).await.unwrap();
    let ticker = store::ticker(&pool, &goog).await.unwrap().unwrap();
    assert_eq!(ticker.name, "Google Inc. (class A, pre-2014)");
    assert_eq!(ticker.industry.as_deref(), Some("Technology"));
    assert!(ticker.source.starts_with("Bundled"), "{}", ticker.source);

    let log = store::fetch_log(&pool, Some(&aapl), 10).await.unwrap();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|r| r.kind == "profile" && r.status == "ok"));
}

#[tokio::test]
async fn a_provider_without_profiles_is_an_error_in_the_log_and_stores_nothing() {
    let pool = migrated_pool().await;
    let server = MockServer::start().await;
    let ingestor = ingestor(&pool, &server, "2020-08-17");

    let err = ingestor.refresh_profile(&symbol()).await.unwrap_err();

    assert!(matches!(err, IngestError::Providers(_)), "{err:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
    assert!(store::ticker(&pool, &symbol()).await.unwrap().is_none());
    let log = store::fetch_log(&pool, Some(&symbol()), 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].status.as_str(), log[0].kind.as_str()),
        ("error", "profile")
    );
}

#[tokio::test]
async fn company_news_is_fetched_stored_and_not_duplicated_on_refresh() {
    let pool = migrated_pool().await;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/company-news"))
        .respond_with(provider_fixture("finnhub", "company_news.json"))
        .expect(2)
        .mount(&server)
        .await;
    let ingestor = finnhub_ingestor(&pool, &server);
    let aapl = Symbol::parse("AAPL").unwrap();
    let range = DateRange::new(day("2024-05-09"), day("2024-05-10")).unwrap();

    let first = ingestor.refresh_news(Some(&aapl), range, 10).await.unwrap();
    let again = ingestor.refresh_news(Some(&aapl), range, 10).await.unwrap();

    assert_eq!(first.source, ProviderKind::Finnhub);
    assert_eq!((first.fetched, first.inserted), (2, 2));
    assert_eq!((again.fetched, again.inserted, again.updated), (2, 0, 2));
    let stored = store::latest_news(&pool, Some(&aapl), 10).await.unwrap();
    let urls: Vec<&str> = stored.iter().map(|a| a.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://www.example.com/news/apple-buyback",
            "https://www.example.com/news/apple-ipad"
        ]
    );
    assert!(stored.iter().all(|a| a.provider == "finnhub"));
    assert_eq!(
        store::fetch_log(&pool, Some(&aapl), 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn intraday_bars_are_stored_once_however_often_they_are_fetched() {
    let pool = migrated_pool().await;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v8/finance/chart/AAPL"))
        .respond_with(provider_fixture("yahoo", "chart_5m.json"))
        .mount(&server)
        .await;
    let ingestor = ingestor(&pool, &server, "2024-03-08");
    let aapl = Symbol::parse("AAPL").unwrap();
    let range = DateRange::new(day("2024-03-08"), day("2024-03-11")).unwrap();

    let first = ingestor
        .refresh_intraday(&aapl, Interval::Min5, range)
        .await
        .unwrap();
    let again = ingestor
        .refresh_intraday(&aapl, Interval::Min5, range)
        .await
        .unwrap();

    assert_eq!((first.fetched, first.inserted), (5, 5));
    assert_eq!((again.fetched, again.inserted, again.updated), (5, 0, 0));
    let stored = store::intraday_bars(
        &pool,
        &aapl,
        Interval::Min5,
        at("2024-03-08T00:00:00Z"),
        at("2024-03-09T00:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[0].start, at("2024-03-08T14:30:00Z"));
    assert_close(stored[0].close, 170.95, 1e-11);
    assert_eq!(stored[0].volume, 2_135_114);
    // Another interval is another series.
    let other = store::intraday_bars(
        &pool,
        &aapl,
        Interval::Min15,
        at("2024-03-08T00:00:00Z"),
        at("2024-03-12T00:00:00Z"),
    )
    .await
    .unwrap();
    assert!(other.is_empty());
}

#[tokio::test]
async fn a_backfill_across_a_split_is_stored_raw_and_adjusted_once() {
    let pool = migrated_pool().await;
    let server = MockServer::start().await;
    // Yahoo reports the day before a 4-for-1 split already divided by four: raw it was
    // 100 / 104 / 96 / 102 with 1,000 shares.
    serve(
        &server,
        chart(
            &[
                ("2020-08-28", 25.0, 26.0, 24.0, 25.5, 4_000),
                ("2020-08-31", 26.0, 27.0, 25.0, 26.5, 12_000),
            ],
            &[("2020-08-31", 4.0, 1.0)],
            &[],
        ),
    )
    .await;
    let report = ingestor(&pool, &server, "2020-08-28")
        .refresh_daily_as_of(&symbol(), at("2020-08-31T21:00:00Z"))
        .await
        .unwrap();
    assert_eq!((report.inserted, report.actions), (2, 1));

    let raw = bars(&pool, Adjustment::Raw).await;
    assert_close(raw[0].open, 100.0, 1e-11);
    assert_close(raw[0].high, 104.0, 1e-11);
    assert_close(raw[0].low, 96.0, 1e-11);
    assert_close(raw[0].close, 102.0, 1e-11);
    assert_eq!(raw[0].volume, 1_000);
    assert_close(raw[1].close, 26.5, 1e-11);

    let adjusted = bars(&pool, Adjustment::Adjusted).await;
    assert_close(adjusted[0].close, 25.5, 1e-11);
    assert_eq!(adjusted[0].volume, 4_000);
    assert_close(adjusted[1].close, 26.5, 1e-11);
}

#[tokio::test]
async fn a_scheduled_refresh_spends_the_same_provider_quota_as_page_requests() {
    // One Yahoo call a minute, shared through Redis by every user of the provider chain.
    let yahoo = MockServer::start().await;
    serve(&yahoo, chart(WEEK_OF_17_AUG, &[], &[])).await;
    let app = spawn_app_with(Options {
        env: vec![
            ("MARKET_DATA_PROVIDERS".into(), "yahoo".into()),
            ("YAHOO_BASE_URL".into(), yahoo.uri()),
            ("MARKET_DATA_MAX_RETRIES".into(), "0".into()),
            ("RATE_LIMIT_YAHOO".into(), "1/min".into()),
        ],
        ..Options::default()
    })
    .await;

    // The refresh job the after-close schedule queues, run by the app's own worker.
    let job = app
        .jobs
        .enqueue(server::jobs::JobSpec::refresh(&symbol()))
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let done = loop {
        let j = app.jobs.get(job.id).await.unwrap();
        if j.status.is_finished() {
            break j;
        }
        assert!(std::time::Instant::now() < deadline, "refresh still {j:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(done.status, app::domain::JobState::Done, "{done:?}");
    assert_eq!(yahoo.received_requests().await.unwrap().len(), 1);

    // A page's quote now finds the minute's quota spent by the refresh: the provider is not asked
    // again, and the quote comes from the bars the refresh stored.
    let (status, quote) = app.get_json("/api/v1/quote/ACME").await;
    assert_eq!(status, 200, "{quote}");
    assert_eq!(quote["price"], 105.0);
    assert_eq!(
        yahoo.received_requests().await.unwrap().len(),
        1,
        "the refresh and the page share one rate limit"
    );
}

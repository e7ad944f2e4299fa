//! The JSON API under `/api/v1`: every chart range of a bundled ticker, downsampled and checked
//! against the bundled CSV; intraday with and without a provider; quotes, overviews and news; and
//! the one error shape.

use app::model::{
    CompanyProfile, IndicatorSeries, NewsFeed, OhlcvPoint, Quote, ServedFrom, TimeSeries,
};
use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::America::New_York;
use serde_json::{json, Value};
use server::market::calendar;
use wiremock::matchers::{header, method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::kit::{assert_error, spawn_app, spawn_app_with, Options};

fn assert_ohlc_invariants(points: &[OhlcvPoint]) {
    for p in points {
        assert!(
            p.low <= p.open && p.open <= p.high && p.low <= p.close && p.close <= p.high,
            "{p:?}"
        );
        assert!(p.volume > 0, "{p:?}");
    }
    assert!(points.windows(2).all(|w| w[0].date < w[1].date));
}

#[tokio::test]
async fn every_range_for_goog_is_downsampled_to_its_interval() {
    let app = spawn_app().await;
    // Counted from server/data/prices/goog_2004_2013.csv, whose last bar is 2013-03-01:
    // (range, interval, points, first bucket date, last bucket date).
    let cases = [
        ("1M", "1d", 20, "2013-02-01", "2013-03-01"),
        ("3M", "1d", 61, "2012-12-03", "2013-03-01"),
        ("6M", "1d", 122, "2012-09-04", "2013-03-01"),
        ("YTD", "1d", 41, "2013-01-02", "2013-03-01"),
        ("1Y", "1d", 251, "2012-03-01", "2013-03-01"),
        // 504 trading days in pairs.
        ("2Y", "2d", 252, "2011-03-01", "2013-02-28"),
        // ISO weeks from the week of 2008-03-03.
        ("5Y", "1w", 261, "2008-03-03", "2013-02-25"),
        // The whole history (2,148 bars) in 5-day buckets: at most 500 points.
        ("10Y", "5d", 430, "2004-08-19", "2013-02-27"),
        ("MAX", "5d", 430, "2004-08-19", "2013-02-27"),
    ];
    for (range, interval, n, first, last) in cases {
        let s: TimeSeries = app.api_ok(&format!("/timeseries/GOOG?range={range}")).await;
        assert_eq!(s.range.as_str(), range);
        assert_eq!(s.interval, interval, "{range}");
        assert_eq!(s.points.len(), n, "{range}");
        assert_eq!(s.points.first().unwrap().date, first, "{range}");
        assert_eq!(s.points.last().unwrap().date, last, "{range}");
        assert_eq!(s.reason, None);
        assert_eq!(s.source, "bundled");
        assert_ohlc_invariants(&s.points);
        // Every bucket ends where the data ends.
        assert!(
            (s.points.last().unwrap().close - 806.19).abs() < 1e-9,
            "{range}"
        );
    }

    let five: TimeSeries = app.api_ok("/timeseries/GOOG?range=5y").await;
    // By hand from the CSV, 2013-02-25..2013-03-01: open 802.30 (Mon), highest high 808.41 (Mon),
    // lowest low 784.40 (Tue), close 806.19 (Fri), volume 2,303,900 + 2,202,500 + 2,026,100
    // + 2,265,800 + 2,175,400.
    let week = five.points.last().unwrap();
    assert_eq!(
        *week,
        OhlcvPoint {
            date: "2013-02-25".into(),
            open: 802.30,
            high: 808.41,
            low: 784.40,
            close: 806.19,
            volume: 10_973_700,
        }
    );
    // And 2008-03-03..07: open 471.51, high 472.72 (Mon), low 426.24 (Fri), close 433.35.
    let first = &five.points[0];
    assert_eq!(
        (first.open, first.high, first.low, first.close, first.volume),
        (471.51, 472.72, 426.24, 433.35, 44_154_700)
    );
}

#[tokio::test]
async fn the_default_range_is_one_year_and_the_second_call_is_served_from_redis() {
    let app = spawn_app().await;
    let first: TimeSeries = app.api_ok("/timeseries/goog").await;
    assert_eq!(first.range.as_str(), "1Y");
    assert_eq!(first.symbol, "GOOG");
    assert_eq!(first.served_from, ServedFrom::Database);
    let second: TimeSeries = app.api_ok("/timeseries/GOOG?range=1Y").await;
    assert_eq!(second.served_from, ServedFrom::Cache);
    assert_eq!(second.points, first.points);
}

#[tokio::test]
async fn intraday_without_a_provider_key_is_an_empty_series_that_says_why() {
    let app = spawn_app().await;
    for range in ["1D", "1W"] {
        let (status, body) = app.api(&format!("/timeseries/GOOG?range={range}")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["points"], json!([]));
        let reason = body["reason"].as_str().unwrap();
        assert!(reason.contains("POLYGON_API_KEY"), "{reason}");
        assert!(reason.contains("Intraday charts need"), "{reason}");
    }
}

/// A Polygon aggregate starting at `h:m` New York time on `day`.
fn polygon_bar(day: NaiveDate, h: u32, m: u32, close: f64) -> Value {
    let start = New_York
        .from_local_datetime(&day.and_hms_opt(h, m, 0).unwrap())
        .unwrap();
    json!({
        "v": 1.25e4, "vw": close, "o": close - 0.5, "c": close, "h": close + 1.0,
        "l": close - 1.0, "t": start.timestamp_millis(), "n": 120
    })
}

#[tokio::test]
async fn intraday_with_polygon_configured_serves_the_last_sessions_bars() {
    let polygon = MockServer::start().await;
    let today = Utc::now().with_timezone(&New_York).date_naive();
    let last = calendar::previous_trading_day(today).unwrap();
    let before = calendar::previous_trading_day(last).unwrap();
    let results = vec![
        polygon_bar(before, 15, 55, 100.0),
        // Pre-market: Polygon sends it, the chart drops it.
        polygon_bar(last, 8, 0, 101.0),
        polygon_bar(last, 9, 30, 102.0),
        polygon_bar(last, 9, 35, 103.0),
        polygon_bar(last, 9, 40, 104.0),
    ];
    // The documented aggregates shape (see tests/fixtures/providers/polygon/aggs.json).
    Mock::given(method("GET"))
        .and(path_regex(
            r"^/v2/aggs/ticker/GOOG/range/5/minute/\d{4}-\d{2}-\d{2}/\d{4}-\d{2}-\d{2}$",
        ))
        .and(header("authorization", "Bearer test-key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ticker": "GOOG", "queryCount": 5, "resultsCount": 5, "adjusted": true,
            "results": results, "status": "OK", "request_id": "b1", "count": 5
        })))
        .mount(&polygon)
        .await;
    let app = spawn_app_with(Options {
        env: vec![
            ("POLYGON_API_KEY".into(), "test-key".into()),
            ("POLYGON_BASE_URL".into(), polygon.uri()),
            ("MARKET_DATA_MAX_RETRIES".into(), "0".into()),
        ],
        ..Options::default()
    })
    .await;

    let s: TimeSeries = app.api_ok("/timeseries/GOOG?range=1D").await;
    assert_eq!(s.reason, None);
    assert_eq!(s.source, "polygon");
    assert_eq!(s.interval, "5min");
    let closes: Vec<f64> = s.points.iter().map(|p| p.close).collect();
    assert_eq!(closes, [102.0, 103.0, 104.0], "{:?}", s.points);
    let first_start = chrono::DateTime::parse_from_rfc3339(&s.points[0].date).unwrap();
    assert_eq!(
        first_start.with_timezone(&New_York).naive_local(),
        last.and_hms_opt(9, 30, 0).unwrap()
    );
    assert_eq!(s.points[0].volume, 12_500);
    assert_ohlc_invariants(&s.points);
}

#[tokio::test]
async fn malformed_symbols_and_ranges_are_400_with_the_error_shape() {
    let app = spawn_app().await;
    for path in [
        "/quote/%24%24%24",
        "/quote/ABCDEFGHIJKL",
        "/overview/GO%20OG",
        "/timeseries/%3Cscript%3E?range=1Y",
        "/news?symbol=%24%24",
    ] {
        let (status, body) = app.api(path).await;
        assert_error(status, &body, 400, "invalid_symbol");
    }
    for range in ["2W", "", "1y1"] {
        let (status, body) = app.api(&format!("/timeseries/GOOG?range={range}")).await;
        assert_error(status, &body, 400, "invalid_range");
        assert!(body["error"]["message"].as_str().unwrap().contains("MAX"));
    }
}

#[tokio::test]
async fn unknown_symbols_are_404_unknown_symbol() {
    let app = spawn_app().await;
    for path in [
        "/quote/ZZZZ",
        "/overview/ZZZZ",
        "/timeseries/ZZZZ?range=1M",
        "/timeseries/ZZZZ?range=1D",
    ] {
        let (status, body) = app.api(path).await;
        assert_error(status, &body, 404, "unknown_symbol");
        assert!(body["error"]["message"].as_str().unwrap().contains("ZZZZ"));
    }
    let (status, body) = app.api("/no/such/endpoint").await;
    assert_error(status, &body, 404, "not_found");
}

#[tokio::test]
async fn a_known_symbol_without_bars_is_an_empty_series_with_a_reason() {
    let app = spawn_app().await;
    sqlx::query("insert into tickers (symbol, name, source) values ('NEWCO', 'New Co', 'polygon')")
        .execute(&app.pool)
        .await
        .unwrap();
    let (status, body) = app.api("/timeseries/NEWCO?range=5Y").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["points"], json!([]));
    assert!(body["reason"].as_str().unwrap().contains("NEWCO"));
    assert_eq!(body["source"], "polygon");
    let (status, body) = app.api("/quote/NEWCO").await;
    assert_error(status, &body, 404, "unknown_symbol");
}

#[tokio::test]
async fn the_quote_for_goog_is_its_last_bundled_close() {
    let app = spawn_app().await;
    let q: Quote = app.api_ok("/quote/GOOG").await;
    assert_eq!(q.symbol, "GOOG");
    assert!((q.price - 806.19).abs() < 1e-9);
    assert!((q.previous_close.unwrap() - 801.20).abs() < 1e-9);
    assert!((q.change.unwrap() - 4.99).abs() < 1e-9);
    assert!((q.change_pct.unwrap() - 4.99 / 801.20 * 100.0).abs() < 1e-9);
    // 16:00 in New York on 2013-03-01 (EST) is 21:00 UTC.
    assert_eq!(q.as_of.to_rfc3339(), "2013-03-01T21:00:00+00:00");
    assert_eq!(q.source, "bundled");

    let (_, raw) = app.api("/quote/%5Egspc").await;
    assert_eq!(raw["symbol"], "^GSPC");
    for key in [
        "price",
        "previous_close",
        "change",
        "change_pct",
        "as_of",
        "source",
    ] {
        assert!(raw.get(key).is_some(), "{key} missing: {raw}");
    }
}

#[tokio::test]
async fn the_overview_offline_is_what_the_bundled_history_knows() {
    let app = spawn_app().await;
    let (status, raw) = app.api("/overview/GOOG").await;
    assert_eq!(status, 200, "{raw}");
    let p: CompanyProfile = serde_json::from_value(raw.clone()).unwrap();
    assert_eq!(p.name, "Google Inc. (class A, pre-2014)");
    assert_eq!(p.exchange.as_deref(), Some("NASDAQ"));
    assert_eq!(p.currency.as_deref(), Some("USD"));
    // Highest high and lowest low of the 250 bars from 2012-03-02 to 2013-03-01, from the CSV.
    assert_eq!(p.week52_high, Some(808.97));
    assert_eq!(p.week52_low, Some(556.52));
    assert_eq!(p.source, "bundled");
    // Unknown figures are absent, not zero.
    for key in ["market_cap", "pe_ratio", "dividend_yield", "sector"] {
        assert!(raw.get(key).is_none(), "{key} should be absent: {raw}");
    }
}

#[tokio::test]
async fn news_offline_says_plainly_that_no_provider_is_configured() {
    let app = spawn_app().await;
    for path in ["/news", "/news?symbol=GOOG"] {
        let (status, body) = app.api(path).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["stories"], serde_json::json!([]));
        let notice = body["notice"].as_str().unwrap();
        assert!(
            notice.contains("No news provider is configured"),
            "{notice}"
        );
    }
}

#[tokio::test]
async fn news_from_a_mocked_finnhub_is_normalised() {
    let finnhub = MockServer::start().await;
    let now = Utc::now().timestamp();
    // Finnhub's documented `/company-news` shape (see tests/fixtures/providers/finnhub).
    Mock::given(method("GET"))
        .and(path("/company-news"))
        .and(query_param("symbol", "GOOG"))
        .and(header("x-finnhub-token", "fh-key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {
                "category": "company", "datetime": now - 7200, "headline": "Older headline",
                "id": 1, "image": "", "related": "GOOG", "source": "MarketWatch",
                "summary": "", "url": "https://news.example.com/older"
            },
            {
                "category": "company", "datetime": now - 600, "headline": "Newest headline",
                "id": 2, "image": "https://news.example.com/img.jpg", "related": "GOOG",
                "source": "Reuters", "summary": "What happened.", "url": "https://news.example.com/newest"
            }
        ])))
        .mount(&finnhub)
        .await;
    let app = spawn_app_with(Options {
        env: vec![
            ("FINNHUB_API_KEY".into(), "fh-key".into()),
            ("FINNHUB_BASE_URL".into(), finnhub.uri()),
            ("MARKET_DATA_MAX_RETRIES".into(), "0".into()),
        ],
        ..Options::default()
    })
    .await;

    // The stock page's news panel (its server function) asks the providers.
    let feed: NewsFeed = app.call_ok("news", &[("symbol", "goog")]).await;
    assert_eq!(feed.symbol.as_ref().map(|s| s.as_str()), Some("GOOG"));
    assert_eq!(feed.source, "finnhub");
    let titles: Vec<&str> = feed.articles.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Newest headline", "Older headline"],
        "newest first"
    );
    let newest = &feed.articles[0];
    assert_eq!(newest.source, "Reuters");
    assert_eq!(
        newest.image.as_deref(),
        Some("https://news.example.com/img.jpg")
    );
    assert_eq!(newest.summary.as_deref(), Some("What happened."));
    assert_eq!(newest.published_at.timestamp(), now - 600);
    // Empty strings from the provider are absent fields, not "".
    assert_eq!(feed.articles[1].image, None);
    assert_eq!(feed.articles[1].summary, None);
}

#[tokio::test]
async fn api_routes_are_counted_in_metrics_by_route_pattern() {
    let app = spawn_app().await;
    let _ = app.api("/quote/GOOG").await;
    let _ = app.api("/timeseries/MSFT?range=1M").await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains(r#"route="/api/v1/quote/{symbol}""#),
        "quote route missing from /metrics"
    );
    assert!(text.contains(r#"route="/api/v1/timeseries/{symbol}""#));
    assert!(
        !text.contains("/api/v1/quote/GOOG"),
        "raw paths must not be labels"
    );
}

#[tokio::test]
async fn offline_news_stored_earlier_is_served_with_its_provider_named() {
    use server::market::providers::{NewsArticle, ProviderKind};
    let app = spawn_app().await;
    let goog = app::domain::Symbol::parse("GOOG").unwrap();
    let article = NewsArticle {
        title: "Stored headline".into(),
        source: "Reuters".into(),
        url: "https://news.example.com/stored".into(),
        image: None,
        published_at: "2024-05-09T14:30:00Z".parse().unwrap(),
        summary: Some("Fetched while a key was set.".into()),
        sentiment: None,
    };
    server::market::store::upsert_news(&app.pool, Some(&goog), &[article], ProviderKind::Finnhub)
        .await
        .unwrap();

    let feed: NewsFeed = app.call_ok("news", &[("symbol", "GOOG")]).await;
    assert_eq!(feed.source, "finnhub");
    assert_eq!(feed.articles.len(), 1);
    assert_eq!(feed.articles[0].title, "Stored headline");
    assert_eq!(
        feed.articles[0].published_at.to_rfc3339(),
        "2024-05-09T14:30:00+00:00"
    );
    // Market news was never stored: still plainly unavailable.
    let feed: NewsFeed = app.call_ok("news", &[]).await;
    assert!(feed.articles.is_empty());
    assert!(feed
        .notice
        .unwrap()
        .contains("No news provider is configured"));
}

#[tokio::test]
async fn the_overview_from_a_mocked_finnhub_is_normalised_and_kept_in_postgres() {
    let finnhub = MockServer::start().await;
    let fixture = |name: &str| {
        let path = format!(
            "{}/tests/fixtures/providers/finnhub/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str::<Value>(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    Mock::given(method("GET"))
        .and(path("/stock/profile2"))
        .and(query_param("symbol", "AAPL"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("profile2.json")))
        .mount(&finnhub)
        .await;
    Mock::given(method("GET"))
        .and(path("/stock/metric"))
        .and(query_param("symbol", "AAPL"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("metric.json")))
        .mount(&finnhub)
        .await;
    let app = spawn_app_with(Options {
        env: vec![
            ("FINNHUB_API_KEY".into(), "fh-key".into()),
            ("FINNHUB_BASE_URL".into(), finnhub.uri()),
            ("MARKET_DATA_MAX_RETRIES".into(), "0".into()),
        ],
        ..Options::default()
    })
    .await;

    // Profiles belong to tickers: ingestion adds the row and the bars when it first sees the symbol
    // (a ticker without bars would be fetched first).
    sqlx::query("insert into tickers (symbol, name, source) values ('AAPL', 'AAPL', 'finnhub')")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query(
        "insert into daily_bars (symbol, date, open, high, low, close, volume, source)
         values ('AAPL', '2024-05-10', 183, 185, 182, 183.05, 50000000, 'finnhub')",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let (status, raw) = app.api("/overview/aapl").await;
    assert_eq!(status, 200, "{raw}");
    let p: CompanyProfile = serde_json::from_value(raw.clone()).unwrap();
    assert_eq!(p.symbol, "AAPL");
    assert_eq!(p.name, "Apple Inc");
    assert_eq!(p.source, "finnhub");
    assert_eq!(p.industry.as_deref(), Some("Technology"));
    // Finnhub writes the market cap in millions and the yield in percent.
    assert!((p.market_cap.unwrap() - 2_826_637.5e6).abs() < 1.0);
    assert!((p.dividend_yield.unwrap() - 0.5463).abs() < 1e-9);
    assert_eq!(p.pe_ratio, Some(28.49));
    assert_eq!((p.week52_high, p.week52_low), (Some(199.62), Some(164.08)));
    // Finnhub has no sector: absent, not empty.
    assert!(raw.get("sector").is_none(), "{raw}");

    let stored: Option<String> =
        sqlx::query_scalar("select provider from company_profiles where symbol = 'AAPL'")
            .fetch_optional(&app.pool)
            .await
            .unwrap();
    assert_eq!(stored.as_deref(), Some("finnhub"));
}

#[tokio::test]
async fn indicators_follow_the_charts_points_and_are_the_forecast_crates() {
    let app = spawn_app().await;
    for range in ["1M", "1Y", "5Y", "MAX"] {
        let s: TimeSeries = app.api_ok(&format!("/timeseries/GOOG?range={range}")).await;
        let i: IndicatorSeries = app.api_ok(&format!("/indicators/GOOG?range={range}")).await;
        let dates: Vec<&str> = s.points.iter().map(|p| p.date.as_str()).collect();
        assert_eq!(i.dates, dates, "{range}");
        assert_eq!(i.interval, s.interval, "{range}");
        let closes: Vec<f64> = s.points.iter().map(|p| p.close).collect();
        let n = closes.len();
        // The last SMA 20 is the mean of the chart's last 20 closes, as a reader would check.
        let sma20 = closes[n - 20..].iter().sum::<f64>() / 20.0;
        assert!((i.sma20[n - 1].unwrap() - sma20).abs() < 1e-9, "{range}");
        assert!(
            i.rsi14.iter().flatten().count() > n / 2,
            "{range}: RSI mostly blank"
        );
        assert!(
            i.bb_upper.iter().flatten().count() > n / 2,
            "{range}: bands mostly blank"
        );
        for rsi in i.rsi14.iter().flatten() {
            assert!((0.0..=100.0).contains(rsi), "{range}: {rsi}");
        }
        for (k, ((u, m), l)) in i
            .bb_upper
            .iter()
            .zip(&i.bb_middle)
            .zip(&i.bb_lower)
            .enumerate()
        {
            if let (Some(u), Some(m), Some(l)) = (u, m, l) {
                assert!(l <= m && m <= u, "{range} at {k}");
            }
        }
    }
    // One year of daily points is warmed up on the year before: SMA 200 is drawn from its first
    // point; the whole history has nothing before it, so its first 199 points are blank.
    let year: IndicatorSeries = app.api_ok("/indicators/GOOG?range=1Y").await;
    assert!(year.sma200[0].is_some());
    assert!(year.macd[0].is_some());
    let max: IndicatorSeries = app.api_ok("/indicators/GOOG?range=MAX").await;
    assert_eq!(max.sma200.iter().take_while(|v| v.is_none()).count(), 199);
    assert_eq!(max.rsi14.iter().take_while(|v| v.is_none()).count(), 14);
    // The same values as the forecast crate's RSI over the chart's closes.
    let s: TimeSeries = app.api_ok("/timeseries/GOOG?range=MAX").await;
    let closes: Vec<f64> = s.points.iter().map(|p| p.close).collect();
    let rsi = forecast::indicators::rsi(&closes, 14);
    assert!((max.rsi14[300].unwrap() - rsi[300]).abs() < 1e-9);

    let (status, body) = app.api("/indicators/GOOG?range=1D").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["dates"], json!([]));
    assert!(body["reason"].as_str().unwrap().contains("daily bars"));
    let (status, body) = app.api("/indicators/ZZZZ?range=1Y").await;
    assert_error(status, &body, 404, "unknown_symbol");
    let (status, body) = app.api("/indicators/GOOG?range=2W").await;
    assert_error(status, &body, 400, "invalid_range");
}

#[tokio::test]
async fn a_ticker_with_one_or_two_bars_charts_without_an_error() {
    let app = spawn_app().await;
    sqlx::query("insert into tickers (symbol, name, source) values ('TWO', 'Two Bars', 'polygon')")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query(
        "insert into daily_bars (symbol, date, open, high, low, close, volume) values \
         ('TWO', '2024-01-02', 10, 11, 9, 10.5, 1000), ('TWO', '2024-01-03', 10.5, 12, 10, 11.5, 1200)",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    for range in ["1M", "MAX"] {
        let s: TimeSeries = app.api_ok(&format!("/timeseries/TWO?range={range}")).await;
        assert_eq!(s.points.len(), 2, "{range}");
        let i: IndicatorSeries = app.api_ok(&format!("/indicators/TWO?range={range}")).await;
        assert_eq!(i.dates.len(), 2);
        assert!(i
            .sma20
            .iter()
            .chain(&i.rsi14)
            .chain(&i.macd)
            .all(Option::is_none));
    }
    let (status, body) = app.api("/quote/TWO").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app.api("/predictions/TWO").await;
    assert_eq!(status, 200, "{body}");
    // One daily change says nothing about spread: the baselines forecast every horizon with no
    // interval at all, never a zero-width one.
    for m in body["models"].as_array().unwrap() {
        if ["naive", "drift"].contains(&m["model"].as_str().unwrap()) {
            let steps = m["horizons"].as_array().unwrap();
            assert_eq!(steps.len(), 3, "{m}");
            for step in steps {
                for bound in ["lo95", "hi95", "lo99", "hi99"] {
                    assert!(step[bound].is_null(), "{bound} shown: {m}");
                }
            }
        } else {
            assert_eq!(m["status"], "insufficient_history", "{m}");
        }
    }
    let page = app.get("/stock/TWO").await;
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("data-testid=\"indicator-table\""));
}

use app::domain::ChartRange;
use app::model::{ModelState, Predictions, ServedFrom, TickerSummary, TimeSeries};

use crate::kit::{spawn_app, spawn_app_with, Options};

#[tokio::test]
async fn landing_page_is_server_rendered_with_every_bundled_ticker() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    for symbol in ["^GSPC", "^IXIC", "MSFT", "GOOG"] {
        assert!(
            html.contains(&format!("data-symbol=\"{symbol}\"")),
            "{symbol} missing"
        );
    }
    // GOOG's last bundled close (2013-03-01) and its change from 801.20.
    assert!(html.contains("806.19"));
    assert!(html.contains("+4.99 (+0.62%)"));
}

#[tokio::test]
async fn tickers_carry_last_close_and_one_day_change() {
    let app = spawn_app().await;
    let tickers: Vec<TickerSummary> = app.call_ok("list_tickers", &[]).await;
    let goog = tickers
        .iter()
        .find(|t| t.symbol.as_str() == "GOOG")
        .unwrap();
    assert_eq!(goog.last_date.to_string(), "2013-03-01");
    assert!((goog.last_close - 806.19).abs() < 1e-9);
    assert!((goog.change.unwrap() - 4.99).abs() < 1e-9);
}

#[tokio::test]
async fn unknown_and_malformed_tickers_are_404_during_ssr() {
    let app = spawn_app().await;
    for path in [
        "/stock/ZZZZ",
        "/stock/%24%24%24",
        "/stock/ABCDEFGHIJKL",
        "/predict/ZZZZ",
        "/no/such/page",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 404, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.contains("data-testid=\"not-found\""), "{path}");
    }
    let res = app.get("/stock/ZZZZ").await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("We have no data for the ticker ZZZZ."));
}

#[tokio::test]
async fn stock_page_renders_the_last_close_and_an_index_symbol_works() {
    let app = spawn_app().await;
    let res = app.get("/stock/GOOG").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("806.19"));
    assert!(html.contains("id=\"price-chart\""));

    let res = app.get("/stock/%5EGSPC").await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("S&amp;P 500 index"));
}

#[tokio::test]
async fn search_redirects_to_the_stock_page() {
    let app = spawn_app().await;
    let res = app.get("/stock?symbol=msft").await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(res.headers()["location"], "/stock/MSFT");
}

#[tokio::test]
async fn ranges_select_the_right_window_and_the_second_call_hits_redis() {
    let app = spawn_app().await;
    let first: TimeSeries = app
        .call_ok("price_series", &[("symbol", "GOOG"), ("range", "1M")])
        .await;
    assert_eq!(first.served_from, ServedFrom::Database);
    assert_eq!(first.range, ChartRange::M1);
    // 2013-02-01 .. 2013-03-01 holds 20 trading days (Presidents' Day closed the market).
    assert_eq!(first.points.first().unwrap().date, "2013-02-01");
    assert_eq!(first.points.last().unwrap().date, "2013-03-01");
    assert_eq!(first.points.len(), 20);

    let second: TimeSeries = app
        .call_ok("price_series", &[("symbol", "GOOG"), ("range", "1M")])
        .await;
    assert_eq!(second.served_from, ServedFrom::Cache);
    assert_eq!(second.points, first.points);

    let max: TimeSeries = app
        .call_ok("price_series", &[("symbol", "GOOG"), ("range", "MAX")])
        .await;
    // 2,148 daily bars, downsampled to 5-day buckets so the chart stays under 500 points.
    assert_eq!(max.interval, "5d");
    assert_eq!(max.points.len(), 430);
    let five: TimeSeries = app
        .call_ok("price_series", &[("symbol", "GOOG"), ("range", "5Y")])
        .await;
    assert_eq!(five.points.first().unwrap().date, "2008-03-03");
}

#[tokio::test]
async fn with_redis_down_pages_and_series_come_from_postgres() {
    // A port nothing listens on: every cache call fails fast.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let app = spawn_app_with(Options {
        redis_url: Some(format!("redis://127.0.0.1:{port}/")),
        ..Options::default()
    })
    .await;

    let res = app.get("/stock/GOOG").await;
    assert_eq!(res.status(), 200);
    for _ in 0..2 {
        let s: TimeSeries = app
            .call_ok("price_series", &[("symbol", "GOOG"), ("range", "1Y")])
            .await;
        assert_eq!(s.served_from, ServedFrom::Database);
        assert!(!s.points.is_empty());
    }
    let status: serde_json::Value = app.get("/api/status").await.json().await.unwrap();
    assert_eq!(status["status"], "degraded");
    assert_eq!(status["postgres"]["status"], "ok");
    assert_eq!(status["redis"]["status"], "error");
}

#[tokio::test]
async fn baseline_forecasts_cover_three_horizons_with_intervals_while_the_models_train() {
    // Nobody runs the queued training here: the answer is what the page shows meanwhile.
    let app = spawn_app_with(Options {
        env: vec![("APP_WORKERS".into(), "0".into())],
        ..Options::default()
    })
    .await;
    // Anonymous visitors never start training; a logged-in one does.
    let f: Predictions = app.call_ok("predictions", &[("symbol", "GOOG")]).await;
    assert!(f.job_id.is_none(), "nobody logged in: nothing queued");
    let untrained = f
        .models
        .iter()
        .find(|m| m.status == app::model::ModelState::NotTrainedYet)
        .expect("models wait for training");
    assert!(
        untrained
            .message
            .as_deref()
            .unwrap_or("")
            .contains("Log in"),
        "{untrained:?}"
    );
    app.register("trader").await;
    let f: Predictions = app.call_ok("predictions", &[("symbol", "GOOG")]).await;
    assert_eq!(f.as_of.to_string(), "2013-03-01");
    assert!(f.job_id.is_some(), "the other models are being trained");
    assert_eq!(f.recent.len(), 60);
    assert_eq!(f.recent.last().unwrap().date, f.as_of);
    let naive = f
        .models
        .iter()
        .find(|m| m.model.as_str() == "naive")
        .unwrap();
    let hs: Vec<usize> = naive.horizons.iter().map(|h| h.h).collect();
    assert_eq!(hs, [1, 2, 5]);
    for h in &naive.horizons {
        assert!((h.point - 806.19).abs() < 1e-9);
        let (lo, hi) = (h.lo95.unwrap(), h.hi95.unwrap());
        assert!(lo < h.point && h.point < hi);
    }
    // The interval widens with the horizon (√h for a random walk).
    let w = |i: usize| naive.horizons[i].hi95.unwrap() - naive.horizons[i].lo95.unwrap();
    assert!(w(2) > w(1) && w(1) > w(0));
    let drift = f
        .models
        .iter()
        .find(|m| m.model.as_str() == "drift")
        .unwrap();
    assert!(
        drift.horizons[2].point > drift.horizons[0].point,
        "GOOG trended up over the window"
    );
    let lstm = f
        .models
        .iter()
        .find(|m| m.model.as_str() == "lstm")
        .unwrap();
    assert_eq!(lstm.status, ModelState::Training);
    assert!(lstm.horizons.is_empty());
}

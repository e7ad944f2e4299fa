//! Predictions: computed from the stored bars, recorded, served from Redis or Postgres, compared
//! with the actuals once the target bars arrive; the batch and admin endpoints; the OpenAPI
//! document and its docs page.

use app::domain::{HistoryDays, Symbol};
use app::model::{ModelState, TradeSignal};
use app::ssr::PredictionService;
use chrono::NaiveDate;
use forecast::eval::Protocol;
use server::cache::Cache;
use server::predictions::Predictor;

use crate::kit::{
    assert_error_shape, seeded_database, spawn_app, spawn_app_with, Options, TestApp,
};

use std::time::{Duration, Instant};

/// A walk-forward protocol short enough for tests (the reference one has 250 origins).
fn short_protocol() -> Protocol {
    Protocol {
        origins: 40,
        ..Protocol::default()
    }
}

fn goog() -> Symbol {
    Symbol::parse("GOOG").unwrap()
}

/// A bar as stored: date, open, high, low, close, volume.
type StoredBar = (NaiveDate, f64, f64, f64, f64, i64);

/// Truncates GOOG after 2013-02-01 (a Friday), returning the removed bars to "arrive" later.
async fn hold_back(pool: &sqlx::PgPool) -> Vec<StoredBar> {
    sqlx::query_as(
        "delete from daily_bars where symbol = 'GOOG' and date > '2013-02-01'
         returning date, open, high, low, close, volume",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Stores `bars` of GOOG again, as a refresh would.
async fn arrive(pool: &sqlx::PgPool, bars: &[StoredBar]) {
    for (date, open, high, low, close, volume) in bars {
        sqlx::query(
            "insert into daily_bars (symbol, date, open, high, low, close, volume)
             values ('GOOG', $1, $2, $3, $4, $5, $6)",
        )
        .bind(date)
        .bind(open)
        .bind(high)
        .bind(low)
        .bind(close)
        .bind(volume)
        .execute(pool)
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn recorded_predictions_get_their_actuals_when_the_target_bars_arrive() {
    let (_url, pool) = seeded_database().await;
    // Truncate GOOG after 2013-02-01 (a Friday), keeping the removed bars to "arrive" later.
    let later = hold_back(&pool).await;
    assert!(later.len() > 10);
    let service = Predictor::new(pool.clone(), Cache::disabled()).with_protocol(short_protocol());

    let served = service.compute_and_record(&goog()).await.unwrap();
    assert_eq!(served.as_of.to_string(), "2013-02-01");
    let naive = served
        .models
        .iter()
        .find(|m| m.model.as_str() == "naive")
        .unwrap();
    assert_eq!(naive.status, ModelState::Ready);
    let targets: Vec<String> = naive
        .horizons
        .iter()
        .map(|h| h.target_date.to_string())
        .collect();
    // Feb 2013: no holiday in the first week, so 1, 2 and 5 sessions later are Mon, Tue and Fri.
    assert_eq!(targets, ["2013-02-04", "2013-02-05", "2013-02-08"]);
    let recorded: i64 =
        sqlx::query_scalar("select count(*) from predictions where symbol = 'GOOG'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(recorded, 6, "naive and drift, three horizons each");
    // Recording the same as-of again does not duplicate.
    service.compute_and_record(&goog()).await.unwrap();
    let again: i64 = sqlx::query_scalar("select count(*) from predictions where symbol = 'GOOG'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(again, 6);
    assert_eq!(
        service.fill_actuals(Some(&goog())).await.unwrap(),
        0,
        "no bars yet"
    );

    arrive(&pool, &later).await;
    assert_eq!(service.fill_actuals(None).await.unwrap(), 6);

    let history = PredictionService::history(&service, &goog(), HistoryDays::new(60).unwrap())
        .await
        .unwrap();
    let naive = history
        .models
        .iter()
        .find(|m| m.model.as_str() == "naive")
        .unwrap();
    assert_eq!(naive.filled, 3);
    let close_on = |d: &str| {
        later
            .iter()
            .find(|b| b.0.to_string() == d)
            .map(|b| b.4)
            .unwrap()
    };
    for p in &naive.points {
        assert_eq!(
            p.actual,
            Some(close_on(&p.target_date.to_string())),
            "{p:?}"
        );
        assert!(p.running_mae.is_some());
    }
    // The random walk measured against itself: MAE over naive MAE is exactly 1.
    assert!((naive.mae_rel_naive.unwrap() - 1.0).abs() < 1e-12);
    let drift = history
        .models
        .iter()
        .find(|m| m.model.as_str() == "drift")
        .unwrap();
    assert_eq!(drift.filled, 3);
    assert!(drift.mae.unwrap() > 0.0);
}

#[tokio::test]
async fn every_model_is_listed_and_untrained_ones_say_so() {
    let (_url, pool) = seeded_database().await;
    let service = Predictor::new(pool, Cache::disabled()).with_protocol(short_protocol());
    let p = service
        .predictions(&goog(), &app::domain::Caller::Anonymous)
        .await
        .unwrap();
    assert!(
        p.is_complete(),
        "without a queue the predictions are computed inline"
    );
    let models: Vec<&str> = p.models.iter().map(|m| m.model.as_str()).collect();
    assert_eq!(models, crate::kit::served_models());
    for m in &p.models {
        if m.model.as_str() == "naive" || m.model.as_str() == "drift" {
            assert_eq!(m.status, ModelState::Ready);
            assert_eq!(m.version, Some(0));
            let metrics = m.metrics.as_ref().expect("baselines are evaluated");
            assert_eq!(metrics.origins, 40);
            let hs: Vec<usize> = m.horizons.iter().map(|h| h.h).collect();
            assert_eq!(hs, [1, 2, 5]);
            for h in &m.horizons {
                assert!(h.lo99.unwrap() < h.lo95.unwrap() && h.hi95.unwrap() < h.hi99.unwrap());
            }
        } else {
            assert_eq!(m.status, ModelState::NotTrainedYet, "{m:?}");
            assert!(m.horizons.is_empty() && m.message.is_some());
        }
    }
    // The random walk never predicts a move, so it can never call a direction.
    let naive = &p.models[0];
    assert!(naive.horizons.iter().all(|h| h.signal == TradeSignal::Hold));
}

#[tokio::test]
async fn predictions_are_still_served_when_redis_is_down() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(Options {
        redis_url: Some(format!("redis://127.0.0.1:{port}")),
        env: vec![("APP_EVAL_ORIGINS".into(), "40".into())],
        ..Options::default()
    })
    .await;
    // Recorded predictions for the current as-of are served from Postgres, cache or not.
    Predictor::new(app.pool.clone(), Cache::disabled())
        .with_protocol(short_protocol())
        .compute_and_record(&goog())
        .await
        .unwrap();
    let (status, body) = app.get_json("/api/v1/predictions/GOOG").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["symbol"], "GOOG");
    assert_eq!(body["as_of"], "2013-03-01");
    let naive = body["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["model"] == "naive")
        .unwrap();
    assert_eq!(naive["horizons"].as_array().unwrap().len(), 3);
    assert_eq!(naive["horizons"][0]["target_date"], "2013-03-04");
}

#[tokio::test]
async fn prediction_errors_use_the_one_error_shape() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/v1/predictions/ZZZZ").await;
    assert_eq!(status, 404);
    assert_error_shape(&body, "unknown_symbol");
    let (status, body) = app.get_json("/api/v1/predictions/not%20a%20ticker").await;
    assert_eq!(status, 400);
    assert_error_shape(&body, "invalid_symbol");
    let (status, body) = app.get_json("/api/v1/history/GOOG?days=-3").await;
    assert_eq!(status, 400);
    assert_error_shape(&body, "bad_request");
    let (status, body) = app.get_json("/api/v1/history/GOOG?days=0").await;
    assert_eq!(status, 400);
    assert_error_shape(&body, "bad_request");
    let (status, body) = app.get_json("/api/v1/jobs/nope").await;
    assert_eq!(status, 400);
    assert_error_shape(&body, "bad_request");
    let (status, body) = app
        .get_json(&format!("/api/v1/jobs/{}", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(status, 404);
    assert_error_shape(&body, "unknown_job");
}

#[tokio::test]
async fn a_batch_of_more_than_fifty_symbols_is_rejected() {
    let app = spawn_app().await;
    let many: Vec<String> = (0..51).map(|i| format!("T{i}")).collect();
    let (status, body) = app
        .post_json(
            "/api/v1/predictions/batch",
            &serde_json::json!({ "symbols": many }),
            None,
        )
        .await;
    assert_eq!(status, 400);
    assert_error_shape(&body, "bad_request");
    assert!(body["error"]["message"].as_str().unwrap().contains("51"));
    let (status, body) = app
        .post_json(
            "/api/v1/predictions/batch",
            &serde_json::json!({ "tickers": ["GOOG"] }),
            None,
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_error_shape(&body, "bad_request");
}

#[tokio::test]
async fn a_batch_answers_each_symbol_on_its_own() {
    let app = spawn_app_with(Options {
        env: vec![("APP_EVAL_ORIGINS".into(), "40".into())],
        ..Options::default()
    })
    .await;
    Predictor::new(app.pool.clone(), Cache::disabled())
        .with_protocol(short_protocol())
        .compute_and_record(&goog())
        .await
        .unwrap();
    let (status, body) = app
        .post_json(
            "/api/v1/predictions/batch",
            &serde_json::json!({ "symbols": ["GOOG", "ZZZZ"] }),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let r = body["results"].as_array().unwrap();
    assert_eq!(r[0]["symbol"], "GOOG");
    assert_eq!(r[0]["status"], "ready");
    assert_eq!(r[0]["predictions"]["as_of"], "2013-03-01");
    assert_eq!(r[1]["status"], "error");
    // A malformed symbol is a malformed request: nothing is computed or counted for it.
    let (status, body) = app
        .post_json(
            "/api/v1/predictions/batch",
            &serde_json::json!({ "symbols": ["GOOG", "bad symbol!"] }),
            None,
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_symbol");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("BAD SYMBOL!"));
}

#[tokio::test]
async fn precompute_is_for_administrators_only() {
    let app = spawn_app_with(Options {
        env: vec![
            ("APP_EVAL_ORIGINS".into(), "40".into()),
            // Training may be queued; no worker here, so none runs.
            ("APP_WORKERS".into(), "0".into()),
        ],
        ..Options::default()
    })
    .await;
    let body = serde_json::json!({ "symbols": ["GOOG"] });
    let anonymous = TestApp::fresh_client();
    let post = |client: &reqwest::Client, key: Option<&str>| {
        let mut req = client
            .post(format!("{}/api/v1/admin/precompute", app.address))
            .json(&body);
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        req.send()
    };
    let res = post(&anonymous, None).await.unwrap();
    assert_eq!(res.status(), 401);
    assert_error_shape(&res.json().await.unwrap(), "unauthorized");
    let user_key = app.api_key("plain_user", false).await;
    let res = post(&anonymous, Some(&user_key)).await.unwrap();
    assert_eq!(res.status(), 403);
    assert_error_shape(&res.json().await.unwrap(), "forbidden");
    let res = post(&anonymous, Some("tc_notakey")).await.unwrap();
    assert_eq!(res.status(), 401);

    let admin_key = TestApp::api_key(&app, "the_admin", true).await;
    let res = post(&anonymous, Some(&admin_key)).await.unwrap();
    assert_eq!(res.status(), 202);
    let ok: serde_json::Value = res.json().await.unwrap();
    let item = &ok["results"][0];
    assert_eq!(item["status"], "ready", "{item}");
    assert_eq!(item["predictions"]["as_of"], "2013-03-01");
    // The models without a version are queued for training.
    let queued: i64 = sqlx::query_scalar(
        "select count(*) from jobs where symbol = 'GOOG' and kind = 'train' and status = 'queued'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(queued, crate::kit::models_to_train().len() as i64);
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let app = spawn_app().await;
    let (status, doc) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/quote/{symbol}", "get"),
        ("/api/v1/timeseries/{symbol}", "get"),
        ("/api/v1/overview/{symbol}", "get"),
        ("/api/v1/news", "get"),
        ("/api/v1/predictions/{symbol}", "get"),
        ("/api/v1/predictions/batch", "post"),
        ("/api/v1/history/{symbol}", "get"),
        ("/api/v1/jobs/{id}", "get"),
        ("/api/v1/models", "get"),
        ("/api/v1/admin/precompute", "post"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path} missing");
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for s in [
        "Predictions",
        "PredictedStep",
        "JobStatus",
        "ErrorBody",
        "Quote",
        "TimeSeries",
    ] {
        assert!(schemas.contains_key(s), "schema {s} missing");
    }
    // The answer shape the issue asks for, field by field.
    let step = &schemas["PredictedStep"]["properties"];
    for f in [
        "h",
        "target_date",
        "point",
        "lo95",
        "hi95",
        "lo99",
        "hi99",
        "signal",
        "confidence",
    ] {
        assert!(step[f].is_object(), "PredictedStep.{f} missing");
    }
    // Every reference points at a schema the document has (a client generator stops at one
    // that does not).
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 20);
    for r in refs {
        let name = r
            .strip_prefix("#/components/schemas/")
            .expect("a schema ref");
        assert!(schemas.contains_key(name), "{r} does not resolve");
    }
}

fn collect_refs(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            if let Some(serde_json::Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|x| collect_refs(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_docs_page_renders_the_document_without_external_urls() {
    let app = spawn_app().await;
    let res = app.get("/api/docs").await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(res
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();
    for needle in [
        "/api/v1/predictions/{symbol}",
        "/api/v1/timeseries/{symbol}",
        "PredictedStep",
        "ErrorBody",
        "/pkg/tickercast.css",
    ] {
        assert!(html.contains(needle), "{needle} missing from the docs page");
    }
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(!html.contains("<script"));
}

/// A ticker holding GOOG's first `rows` bars: short enough for every model to train in a test.
async fn short_ticker(app: &TestApp, symbol: &str, rows: i64) {
    sqlx::query(
        "insert into tickers (symbol, name, source) values ($1, 'Test copy of GOOG', 'test')",
    )
    .bind(symbol)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into daily_bars (symbol, date, open, high, low, close, volume)
         select $1, date, open, high, low, close, volume from daily_bars
         where symbol = 'GOOG' order by date limit $2",
    )
    .bind(symbol)
    .bind(rows)
    .execute(&app.pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn fifty_concurrent_cold_requests_queue_one_training_job_per_model() {
    let app = spawn_app_with(Options {
        env: vec![("APP_WORKERS".into(), "0".into())],
        ..Options::default()
    })
    .await;
    let key = std::sync::Arc::new(app.api_key("quant", false).await);
    let app = std::sync::Arc::new(app);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (app, key) = (app.clone(), key.clone());
        tasks.spawn(async move { app.get_json_with("/api/v1/predictions/MSFT", &key).await });
    }
    let mut job_ids = std::collections::HashSet::new();
    while let Some(r) = tasks.join_next().await {
        let (status, body) = r.unwrap();
        assert_eq!(status, 202, "{body}");
        job_ids.insert(body["job_id"].as_str().unwrap().to_string());
    }
    assert_eq!(
        job_ids.len(),
        1,
        "every request polls the same job: {job_ids:?}"
    );
    let per_model: Vec<(String, i64)> = sqlx::query_as(
        "select model, count(*) from jobs where symbol = 'MSFT' and kind = 'train'
         group by model order by model",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let models: Vec<&str> = per_model.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(models, crate::kit::models_to_train());
    assert!(per_model.iter().all(|(_, n)| *n == 1), "{per_model:?}");
    // While they are queued, the job answers with its real state.
    let id = job_ids.into_iter().next().unwrap();
    let (status, job) = app.get_json(&format!("/api/v1/jobs/{id}")).await;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["status"], "queued");
    assert_eq!(job["progress"], 0);
}

#[tokio::test]
async fn a_cold_symbol_answers_202_then_every_model_once_trained() {
    let app = spawn_app_with(Options {
        env: vec![
            ("APP_EVAL_ORIGINS".into(), "20".into()),
            ("APP_EVAL_REFIT_EVERY".into(), "20".into()),
            ("APP_JOB_POLL_SECS".into(), "1".into()),
            ("APP_WORKERS".into(), "1".into()),
        ],
        ..Options::default()
    })
    .await;
    short_ticker(&app, "GOOGS", 400).await;
    let key = app.api_key("quant", false).await;
    let (status, body) = app.get_json_with("/api/v1/predictions/GOOGS", &key).await;
    assert_eq!(status, 202, "{body}");
    let job_id = body["job_id"].as_str().unwrap().to_string();
    let start = Instant::now();
    let mut last_progress = -1;
    loop {
        let (status, job) = app.get_json(&format!("/api/v1/jobs/{job_id}")).await;
        assert_eq!(status, 200, "{job}");
        let progress = job["progress"].as_i64().unwrap();
        assert!((0..=100).contains(&progress));
        assert!(
            progress >= last_progress || job["status"] == "queued",
            "{job}"
        );
        last_progress = progress;
        assert_ne!(job["status"], "failed", "{job}");
        if job["status"] == "done" {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(900),
            "job still {job}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Other models may still be finishing: poll the predictions until every model is ready.
    loop {
        let (status, body) = app.get_json("/api/v1/predictions/GOOGS").await;
        if status == 200 {
            let models = body["models"].as_array().unwrap();
            assert_eq!(models.len(), crate::kit::served_models().len());
            if models.iter().all(|m| m["status"] == "ready") {
                for m in models {
                    let hs: Vec<i64> = m["horizons"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|h| h["h"].as_i64().unwrap())
                        .collect();
                    assert_eq!(hs, [1, 2, 5], "{m}");
                    assert!(m["metrics"]["horizons"].is_array(), "{m}");
                }
                let trained = models.iter().filter(|m| m["version"].as_i64() >= Some(1));
                let baselines = forecast::ModelId::served()
                    .iter()
                    .filter(|m| m.is_baseline())
                    .count();
                assert_eq!(
                    trained.count(),
                    crate::kit::served_models().len() - baselines
                );
                break;
            }
        } else {
            assert_eq!(status, 202, "{body}");
        }
        if start.elapsed() > Duration::from_secs(900) {
            let failed: Vec<(String, Option<String>)> = sqlx::query_as(
                "select model, error from jobs where symbol = 'GOOGS' and status = 'failed'",
            )
            .fetch_all(&app.pool)
            .await
            .unwrap();
            panic!("not every model ready; failed jobs: {failed:?}; answer: {body}");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[tokio::test]
async fn the_predict_page_server_functions_serve_the_same_predictions() {
    let app = spawn_app_with(Options {
        env: vec![("APP_WORKERS".into(), "0".into())],
        ..Options::default()
    })
    .await;
    Predictor::new(app.pool.clone(), Cache::disabled())
        .with_protocol(short_protocol())
        .compute_and_record(&goog())
        .await
        .unwrap();
    let p: app::model::Predictions = app.call_ok("predictions", &[("symbol", "goog")]).await;
    assert!(p.is_complete(), "recorded predictions are served: {p:?}");
    let (_, api) = app.get_json("/api/v1/predictions/GOOG").await;
    assert_eq!(serde_json::to_value(&p).unwrap(), api);
    let err = app
        .call_err(
            "prediction_job",
            &[("id", &uuid::Uuid::new_v4().to_string())],
        )
        .await;
    assert!(matches!(err, app::error::AppError::NotFound(_)), "{err:?}");
    let history: app::model::PredictionHistory = app
        .call_ok("prediction_history", &[("symbol", "GOOG"), ("days", "30")])
        .await;
    assert_eq!(history.models.len(), 2, "naive and drift were recorded");
}

/// GOOG's history as a provider stores it had GOOG split 4:1 on 2011-06-01: every raw bar before
/// the split at four times the price and a quarter of the volume, the split recorded beside them.
/// `CTRL` is the same history without a split. (Volumes are made divisible by four so both
/// adjusted histories are exactly equal: a split by a power of two is exact in binary.)
async fn split_and_control(pool: &sqlx::PgPool) {
    for (symbol, name) in [("SPLT", "Split copy"), ("CTRL", "Control copy")] {
        sqlx::query("insert into tickers (symbol, name, source) values ($1, $2, 'test')")
            .bind(symbol)
            .bind(name)
            .execute(pool)
            .await
            .unwrap();
    }
    sqlx::query(
        "insert into daily_bars (symbol, date, open, high, low, close, volume)
         select 'CTRL', date, open, high, low, close, volume * 4 from daily_bars
         where symbol = 'GOOG'",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into daily_bars (symbol, date, open, high, low, close, volume)
         select 'SPLT', date,
                case when date < '2011-06-01' then open * 4 else open end,
                case when date < '2011-06-01' then high * 4 else high end,
                case when date < '2011-06-01' then low * 4 else low end,
                case when date < '2011-06-01' then close * 4 else close end,
                case when date < '2011-06-01' then volume else volume * 4 end
         from daily_bars where symbol = 'GOOG'",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into corporate_actions (symbol, ex_date, kind, value, source)
         values ('SPLT', '2011-06-01', 'split', 4.0, 'test')",
    )
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_split_recorded_in_the_raw_bars_leaves_every_models_forecast_unchanged() {
    use forecast::registry::{ModelId, ModelSpec};
    use forecast::{Fit, Horizon, Level, Ohlcv, Predict};
    use server::market::store::bars;

    let (_url, pool) = seeded_database().await;
    split_and_control(&pool).await;
    let (split, control) = (crate::kit::sym("SPLT"), crate::kit::sym("CTRL"));

    // What every model reads is the adjusted history, identical for both.
    let split_history = bars::model_history(&pool, &split).await.unwrap();
    let control_history = bars::model_history(&pool, &control).await.unwrap();
    assert_eq!(split_history, control_history);
    // The raw bars really do hold the split: read raw, the history would show a crash.
    let raw = bars::daily_bars(&pool, &split, None, None, bars::Adjustment::Raw)
        .await
        .unwrap();
    assert_ne!(raw.first().unwrap().close, control_history[0].close);

    // The baselines, served: same points and intervals from both.
    let service = Predictor::new(pool.clone(), Cache::disabled()).with_protocol(short_protocol());
    let a = service.compute_and_record(&split).await.unwrap();
    let b = service.compute_and_record(&control).await.unwrap();
    assert_eq!(a.recent, b.recent);
    for (x, y) in a.models.iter().zip(&b.models) {
        assert_eq!(x.horizons, y.horizons, "{}", x.model);
    }

    // Every served model, fitted on each history as a training job does (the last 700 bars keep
    // the test quick and still straddle the split): identical forecasts.
    let tail = |h: &[forecast::series::Bar]| Ohlcv::from_bars(&h[h.len() - 700..]).unwrap();
    let (split_series, control_series) = (tail(&split_history), tail(&control_history));
    let horizons = Horizon::standard();
    let levels = [Level::new(0.95).unwrap()];
    for &id in ModelId::served() {
        let spec = ModelSpec::default_for(id, 0).unwrap();
        let on_split = spec
            .fit(&split_series)
            .unwrap()
            .predict(&split_series, &horizons, &levels)
            .unwrap();
        let on_control = spec
            .fit(&control_series)
            .unwrap()
            .predict(&control_series, &horizons, &levels)
            .unwrap();
        assert_eq!(on_split, on_control, "{id}");
    }
}

#[tokio::test]
async fn the_track_record_page_shows_a_recorded_forecast_beside_its_actual() {
    let app = spawn_app_with(Options {
        env: vec![("APP_EVAL_ORIGINS".into(), "40".into())],
        ..Options::default()
    })
    .await;
    let empty = app.get("/track/GOOG").await.text().await.unwrap();
    assert!(empty.contains("track-empty"), "nothing recorded yet");
    // Forecasts served from 2013-02-01; the later bars then arrive.
    let later = hold_back(&app.pool).await;
    let service =
        Predictor::new(app.pool.clone(), Cache::disabled()).with_protocol(short_protocol());
    let served = service.compute_and_record(&goog()).await.unwrap();
    let drift = served
        .models
        .iter()
        .find(|m| m.model.as_str() == "drift")
        .unwrap();
    let forecast = drift.horizons[0].point;
    arrive(&app.pool, &later).await;
    service.fill_actuals(Some(&goog())).await.unwrap();

    let html = app.get("/track/GOOG?h=1").await.text().await.unwrap();
    assert!(html.contains("track-summary"), "{html}");
    assert!(html.contains("track-recent"), "{html}");
    // The drift's 1-day forecast for Monday 2013-02-04, beside that day's close.
    let actual = later
        .iter()
        .find(|b| b.0.to_string() == "2013-02-04")
        .map(|b| b.4)
        .unwrap();
    let row = html
        .split("<tr>")
        .find(|r| r.contains("2013-02-04") && r.contains("Random walk with drift"))
        .unwrap_or_else(|| panic!("no drift row for 2013-02-04 in {html}"));
    assert!(
        row.contains(&app::components::format::price(forecast)),
        "{row}"
    );
    assert!(
        row.contains(&app::components::format::price(actual)),
        "{row}"
    );
}

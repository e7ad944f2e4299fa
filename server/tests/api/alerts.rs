//! Alerts against the real server: rules through the API, a refresh that crosses a level firing
//! each rule exactly once across two instances, the notification on its owner's stream only.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use server::jobs::JobSpec;
use wiremock::MockServer;

use crate::ingest::{chart, serve, Row, WEEK_OF_17_AUG};
use crate::kit::{assert_error, spawn_app_with, sym, Options, TestApp};
use crate::stream::SseReader;

fn yahoo_env(yahoo: &MockServer, workers: &str) -> Vec<(String, String)> {
    [
        ("MARKET_DATA_PROVIDERS", "yahoo".to_owned()),
        ("YAHOO_BASE_URL", yahoo.uri()),
        ("MARKET_DATA_MAX_RETRIES", "0".to_owned()),
        ("APP_WORKERS", workers.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// Runs a refresh of ACME on `app`'s worker to its end.
async fn refresh(app: &TestApp) {
    let job = app
        .jobs
        .enqueue(JobSpec::refresh(&sym("ACME")))
        .await
        .unwrap();
    finish(app, job.id).await;
}

/// Waits for job `id` to be done.
async fn finish(app: &TestApp, id: app::domain::JobId) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let j = app.jobs.get(id).await.unwrap();
        if j.status.is_finished() {
            assert_eq!(j.status, app::domain::JobState::Done, "{j:?}");
            return;
        }
        assert!(Instant::now() < deadline, "refresh still {j:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// GET with `key`: status and body.
async fn get(app: &TestApp, path: &str, key: &str) -> (u16, serde_json::Value) {
    app.get_json_with(path, key).await
}

/// A JSON request with `key` and no cookies.
async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: Option<&str>,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let mut req = TestApp::fresh_client()
        .request(method, format!("{}{path}", app.address))
        .json(&body);
    if let Some(key) = key {
        req = req.header("X-API-Key", key);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(json!(text)))
}

#[tokio::test]
async fn rules_are_each_accounts_own_and_checked_on_the_way_in() {
    let app = spawn_app_with(Options::default()).await;
    let alice = app.api_key("alice", false).await;
    let bob = app.api_key("bob", false).await;
    let post = reqwest::Method::POST;

    let (status, body) = send(&app, post.clone(), "/api/v1/alerts", None, json!({})).await;
    assert_error(status, &body, 401, "unauthorized");
    for (bad, status_code, code) in [
        (
            json!({"symbol": "AAPL", "rule": "price_above", "level": -5}),
            400,
            "bad_request",
        ),
        (
            json!({"symbol": "AAPL", "rule": "price_sideways", "level": 5}),
            400,
            "bad_request",
        ),
        (
            json!({"symbol": "AAPL", "rule": "price_above", "level": 5, "repeat_hours": 0}),
            400,
            "bad_request",
        ),
        (
            json!({"symbol": "a b", "rule": "price_above", "level": 5}),
            400,
            "bad_request",
        ),
        (
            json!({"symbol": "ZZZZQ", "rule": "price_above", "level": 5}),
            404,
            "unknown_symbol",
        ),
    ] {
        let (status, body) = send(
            &app,
            post.clone(),
            "/api/v1/alerts",
            Some(&alice),
            bad.clone(),
        )
        .await;
        assert_error(status, &body, status_code, code);
    }

    let rule = json!({"symbol": "GOOG", "rule": "price_below", "level": 90.5, "repeat_hours": 24});
    let (status, made) = send(&app, post.clone(), "/api/v1/alerts", Some(&alice), rule).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["rule"], "price_below");
    assert_eq!(made["level"], 90.5);
    assert_eq!(made["repeat_hours"], 24);
    assert_eq!(made["active"], true);
    assert_eq!(made["description"], "closes at or below 90.50");
    let id = made["id"].as_str().unwrap();

    let (_, mine) = get(&app, "/api/v1/alerts", &alice).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let (_, theirs) = get(&app, "/api/v1/alerts", &bob).await;
    assert_eq!(theirs, json!([]), "bob sees none of alice's");
    let path = format!("/api/v1/alerts/{id}");
    let delete = reqwest::Method::DELETE;
    let (status, body) = send(&app, delete.clone(), &path, Some(&bob), json!(null)).await;
    assert_error(status, &body, 404, "unknown_alert");
    let (status, _) = send(&app, delete.clone(), &path, Some(&alice), json!(null)).await;
    assert_eq!(status, 204);
    let (_, mine) = get(&app, "/api/v1/alerts", &alice).await;
    assert_eq!(mine, json!([]));
    let (status, body) = send(
        &app,
        delete,
        "/api/v1/alerts/nope",
        Some(&alice),
        json!(null),
    )
    .await;
    assert_error(status, &body, 400, "bad_request");
}

#[tokio::test]
async fn a_refresh_that_crosses_a_level_fires_each_rule_once_across_two_instances() {
    let yahoo = MockServer::start().await;
    let first_days: Vec<Row> = WEEK_OF_17_AUG[..4].to_vec();
    serve(&yahoo, chart(&first_days, &[], &[])).await;
    let app = spawn_app_with(Options {
        env: yahoo_env(&yahoo, "1"),
        ..Options::default()
    })
    .await;
    // Another instance of the deployment: no worker; it hears the first's events and evaluates
    // the same rules.
    let other = spawn_app_with(app.sibling(yahoo_env(&yahoo, "0"))).await;
    refresh(&app).await; // ACME is stored, closing at 104 on 20 August.

    let alice = app.api_key("alice", false).await;
    let bob = other.api_key("bob", false).await;
    let post = reqwest::Method::POST;
    let mut ids = Vec::new();
    for rule in [
        json!({"symbol": "ACME", "rule": "price_above", "level": 104.5}),
        json!({"symbol": "ACME", "rule": "price_above", "level": 104.8, "repeat_hours": 1}),
        json!({"symbol": "ACME", "rule": "price_above", "level": 110}),
        json!({"symbol": "ACME", "rule": "price_below", "level": 100}),
    ] {
        let (status, made) = send(&app, post.clone(), "/api/v1/alerts", Some(&alice), rule).await;
        assert_eq!(status, 201, "{made}");
        ids.push(made["id"].as_str().unwrap().to_owned());
    }
    let (status, _) = send(
        &app,
        post.clone(),
        "/api/v1/alerts",
        Some(&bob),
        json!({"symbol": "ACME", "rule": "price_above", "level": 104.2}),
    )
    .await;
    assert_eq!(status, 201);

    // Alice follows her alerts on the other instance; an anonymous stream follows ACME.
    let mut hers = SseReader::open(
        &other,
        "/api/v1/stream?kind=alert",
        &[("X-API-Key", &alice)],
    )
    .await;
    let mut anyone = SseReader::open(&other, "/api/v1/stream?symbol=ACME", &[]).await;

    // The next session closes at 105: above 104.5 and 104.8 (and bob's 104.2), not 110. An
    // administrator has it fetched now, as the after-close schedule would.
    serve(&yahoo, chart(WEEK_OF_17_AUG, &[], &[])).await;
    let root = app.api_key("root", true).await;
    let refresh_path = "/api/v1/admin/refresh/ACME";
    let (status, body) = send(&app, post.clone(), refresh_path, Some(&alice), json!(null)).await;
    assert_error(status, &body, 403, "forbidden");
    let (status, body) = send(
        &app,
        post.clone(),
        "/api/v1/admin/refresh/ZZZZQ",
        Some(&root),
        json!(null),
    )
    .await;
    assert_error(status, &body, 404, "unknown_symbol");
    let (status, job) = send(&app, post.clone(), refresh_path, Some(&root), json!(null)).await;
    assert_eq!(status, 202, "{job}");
    finish(
        &app,
        app::domain::JobId::parse(job["id"].as_str().unwrap()).unwrap(),
    )
    .await;

    let mut fired = Vec::new();
    while let Some(e) = hers.next(Duration::from_secs(10)).await {
        if e.event == "alert" {
            fired.push(e);
        }
        if fired.len() == 2 {
            break;
        }
    }
    assert_eq!(fired.len(), 2, "alice's two crossed rules: {fired:#?}");
    let mut fired_ids: Vec<&str> = fired
        .iter()
        .map(|e| e.data["notification"]["alert"].as_str().unwrap())
        .collect();
    fired_ids.sort();
    let mut expected = vec![ids[0].as_str(), ids[1].as_str()];
    expected.sort();
    assert_eq!(fired_ids, expected);
    let n = &fired[0].data["notification"];
    assert_eq!(n["symbol"], "ACME");
    assert_eq!(n["close"], 105.0);
    assert_eq!(n["previous_close"], 104.0);
    assert_eq!(n["date"], "2020-08-21");
    // Nothing more for alice: each rule fired once, though both instances evaluated it.
    assert!(hers.next(Duration::from_secs(2)).await.is_none());
    let rows: i64 = sqlx::query_scalar("select count(*) from alert_firings")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(rows, 3, "alice's two and bob's one, each once");
    // Nobody else's stream carries alice's alerts.
    let seen = anyone
        .until(Duration::from_secs(5), |e| e.event == "bars")
        .await;
    assert!(seen.iter().all(|e| e.event != "alert"), "{seen:#?}");
    assert!(anyone
        .next(Duration::from_secs(1))
        .await
        .is_none_or(|e| e.event != "alert"));

    // The notifications, with the values that fired them; the one-shot rule stopped.
    let (status, list) = get(&other, "/api/v1/notifications", &alice).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["unread"], 2);
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert!(list["items"][0]["message"]
        .as_str()
        .unwrap()
        .contains("ACME closed at 105.00 on 2020-08-21"));
    let (_, rules) = get(&app, "/api/v1/alerts", &alice).await;
    let state = |id: &str| {
        rules
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| (r["active"].clone(), r["last_fired_at"].is_string()))
            .unwrap()
    };
    assert_eq!(state(&ids[0]), (json!(false), true), "one-shot: stopped");
    assert_eq!(
        state(&ids[1]),
        (json!(true), true),
        "repeating: still watching"
    );
    assert_eq!(state(&ids[2]), (json!(true), false), "110 not reached");
    assert_eq!(state(&ids[3]), (json!(true), false), "a rise is no fall");

    // Reading them: all, or up to one.
    let newest = list["items"][0]["id"].as_i64().unwrap();
    let oldest = list["items"][1]["id"].as_i64().unwrap();
    let read = "/api/v1/notifications/read";
    let (status, left) = send(
        &app,
        post.clone(),
        read,
        Some(&alice),
        json!({"through": oldest}),
    )
    .await;
    assert_eq!((status, left["unread"].clone()), (200, json!(1)));
    let (_, left) = send(&app, post.clone(), read, Some(&alice), json!({})).await;
    assert_eq!(left["unread"], 0);
    let (_, list) = get(&app, "/api/v1/notifications", &alice).await;
    assert_eq!(list["items"][0]["id"], newest);
    assert_eq!(list["items"][0]["read"], true);
    let (_, list) = get(&app, "/api/v1/notifications", &bob).await;
    assert_eq!(list["unread"], 1, "bob's own, unread");
}

/// Records a one-day forecast of `model` for GOOG made at `as_of` for `target`, as the
/// prediction service would.
async fn record_forecast(
    app: &TestApp,
    (as_of, target): (chrono::NaiveDate, chrono::NaiveDate),
    last_close: f64,
    (lo95, hi95): (f64, f64),
    signal: &str,
) {
    sqlx::query(
        "insert into predictions (symbol, model, version, as_of, horizon, target_date, last_close,
                                  point, lo95, hi95, signal, confidence)
         values ('GOOG', 'autoarima', 1, $1, 1, $2, $3, $4, $5, $6, $7, 0.6)",
    )
    .bind(as_of)
    .bind(target)
    .bind(last_close)
    .bind((lo95 + hi95) / 2.0)
    .bind(lo95)
    .bind(hi95)
    .bind(signal)
    .execute(&app.pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_close_outside_a_models_range_and_a_changed_signal_fire_their_rules_once() {
    let app = spawn_app_with(Options {
        env: vec![("APP_WORKERS".into(), "0".into())],
        ..Options::default()
    })
    .await;
    let alice = app.api_key("alice", false).await;
    let post = reqwest::Method::POST;
    for (rule, status_code) in [
        (
            json!({"symbol": "GOOG", "rule": "outside_range", "model": "naive"}),
            400,
        ),
        (json!({"symbol": "GOOG", "rule": "signal_change"}), 400),
        (
            json!({"symbol": "GOOG", "rule": "outside_range", "model": "autoarima", "level": 5}),
            400,
        ),
        (
            json!({"symbol": "GOOG", "rule": "outside_range", "model": "autoarima"}),
            201,
        ),
        (
            json!({"symbol": "GOOG", "rule": "signal_change", "model": "autoarima"}),
            201,
        ),
    ] {
        let rule_text = rule.to_string();
        let (status, body) = send(&app, post.clone(), "/api/v1/alerts", Some(&alice), rule).await;
        assert_eq!(status, status_code, "{rule_text}: {body}");
    }
    let (_, rules) = get(&app, "/api/v1/alerts", &alice).await;
    let described: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["description"].as_str().unwrap())
        .collect();
    assert!(
        described.contains(&"closes outside autoarima's 95% range"),
        "{described:?}"
    );
    assert!(
        described.contains(&"autoarima's 1-day signal changes"),
        "{described:?}"
    );

    // GOOG's last two sessions, and a forecast for the last one whose range it closed below.
    let days: Vec<(chrono::NaiveDate, f64)> = sqlx::query_as(
        "select date, close from daily_bars where symbol = 'GOOG' order by date desc limit 2",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let [(last, close), (before, previous)] = days[..] else {
        panic!("GOOG has bars")
    };
    record_forecast(
        &app,
        (before, last),
        previous,
        (close + 1.0, close + 9.0),
        "HOLD",
    )
    .await;
    server::predictions::store::fill_actuals(&app.pool, Some(&sym("GOOG")))
        .await
        .unwrap();
    app.announce_elsewhere(json!({"kind": "bars_changed", "symbol": "GOOG"}))
        .await;
    // A new forecast whose signal is no longer HOLD.
    let next = last + chrono::Days::new(1);
    record_forecast(&app, (last, next), close, (close - 5.0, close + 5.0), "BUY").await;
    for _ in 0..2 {
        app.announce_elsewhere(json!({"kind": "predictions_changed", "symbol": "GOOG"}))
            .await;
    }

    let deadline = Instant::now() + Duration::from_secs(10);
    let list = loop {
        let (_, list) = get(&app, "/api/v1/notifications", &alice).await;
        if list["items"].as_array().unwrap().len() >= 2 || Instant::now() > deadline {
            break list;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, again) = get(&app, "/api/v1/notifications", &alice).await;
    assert_eq!(
        again["items"].as_array().unwrap().len(),
        2,
        "each once: {again:#}"
    );
    let messages: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("outside autoarima's 95% range")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("changed from HOLD to BUY")),
        "{messages:?}"
    );
    let range = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["message"].as_str().unwrap().contains("range"))
        .unwrap();
    assert_eq!(range["close"], close);
    assert_eq!(range["level"], Value::Null);
}

#[tokio::test]
async fn a_model_whose_live_error_drifts_past_its_record_fires_its_drift_rule() {
    let app = spawn_app_with(Options {
        env: vec![("APP_WORKERS".into(), "0".into())],
        ..Options::default()
    })
    .await;
    let alice = app.api_key("alice", false).await;
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/alerts",
        Some(&alice),
        json!({"symbol": "GOOG", "rule": "drift", "model": "autoarima"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    // A current version whose walk-forward error was 0.9 of the random walk's.
    sqlx::query(
        "insert into model_versions (id, symbol, model, version, params, data_first, data_last,
             rows, metrics, eval_first, eval_last, eval_origins, score, artifact_key,
             artifact_sha256, artifact_bytes, status)
         values ($1, 'GOOG', 'autoarima', 1, '{}', '2004-08-19', '2013-03-01', 2000, '{}',
                 '2012-01-03', '2013-03-01', 250, 0.9, 'test', repeat('0', 64), 1, 'current')",
    )
    .bind(uuid::Uuid::new_v4())
    .execute(&app.pool)
    .await
    .unwrap();
    // Its forecasts for GOOG's last sessions, each missing by ten times what the random walk did.
    let days: Vec<(chrono::NaiveDate, f64)> = sqlx::query_as(
        "select date, close from daily_bars where symbol = 'GOOG' order by date desc limit 21",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let announce_and_count = |n: usize| {
        let app = &app;
        let alice = &alice;
        async move {
            app.announce_elsewhere(json!({"kind": "bars_changed", "symbol": "GOOG"}))
                .await;
            tokio::time::sleep(Duration::from_millis(700)).await;
            let (_, list) = get(app, "/api/v1/notifications", alice).await;
            assert_eq!(list["items"].as_array().unwrap().len(), n, "{list:#}");
            list
        }
    };
    for pair in days.windows(2).take(19) {
        let ((target, actual), (as_of, _)) = (pair[0], pair[1]);
        record_forecast(
            &app,
            (as_of, target),
            actual + 1.0,
            (actual, actual + 20.0),
            "HOLD",
        )
        .await;
    }
    fill(&app).await;
    // 19 filled forecasts are too few to judge.
    announce_and_count(0).await;
    let ((target, actual), (as_of, _)) = (days[19], days[20]);
    record_forecast(
        &app,
        (as_of, target),
        actual + 1.0,
        (actual, actual + 20.0),
        "HOLD",
    )
    .await;
    fill(&app).await;
    let list = announce_and_count(1).await;
    let message = list["items"][0]["message"].as_str().unwrap();
    assert!(
        message
            .contains("autoarima's live error on GOOG over its last 20 forecasts is 10.00 times"),
        "{message}"
    );
    assert!(message.contains("past its walk-forward 0.90"), "{message}");
}

async fn fill(app: &TestApp) {
    server::predictions::store::fill_actuals(&app.pool, Some(&sym("GOOG")))
        .await
        .unwrap();
}

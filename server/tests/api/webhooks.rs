//! Webhooks against the real server and a local receiver: signed deliveries a receiver can
//! verify, retries with growing waits for a failing one until it is switched off, targets on
//! private addresses refused unless allowed, and each account's webhooks its own.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use server::webhooks::signature;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::kit::{assert_error, spawn_app_with, Options, TestApp};

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A JSON request with `key` and no cookies: status and body.
async fn send(
    app: &TestApp,
    m: reqwest::Method,
    path: &str,
    key: &str,
    body: Value,
) -> (u16, Value) {
    let res = TestApp::fresh_client()
        .request(m, format!("{}{path}", app.address))
        .header("X-API-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(json!(text)))
}

/// Asks for a test event to webhook `id`: the status and body.
async fn test_event(app: &TestApp, key: &str, id: &str) -> (u16, Value) {
    send(
        app,
        reqwest::Method::POST,
        &format!("/api/v1/webhooks/{id}/test"),
        key,
        json!(null),
    )
    .await
}

/// Makes a webhook to `url` taking `kinds`: its id and secret.
async fn hook(app: &TestApp, key: &str, url: &str, kinds: Value) -> (String, String) {
    let (status, made) = send(
        app,
        reqwest::Method::POST,
        "/api/v1/webhooks",
        key,
        json!({"url": url, "kinds": kinds}),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    (
        made["webhook"]["id"].as_str().unwrap().to_owned(),
        made["secret"].as_str().unwrap().to_owned(),
    )
}

/// The delivery log of webhook `id`, polled until `done` holds for it (or `wait` passes).
async fn log_until(
    app: &TestApp,
    key: &str,
    id: &str,
    wait: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + wait;
    loop {
        let (status, log) = app
            .get_json_with(&format!("/api/v1/webhooks/{id}/deliveries"), key)
            .await;
        assert_eq!(status, 200, "{log}");
        if done(&log) {
            return log;
        }
        assert!(
            Instant::now() < deadline,
            "delivery log never got there: {log:#}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn a_receiver_verifies_each_signed_delivery_and_gets_each_event_once() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&receiver)
        .await;
    let app = spawn_app_with(Options {
        env: env(&[("WEBHOOK_ALLOW_PRIVATE", "true")]),
        ..Options::default()
    })
    .await;
    // A second instance hears the same events; the receiver still gets each once.
    let _other = spawn_app_with(app.sibling(env(&[
        ("WEBHOOK_ALLOW_PRIVATE", "true"),
        ("APP_WORKERS", "0"),
    ])))
    .await;
    let alice = app.api_key("alice", false).await;
    let url = format!("{}/hook", receiver.uri());
    let (id, secret) = hook(&app, &alice, &url, json!(["bars"])).await;

    // A test event, then new bars announced by another process on the shared log.
    let (status, queued) = test_event(&app, &alice, &id).await;
    assert_eq!(status, 202, "{queued}");
    app.announce_elsewhere(json!({"kind": "bars_changed", "symbol": "GOOG"}))
        .await;

    let log = log_until(&app, &alice, &id, Duration::from_secs(30), |log| {
        log.as_array().unwrap().len() == 2
            && log
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["status"] == "delivered")
    })
    .await;
    let first = &log.as_array().unwrap()[1]["attempts"][0];
    assert_eq!(first["attempt"], 1);
    assert_eq!(first["status_code"], 204);
    assert!(first["latency_ms"].as_i64().unwrap() >= 0);

    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = receiver.received_requests().await.unwrap();
    assert_eq!(got.len(), 2, "each event once");
    let now = chrono::Utc::now().timestamp();
    let mut kinds = Vec::new();
    for request in &got {
        let body = String::from_utf8(request.body.clone()).unwrap();
        let header = request.headers["tickercast-signature"].to_str().unwrap();
        // What a receiver does with the secret it was shown once.
        assert_eq!(signature::verify(&secret, header, &body, now), Ok(()));
        assert!(signature::verify("whsec_wrong", header, &body, now).is_err());
        assert!(signature::verify(&secret, header, &body.replace('}', " }"), now).is_err());
        assert!(
            signature::verify(&secret, header, &body, now + 600).is_err(),
            "a replay later"
        );
        let parsed: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            parsed["kind"],
            request.headers["tickercast-event"].to_str().unwrap()
        );
        kinds.push(parsed["kind"].as_str().unwrap().to_owned());
        if parsed["kind"] == "bars" {
            assert_eq!(
                parsed["data"],
                json!({"kind": "bars_changed", "symbol": "GOOG"})
            );
        }
    }
    kinds.sort();
    assert_eq!(kinds, vec!["bars", "test"]);
}

#[tokio::test]
async fn a_failing_receiver_gets_growing_retries_and_is_switched_off() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&receiver)
        .await;
    let app = spawn_app_with(Options {
        env: env(&[
            ("WEBHOOK_ALLOW_PRIVATE", "true"),
            ("WEBHOOK_RETRY_BASE_MS", "700"),
            ("WEBHOOK_DISABLE_AFTER", "4"),
        ]),
        ..Options::default()
    })
    .await;
    let alice = app.api_key("alice", false).await;
    let (id, _) = hook(
        &app,
        &alice,
        &format!("{}/down", receiver.uri()),
        json!(["alert"]),
    )
    .await;
    let (status, _) = test_event(&app, &alice, &id).await;
    assert_eq!(status, 202);

    let log = log_until(&app, &alice, &id, Duration::from_secs(40), |log| {
        log[0]["status"] == "failed"
    })
    .await;
    let attempts = log[0]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 4, "{attempts:#?}");
    assert!(attempts.iter().all(|a| a["status_code"] == 500));
    let at: Vec<chrono::DateTime<chrono::Utc>> = attempts
        .iter()
        .map(|a| a["at"].as_str().unwrap().parse().unwrap())
        .collect();
    let waits: Vec<i64> = at
        .windows(2)
        .map(|w| (w[1] - w[0]).num_milliseconds())
        .collect();
    // 700 ms doubled each time, ±25%: at least 525, 1050, 2100 ms.
    for (i, wait) in waits.iter().enumerate() {
        assert!(*wait >= 525 << i, "wait {i} was {wait} ms: {waits:?}");
    }
    assert!(waits[2] > waits[0], "the waits grow: {waits:?}");
    assert_eq!(receiver.received_requests().await.unwrap().len(), 4);

    let (_, hooks) = app.get_json_with("/api/v1/webhooks", &alice).await;
    assert_eq!(hooks[0]["active"], false);
    assert!(hooks[0]["disabled_reason"]
        .as_str()
        .unwrap()
        .contains("after 4 failed attempts"));
    // A test event switches it back on.
    let (status, _) = test_event(&app, &alice, &id).await;
    assert_eq!(status, 202);
    let (_, hooks) = app.get_json_with("/api/v1/webhooks", &alice).await;
    assert_eq!(hooks[0]["active"], true);
}

#[tokio::test]
async fn private_targets_are_refused_and_webhooks_are_each_accounts_own() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let app = spawn_app_with(Options::default()).await;
    let alice = app.api_key("alice", false).await;
    let bob = app.api_key("bob", false).await;
    let post = reqwest::Method::POST;

    let (status, body) = send(
        &app,
        post.clone(),
        "/api/v1/webhooks",
        "tc_nobody",
        json!({"url": "https://example.com"}),
    )
    .await;
    assert_error(status, &body, 401, "unauthorized");
    for bad in [
        json!({"url": "ftp://example.com/x"}),
        json!({"url": "https://user:pw@example.com/"}),
        json!({"url": "https://example.com/", "kinds": ["weather"]}),
        json!({"url": "https://example.com/", "kinds": []}),
        json!({"url": "https://example.com/", "secret": "mine"}),
    ] {
        let (status, body) =
            send(&app, post.clone(), "/api/v1/webhooks", &alice, bad.clone()).await;
        assert_error(status, &body, 400, "bad_request");
    }

    // The receiver is on loopback: this server does not send there.
    let (id, _) = hook(
        &app,
        &alice,
        &format!("{}/hook", receiver.uri()),
        json!(["alert"]),
    )
    .await;
    let (status, _) = test_event(&app, &alice, &id).await;
    assert_eq!(status, 202);
    let log = log_until(&app, &alice, &id, Duration::from_secs(20), |log| {
        !log[0]["attempts"].as_array().unwrap().is_empty()
    })
    .await;
    let attempt = &log[0]["attempts"][0];
    assert_eq!(attempt["status_code"], Value::Null);
    assert!(
        attempt["error"]
            .as_str()
            .unwrap()
            .contains("not a public address"),
        "{attempt}"
    );
    assert!(receiver.received_requests().await.unwrap().is_empty());

    // Bob sees none of alice's, and cannot test, read or delete them.
    let (_, theirs) = app.get_json_with("/api/v1/webhooks", &bob).await;
    assert_eq!(theirs, json!([]));
    let (status, body) = app
        .get_json_with(&format!("/api/v1/webhooks/{id}/deliveries"), &bob)
        .await;
    assert_error(status, &body, 404, "unknown_webhook");
    let (status, body) = test_event(&app, &bob, &id).await;
    assert_error(status, &body, 404, "unknown_webhook");
    let path = format!("/api/v1/webhooks/{id}");
    let (status, body) = send(&app, reqwest::Method::DELETE, &path, &bob, json!(null)).await;
    assert_error(status, &body, 404, "unknown_webhook");
    let (status, _) = send(&app, reqwest::Method::DELETE, &path, &alice, json!(null)).await;
    assert_eq!(status, 204);
    let (_, mine) = app.get_json_with("/api/v1/webhooks", &alice).await;
    assert_eq!(mine, json!([]));
}

#[tokio::test]
async fn the_operator_hears_once_of_training_that_failed_and_of_a_provider_that_keeps_failing() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/ops"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let ops = format!("{}/ops", receiver.uri());
    // Yahoo is a closed port: one failed call opens its circuit.
    let settings = [
        ("ALERT_WEBHOOK_URL", ops.as_str()),
        ("ALERT_WEBHOOK_SECRET", "ops-secret"),
        ("MARKET_DATA_PROVIDERS", "yahoo"),
        ("YAHOO_BASE_URL", "http://127.0.0.1:9"),
        ("MARKET_DATA_MAX_RETRIES", "0"),
        ("CIRCUIT_BREAKER_FAILURES", "1"),
    ];
    let app = spawn_app_with(Options {
        env: env(&settings),
        ..Options::default()
    })
    .await;
    // A second instance hears the same events; the operator still hears each once.
    let _other = spawn_app_with(app.sibling(env(&settings))).await;

    let job = |activity: &str, status: &str| {
        json!({"kind": "job", "symbol": "GOOG", "activity": activity, "job": {
            "id": uuid::Uuid::new_v4(), "status": status, "progress": 40, "step": null,
            "error": "the walk-forward evaluation diverged"}})
    };
    app.announce_elsewhere(job("train", "failed")).await;
    app.announce_elsewhere(job("train", "done")).await;
    app.announce_elsewhere(job("predict", "failed")).await;
    for _ in 0..3 {
        // Served from the stored history while the provider fails.
        let (status, _) = app.get_json("/api/v1/quote/GOOG").await;
        assert_eq!(status, 200);
    }

    let deadline = Instant::now() + Duration::from_secs(15);
    while receiver.received_requests().await.unwrap().len() < 2 {
        assert!(
            Instant::now() < deadline,
            "the operator heard too little: {:?}",
            receiver
                .received_requests()
                .await
                .unwrap()
                .iter()
                .map(|r| String::from_utf8_lossy(&r.body).into_owned())
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let got = receiver.received_requests().await.unwrap();
    assert_eq!(
        got.len(),
        2,
        "one failed training, one open circuit, each once"
    );
    let now = chrono::Utc::now().timestamp();
    let mut texts: Vec<String> = got
        .iter()
        .map(|r| {
            let body = String::from_utf8(r.body.clone()).unwrap();
            let header = r.headers["tickercast-signature"].to_str().unwrap();
            assert_eq!(signature::verify("ops-secret", header, &body, now), Ok(()));
            serde_json::from_str::<Value>(&body).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    texts.sort();
    assert!(
        texts[0].starts_with("Market-data provider yahoo keeps failing"),
        "{texts:?}"
    );
    assert!(
        texts[1].starts_with("Training failed for good: GOOG"),
        "{texts:?}"
    );
    assert!(texts[1].contains("diverged"));
}

//! Inbound rate limits: per key by tier, per address when anonymous, shared by every instance
//! through Redis, kept per process when Redis is down; batches cost what they ask for; training
//! is budgeted.

use reqwest::StatusCode;

use crate::kit::{assert_error_shape, spawn_app_with, Options, TestApp};

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn get(app: &TestApp, path: &str, key: Option<&str>) -> reqwest::Response {
    let mut req = TestApp::fresh_client().get(format!("{}{path}", app.address));
    if let Some(k) = key {
        req = req.header("X-API-Key", k);
    }
    req.send().await.unwrap()
}

fn header(res: &reqwest::Response, name: &str) -> u64 {
    res.headers()[name].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_101st_request_of_a_free_key_in_a_minute_is_refused_and_another_key_is_not() {
    let app = spawn_app_with(Options::default()).await;
    let first = app.api_key("first_user", false).await;
    let second = TestApp::api_key(&app, "second_user", false).await;

    // The allowance refills by one request every 600 ms, so on a slow machine a few more than 100
    // may pass before the first refusal: exactly as many as refilled meanwhile.
    let started = std::time::Instant::now();
    let refilled = || started.elapsed().as_millis() as u64 / 600 + 1;
    let mut allowed = 0u64;
    let res = loop {
        let res = get(&app, "/api/v1/quote/GOOG", Some(&first)).await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            break res;
        }
        assert_eq!(res.status(), StatusCode::OK, "request {}", allowed + 1);
        allowed += 1;
        assert_eq!(header(&res, "ratelimit-limit"), 100);
        let remaining = header(&res, "ratelimit-remaining");
        assert!(
            (100..=100 + refilled()).contains(&(remaining + allowed)),
            "request {allowed}: {remaining} remaining"
        );
        assert!(header(&res, "ratelimit-reset") <= 60);
        assert!(allowed <= 200, "never refused");
    };
    assert!(
        (100..=100 + refilled()).contains(&allowed),
        "{allowed} allowed before the first refusal"
    );
    assert_eq!(header(&res, "ratelimit-remaining"), 0);
    let retry = header(&res, "retry-after");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_error_shape(&res.json().await.unwrap(), "rate_limited");

    let res = get(&app, "/api/v1/quote/GOOG", Some(&second)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "ratelimit-remaining"), 99);
}

#[tokio::test]
async fn two_instances_on_one_redis_share_one_limit() {
    let limits = [("API_LIMIT_ANONYMOUS", "10/min")];
    let a = spawn_app_with(Options {
        env: env(&limits),
        ..Options::default()
    })
    .await;
    let b = spawn_app_with(a.sibling(env(&limits))).await;
    let mut allowed = 0;
    for i in 0..20 {
        let app = if i % 2 == 0 { &a } else { &b };
        if get(app, "/api/v1/quote/GOOG", None).await.status() == StatusCode::OK {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 10, "one limit of 10 across both instances");
}

#[tokio::test]
async fn with_redis_down_each_instance_still_limits_and_never_fails() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let app = spawn_app_with(Options {
        redis_url: Some(format!("redis://127.0.0.1:{port}/")),
        env: env(&[("API_LIMIT_ANONYMOUS", "5/min")]),
        ..Options::default()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(
            get(&app, "/api/v1/quote/GOOG", None)
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429, 429]);
}

#[tokio::test]
async fn anonymous_callers_are_counted_by_address_and_server_functions_count_too() {
    let app = spawn_app_with(Options {
        env: env(&[("API_LIMIT_ANONYMOUS", "3/min")]),
        ..Options::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(app.call("list_tickers", &[]).await.status(), 200);
    }
    let res = app.call("list_tickers", &[]).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    // The same address on the REST API shares the bucket; pages and health checks are not counted.
    assert_eq!(get(&app, "/api/v1/quote/GOOG", None).await.status(), 429);
    assert_eq!(get(&app, "/api/status", None).await.status(), 200);
    assert_eq!(get(&app, "/stock/GOOG", None).await.status(), 200);
}

#[tokio::test]
async fn x_forwarded_for_counts_only_behind_a_trusted_proxy() {
    let limits = [("API_LIMIT_ANONYMOUS", "2/min")];
    let direct = spawn_app_with(Options {
        env: env(&limits),
        ..Options::default()
    })
    .await;
    let from = |app: &TestApp, ip: &str| {
        TestApp::fresh_client()
            .get(format!("{}/api/v1/quote/GOOG", app.address))
            .header("X-Forwarded-For", ip.to_string())
            .send()
    };
    // Not behind a trusted proxy: a forged header does not buy a new bucket.
    let mut codes = Vec::new();
    for i in 0..4 {
        codes.push(
            from(&direct, &format!("198.51.100.{i}"))
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(codes, [200, 200, 429, 429]);

    let mut with_proxy = env(&limits);
    with_proxy.push(("TRUSTED_PROXIES".into(), "127.0.0.1/32".into()));
    let proxied = spawn_app_with(Options {
        env: with_proxy,
        ..Options::default()
    })
    .await;
    let mut codes = Vec::new();
    for _ in 0..3 {
        codes.push(
            from(&proxied, "198.51.100.7")
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(codes, [200, 200, 429]);
    assert_eq!(from(&proxied, "198.51.100.8").await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_batch_of_n_costs_n_and_duplicates_are_merged() {
    let app = spawn_app_with(Options {
        env: env(&[("API_LIMIT_FREE", "10/min"), ("APP_WORKERS", "0")]),
        ..Options::default()
    })
    .await;
    let key = app.api_key("batcher", false).await;
    let batch = |symbols: serde_json::Value| {
        TestApp::fresh_client()
            .post(format!("{}/api/v1/predictions/batch", app.address))
            .header("X-API-Key", &key)
            .json(&serde_json::json!({ "symbols": symbols }))
            .send()
    };
    let res = batch(serde_json::json!(["GOOG", "goog", "MSFT", "GOOG "]))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    let symbols: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["symbol"].as_str().unwrap())
        .collect();
    assert_eq!(symbols, ["GOOG", "MSFT"], "merged");
    // 2 used; a batch of 9 would need 9 of the 8 left.
    let many = serde_json::json!(["A", "B", "C", "D", "E", "F", "G", "H", "I"]);
    let res = batch(many).await.unwrap();
    assert_eq!(res.status(), 429);
    assert_error_shape(&res.json().await.unwrap(), "rate_limited");
}

#[tokio::test]
async fn anonymous_callers_queue_no_training_and_members_have_a_daily_budget() {
    let app = spawn_app_with(Options {
        env: env(&[("TRAIN_BUDGET_FREE", "1"), ("APP_WORKERS", "0")]),
        ..Options::default()
    })
    .await;
    let (status, anon) = app.get_json("/api/v1/predictions/GOOG").await;
    assert_eq!(status, 200, "baselines and a note, no job: {anon}");
    assert!(anon["job_id"].is_null());
    let key = app.api_key("budgeted", false).await;
    let (status, body) = app.get_json_with("/api/v1/predictions/MSFT", &key).await;
    assert_eq!(status, 202, "{body}");
    // The same symbol again is free; another one is over the budget of one.
    let (status, _) = app.get_json_with("/api/v1/predictions/MSFT", &key).await;
    assert_eq!(status, 202);
    let (status, body) = app.get_json_with("/api/v1/predictions/GOOG", &key).await;
    assert_eq!(status, 200, "{body}");
    let notes: Vec<&str> = body["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["message"].as_str())
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("budget")),
        "the page says why: {notes:?}"
    );
}

#[tokio::test]
async fn usage_tells_the_tier_limits_and_use_today() {
    let app = spawn_app_with(Options::default()).await;
    let (status, anon) = app.get_json("/api/v1/usage").await;
    assert_eq!(status, 200);
    assert_eq!(anon["tier"], "anonymous");
    assert_eq!(anon["per_minute"], 60);
    assert!(anon["training_per_day"].is_null());
    let key = app.api_key("counted", false).await;
    for _ in 0..3 {
        app.get_json_with("/api/v1/quote/GOOG", &key).await;
    }
    let (_, usage) = app.get_json_with("/api/v1/usage", &key).await;
    assert_eq!(usage["tier"], "free");
    assert_eq!(usage["per_minute"], 100);
    assert_eq!(usage["used_today"], 4, "three quotes and this call");
    assert_eq!(usage["remaining_this_minute"], 96);
    assert_eq!(usage["training_per_day"], 10);
}

#[tokio::test]
async fn registrations_from_one_address_are_throttled_like_failed_logins() {
    let app = spawn_app_with(Options::default()).await;
    let register = |name: String| {
        let app = &app;
        async move {
            TestApp::fresh_client()
                .post(format!("{}/api/register", app.address))
                .header("Origin", &app.address)
                .form(&[
                    ("username", name.as_str()),
                    ("password", "correct horse battery"),
                    ("password_confirm", "correct horse battery"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let mut codes = Vec::new();
    for i in 0..8 {
        codes.push(register(format!("probe{i}")).await.status().as_u16());
    }
    // Five free, the sixth starts a wait (one second, doubling with each further attempt).
    assert!(codes[..6].iter().all(|c| *c < 400), "{codes:?}");
    assert_eq!(codes[6..], [429, 429], "{codes:?}");
}

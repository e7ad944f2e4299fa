//! What keeps a browser user safe: cross-site posts refused, security headers and the page's
//! Content-Security-Policy, the session cookie's attributes and sliding expiry, bounded request
//! bodies and ids, and no internal detail in answers to anonymous clients.

use reqwest::StatusCode;

use crate::kit::{spawn_app, spawn_app_with, Options, TestApp};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn cross_origin_posts_to_login_logout_and_the_watchlist_are_refused() {
    let app = spawn_app().await;
    app.register("target").await;
    let post = |endpoint: &str, origin: Option<&str>, form: Vec<(&'static str, &'static str)>| {
        let mut req = app
            .client
            .post(format!("{}/api/{endpoint}", app.address))
            .form(&form);
        if let Some(o) = origin {
            req = req.header("Origin", o.to_string());
        }
        req.send()
    };
    for (endpoint, form) in [
        (
            "login",
            vec![("username", "target"), ("password", PASSWORD)],
        ),
        ("logout", vec![]),
        ("add_to_watchlist", vec![("symbol", "GOOG")]),
        ("remove_from_watchlist", vec![("symbol", "GOOG")]),
    ] {
        for origin in [
            Some("https://evil.example"),
            Some("http://sub.127.0.0.1.nip.io"),
            Some("null"),
            None,
        ] {
            let res = post(endpoint, origin, form.clone()).await.unwrap();
            assert_eq!(
                res.status(),
                StatusCode::FORBIDDEN,
                "{endpoint} from {origin:?}"
            );
        }
    }
    // Nothing happened: still logged in, nothing watched.
    let watched: i64 = sqlx::query_scalar("select count(*) from watchlist")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(watched, 0);
    let me: Option<app::model::User> = app.call_ok("current_user", &[]).await;
    assert!(me.is_some());
    // From the site itself, it works.
    let res = post(
        "add_to_watchlist",
        Some(&app.address),
        vec![("symbol", "GOOG")],
    )
    .await
    .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
}

#[tokio::test]
async fn pages_carry_a_nonce_policy_and_every_answer_the_security_headers() {
    let app = spawn_app().await;
    let res = app.get("/stock/GOOG").await;
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap().to_string();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .expect("a nonce in the policy")
        .to_string();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    assert!(!csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
    assert!(!h.contains_key("strict-transport-security"), "plain HTTP");
    let html = res.text().await.unwrap();
    // Every inline script carries this response's nonce.
    for tag in html.split("<script").skip(1) {
        let open = &tag[..tag.find('>').unwrap()];
        if !open.contains("src=") {
            assert!(open.contains(&format!("nonce=\"{nonce}\"")), "{open}");
        }
    }
    // A second page gets another nonce.
    let again = app.get("/stock/GOOG").await;
    assert_ne!(
        again.headers()["content-security-policy"].to_str().unwrap(),
        csp
    );
    // JSON runs nothing.
    let api = app.get("/api/v1/quote/GOOG").await;
    assert_eq!(
        api.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
    // Logged-in pages are not stored by caches.
    assert!(!h.contains_key("cache-control") || h["cache-control"] != "no-store");
    app.register("private").await;
    let mine = app.get("/").await;
    assert_eq!(mine.status(), 200);
    assert_eq!(mine.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn over_tls_the_cookie_is_host_prefixed_secure_and_hsts_is_sent() {
    let app = spawn_app_with(Options {
        env: vec![("COOKIE_SECURE".into(), "true".into())],
        ..Options::default()
    })
    .await;
    let res = app
        .call(
            "register",
            &[
                ("username", "secure_one"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("__Host-tickercast.sid="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain"), "{cookie}");
    assert!(res.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
    let res = app.call("logout", &[]).await;
    let removal = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(removal.starts_with("__Host-tickercast.sid=;"), "{removal}");
    assert!(
        removal.contains("Secure"),
        "a browser ignores it otherwise: {removal}"
    );
}

#[tokio::test]
async fn the_inactivity_expiry_slides_with_each_visit() {
    let app = spawn_app_with(Options {
        env: vec![("APP_SESSION_IDLE_SECS".into(), "6".into())],
        ..Options::default()
    })
    .await;
    app.register("slider").await;
    let me = || async {
        app.call_ok::<Option<app::model::User>>("current_user", &[])
            .await
            .is_some()
    };
    // Visits 4 s apart keep a 6 s session alive well past 6 s from the login.
    for _ in 0..3 {
        tokio::time::sleep(std::time::Duration::from_secs(4)).await;
        assert!(me().await, "still logged in");
    }
    tokio::time::sleep(std::time::Duration::from_secs(8)).await;
    assert!(!me().await, "idle for longer than 6 s: logged out");
}

#[tokio::test]
async fn bodies_over_the_limit_answer_413() {
    let app = spawn_app_with(Options {
        env: vec![("APP_BODY_LIMIT_BYTES".into(), "2048".into())],
        ..Options::default()
    })
    .await;
    let big: Vec<String> = (0..400).map(|i| format!("SYM{i}")).collect();
    let (status, _) = app
        .post_json(
            "/api/v1/predictions/batch",
            &serde_json::json!({ "symbols": big }),
            None,
        )
        .await;
    assert_eq!(status, 413);
    let long = "x".repeat(4096);
    let res = app
        .call("login", &[("username", "someone"), ("password", &long)])
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Refused at the edge, and still with the security headers.
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(res.headers().contains_key("content-security-policy"));
}

#[tokio::test]
async fn status_and_errors_tell_anonymous_clients_nothing_internal() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let app = spawn_app_with(Options {
        redis_url: Some(format!("redis://127.0.0.1:{port}/")),
        ..Options::default()
    })
    .await;
    let res = app.get("/api/status").await;
    let text = res.text().await.unwrap();
    let status: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(status["redis"]["status"], "error");
    assert!(status["redis"].get("error").is_none(), "{text}");
    assert!(!text.contains(&port.to_string()), "{text}");
}

#[tokio::test]
async fn request_ids_are_kept_only_when_plain_and_metrics_can_need_a_token() {
    let app = spawn_app_with(Options {
        env: vec![("METRICS_TOKEN".into(), "scrape-me".into())],
        ..Options::default()
    })
    .await;
    let with_id = |id: &str| {
        TestApp::fresh_client()
            .get(format!("{}/api/status", app.address))
            .header("x-request-id", id.to_string())
            .send()
    };
    let res = with_id("abc-123").await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    let forged = "x\" admin=\"true";
    let res = with_id(forged).await.unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(id, forged);
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    let res = with_id(&"a".repeat(200)).await.unwrap();
    assert_eq!(res.headers()["x-request-id"].len(), 36);

    let metrics = TestApp::fresh_client().get(format!("{}/metrics", app.address));
    assert_eq!(metrics.send().await.unwrap().status(), 401);
    let res = TestApp::fresh_client()
        .get(format!("{}/metrics", app.address))
        .bearer_auth("scrape-me")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn statements_are_bounded_in_time() {
    let app = spawn_app_with(Options {
        env: vec![("DATABASE_STATEMENT_TIMEOUT_MS".into(), "1500".into())],
        ..Options::default()
    })
    .await;
    let setting: String = sqlx::query_scalar("show statement_timeout")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(setting, "1500ms");
    let slow = sqlx::query("select pg_sleep(3)").execute(&app.pool).await;
    assert!(slow.is_err(), "cancelled by the statement timeout");
}

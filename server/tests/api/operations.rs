use crate::kit::spawn_app;

#[tokio::test]
async fn status_reports_both_dependencies_with_latency() {
    let app = spawn_app().await;
    let res = app.get("/api/status").await;
    assert_eq!(res.status(), 200);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["status"], "ok");
    for dep in ["postgres", "redis"] {
        assert_eq!(v[dep]["status"], "ok", "{dep}");
        assert!(v[dep]["latency_ms"].as_f64().unwrap() >= 0.0);
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern() {
    let app = spawn_app().await;
    app.get("/stock/GOOG").await;
    app.get("/stock/MSFT").await;
    let text = app.get("/metrics").await.text().await.unwrap();
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("http_requests_total{")
                && l.contains("route=\"/stock/{symbol}\"")
                && l.contains("status=\"200\"")
        })
        .unwrap_or_else(|| panic!("no counter for the stock route in:\n{text}"));
    let count: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 2.0, "{line}");
    assert!(text.contains("http_request_duration_seconds_bucket{"));
    assert!(
        !text.contains("route=\"/stock/GOOG\""),
        "raw paths must not become labels"
    );
}

#[tokio::test]
async fn loading_the_bundled_data_twice_adds_nothing() {
    let app = spawn_app().await; // start-up loaded it once
    let before: i64 = sqlx::query_scalar("select count(*) from daily_bars")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(before, 5031 + 5031 + 7983 + 2148);
    let inserted = server::seed::load_bundled(&app.pool).await.unwrap();
    assert!(inserted.iter().all(|(_, n)| *n == 0), "{inserted:?}");
    let after: i64 = sqlx::query_scalar("select count(*) from daily_bars")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(before, after);
}

#[tokio::test]
async fn static_assets_are_served_from_the_site_root() {
    let app = spawn_app().await;
    let res = app.get("/echarts.min.js").await;
    assert_eq!(res.status(), 200);
    let res = app.get("/favicon.svg").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
    assert_eq!(res.headers()["cache-control"], "no-cache");
    // Served ahead of the session: no cookie for a file; the security headers all the same.
    assert!(!res.headers().contains_key("set-cookie"));
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let body = res.bytes().await.unwrap();
    assert!(body.starts_with(b"<svg"));
    // A revisit with the tag costs no bytes.
    let again = app
        .client
        .get(format!("{}/favicon.svg", app.address))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag.as_str());
    assert!(again.bytes().await.unwrap().is_empty());
    // A file that is not there is the site's 404 page.
    assert_eq!(app.get("/pkg/nothing.js").await.status(), 404);
}

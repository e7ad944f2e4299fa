use reqwest::header::{HeaderValue, ACCEPT_ENCODING};

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
    assert!(res.headers().contains_key("x-request-id"));
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

#[tokio::test]
async fn pages_link_files_named_by_their_contents_which_are_kept_for_good_and_sent_gzipped() {
    let app = spawn_app().await;
    let page = app.get("/").await.text().await.unwrap();
    // Every quoted `/pkg/…` URL of the page.
    let linked: Vec<&str> = page
        .split('"')
        .filter(|v| v.starts_with("/pkg/tickercast."))
        .collect();
    let find = |suffix: &str| {
        linked
            .iter()
            .find(|v| v.ends_with(suffix))
            .unwrap_or_else(|| panic!("a {suffix} linked in {linked:?}"))
            .to_string()
    };
    let stylesheet = find(".css");
    let script = find(".js");
    let wasm = script.replace(".js", "_bg.wasm");
    assert!(
        page.contains(&wasm),
        "the bundle's WebAssembly shares its script's name"
    );
    assert_ne!(
        stylesheet, "/pkg/tickercast.css",
        "a content-named stylesheet"
    );
    for path in [&stylesheet, &script, &wasm] {
        let res = app
            .get_with_header(path, ACCEPT_ENCODING, HeaderValue::from_static("gzip"))
            .await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(
            res.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert!(!res.headers().contains_key("etag"), "never revalidated");
        assert!(
            !res.headers().contains_key("x-request-id"),
            "logged by none"
        );
        assert_eq!(res.headers()["content-encoding"], "gzip", "{path}");
        let gzipped = res.bytes().await.unwrap();
        let mut unzipped = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&gzipped[..]),
            &mut unzipped,
        )
        .unwrap();
        assert!(unzipped.len() > gzipped.len(), "{path} is smaller gzipped");
    }
    // The plain name still answers, revalidated, with the same bytes.
    let plain = app.get("/pkg/tickercast.css").await;
    assert_eq!(plain.headers()["cache-control"], "no-cache");
    // A client that does not take gzip gets the bytes as they are.
    let identity = app
        .get_with_header(
            &stylesheet,
            ACCEPT_ENCODING,
            HeaderValue::from_static("identity"),
        )
        .await;
    assert!(!identity.headers().contains_key("content-encoding"));
    assert_eq!(
        identity.bytes().await.unwrap(),
        plain.bytes().await.unwrap()
    );
}

/// `make build` compresses the site's files with brotli at its best level; a browser, which
/// takes brotli, gets those bytes, and they decompress to the file.
#[tokio::test]
async fn a_browser_gets_the_bundle_as_the_brotli_the_build_made() {
    let app = spawn_app().await;
    let page = app.get("/").await.text().await.unwrap();
    let wasm = page
        .split('"')
        .find(|v| v.starts_with("/pkg/tickercast.") && v.ends_with("_bg.wasm"))
        .expect("the bundle's WebAssembly is linked")
        .to_string();
    let browser = HeaderValue::from_static("gzip, deflate, br, zstd");
    let res = app.get_with_header(&wasm, ACCEPT_ENCODING, browser).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "br");
    assert_eq!(res.headers()["vary"], "accept-encoding");
    let brotli = res.bytes().await.unwrap();
    let mut decoded = Vec::new();
    std::io::Read::read_to_end(
        &mut brotli_decompressor::Decompressor::new(&brotli[..], 4096),
        &mut decoded,
    )
    .unwrap();
    let plain = app
        .get_with_header(&wasm, ACCEPT_ENCODING, HeaderValue::from_static("identity"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(decoded, plain);
    // Smaller than the gzip a client without brotli gets.
    let gzip = HeaderValue::from_static("gzip");
    let gzipped = app.get_with_header(&wasm, ACCEPT_ENCODING, gzip).await;
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    assert!(brotli.len() < gzipped.bytes().await.unwrap().len());
}

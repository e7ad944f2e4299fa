//! Importing daily prices: a real Yahoo Finance download (made from a bundled series) previewed,
//! stored, stored again without effect, charted and forecast; files with problems refused whole;
//! a short history said plainly; administrators only; the size limit.

use serde_json::Value;

use crate::kit::{assert_error, spawn_app, TestApp};

/// The bundled GOOG series as a Yahoo Finance download: `Adj Close` carries one 1.00 dividend
/// going ex on the 1,000th day, so every close before it is adjusted by `1 − 1/previous close`.
fn yahoo_download(rows: usize) -> (String, String, f64) {
    let csv = include_str!("../../data/prices/goog_2004_2013.csv");
    let bars: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .take(rows)
        .map(|l| l.split(',').collect())
        .collect();
    let ex = bars.len().min(1000) - 1;
    let prev_close: f64 = bars[ex - 1][4].parse().unwrap();
    let factor = 1.0 - 1.0 / prev_close;
    let mut out = String::from("Date,Open,High,Low,Close,Adj Close,Volume\n");
    for (i, b) in bars.iter().enumerate() {
        let close: f64 = b[4].parse().unwrap();
        let adj = if i < ex { close * factor } else { close };
        out.push_str(&format!(
            "{},{},{},{},{},{adj:.6},{}\n",
            b[0], b[1], b[2], b[3], b[4], b[5]
        ));
    }
    (out, bars[ex][0].to_string(), factor)
}

async fn import(app: &TestApp, key: Option<&str>, query: &str, body: String) -> (u16, Value) {
    let mut req = TestApp::fresh_client()
        .post(format!("{}/api/v1/admin/import?{query}", app.address))
        .header("Content-Type", "text/csv")
        .body(body);
    if let Some(k) = key {
        req = req.header("X-API-Key", k);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")),
    )
}

async fn bars_of(app: &TestApp, symbol: &str) -> i64 {
    sqlx::query_scalar("select count(*) from daily_bars where symbol = $1")
        .bind(symbol)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_yahoo_download_is_previewed_stored_once_charted_and_forecast() {
    let app = spawn_app().await;
    let key = app.api_key("importer", true).await;
    let (csv, ex_date, factor) = yahoo_download(usize::MAX);
    let rows = csv.lines().count() - 1;

    // A preview reads and checks the file and stores nothing.
    let (status, preview) = import(
        &app,
        Some(&key),
        "symbol=goog.x&name=Alphabet%20(imported)",
        csv.clone(),
    )
    .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["format"], "Yahoo Finance download");
    assert_eq!(preview["rows"], rows);
    assert_eq!(preview["committed"], false);
    assert_eq!(preview["first_date"], "2004-08-19");
    assert_eq!(preview["preview"][0]["close"], 100.34);
    assert_eq!(preview["preview"].as_array().unwrap().len(), 5);
    assert_eq!(bars_of(&app, "GOOG.X").await, 0);

    let (status, stored) = import(
        &app,
        Some(&key),
        "symbol=goog.x&name=Alphabet%20(imported)&commit=true",
        csv.clone(),
    )
    .await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["committed"], true);
    assert_eq!(stored["inserted"], rows);
    assert_eq!(bars_of(&app, "GOOG.X").await, rows as i64);
    // The adjusted closes imply the dividend: recorded with its ex-date and amount.
    let actions = stored["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0]["kind"], "dividend");
    assert_eq!(actions[0]["date"], ex_date);
    assert!(
        (actions[0]["value"].as_f64().unwrap() - 1.0).abs() < 1e-3,
        "{actions:?}"
    );
    assert!(stored["history_note"]
        .as_str()
        .unwrap()
        .contains("enough for every model"));

    // The same file again adds nothing.
    let (status, again) = import(&app, Some(&key), "symbol=GOOG.X&commit=true", csv).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (again["inserted"].as_u64(), again["updated"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(again["unchanged"], rows);
    assert_eq!(bars_of(&app, "GOOG.X").await, rows as i64);

    // Charted (adjusted for the dividend before its ex-date) and forecast.
    let (status, series) = app.get_json("/api/v1/timeseries/GOOG.X?range=MAX").await;
    assert_eq!(status, 200, "{series}");
    assert!(!series["points"].as_array().unwrap().is_empty());
    let adjusted = server::market::store::daily_bars(
        &app.pool,
        &crate::kit::sym("GOOG.X"),
        Some(crate::kit::day("2004-08-19")),
        Some(crate::kit::day("2004-08-19")),
        server::market::store::Adjustment::Adjusted,
    )
    .await
    .unwrap();
    let first = adjusted[0].close;
    assert!((first - 100.34 * factor).abs() < 1e-6, "{first}");
    let (status, quote) = app.get_json("/api/v1/quote/GOOG.X").await;
    assert_eq!(status, 200, "{quote}");
    let (status, p) = app.get_json("/api/v1/predictions/GOOG.X").await;
    assert!(status == 200 || status == 202, "{status}: {p}");
    let naive = p["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["model"] == "naive")
        .unwrap();
    assert_eq!(naive["status"], "ready", "{naive}");
    let html = app.get("/stock/GOOG.X").await.text().await.unwrap();
    assert!(html.contains("Alphabet (imported)"));
}

#[tokio::test]
async fn a_file_with_problems_changes_nothing_and_names_every_line() {
    let app = spawn_app().await;
    let key = app.api_key("importer", true).await;
    let csv = "Date,Open,High,Low,Close,Adj Close,Volume\n\
               2024-01-02,10,11,9,10.5,10.5,100\n\
               2024-01-03,10,9,11,10.5,10.5,100\n\
               2024-01-04,10,11,9,10.5,10.5,-5\n\
               2024-01-04,10,11,9,10.5,10.5,100\n\
               2024-01-08,null,null,null,null,null,null\n";
    let (status, body) = import(&app, Some(&key), "symbol=BAD&commit=true", csv.into()).await;
    assert_error(status, &body, 400, "bad_request");
    let message = body["error"]["message"].as_str().unwrap();
    for line in ["line 3", "line 4", "line 5", "line 6"] {
        assert!(message.contains(line), "{line} missing: {message}");
    }
    assert!(!message.contains("line 2:"), "{message}");
    let tickers: i64 = sqlx::query_scalar("select count(*) from tickers where symbol = 'BAD'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(tickers, 0);

    let (status, body) = import(&app, Some(&key), "symbol=BAD", "when,price\n1,2\n".into()).await;
    assert_error(status, &body, 400, "bad_request");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Yahoo Finance download"));
}

#[tokio::test]
async fn thirty_bars_chart_and_say_plainly_what_the_models_need() {
    let app = spawn_app().await;
    let key = app.api_key("importer", true).await;
    let (csv, _, _) = yahoo_download(30);
    let (status, stored) = import(&app, Some(&key), "symbol=SHORT&commit=true", csv).await;
    assert_eq!(status, 200, "{stored}");
    let note = stored["history_note"].as_str().unwrap();
    assert!(note.contains("SHORT now has 30 trading days"), "{note}");
    assert!(note.contains("needs 315 trading days"), "{note}");

    let (status, p) = app.get_json_with("/api/v1/predictions/SHORT", &key).await;
    assert_eq!(status, 200, "{p}");
    let trained: Vec<&Value> = p["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["model"] != "naive" && m["model"] != "drift")
        .collect();
    assert!(!trained.is_empty());
    for m in trained {
        assert_eq!(m["status"], "insufficient_history", "{m}");
        assert!(
            m["message"].as_str().unwrap().contains("SHORT has 30"),
            "{m}"
        );
    }
}

#[tokio::test]
async fn only_administrators_import_and_files_are_size_limited() {
    let app = spawn_app().await;
    let (csv, _, _) = yahoo_download(10);
    let (status, body) = import(&app, None, "symbol=X", csv.clone()).await;
    assert_error(status, &body, 401, "unauthorized");
    let member = app.api_key("member", false).await;
    let (status, body) = import(&app, Some(&member), "symbol=X", csv.clone()).await;
    assert_error(status, &body, 403, "forbidden");

    let admin = app.api_key("admin", true).await;
    let (status, body) = import(&app, Some(&admin), "symbol=X", "a".repeat(9 * 1024 * 1024)).await;
    assert_error(status, &body, 413, "payload_too_large");
    let (status, body) = import(&app, Some(&admin), "symbol=%24%24", csv).await;
    assert_error(status, &body, 400, "invalid_symbol");
}

#[tokio::test]
async fn a_suspected_split_is_flagged_and_recorded_only_when_asked() {
    let app = spawn_app().await;
    let key = app.api_key("importer", true).await;
    // A 2-for-1 split on 2024-01-05 that the file does not record: the close halves overnight.
    let csv = "date,open,high,low,close,volume\n\
               2024-01-02,100,101,99,100,10\n\
               2024-01-03,100,102,99,101,10\n\
               2024-01-04,101,103,100,102,10\n\
               2024-01-05,51,52,50,51.5,20\n\
               2024-01-08,51.5,52,51,51.8,20\n";
    let (status, preview) = import(&app, Some(&key), "symbol=SPLT", csv.into()).await;
    assert_eq!(status, 200, "{preview}");
    let suspects = preview["suspected_splits"].as_array().unwrap();
    assert_eq!(suspects.len(), 1, "{preview}");
    assert_eq!(suspects[0]["date"], "2024-01-05");
    assert_eq!(suspects[0]["line"], 5);
    assert!(preview["actions"].as_array().unwrap().is_empty());

    let (status, stored) = import(&app, Some(&key), "symbol=SPLT&commit=true", csv.into()).await;
    assert_eq!(status, 200, "{stored}");
    let splits: i64 =
        sqlx::query_scalar("select count(*) from corporate_actions where symbol = 'SPLT'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(splits, 0, "not recorded unless asked");

    let (status, recorded) = import(
        &app,
        Some(&key),
        "symbol=SPLT&commit=true&record_splits=true",
        csv.into(),
    )
    .await;
    assert_eq!(status, 200, "{recorded}");
    assert_eq!(recorded["actions"][0]["kind"], "split");
    assert_eq!(recorded["actions"][0]["value"], 2.0);
    let (kind, value): (String, f64) = sqlx::query_as(
        "select kind, value from corporate_actions where symbol = 'SPLT' and ex_date = '2024-01-05'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((kind.as_str(), value), ("split", 2.0));
    // The adjusted history is continuous across the split.
    let adjusted = server::market::store::daily_bars(
        &app.pool,
        &crate::kit::sym("SPLT"),
        None,
        None,
        server::market::store::Adjustment::Adjusted,
    )
    .await
    .unwrap();
    assert!(
        (adjusted[2].close - 51.0).abs() < 1e-9,
        "{}",
        adjusted[2].close
    );
}

#[tokio::test]
async fn a_split_adjusted_download_over_a_recorded_split_is_refused() {
    let app = spawn_app().await;
    let key = app.api_key("importer", true).await;
    let raw = "date,open,high,low,close,volume\n\
               2024-01-02,100,101,99,100,10\n\
               2024-01-03,100,102,99,101,10\n\
               2024-01-04,51,52,50,51.5,20\n";
    let (status, body) = import(
        &app,
        Some(&key),
        "symbol=SPL2&commit=true&record_splits=true",
        raw.into(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // A Yahoo download's closes are already divided by the split: importing it would halve them
    // again in the adjusted series.
    let yahoo = "Date,Open,High,Low,Close,Adj Close,Volume\n\
                 2024-01-02,50,50.5,49.5,50,50,20\n\
                 2024-01-03,50,51,49.5,50.5,50.5,20\n\
                 2024-01-04,51,52,50,51.5,51.5,20\n";
    let (status, body) = import(&app, Some(&key), "symbol=SPL2&commit=true", yahoo.into()).await;
    assert_error(status, &body, 400, "bad_request");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("splits recorded on 2024-01-04"),
        "{message}"
    );
    let closes: Vec<f64> =
        sqlx::query_scalar("select close from daily_bars where symbol = 'SPL2' order by date")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(closes, [100.0, 101.0, 51.5], "nothing changed");
}

#[tokio::test]
async fn the_page_imports_a_file_far_over_the_default_body_limit() {
    let app = spawn_app().await;
    let key = app.api_key("importer", true).await;
    // The whole Microsoft series (about 8,000 rows) as the page sends it: form-encoded text.
    let csv = include_str!("../../data/prices/msft_1986_2017.csv");
    assert!(csv.len() > 4 * 64 * 1024);
    let res = TestApp::fresh_client()
        .post(format!("{}/api/import_prices", app.address))
        .header("X-API-Key", &key)
        .form(&[
            ("symbol", "MSFT.I"),
            ("name", "Microsoft (imported)"),
            ("csv", csv),
            ("commit", "false"),
            ("record_splits", "false"),
        ])
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"], csv.lines().count() - 1);
    assert_eq!(body["format"], "Tickercast");
}

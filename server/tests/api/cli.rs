//! The `tickercast` command-line client against a running server: tables and JSON, alerts and
//! webhooks made and removed, a download, the live stream followed, and the exit codes of each
//! kind of failure.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::kit::{spawn_app, TestApp};

/// Runs the client against `app` with `key`: exit code, standard output, standard error.
async fn tickercast(app: &TestApp, key: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tickercast"))
        .args(args)
        .env("TICKERCAST_URL", &app.address)
        .env("TICKERCAST_API_KEY", key)
        .output()
        .await
        .expect("the client runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_client_reads_sets_and_follows_through_the_api() {
    let app = spawn_app().await;
    let key = app.api_key("cli", false).await;

    let (code, out, _) = tickercast(&app, &key, &["status", "--json"]).await;
    assert_eq!(code, 0);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["status"], "ok");
    let (code, out, _) = tickercast(&app, &key, &["quote", "GOOG"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("symbol") && out.contains("GOOG"), "{out}");

    // An alert: made, listed, removed.
    let (code, out, err) = tickercast(
        &app,
        &key,
        &["alerts", "add", "GOOG", "above", "9999", "--json"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let alert: Value = serde_json::from_str(&out).unwrap();
    let id = alert["id"].as_str().unwrap();
    assert_eq!(alert["rule"], "price_above");
    let (_, out, _) = tickercast(&app, &key, &["alerts", "list"]).await;
    assert!(
        out.contains(id) && out.contains("closes at or above 9999.00"),
        "{out}"
    );
    let (code, out, _) = tickercast(&app, &key, &["alerts", "rm", id]).await;
    assert_eq!(
        (code, out.trim()),
        (0, format!("Alert {id} deleted.").as_str())
    );
    let (_, out, _) = tickercast(&app, &key, &["alerts", "list", "--json"]).await;
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), json!([]));

    // A webhook: its secret shown once.
    let (code, out, err) = tickercast(
        &app,
        &key,
        &[
            "webhooks",
            "add",
            "https://example.com/in",
            "--kinds",
            "alert,bars",
            "--json",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out} {err}");
    let made: Value = serde_json::from_str(&out).unwrap();
    assert!(made["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(made["webhook"]["kinds"], json!(["bars", "alert"]));

    // A download, as the API streams it.
    let (code, out, err) = tickercast(
        &app,
        &key,
        &[
            "export",
            "prices",
            "GOOG",
            "--from",
            "2013-01-02",
            "--to",
            "2013-01-04",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("date,open,high,low,close,volume"),
        "{out}"
    );
    assert_eq!(lines.len(), 4, "a header and three sessions: {out}");

    // The live stream: an event another process announces is printed as it comes.
    let mut watch = Command::new(env!("CARGO_BIN_EXE_tickercast"))
        .args(["watch", "GOOG", "--kind", "bars", "--json"])
        .env("TICKERCAST_URL", &app.address)
        .env("TICKERCAST_API_KEY", &key)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(watch.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(first, r#"{"resumed":false}"#, "the stream is open");
    app.announce_elsewhere(json!({"kind": "bars_changed", "symbol": "GOOG"}))
        .await;
    let event = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&event).unwrap(),
        json!({"kind": "bars_changed", "symbol": "GOOG"})
    );
    watch.kill().await.unwrap();
}

#[tokio::test]
async fn each_kind_of_failure_has_its_exit_code_and_says_why() {
    let app = spawn_app().await;
    let key = app.api_key("cli", false).await;
    // Refused by the server: 1, with its message.
    let (code, _, err) = tickercast(&app, &key, &["quote", "ZZZZQ"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("404") && err.contains("ZZZZQ"), "{err}");
    let (code, _, err) = tickercast(&app, "tc_nobody_x", &["alerts", "list"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("401"), "{err}");
    // Wrong input, caught before any request: 2.
    let (code, _, err) = tickercast(&app, &key, &["quote", "b@d"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("is not a ticker symbol"), "{err}");
    let (code, _, _) = tickercast(&app, &key, &["alerts", "add", "GOOG", "sideways", "1"]).await;
    assert_eq!(code, 2);
    let (code, _, err) = tickercast(&app, &key, &["webhooks", "add", "ftp://example.com"]).await;
    assert_eq!(code, 2, "{err}");
    // No server there: 3.
    let out = Command::new(env!("CARGO_BIN_EXE_tickercast"))
        .args(["--url", "http://127.0.0.1:9", "status"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Cannot reach"));
}

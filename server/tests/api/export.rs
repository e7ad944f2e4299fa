//! Downloads: prices, recorded predictions and walk-forward records as CSV and JSON, streamed
//! page by page, named for saving; each CSV parsed back equals the same download as JSON.

use app::model::{EvaluationRow, PredictionRow, PriceRow};
use serde::de::DeserializeOwned;
use server::jobs::JobSpec;

use crate::kit::{assert_error, spawn_app, sym, TestApp};

/// The CSV and the JSON download of the same path, each decoded, and the CSV's file name.
async fn both<T: DeserializeOwned + PartialEq + std::fmt::Debug>(
    app: &TestApp,
    path: &str,
) -> (Vec<T>, String) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let res = app.get(&format!("{path}{sep}format=csv")).await;
    assert_eq!(res.status(), 200, "{path}");
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    let text = res.text().await.unwrap();
    let from_csv: Vec<T> = csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let res = app.get(&format!("{path}{sep}format=json")).await;
    assert_eq!(res.status(), 200, "{path}");
    let from_json: Vec<T> = res.json().await.unwrap();
    assert_eq!(from_csv, from_json, "{path}: CSV and JSON disagree");
    (from_csv, disposition)
}

async fn wait_done(app: &TestApp, spec: JobSpec) {
    let job = app.jobs.enqueue(spec).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let j = app.jobs.get(job.id).await.unwrap();
        if j.status.is_finished() {
            assert_eq!(j.status, app::domain::JobState::Done, "{j:?}");
            return;
        }
        assert!(std::time::Instant::now() < deadline, "job still {j:?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_price_history_downloads_whole_in_pages_raw_beside_adjusted() {
    let app = spawn_app().await;
    let (rows, disposition): (Vec<PriceRow>, _) = both(&app, "/api/v1/export/prices/GOOG").await;
    assert_eq!(disposition, "attachment; filename=\"GOOG-prices.csv\"");
    let stored: i64 = sqlx::query_scalar("select count(*) from daily_bars where symbol = 'GOOG'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    // More than two pages of a thousand, each day once, in order.
    assert_eq!(rows.len() as i64, stored);
    assert!(rows.len() > 2000);
    assert!(rows.windows(2).all(|w| w[0].date < w[1].date));
    assert_eq!(rows[0].date.to_string(), "2004-08-19");
    let last = rows.last().unwrap();
    assert_eq!(
        (last.date.to_string().as_str(), last.close),
        ("2013-03-01", 806.19)
    );
    // The adjusted columns are the series the charts draw.
    let adjusted = server::market::store::daily_bars(
        &app.pool,
        &sym("GOOG"),
        None,
        None,
        server::market::store::Adjustment::Adjusted,
    )
    .await
    .unwrap();
    assert!(rows
        .iter()
        .zip(&adjusted)
        .all(|(r, a)| r.date == a.date && r.adj_close == a.close && r.adj_open == a.open));

    let (window, _): (Vec<PriceRow>, _) = both(
        &app,
        "/api/v1/export/prices/GOOG?from=2013-02-01&to=2013-03-01",
    )
    .await;
    assert_eq!(window.len(), 20);
    assert_eq!(window[0].date.to_string(), "2013-02-01");

    let (_, disposition): (Vec<PriceRow>, _) = both(&app, "/api/v1/export/prices/%5EGSPC").await;
    assert_eq!(disposition, "attachment; filename=\"GSPC-prices.csv\"");
}

#[tokio::test]
async fn predictions_and_walk_forward_records_download_with_their_actuals() {
    let app = spawn_app().await;
    wait_done(
        &app,
        JobSpec::train(&sym("GOOG"), app::model::ModelId::Arima111),
    )
    .await;
    wait_done(&app, JobSpec::predict(&sym("GOOG"))).await;

    let (predictions, disposition): (Vec<PredictionRow>, _) =
        both(&app, "/api/v1/export/predictions/GOOG").await;
    assert_eq!(disposition, "attachment; filename=\"GOOG-predictions.csv\"");
    let recorded: i64 =
        sqlx::query_scalar("select count(*) from predictions where symbol = 'GOOG'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(predictions.len() as i64, recorded);
    assert!(predictions
        .iter()
        .any(|p| p.model.as_str() == "naive" && p.version == 0));
    // Made from the last bar: nothing has happened yet, so no actual.
    assert!(predictions
        .iter()
        .all(|p| p.as_of.to_string() == "2013-03-01" && p.actual.is_none()));

    let (records, _): (Vec<EvaluationRow>, _) = both(&app, "/api/v1/export/evaluation/GOOG").await;
    let arima: Vec<&EvaluationRow> = records
        .iter()
        .filter(|r| r.model.as_str() == "arima111")
        .collect();
    assert_eq!(
        arima.iter().map(|r| r.horizon).collect::<Vec<_>>(),
        [1, 2, 5]
    );
    assert!(arima
        .iter()
        .all(|r| r.mae_rel_naive.is_some() && r.origins > 0));
}

#[tokio::test]
async fn bad_downloads_say_what_is_wrong() {
    let app = spawn_app().await;
    let (status, body) = app.get_json("/api/v1/export/prices/ZZZZ").await;
    assert_error(status, &body, 404, "unknown_symbol");
    let (status, body) = app.get_json("/api/v1/export/secrets/GOOG").await;
    assert_error(status, &body, 400, "bad_request");
    let (status, body) = app.get_json("/api/v1/export/prices/GOOG?format=xlsx").await;
    assert_error(status, &body, 400, "bad_request");
    let (status, body) = app
        .get_json("/api/v1/export/prices/GOOG?from=2013-02-01&to=2012-02-01")
        .await;
    assert_error(status, &body, 400, "bad_request");
    assert!(body["error"]["message"].as_str().unwrap().contains("after"));
}

//! Repeat answers from memory: an `ETag` and a `304` for a client that has the answer, and every
//! instance dropping a symbol's answers when a worker announces new bars.

use std::time::{Duration, Instant};

use app::model::TimeSeries;
use reqwest::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use server::cache::Cache;
use server::events::{Event, Events};

use crate::kit::{spawn_app, spawn_app_with, sym};

const ROUTE: &str = "/api/v1/timeseries/GOOG?range=1M";

async fn last_date(app: &crate::kit::TestApp) -> String {
    let s: TimeSeries = app.api_ok("/timeseries/GOOG?range=1M").await;
    s.points.last().unwrap().date.clone()
}

#[tokio::test]
async fn a_client_that_has_the_answer_gets_a_304() {
    let app = spawn_app().await;
    // The first request computes the answer (and says it came from the database); the next ones
    // are the kept bytes.
    let _ = last_date(&app).await;
    let first = app
        .client
        .get(format!("{}{ROUTE}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()[ETAG].clone();
    let cc = first.headers()[CACHE_CONTROL].to_str().unwrap().to_string();
    assert!(
        cc.starts_with("max-age=") && cc.contains("must-revalidate"),
        "{cc}"
    );
    let again = app
        .get_with_header(ROUTE, IF_NONE_MATCH, etag.clone())
        .await;
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()[ETAG], etag);
    assert!(again.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn new_bars_announced_by_a_worker_reach_every_instance_at_once() {
    let a = spawn_app().await;
    let b = spawn_app_with(a.sibling(vec![])).await;
    assert_eq!(last_date(&a).await, "2013-03-01");
    assert_eq!(last_date(&b).await, "2013-03-01");

    // A refresh stores the next session's bar (here written directly) ...
    sqlx::query(
        "insert into daily_bars (symbol, date, open, high, low, close, volume) \
         values ('GOOG', '2013-03-04', 805, 822, 805, 821.5, 2000000)",
    )
    .execute(&a.pool)
    .await
    .unwrap();
    // ... which nobody has heard of yet: both still answer from memory.
    assert_eq!(last_date(&a).await, "2013-03-01");

    // The worker announces it, as its refresh job does, through the shared Redis.
    let url = crate::kit::redis_url().await;
    let worker = Events::new(Cache::new(
        redis::Client::open(url).unwrap(),
        a.cache_prefix.clone(),
    ));
    // Pub/sub reaches whoever listens at that moment: the instances subscribe while they start,
    // so the announcement is repeated until both have heard it (a repeat is harmless).
    let deadline = Instant::now() + Duration::from_secs(5);
    for app in [&a, &b] {
        loop {
            worker
                .publish(Event::BarsChanged {
                    symbol: sym("GOOG"),
                })
                .await;
            if last_date(app).await == "2013-03-04" {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the new bar did not reach {}",
                app.address
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

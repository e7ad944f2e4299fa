//! `GET /api/v1/stream` against the real server: a job's progress and the new predictions reach a
//! connected client, a reconnect resumes from `Last-Event-ID` (on another instance too), idle
//! streams get heartbeats, and 500 clients on one instance do not grow its memory without bound.

use std::time::{Duration, Instant};

use redis::AsyncCommands;
use server::jobs::JobSpec;

use crate::kit::{redis_url, spawn_app_with, sym, Options, TestApp};

/// One Server-Sent Event as read off the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct Sse {
    pub id: Option<String>,
    pub event: String,
    pub data: serde_json::Value,
}

/// Reads events off a streaming response.
pub struct SseReader {
    response: reqwest::Response,
    buffer: String,
    /// Comment lines seen (heartbeats).
    pub comments: Vec<String>,
}

impl SseReader {
    /// Opens `path` (with headers) and waits for the stream's `ready` event.
    pub async fn open(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> SseReader {
        Self::open_on(&reqwest::Client::new(), app, path, headers).await
    }

    /// [`SseReader::open`] with `client`'s connection pool.
    pub async fn open_on(
        client: &reqwest::Client,
        app: &TestApp,
        path: &str,
        headers: &[(&str, &str)],
    ) -> SseReader {
        let mut request = client.get(format!("{}{path}", app.address));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.expect("stream opens");
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        let mut reader = SseReader {
            response,
            buffer: String::new(),
            comments: Vec::new(),
        };
        let ready = reader.next(Duration::from_secs(10)).await.expect("ready");
        assert_eq!(ready.event, "ready");
        reader
    }

    /// The next event within `wait`, `None` when none came (or the stream ended).
    pub async fn next(&mut self, wait: Duration) -> Option<Sse> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = Sse {
                    id: None,
                    event: "message".into(),
                    data: serde_json::Value::Null,
                };
                let mut any = false;
                for line in block.lines() {
                    if let Some(c) = line.strip_prefix(':') {
                        self.comments.push(c.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("id:") {
                        event.id = Some(v.trim().to_owned());
                        any = true;
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event.event = v.trim().to_owned();
                        any = true;
                    } else if let Some(v) = line.strip_prefix("data:") {
                        event.data = serde_json::from_str(v.trim()).expect("JSON data");
                        any = true;
                    }
                }
                if any {
                    return Some(event);
                }
                continue;
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.response.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    /// Events until `done(event)` is true for one of them (included), within `wait`.
    pub async fn until(&mut self, wait: Duration, done: impl Fn(&Sse) -> bool) -> Vec<Sse> {
        let deadline = Instant::now() + wait;
        let mut seen = Vec::new();
        loop {
            let left = deadline
                .checked_duration_since(Instant::now())
                .unwrap_or_else(|| panic!("no final event in {wait:?}; saw {seen:#?}"));
            let event = self
                .next(left)
                .await
                .unwrap_or_else(|| panic!("stream ended or went quiet; saw {seen:#?}"));
            let last = done(&event);
            seen.push(event);
            if last {
                return seen;
            }
        }
    }
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The events but the resyncs (an instance's relay announces one whenever it (re)connects).
fn news(events: Vec<Sse>) -> Vec<Sse> {
    events.into_iter().filter(|e| e.event != "resync").collect()
}

fn job_done(e: &Sse) -> bool {
    e.event == "job" && e.data["job"]["status"] == "done"
}

#[tokio::test]
async fn a_stream_carries_a_jobs_progress_and_the_new_predictions_and_resumes_anywhere() {
    let app = spawn_app_with(Options::default()).await;
    // A second instance of the same deployment, with no workers: it only hears the first's events.
    let other = spawn_app_with(app.sibling(env(&[("APP_WORKERS", "0")]))).await;
    let mut stream = SseReader::open(&app, "/api/v1/stream?symbol=GOOG", &[]).await;
    let mut elsewhere = SseReader::open(&other, "/api/v1/stream?symbol=GOOG", &[]).await;
    // Something about another symbol is not for these streams.
    app.jobs
        .enqueue(JobSpec::predict(&sym("MSFT")))
        .await
        .unwrap();
    let job = app
        .jobs
        .enqueue(JobSpec::predict(&sym("GOOG")))
        .await
        .unwrap();

    let seen = news(stream.until(Duration::from_secs(120), job_done).await);
    let kinds: Vec<&str> = seen.iter().map(|e| e.event.as_str()).collect();
    assert!(
        seen.iter().all(|e| e.data["symbol"] == "GOOG"),
        "only GOOG: {seen:#?}"
    );
    let running = seen
        .iter()
        .find(|e| e.event == "job" && e.data["job"]["status"] == "running")
        .unwrap_or_else(|| panic!("progress: {kinds:?}"));
    assert_eq!(running.data["job"]["id"], job.id.to_string());
    assert_eq!(running.data["activity"], "predict");
    assert_eq!(running.data["job"]["step"], "computing forecasts");
    assert!(
        kinds.contains(&"predictions"),
        "the new predictions are announced: {kinds:?}"
    );
    let ids: Vec<&str> = seen.iter().filter_map(|e| e.id.as_deref()).collect();
    assert_eq!(ids.len(), seen.len(), "every event has an id");

    // The other instance heard the same events, with the same ids.
    let there = news(elsewhere.until(Duration::from_secs(10), job_done).await);
    assert_eq!(there, seen);

    // Reconnecting after the first event replays the rest, on either instance.
    let first = seen[0].id.clone().unwrap();
    for instance in [&app, &other] {
        let mut again = SseReader::open(
            instance,
            "/api/v1/stream?symbol=GOOG",
            &[("Last-Event-ID", &first)],
        )
        .await;
        let replay = news(again.until(Duration::from_secs(5), job_done).await);
        assert_eq!(replay, seen[1..].to_vec());
    }
}

#[tokio::test]
async fn streams_are_filtered_checked_and_kept_alive() {
    let app = spawn_app_with(Options {
        env: env(&[("STREAM_HEARTBEAT_SECS", "1"), ("APP_WORKERS", "0")]),
        ..Options::default()
    })
    .await;
    for (path, code) in [
        ("/api/v1/stream?kind=weather", "bad_request"),
        ("/api/v1/stream?symbol=AAPL,%3F%3F", "invalid_symbol"),
        ("/api/v1/stream?last_event_id=yesterday", "bad_request"),
    ] {
        let (status, body) = app.get_json(path).await;
        crate::kit::assert_error(status, &body, 400, code);
    }
    // A resume from before this instance heard anything, or from an id it cannot read, starts
    // with a resync.
    for id in ["1-0", "null"] {
        let mut stale = SseReader::open(&app, "/api/v1/stream", &[("Last-Event-ID", id)]).await;
        assert_eq!(
            stale.next(Duration::from_secs(5)).await.unwrap().event,
            "resync"
        );
    }
    // Quiet streams get a heartbeat comment.
    let mut quiet = SseReader::open(&app, "/api/v1/stream?kind=alert", &[]).await;
    assert!(quiet.next(Duration::from_millis(2500)).await.is_none());
    assert!(
        quiet.comments.iter().any(|c| c == "heartbeat"),
        "{:?}",
        quiet.comments
    );
}

/// Resident memory of this process (the server runs in it), in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

// It reads the whole test process's memory, so other tests running beside it would show as its
// growth: `make test` runs it on its own (`-- --ignored --test-threads=1`).
#[tokio::test]
#[ignore = "measures the process's memory: run alone"]
async fn five_hundred_streams_on_one_instance_stay_bounded() {
    const CLIENTS: usize = 500;
    const EVENTS: usize = 1_000;
    let app = spawn_app_with(Options {
        env: env(&[("APP_WORKERS", "0"), ("API_LIMIT_ANONYMOUS", "100000/min")]),
        ..Options::default()
    })
    .await;
    let client = reqwest::Client::new();
    let before = rss_kib();
    let mut readers = Vec::with_capacity(CLIENTS);
    for _ in 0..CLIENTS {
        readers.push(SseReader::open_on(&client, &app, "/api/v1/stream", &[]).await);
    }
    // Half the clients read everything; the other half never read (slow consumers).
    let (readers, idle): (Vec<_>, Vec<_>) = readers
        .into_iter()
        .enumerate()
        .partition(|(i, _)| i % 2 == 0);
    let connected = rss_kib();
    let counting: Vec<_> = readers
        .into_iter()
        .map(|(_, mut r)| {
            tokio::spawn(async move {
                let mut n = 0usize;
                while let Some(e) = r.next(Duration::from_secs(20)).await {
                    if e.event == "bars" {
                        n += 1;
                    }
                    if n == EVENTS || e.event == "dropped" {
                        break;
                    }
                }
                n
            })
        })
        .collect();
    // Another process's events, written to the shared log the way its bus writes them.
    let redis = redis::Client::open(redis_url().await).unwrap();
    let mut conn = redis.get_multiplexed_async_connection().await.unwrap();
    let log = format!("{}events", app.cache_prefix);
    for i in 0..EVENTS {
        let envelope = serde_json::json!({
            "from": 7,
            "event": {"kind": "bars_changed", "symbol": if i % 2 == 0 { "AAPL" } else { "MSFT" }},
        });
        let _: String = conn
            .xadd(&log, "*", &[("e", envelope.to_string())])
            .await
            .unwrap();
        if i % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let mut delivered = 0usize;
    for c in counting {
        delivered += c.await.unwrap();
    }
    let after = rss_kib();
    drop(idle);
    let per_stream = (connected.saturating_sub(before)) as f64 / CLIENTS as f64;
    let growth_mib = after.saturating_sub(connected) as f64 / 1024.0;
    eprintln!(
        "event streams: {CLIENTS} open cost {:.1} MiB ({per_stream:.0} KiB each, client side included); \
         {EVENTS} events to {} readers ({delivered} deliveries) grew RSS by {growth_mib:.1} MiB \
         (RSS {:.1} → {:.1} → {:.1} MiB)",
        (connected - before) as f64 / 1024.0,
        CLIENTS / 2,
        before as f64 / 1024.0,
        connected as f64 / 1024.0,
        after as f64 / 1024.0,
    );
    assert!(
        delivered >= EVENTS * CLIENTS / 2 * 9 / 10,
        "the readers got the events: {delivered}"
    );
    assert!(
        growth_mib < 48.0,
        "memory grew {growth_mib:.1} MiB while {} clients sat on {EVENTS} events",
        CLIENTS / 2
    );
}

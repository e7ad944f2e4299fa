//! Latency of `GET /api/v1/timeseries/GOOG?range=5Y`, cached and uncached.
//!
//! Starts a private Postgres and Redis under a fresh temporary directory, then two app instances on
//! the same database: one with the Redis cache, one whose Redis URL points at a closed port (every
//! request reads and downsamples from Postgres). Each gets one warm-up request, then `N` requests
//! from `C` concurrent clients; p50/p99 and throughput are printed. Concurrent misses of one key
//! share one load (single flight), so for the cost of every request reading Postgres run `-- 500 1`.
//!
//! ```sh
//! cargo run -p server --example timeseries_latency            # 2000 requests, 16 concurrent
//! cargo run -p server --example timeseries_latency -- 5000 32
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use server::config::Settings;
use server::embedded::{EmbeddedPostgres, EmbeddedRedis};
use server::startup::Application;

const PATH: &str = "/api/v1/timeseries/GOOG?range=5Y";
const DB: &str = "tickercast_bench";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let total: usize = args.next().map_or(Ok(2000), |a| a.parse())?;
    let concurrency: usize = args.next().map_or(Ok(16), |a| a.parse())?;

    let dir: PathBuf =
        std::env::temp_dir().join(format!("tickercast-bench-{}", std::process::id()));
    let pg = EmbeddedPostgres::start(&dir, false).await?;
    pg.ensure_database(DB).await?;
    let redis = EmbeddedRedis::start(&dir.join("redis")).await?;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?;
    let closed_url = format!("redis://{}/", closed.local_addr()?);
    drop(closed);

    let report = async {
        for (label, redis_url) in [("cached", redis.url()), ("uncached (Redis down)", closed_url)] {
            let (base, stop) = start_app(pg.url(DB), redis_url).await?;
            let client = reqwest::Client::new();
            let warm = client.get(format!("{base}{PATH}")).send().await?;
            anyhow::ensure!(warm.status().is_success(), "warm-up answered {}", warm.status());
            let run = fire(&client, &format!("{base}{PATH}"), total, concurrency).await?;
            println!(
                "{label:>22}: {total} requests, {concurrency} concurrent: p50 {:.2} ms, p99 {:.2} ms, {:.0} req/s",
                ms(run.p50),
                ms(run.p99),
                run.throughput
            );
            let _ = stop.send(());
        }
        anyhow::Ok(())
    }
    .await;

    redis.stop();
    pg.stop();
    let _ = std::fs::remove_dir_all(&dir);
    report
}

async fn start_app(
    database_url: String,
    redis_url: String,
) -> anyhow::Result<(String, tokio::sync::oneshot::Sender<()>)> {
    let settings = Settings::from_lookup(|k| match k {
        "APP_ADDR" => Some("127.0.0.1:0".into()),
        "DATABASE_URL" => Some(database_url.clone()),
        "REDIS_URL" => Some(redis_url.clone()),
        "APP_CACHE_PREFIX" => Some(format!("bench:{}:", std::process::id())),
        // No background model jobs competing for the cores while we measure.
        "APP_WORKERS" => Some("0".into()),
        _ => None,
    })
    .context("settings")?;
    let app = Application::build(settings).await?;
    let base = format!("http://{}", app.addr());
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    Ok((base, tx))
}

struct Run {
    p50: Duration,
    p99: Duration,
    throughput: f64,
}

async fn fire(
    client: &reqwest::Client,
    url: &str,
    total: usize,
    concurrency: usize,
) -> anyhow::Result<Run> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (client, url, next) = (client.clone(), url.to_string(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < total {
                let t = Instant::now();
                let res = client.get(&url).send().await?;
                anyhow::ensure!(res.status().is_success(), "answered {}", res.status());
                res.bytes().await?;
                latencies.push(t.elapsed());
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut all = Vec::with_capacity(total);
    for w in workers {
        all.extend(w.await??);
    }
    let elapsed = start.elapsed();
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p).ceil() as usize).clamp(1, all.len()) - 1];
    Ok(Run {
        p50: pct(0.50),
        p99: pct(0.99),
        throughput: all.len() as f64 / elapsed.as_secs_f64(),
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

//! `GET /api/status`: is each dependency reachable, and how fast.

use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

use super::AppState;

/// One dependency's health. Why a check failed goes to the log, never to the (anonymous) client:
/// error text names hosts, users and databases.
#[derive(Debug, Serialize)]
pub struct Check {
    /// `ok` or `error`.
    pub status: &'static str,
    /// Round trip in milliseconds, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
}

/// The whole answer. `status` is `ok`, or `degraded` when only the cache is down (the app still
/// serves); a down Postgres makes the route answer 503.
#[derive(Debug, Serialize)]
pub struct Status {
    /// `ok`, `degraded` or `down`.
    pub status: &'static str,
    /// Postgres (required).
    pub postgres: Check,
    /// Redis (optional cache).
    pub redis: Check,
}

fn check(name: &str, res: Result<Duration, String>) -> Check {
    match res {
        Ok(d) => Check {
            status: "ok",
            latency_ms: Some(d.as_secs_f64() * 1e3),
        },
        Err(e) => {
            tracing::warn!(dependency = name, error = %e, "health check failed");
            Check {
                status: "error",
                latency_ms: None,
            }
        }
    }
}

/// Checks Postgres and Redis.
#[tracing::instrument(skip_all)]
pub async fn status(State(state): State<AppState>) -> (StatusCode, Json<Status>) {
    let start = Instant::now();
    let pg = match tokio::time::timeout(
        Duration::from_secs(2),
        sqlx::query_scalar!("select 1 as one").fetch_one(&state.pool),
    )
    .await
    {
        Ok(Ok(_)) => Ok(start.elapsed()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out after 2 s".to_string()),
    };
    let postgres = check("postgres", pg);
    let redis = check("redis", state.cache.ping().await);
    let (code, overall) = match (postgres.status, redis.status) {
        ("ok", "ok") => (StatusCode::OK, "ok"),
        ("ok", _) => (StatusCode::OK, "degraded"),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "down"),
    };
    (
        code,
        Json(Status {
            status: overall,
            postgres,
            redis,
        }),
    )
}

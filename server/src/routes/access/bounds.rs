//! What one process serves at once and for how long: beyond `max_concurrent` requests in flight
//! the rest are shed with 503 at once (queueing them would only add latency and memory), and a
//! request that takes longer than `timeout` is abandoned with 503. Long-lived paths (the event
//! stream, with its own bound) are outside both.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::routes::api::error::ApiError;

/// The bounds of one process.
#[derive(Clone, Debug)]
pub struct Bounds {
    permits: Arc<Semaphore>,
    timeout: Duration,
    long_lived: &'static [&'static str],
}

impl Bounds {
    /// At most `max_concurrent` requests at once, each at most `timeout`.
    pub fn new(max_concurrent: usize, timeout: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            timeout,
            long_lived: &[],
        }
    }

    /// Leaves requests to `paths` out of both bounds (they bound themselves).
    pub fn except(mut self, paths: &'static [&'static str]) -> Self {
        self.long_lived = paths;
        self
    }
}

/// How large a request body may be: `default` everywhere but on the upload paths (price
/// imports), which take files.
#[derive(Clone, Debug)]
pub struct BodyLimits {
    /// Every other path.
    pub default: usize,
    /// The upload paths.
    pub uploads: usize,
    /// Paths that take files.
    pub upload_paths: &'static [&'static str],
}

impl BodyLimits {
    fn for_path(&self, path: &str) -> usize {
        if self.upload_paths.contains(&path) {
            self.uploads
        } else {
            self.default
        }
    }
}

/// Refuses a body whose declared length is over its path's limit with 413 in the API's shape,
/// before any of it is read, and cuts a body without a declared length at the limit as it is
/// read.
pub async fn body_limit(State(limits): State<BodyLimits>, req: Request, next: Next) -> Response {
    let limit = limits.for_path(req.uri().path());
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return ApiError::payload_too_large().into_response();
    }
    let req = req.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, limit)));
    next.run(req).await
}

/// Sheds load beyond the concurrency bound and cuts requests at the timeout.
pub async fn bounded(State(bounds): State<Bounds>, req: Request, next: Next) -> Response {
    if bounds.long_lived.contains(&req.uri().path()) {
        return next.run(req).await;
    }
    let Ok(_permit) = bounds.permits.clone().try_acquire_owned() else {
        metrics::counter!("http_requests_shed_total").increment(1);
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "The server is busy; please retry in a moment.",
        )
        .retry_after(1)
        .into_response();
    };
    let path = req.uri().path().to_owned();
    match tokio::time::timeout(bounds.timeout, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::warn!(%path, timeout = ?bounds.timeout, "request timed out");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "That took too long to answer; please retry.",
            )
            .retry_after(2)
            .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    fn app(bounds: Bounds) -> Router {
        Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    "done"
                }),
            )
            .layer(axum::middleware::from_fn_with_state(bounds, bounded))
    }

    fn slow() -> Request {
        Request::builder()
            .uri("/slow")
            .body(axum::body::Body::empty())
            .unwrap()
    }

    #[tokio::test]
    async fn a_request_over_the_timeout_answers_503() {
        let res = app(Bounds::new(8, Duration::from_millis(50)))
            .oneshot(slow())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(res.headers().contains_key("retry-after"));
    }

    #[tokio::test]
    async fn requests_beyond_the_concurrency_bound_are_shed_at_once() {
        let router = app(Bounds::new(1, Duration::from_secs(5)));
        let first = tokio::spawn(router.clone().oneshot(slow()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = std::time::Instant::now();
        let second = router.clone().oneshot(slow()).await.unwrap();
        assert_eq!(second.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(started.elapsed() < Duration::from_millis(200), "not queued");
        assert_eq!(first.await.unwrap().unwrap().status(), StatusCode::OK);
    }
}

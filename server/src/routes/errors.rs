//! Server functions answer every error with HTTP 500; this middleware gives each typed error its
//! real status (400, 401, 404, 409…) so browsers, proxies, logs and metrics see what happened.

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

use app::error::AppError;

/// The header leptos sets on a server function's error response.
const SERVER_FN_ERROR: &str = "serverfnerror";
/// Error bodies are a few hundred bytes; anything larger is left alone.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Rewrites the status of server-function error responses from the error they carry.
pub async fn server_fn_status(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key(SERVER_FN_ERROR)
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(err.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

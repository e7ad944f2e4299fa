//! Cross-origin reads for the static build (`Trunk.toml`): pages served from the origins an
//! operator lists (`APP_CORS_ORIGINS`) may call this server with the person's cookies. Only those
//! origins, never `*`: credentials and a wildcard do not mix. With none listed there is no layer
//! and browsers keep every other origin out.

use std::time::Duration;

use axum::http::{header, HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::WebOrigin;

/// The headers a page of another origin may read: the server functions' redirect and error
/// markers, and what the API's clients use (limits, retries, caching).
const EXPOSED: [&str; 8] = [
    "serverfnredirect",
    "serverfnerror",
    "location",
    "retry-after",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "etag",
];

/// The layer for `origins`, or `None` when none are listed.
pub fn layer(origins: &[WebOrigin]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.as_str()).ok())
        .collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(allowed))
            .allow_credentials(true)
            .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::HEAD])
            .allow_headers([
                header::CONTENT_TYPE,
                header::ACCEPT,
                header::AUTHORIZATION,
                HeaderName::from_static("last-event-id"),
                HeaderName::from_static("x-api-key"),
            ])
            .expose_headers(EXPOSED.map(HeaderName::from_static))
            .max_age(Duration::from_secs(600)),
    )
}

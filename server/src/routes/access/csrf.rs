//! Cross-site request forgery: a state-changing request that a browser could send with the
//! person's cookies must come from our own pages. `Origin` (or, without it, `Referer`) must name
//! this site's host; `SameSite=Lax` alone would let a sibling subdomain (same *site*, other
//! *origin*) post to us. Requests that carry their own credential in a header (`Authorization`,
//! `X-API-Key`) cannot be forged by another page and are left to the access layer. The origins an
//! operator lists in `APP_CORS_ORIGINS` (the static build's hosts) count as our own pages.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::WebOrigin;
use crate::routes::api::error::ApiError;

/// Origins besides the site's own whose pages may post with the person's cookies.
#[derive(Clone, Debug, Default)]
pub struct TrustedOrigins(Arc<[WebOrigin]>);

impl TrustedOrigins {
    /// These origins.
    pub fn new(origins: &[WebOrigin]) -> Self {
        Self(origins.into())
    }

    fn contains(&self, origin: &str) -> bool {
        self.0.iter().any(|o| o.as_str() == origin)
    }
}

/// Refuses cross-origin state-changing requests with 403.
pub async fn same_origin_only(
    State(trusted): State<TrustedOrigins>,
    req: Request,
    next: Next,
) -> Response {
    match check(req.method(), req.headers(), &trusted) {
        Ok(()) => next.run(req).await,
        Err(why) => {
            tracing::info!(why, path = %req.uri().path(), "cross-site request refused");
            ApiError::forbidden(format!("Cross-site request refused: {why}.")).into_response()
        }
    }
}

/// Whether a request may go on; `Err` says why not.
pub fn check(
    method: &Method,
    headers: &HeaderMap,
    trusted: &TrustedOrigins,
) -> Result<(), &'static str> {
    if matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return Ok(());
    }
    if headers.contains_key(header::AUTHORIZATION) || headers.contains_key("x-api-key") {
        return Ok(());
    }
    if headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .is_some_and(|o| trusted.contains(o))
    {
        return Ok(());
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_ascii_lowercase);
    let from = |name: header::HeaderName| {
        headers
            .get(name)
            .map(|v| v.to_str().ok().and_then(authority_of))
    };
    match from(header::ORIGIN).or_else(|| from(header::REFERER)) {
        Some(Some(origin)) if Some(&origin) == host.as_ref() => Ok(()),
        Some(Some(_)) => Err("it came from another site"),
        // `Origin: null` (sandboxed frames, some redirects) or a malformed header.
        Some(None) => Err("its origin is hidden or malformed"),
        // No Origin and no Referer: not a browser's cross-site request unless cookies ride along
        // (old browsers, privacy settings); then we cannot tell, so we refuse.
        None if headers.contains_key(header::COOKIE) => Err("its origin is unknown"),
        None => Ok(()),
    }
}

/// `host[:port]` of an absolute URL, lower-cased.
fn authority_of(url: &str) -> Option<String> {
    let uri: Uri = url.parse().ok()?;
    uri.scheme()?;
    Some(uri.authority()?.as_str().to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "tickercast.example:8080".parse().unwrap());
        for (k, v) in pairs {
            h.insert(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn reads_pass_and_same_origin_posts_pass() {
        assert!(check(
            &Method::GET,
            &req(&[("origin", "https://evil.example")]),
            &TrustedOrigins::default()
        )
        .is_ok());
        let ok = req(&[
            ("origin", "http://tickercast.example:8080"),
            ("cookie", "s=1"),
        ]);
        assert!(check(&Method::POST, &ok, &TrustedOrigins::default()).is_ok());
        let by_referer = req(&[("referer", "http://tickercast.example:8080/login?x=1")]);
        assert!(check(&Method::POST, &by_referer, &TrustedOrigins::default()).is_ok());
    }

    #[test]
    fn cross_origin_and_sibling_subdomain_posts_are_refused() {
        for origin in [
            "https://evil.example",
            "http://api.tickercast.example:8080",
            "http://tickercast.example:9999",
            "null",
        ] {
            let h = req(&[("origin", origin), ("cookie", "s=1")]);
            assert!(
                check(&Method::POST, &h, &TrustedOrigins::default()).is_err(),
                "{origin}"
            );
            assert!(
                check(&Method::DELETE, &h, &TrustedOrigins::default()).is_err(),
                "{origin}"
            );
        }
        let h = req(&[("referer", "https://evil.example/page")]);
        assert!(check(&Method::POST, &h, &TrustedOrigins::default()).is_err());
    }

    #[test]
    fn cookies_without_any_origin_are_refused_but_header_credentials_pass() {
        assert!(check(
            &Method::POST,
            &req(&[("cookie", "s=1")]),
            &TrustedOrigins::default()
        )
        .is_err());
        assert!(check(&Method::POST, &req(&[]), &TrustedOrigins::default()).is_ok());
        let keyed = req(&[("origin", "https://evil.example"), ("x-api-key", "tc_x")]);
        assert!(check(&Method::POST, &keyed, &TrustedOrigins::default()).is_ok());
    }

    #[test]
    fn listed_origins_post_like_our_own_pages() {
        let trusted = TrustedOrigins::new(&[WebOrigin::parse("http://127.0.0.1:3127").unwrap()]);
        let from = |origin: &str| req(&[("origin", origin), ("cookie", "s=1")]);
        assert!(check(&Method::POST, &from("http://127.0.0.1:3127"), &trusted).is_ok());
        assert!(check(&Method::POST, &from("http://127.0.0.1:3128"), &trusted).is_err());
        assert!(check(
            &Method::POST,
            &from("http://127.0.0.1:3127"),
            &TrustedOrigins::default()
        )
        .is_err());
    }
}

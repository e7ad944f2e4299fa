//! Cross-site request forgery: a state-changing request that a browser could send with the
//! person's cookies must come from our own pages. `Origin` (or, without it, `Referer`) must name
//! this site's host; `SameSite=Lax` alone would let a sibling subdomain (same *site*, other
//! *origin*) post to us. Requests that carry their own credential in a header (`Authorization`,
//! `X-API-Key`) cannot be forged by another page and are left to the access layer.

use axum::extract::Request;
use axum::http::{header, HeaderMap, Method, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::routes::api::error::ApiError;

/// Refuses cross-origin state-changing requests with 403.
pub async fn same_origin_only(req: Request, next: Next) -> Response {
    match check(req.method(), req.headers()) {
        Ok(()) => next.run(req).await,
        Err(why) => {
            tracing::info!(why, path = %req.uri().path(), "cross-site request refused");
            ApiError::forbidden(format!("Cross-site request refused: {why}.")).into_response()
        }
    }
}

/// Whether a request may go on; `Err` says why not.
pub fn check(method: &Method, headers: &HeaderMap) -> Result<(), &'static str> {
    if matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return Ok(());
    }
    if headers.contains_key(header::AUTHORIZATION) || headers.contains_key("x-api-key") {
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
        assert!(check(&Method::GET, &req(&[("origin", "https://evil.example")])).is_ok());
        let ok = req(&[
            ("origin", "http://tickercast.example:8080"),
            ("cookie", "s=1"),
        ]);
        assert!(check(&Method::POST, &ok).is_ok());
        let by_referer = req(&[("referer", "http://tickercast.example:8080/login?x=1")]);
        assert!(check(&Method::POST, &by_referer).is_ok());
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
            assert!(check(&Method::POST, &h).is_err(), "{origin}");
            assert!(check(&Method::DELETE, &h).is_err(), "{origin}");
        }
        let h = req(&[("referer", "https://evil.example/page")]);
        assert!(check(&Method::POST, &h).is_err());
    }

    #[test]
    fn cookies_without_any_origin_are_refused_but_header_credentials_pass() {
        assert!(check(&Method::POST, &req(&[("cookie", "s=1")])).is_err());
        assert!(check(&Method::POST, &req(&[])).is_ok());
        let keyed = req(&[("origin", "https://evil.example"), ("x-api-key", "tc_x")]);
        assert!(check(&Method::POST, &keyed).is_ok());
    }
}

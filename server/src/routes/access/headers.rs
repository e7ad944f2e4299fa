//! The security headers every response carries, and the Content-Security-Policy of the pages.
//!
//! Pages get a policy with a fresh nonce per response: Leptos puts that nonce on the inline
//! scripts it writes (hydration, streamed resources), so no other inline script runs. Everything
//! else (JSON, files) gets a policy that allows nothing, since none of it is meant to run;
//! WebAssembly, never a document, gets only `nosniff`.

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use leptos::prelude::use_context;

/// The policy of a page rendered with `nonce`. `wasm-unsafe-eval` lets the app's WebAssembly
/// compile (it allows no JavaScript `eval`); inline `style` attributes are allowed because the
/// charts size themselves with them, while `<style>` elements still need the nonce.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'nonce-{nonce}'; style-src-attr 'unsafe-inline'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// The policy of everything that is not a page.
const NOTHING_RUNS: &str = "default-src 'none'; frame-ancestors 'none'";

/// Sets the page's policy from the nonce Leptos renders with. Call it in the Leptos context of
/// every rendered page.
pub fn provide_page_policy() {
    let (Some(nonce), Some(res)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    if let Ok(v) = HeaderValue::from_str(&page_policy(&nonce)) {
        res.insert_header(header::CONTENT_SECURITY_POLICY, v);
    }
}

/// What the header layer needs to know.
#[derive(Clone, Copy, Debug)]
pub struct HeaderPolicy {
    /// Cookies are `Secure` (the site is served over TLS): send HSTS.
    pub https: bool,
    /// The session cookie's name: an HTML answer to a request that carries it is personal.
    pub session_cookie: &'static str,
}

/// Adds the security headers (and `no-store` on pages for a logged-in person).
pub async fn security_headers(
    State(policy): State<HeaderPolicy>,
    req: Request,
    next: Next,
) -> Response {
    let personal = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|c| c.contains(policy.session_cookie));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let content_type = |prefix: &str| {
        h.get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with(prefix))
    };
    let (html, wasm) = (content_type("text/html"), content_type("application/wasm"));
    let set = |h: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // The headers that govern a document say nothing about WebAssembly, which is never one (nor a
    // worker), and the split bundle's chunks, a hundred small files a first visit, would each
    // carry them.
    if !wasm {
        set(h, header::CONTENT_SECURITY_POLICY, NOTHING_RUNS);
        set(
            h,
            header::REFERRER_POLICY,
            "strict-origin-when-cross-origin",
        );
        set(h, header::X_FRAME_OPTIONS, "DENY");
        set(
            h,
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        );
    }
    if policy.https {
        set(
            h,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    if html && personal {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if policy.https {
        secure_host_cookie_removals(h);
    }
    res
}

/// tower-sessions 0.14 writes the cookie that deletes a session (on logout) without `Secure`; a
/// browser ignores a `__Host-` cookie without it, so the logged-out cookie would linger. Adds it.
fn secure_host_cookie_removals(h: &mut axum::http::HeaderMap) {
    let needs_fix = |v: &HeaderValue| {
        v.to_str()
            .is_ok_and(|s| s.starts_with("__Host-") && !s.to_ascii_lowercase().contains("; secure"))
    };
    if !h.get_all(header::SET_COOKIE).iter().any(needs_fix) {
        return;
    }
    let fixed: Vec<HeaderValue> = h
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| match v.to_str() {
            Ok(s) if needs_fix(v) => {
                HeaderValue::from_str(&format!("{s}; Secure")).unwrap_or_else(|_| v.clone())
            }
            _ => v.clone(),
        })
        .collect();
    h.remove(header::SET_COOKIE);
    for v in fixed {
        h.append(header::SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_prefixed_cookie_removals_get_secure() {
        let mut h = axum::http::HeaderMap::new();
        h.append(
            header::SET_COOKIE,
            HeaderValue::from_static("__Host-tickercast.sid=; Path=/; Max-Age=0"),
        );
        h.append(
            header::SET_COOKIE,
            HeaderValue::from_static("other=1; Path=/"),
        );
        secure_host_cookie_removals(&mut h);
        let all: Vec<_> = h.get_all(header::SET_COOKIE).iter().collect();
        assert_eq!(all[0], "__Host-tickercast.sid=; Path=/; Max-Age=0; Secure");
        assert_eq!(all[1], "other=1; Path=/");
    }

    #[tokio::test]
    async fn webassembly_carries_no_document_headers_and_everything_else_does() {
        use axum::routing::get;
        use tower::ServiceExt;
        let typed = |t: &'static str| move || async move { ([(header::CONTENT_TYPE, t)], "x") };
        let app = axum::Router::new()
            .route("/a.wasm", get(typed("application/wasm")))
            .route("/a.js", get(typed("text/javascript")))
            .layer(axum::middleware::from_fn_with_state(
                HeaderPolicy {
                    https: false,
                    session_cookie: "sid",
                },
                security_headers,
            ));
        let headers = |path: &'static str| {
            let app = app.clone();
            async move {
                let req = Request::get(path).body(axum::body::Body::empty()).unwrap();
                app.oneshot(req).await.unwrap().headers().clone()
            }
        };
        let wasm = headers("/a.wasm").await;
        assert_eq!(wasm["x-content-type-options"], "nosniff");
        for document_only in [
            "content-security-policy",
            "referrer-policy",
            "x-frame-options",
            "cross-origin-opener-policy",
        ] {
            assert!(!wasm.contains_key(document_only), "{document_only}");
        }
        let js = headers("/a.js").await;
        assert_eq!(js["content-security-policy"], NOTHING_RUNS);
        assert_eq!(js["x-frame-options"], "DENY");
    }

    #[test]
    fn the_page_policy_allows_only_nonced_inline_scripts() {
        let p = page_policy("abc123");
        let script = p
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src "))
            .unwrap();
        assert_eq!(
            script,
            "script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'"
        );
        assert!(p.contains("frame-ancestors 'none'"));
        assert!(p.contains("object-src 'none'"));
    }
}

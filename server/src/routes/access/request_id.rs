//! Client-supplied `X-Request-Id`s are kept only when short and plain (so a log line cannot be
//! forged or bloated through them); anything else is dropped and a fresh id is made.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

/// Longest request id kept.
const MAX_LEN: usize = 64;

/// Whether a client's request id may be used as given.
pub fn acceptable(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_LEN
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Marks an answer that goes without its `X-Request-Id`: a content-named site file, the same for
/// every request and logged by none, of which a first visit fetches dozens (the split bundle's
/// chunks), each a few hundred bytes, so the header is a tenth of some.
#[derive(Clone, Copy, Debug)]
pub struct WithoutId;

/// Drops an unacceptable `X-Request-Id` before the id layer and the log see it, and the id of an
/// answer marked [`WithoutId`].
pub async fn sanitise(mut req: Request, next: Next) -> Response {
    let bad = req
        .headers()
        .get_all("x-request-id")
        .iter()
        .any(|v| !acceptable(v.as_bytes()))
        || req.headers().get_all("x-request-id").iter().count() > 1;
    if bad {
        req.headers_mut().remove("x-request-id");
    }
    let mut res = next.run(req).await;
    if res.extensions().get::<WithoutId>().is_some() {
        res.headers_mut().remove("x-request-id");
    }
    res
}

#[cfg(test)]
mod tests {
    use super::acceptable;

    #[test]
    fn only_short_plain_ids_are_kept() {
        assert!(acceptable(b"3f1c2a9e-0b7d-4c55-9d7e-2a1f3b4c5d6e"));
        assert!(!acceptable(b""));
        assert!(!acceptable(b"a\" forged=\"log"));
        assert!(!acceptable(b"line\nbreak"));
        assert!(!acceptable("x".repeat(65).as_bytes()));
    }
}

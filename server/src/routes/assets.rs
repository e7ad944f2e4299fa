//! The site's static files (the hydrate bundle, the stylesheet, ECharts, icons) served from memory.
//! They are read once at start-up, each with a strong `ETag` (a hash of its bytes) and
//! `Cache-Control: no-cache`, so a browser keeps them and a revisit costs a `304 Not Modified`
//! instead of the bytes. Served ahead of the session, same-origin and access layers, which a file
//! needs none of. Reading them per request through a file server took a blocking-pool round trip
//! for every stat and read: a tenth of what the same server answers from memory.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// The largest file kept in memory; anything larger is left to the file handler.
const MAX_FILE: u64 = 64 * 1024 * 1024;

/// One file, ready to send.
#[derive(Debug)]
struct Asset {
    bytes: Bytes,
    content_type: HeaderValue,
    etag: HeaderValue,
}

/// Every file under the site root, by URL path (`/pkg/tickercast.css`).
#[derive(Debug, Default)]
pub struct Assets {
    files: HashMap<String, Asset>,
}

impl Assets {
    /// Reads every file under `root`. A missing root (a server started without a built site)
    /// is empty, not an error: the pages still render, without their assets.
    pub fn load(root: &Path) -> Arc<Self> {
        let mut files = HashMap::new();
        if let Err(e) = read_dir(root, root, &mut files) {
            tracing::warn!(root = %root.display(), error = %e, "site assets not loaded");
        }
        let bytes: usize = files.values().map(|a| a.bytes.len()).sum();
        tracing::info!(files = files.len(), bytes, "site assets in memory");
        Arc::new(Self { files })
    }

    /// How many files are held.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

fn read_dir(root: &Path, dir: &Path, files: &mut HashMap<String, Asset>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            read_dir(root, &path, files)?;
        } else if kind.is_file() && entry.metadata()?.len() <= MAX_FILE {
            let Ok(relative) = path.strip_prefix(root) else {
                continue;
            };
            let Some(url) = relative
                .to_str()
                .map(|r| format!("/{}", r.replace('\\', "/")))
            else {
                continue;
            };
            let bytes = Bytes::from(std::fs::read(&path)?);
            let hash = Sha256::digest(&bytes);
            let etag = format!("\"{}\"", hex16(&hash));
            let mime = mime_guess::from_path(&path).first_or_octet_stream();
            files.insert(
                url,
                Asset {
                    bytes,
                    content_type: HeaderValue::from_str(mime.essence_str())
                        .unwrap_or(HeaderValue::from_static("application/octet-stream")),
                    etag: HeaderValue::from_str(&etag).expect("hex is a valid header value"),
                },
            );
        }
    }
    Ok(())
}

pub(crate) fn hex16(hash: &[u8]) -> String {
    hash.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Answers a `GET` or `HEAD` of a site file from memory; anything else goes on.
pub async fn serve(State(assets): State<Arc<Assets>>, req: Request, next: Next) -> Response {
    let method = req.method();
    if method != Method::GET && method != Method::HEAD {
        return next.run(req).await;
    }
    let Some(asset) = assets.files.get(req.uri().path()) else {
        return next.run(req).await;
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, asset.etag.clone());
    // Kept, but checked each time: the names are not content-hashed, so a new build must show.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if matches(req.headers(), &asset.etag) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(header::CONTENT_TYPE, asset.content_type.clone());
    let body = if method == Method::HEAD {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(asset.bytes.len()));
        Body::empty()
    } else {
        Body::from(asset.bytes.clone())
    };
    (StatusCode::OK, headers, body).into_response()
}

/// Whether `If-None-Match` names `etag` (or `*`); weak tags match too, as compression may mark
/// them weak.
pub(crate) fn matches(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let Some(Ok(wanted)) = request.get(header::IF_NONE_MATCH).map(|v| v.to_str()) else {
        return false;
    };
    let ours = etag.to_str().unwrap_or_default();
    wanted
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_the_star() {
        let etag = HeaderValue::from_static("\"abc\"");
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::IF_NONE_MATCH, HeaderValue::from_static(v));
            h
        };
        assert!(matches(&with("\"abc\""), &etag));
        assert!(matches(&with("\"x\", W/\"abc\""), &etag));
        assert!(matches(&with("*"), &etag));
        assert!(!matches(&with("\"abd\""), &etag));
        assert!(!matches(&HeaderMap::new(), &etag));
    }

    #[test]
    fn every_file_under_the_root_is_keyed_by_its_url_path() {
        let dir = std::env::temp_dir().join(format!("tc-assets-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        std::fs::write(dir.join("pkg/app.css"), "body{}").unwrap();
        std::fs::write(dir.join("favicon.svg"), "<svg/>").unwrap();
        let assets = Assets::load(&dir);
        assert_eq!(assets.len(), 2);
        let css = &assets.files["/pkg/app.css"];
        assert_eq!(css.content_type, "text/css");
        assert_eq!(css.etag.len(), 18, "16 hex digits in quotes");
        assert_eq!(assets.files["/favicon.svg"].content_type, "image/svg+xml");
        assert!(Assets::load(&dir.join("missing")).is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }
}

//! The site's static files (the hydrate bundle, the stylesheet, ECharts, icons) served from memory.
//! They are read once at start-up. Each is answered under its plain name (`/pkg/tickercast.css`,
//! `Cache-Control: no-cache` with a strong `ETag`, so a revisit costs a `304`) and under a name
//! carrying a hash of its bytes (`/pkg/tickercast.<hash>.css`, `immutable` for a year, with no
//! tag: a new build is a new name). Pages link the hashed names ([`SiteFiles`]), so a second
//! visit fetches none of them. A compressible file goes as brotli to a browser that takes it,
//! when the build made one (`make precompress`: quality 11, too slow to make here), and otherwise
//! gzipped, once, at the best level, on first demand, instead of at every request. Served ahead
//! of the session, same-origin and access layers, which a file needs none of: reading them per
//! request through a file server took a blocking-pool round trip for every stat and read, a tenth
//! of what the same server answers from memory.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use app::site_files::{SiteFiles, PLAIN_CHARTS, PLAIN_STYLESHEET};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::routes::access::request_id::WithoutId;

/// The largest file kept in memory; anything larger is left to the file handler.
const MAX_FILE: u64 = 64 * 1024 * 1024;
/// Below this, gzip's header costs about what it saves.
const MIN_GZIP: usize = 1024;
/// The folder under the site root holding the build's brotli files, each named by the content
/// hash of the file it compresses (`<hash>.br`), so a file is only ever paired with its own.
const PRECOMPRESSED: &str = "precompressed";
/// The hydrate bundle as wasm-bindgen writes it: its script and its WebAssembly.
const BUNDLE_JS: &str = "/pkg/tickercast.js";
const BUNDLE_WASM: &str = "/pkg/tickercast_bg.wasm";
/// The loader of the bundle's per-route chunks (`make build-wasm` splits it): it imports the
/// bundle's script and fetches the chunks, each by a path relative to itself.
const SPLIT_LOADER: &str = "/pkg/__wasm_split.js";
const FOREVER: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// One file, ready to send.
#[derive(Debug)]
struct Asset {
    bytes: Bytes,
    content_type: HeaderValue,
    /// 16 hex digits of its bytes' SHA-256: its `ETag` (quoted) and its content name.
    hash: String,
    etag: HeaderValue,
    /// Whether gzip may shrink it (text, scripts, WebAssembly, SVG of a useful size): decided
    /// once, when the file is read.
    compressible: bool,
    /// Its bytes gzipped, made on the first request that accepts them; `None` for a file gzip
    /// does not shrink.
    gzipped: OnceCell<Option<Bytes>>,
    /// Its bytes as brotli, when the build made them.
    brotli: Option<Bytes>,
}

impl Asset {
    fn new(bytes: Bytes, content_type: &str) -> Self {
        let hash = hex16(&Sha256::digest(&bytes));
        let compressible = bytes.len() >= MIN_GZIP && compressible_type(content_type);
        Self {
            etag: HeaderValue::from_str(&format!("\"{hash}\""))
                .expect("hex is a valid header value"),
            content_type: HeaderValue::from_str(content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            hash,
            compressible,
            bytes,
            gzipped: OnceCell::new(),
            brotli: None,
        }
    }

    /// The same kind of file with other bytes (a script the server rewrote).
    fn with_bytes(&self, bytes: Bytes) -> Self {
        Self::new(bytes, self.content_type.to_str().unwrap_or_default())
    }

    async fn gzipped(&self) -> Option<Bytes> {
        if !self.compressible {
            return None;
        }
        self.gzipped
            .get_or_init(|| async {
                let bytes = self.bytes.clone();
                let span = tracing::Span::current();
                tokio::task::spawn_blocking(move || span.in_scope(|| gzip(&bytes)))
                    .await
                    .ok()
                    .flatten()
            })
            .await
            .clone()
    }
}

/// Text, scripts, WebAssembly, JSON and SVG: what compression shrinks.
fn compressible_type(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || matches!(
            content_type,
            "application/javascript" | "application/wasm" | "application/json" | "image/svg+xml"
        )
}

fn gzip(bytes: &[u8]) -> Option<Bytes> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 3),
        flate2::Compression::best(),
    );
    enc.write_all(bytes).ok()?;
    let out = enc.finish().ok()?;
    (out.len() < bytes.len()).then(|| Bytes::from(out))
}

/// Every file under the site root, by URL path (`/pkg/tickercast.css`), and by its
/// content-hashed name.
#[derive(Debug, Default)]
pub struct Assets {
    files: HashMap<String, Arc<Asset>>,
    named: HashMap<String, Arc<Asset>>,
    site: SiteFiles,
}

impl Assets {
    /// Reads every file under `root`. A missing root (a server started without a built site)
    /// is empty, not an error: the pages still render, without their assets.
    pub fn load(root: &Path) -> Arc<Self> {
        let mut files = HashMap::new();
        if let Err(e) = read_dir(root, root, &mut files) {
            tracing::warn!(root = %root.display(), error = %e, "site assets not loaded");
        }
        let precompressed = root.join(PRECOMPRESSED);
        let files: HashMap<String, Arc<Asset>> = files
            .into_iter()
            .map(|(url, mut asset)| {
                // The build compresses the types that compress, small files too: brotli's framing
                // is a few bytes, and the split bundle's chunks are mostly under a kilobyte.
                let made = precompressed.join(format!("{}.br", asset.hash));
                asset.brotli = std::fs::read(made)
                    .ok()
                    .filter(|br| br.len() < asset.bytes.len())
                    .map(Bytes::from);
                (url, Arc::new(asset))
            })
            .collect();
        let bytes: usize = files.values().map(|a| a.bytes.len()).sum();
        let brotli = files.values().filter(|a| a.brotli.is_some()).count();
        tracing::info!(files = files.len(), bytes, brotli, "site assets in memory");
        Arc::new(Self::named(files))
    }

    fn named(mut files: HashMap<String, Arc<Asset>>) -> Self {
        let bundle = bundle_name(&files);
        if let Some(bundle) = &bundle {
            link_split_loader(&mut files, bundle);
        }
        let mut named: HashMap<String, Arc<Asset>> = files
            .iter()
            .map(|(url, asset)| (hashed_name(url, &asset.hash), asset.clone()))
            .collect();
        if let (Some(name), Some(js), Some(wasm)) =
            (&bundle, files.get(BUNDLE_JS), files.get(BUNDLE_WASM))
        {
            named.insert(format!("/pkg/{name}.js"), js.clone());
            named.insert(format!("/pkg/{name}_bg.wasm"), wasm.clone());
        }
        let hashed_or_plain = |plain: &str| {
            files
                .get(plain)
                .map(|a| hashed_name(plain, &a.hash))
                .unwrap_or_else(|| plain.to_string())
        };
        let site = SiteFiles {
            bundle,
            stylesheet: hashed_or_plain(PLAIN_STYLESHEET),
            charts: hashed_or_plain(PLAIN_CHARTS),
        };
        Self { files, named, site }
    }

    /// How the pages link the site's files.
    pub fn site_files(&self) -> SiteFiles {
        self.site.clone()
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

/// The bundle's name, `tickercast.<hash>`: its script and WebAssembly are named together, the
/// way Leptos links them (`<name>.js` and `<name>_bg.wasm`), by one hash over everything the
/// bundle loads (with its chunks and their loader), so that the script, which
/// [`link_split_loader`] rewrites, is the same wherever the name is.
fn bundle_name(files: &HashMap<String, Arc<Asset>>) -> Option<String> {
    let (js, wasm) = (files.get(BUNDLE_JS)?, files.get(BUNDLE_WASM)?);
    let mut hasher = Sha256::new();
    hasher.update(&js.hash);
    hasher.update(&wasm.hash);
    let mut split: Vec<_> = files
        .iter()
        .filter(|(url, _)| url.as_str() == SPLIT_LOADER || is_chunk(url))
        .collect();
    split.sort_by(|a, b| a.0.cmp(b.0));
    for (url, asset) in split {
        hasher.update(url);
        hasher.update(&asset.hash);
    }
    Some(format!("tickercast.{}", hex16(&hasher.finalize())))
}

/// A WebAssembly file of the split bundle other than its first (`split_*.wasm`, `chunk_*.wasm`).
fn is_chunk(url: &str) -> bool {
    url.starts_with("/pkg/") && url.ends_with(".wasm") && url != BUNDLE_WASM
}

/// Links the split bundle's files by their content names, so each is kept for good: the chunk
/// loader imports the bundle's script as the page does (`tickercast.<hash>.js`; under its plain
/// name it would be a second copy of the module, whose start-up fails) and fetches each chunk by
/// its content name, and the bundle's script imports the loader by the loader's content name.
fn link_split_loader(files: &mut HashMap<String, Arc<Asset>>, bundle: &str) {
    let (Some(loader), Some(js)) = (files.get(SPLIT_LOADER), files.get(BUNDLE_JS)) else {
        return;
    };
    let (Ok(loader_text), Ok(js_text)) = (
        std::str::from_utf8(&loader.bytes),
        std::str::from_utf8(&js.bytes),
    ) else {
        return;
    };
    let linked_loader = relink(loader_text, |name| {
        if name == "tickercast.js" {
            return Some(format!("{bundle}.js"));
        }
        let chunk = files.get(&format!("/pkg/{name}"))?;
        Some(hashed_name(name, &chunk.hash))
    });
    let linked_loader = loader.with_bytes(Bytes::from(linked_loader));
    let loader_name = hashed_name("__wasm_split.js", &linked_loader.hash);
    let linked_js = relink(js_text, |name| {
        (name == "__wasm_split.js").then(|| loader_name.clone())
    });
    let linked_js = js.with_bytes(Bytes::from(linked_js));
    files.insert(SPLIT_LOADER.to_string(), Arc::new(linked_loader));
    files.insert(BUNDLE_JS.to_string(), Arc::new(linked_js));
}

/// `text` with the relative paths it loads (`from "./name"`, `URL("./name"`) renamed where
/// `rename` knows the name. Other strings stay: wasm-bindgen's script also keys the WebAssembly's
/// imports by the loader's plain name, which the WebAssembly asks for.
fn relink(text: &str, rename: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut rest = text;
    while let Some(at) = rest.find("\"./") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail.find('"').unwrap_or(tail.len());
        let name = &tail[..end];
        let loads = head.ends_with("from \"./") || head.ends_with("URL(\"./");
        match rename(name).filter(|_| loads) {
            Some(renamed) => out.push_str(&renamed),
            None => out.push_str(name),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `/dir/name.ext` → `/dir/name.<hash>.ext` (the hash before the last extension).
fn hashed_name(url: &str, hash: &str) -> String {
    let file_start = url.rfind('/').map_or(0, |i| i + 1);
    match url[file_start..].rfind('.') {
        Some(dot) if dot > 0 => {
            let at = file_start + dot;
            format!("{}.{hash}{}", &url[..at], &url[at..])
        }
        _ => format!("{url}.{hash}"),
    }
}

fn read_dir(root: &Path, dir: &Path, files: &mut HashMap<String, Asset>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            // The build's compressed copies go out only as their files' encodings.
            if path != root.join(PRECOMPRESSED) {
                read_dir(root, &path, files)?;
            }
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
            let mime = mime_guess::from_path(&path).first_or_octet_stream();
            files.insert(url, Asset::new(bytes, mime.essence_str()));
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
    let path = req.uri().path();
    let (asset, cache) = if let Some(asset) = assets.named.get(path) {
        (asset, FOREVER)
    } else if let Some(asset) = assets.files.get(path) {
        (asset, REVALIDATE)
    } else {
        return next.run(req).await;
    };
    let mut headers = HeaderMap::new();
    // A content name is never revalidated: its tag would only add to each of the split bundle's
    // many answers.
    if cache == REVALIDATE {
        headers.insert(header::ETAG, asset.etag.clone());
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if asset.compressible || asset.brotli.is_some() {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if matches(req.headers(), &asset.etag) {
        return unlogged((StatusCode::NOT_MODIFIED, headers).into_response(), cache);
    }
    headers.insert(header::CONTENT_TYPE, asset.content_type.clone());
    let brotli = asset
        .brotli
        .clone()
        .filter(|_| accepts(req.headers(), "br"));
    let encoded = match brotli {
        Some(br) => Some(("br", br)),
        None if accepts(req.headers(), "gzip") => asset.gzipped().await.map(|gz| ("gzip", gz)),
        None => None,
    };
    let bytes = match encoded {
        Some((coding, encoded)) => {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
            encoded
        }
        None => asset.bytes.clone(),
    };
    let body = if method == Method::HEAD {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
        Body::empty()
    } else {
        Body::from(bytes)
    };
    unlogged((StatusCode::OK, headers, body).into_response(), cache)
}

/// A content-named file's answer goes without the request's id (see [`WithoutId`]).
fn unlogged(mut res: Response, cache: &str) -> Response {
    if cache == FOREVER {
        res.extensions_mut().insert(WithoutId);
    }
    res
}

/// Whether `Accept-Encoding` takes `coding` (by name or `*`, with a weight above zero).
fn accepts(request: &HeaderMap, coding: &str) -> bool {
    let Some(Ok(accepted)) = request.get(header::ACCEPT_ENCODING).map(|v| v.to_str()) else {
        return false;
    };
    accepted.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let refused = parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        (name.eq_ignore_ascii_case(coding) || name == "*") && !refused
    })
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

    /// A site root of its own under the temp folder holding `files` (path under the root, text).
    fn site_root(name: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("tc-{name}-{}", std::process::id()));
        for (path, text) in files {
            let file = dir.join(path);
            std::fs::create_dir_all(file.parent().expect("a file has a folder")).unwrap();
            std::fs::write(file, text).unwrap();
        }
        dir
    }

    fn one_header(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_the_star() {
        let etag = HeaderValue::from_static("\"abc\"");
        let with = |v| one_header(header::IF_NONE_MATCH, v);
        assert!(matches(&with("\"abc\""), &etag));
        assert!(matches(&with("\"x\", W/\"abc\""), &etag));
        assert!(matches(&with("*"), &etag));
        assert!(!matches(&with("\"abd\""), &etag));
        assert!(!matches(&HeaderMap::new(), &etag));
    }

    #[test]
    fn every_file_under_the_root_is_keyed_by_its_url_path() {
        let dir = site_root(
            "assets",
            &[("pkg/app.css", "body{}"), ("favicon.svg", "<svg/>")],
        );
        let assets = Assets::load(&dir);
        assert_eq!(assets.len(), 2);
        let css = &assets.files["/pkg/app.css"];
        assert_eq!(css.content_type, "text/css");
        assert_eq!(css.etag.len(), 18, "16 hex digits in quotes");
        assert!(!css.compressible, "six bytes: gzip would only add to them");
        assert_eq!(assets.files["/favicon.svg"].content_type, "image/svg+xml");
        assert!(Assets::load(&dir.join("missing")).is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn hashed_names_put_the_hash_before_the_extension() {
        assert_eq!(
            hashed_name("/pkg/tickercast.css", "ab12"),
            "/pkg/tickercast.ab12.css"
        );
        assert_eq!(
            hashed_name("/echarts.min.js", "ab12"),
            "/echarts.min.ab12.js"
        );
        assert_eq!(hashed_name("/LICENSE", "ab12"), "/LICENSE.ab12");
        assert_eq!(
            hashed_name("/dir.v2/LICENSE", "ab12"),
            "/dir.v2/LICENSE.ab12"
        );
    }

    #[test]
    fn a_coding_is_taken_by_name_or_star_unless_weighted_zero() {
        let with = |v| one_header(header::ACCEPT_ENCODING, v);
        assert!(accepts(&with("gzip, deflate, br, zstd"), "gzip"));
        assert!(accepts(&with("gzip, deflate, br, zstd"), "br"));
        assert!(accepts(&with("br;q=1.0, GZIP;q=0.5"), "gzip"));
        assert!(accepts(&with("*"), "br"));
        assert!(!accepts(&with("gzip;q=0"), "gzip"));
        assert!(!accepts(&with("br, deflate"), "gzip"));
        assert!(!accepts(&with("gzip, br;q=0"), "br"));
        assert!(!accepts(&HeaderMap::new(), "gzip"));
    }

    #[test]
    fn a_file_is_paired_with_the_brotli_made_from_its_own_bytes_only() {
        let script = "export const answer = 42;\n".repeat(64);
        let made = format!(
            "precompressed/{}.br",
            hex16(&Sha256::digest(script.as_bytes()))
        );
        let other = "let x = 1;\n".repeat(200);
        let named = |text: &str| format!("precompressed/{}.br", hex16(&Sha256::digest(text)));
        let (tiny, tinier) = (named("export const a = 1;"), named("1"));
        let dir = site_root(
            "brotli",
            &[
                ("pkg/app.js", script.as_str()),
                (made.as_str(), "made by the build"),
                ("pkg/other.js", other.as_str()),
                ("precompressed/0123456789abcdef.br", "from an earlier build"),
                ("pkg/tiny.js", "export const a = 1;"),
                (tiny.as_str(), "br"),
                ("pkg/tinier.js", "1"),
                (tinier.as_str(), "no gain"),
            ],
        );
        let assets = Assets::load(&dir);
        assert_eq!(
            assets.files["/pkg/app.js"].brotli.as_deref(),
            Some(&b"made by the build"[..])
        );
        assert!(assets.files["/pkg/other.js"].brotli.is_none());
        // A file too small for gzip still takes brotli, unless that is no smaller.
        assert!(!assets.files["/pkg/tiny.js"].compressible);
        assert_eq!(
            assets.files["/pkg/tiny.js"].brotli.as_deref(),
            Some(&b"br"[..])
        );
        assert!(assets.files["/pkg/tinier.js"].brotli.is_none());
        // The compressed copies are no files of the site.
        assert_eq!(assets.len(), 4);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_pages_link_content_named_files_and_the_bundle_shares_one_hash() {
        let dir = site_root(
            "named",
            &[
                ("pkg/tickercast.css", "body{}"),
                ("pkg/tickercast.js", "export default 1"),
                ("pkg/tickercast_bg.wasm", "\0asm"),
            ],
        );
        let assets = Assets::load(&dir);
        let site = assets.site_files();
        let bundle = site.bundle.clone().expect("a bundle");
        assert!(assets.named.contains_key(&format!("/pkg/{bundle}.js")));
        assert!(assets.named.contains_key(&format!("/pkg/{bundle}_bg.wasm")));
        assert!(assets.named.contains_key(&site.stylesheet));
        assert_ne!(site.stylesheet, PLAIN_STYLESHEET);
        // No chart library in this site: the plain name is linked.
        assert_eq!(site.charts, PLAIN_CHARTS);
        // Another build of the bundle is another name.
        std::fs::write(dir.join("pkg/tickercast_bg.wasm"), "\0asm2").unwrap();
        assert_ne!(Assets::load(&dir).site_files().bundle, Some(bundle));
        std::fs::remove_dir_all(dir).unwrap();
        assert_eq!(
            Assets::load(&std::env::temp_dir().join("tc-none")).site_files(),
            SiteFiles::default()
        );
    }

    #[test]
    fn the_split_bundle_links_its_files_by_their_content_names() {
        let files = [
            (
                "pkg/tickercast.js",
                r#"import * as s from "./__wasm_split.js"
const imports = { "./__wasm_split.js": s };"#,
            ),
            ("pkg/tickercast_bg.wasm", "\0asm"),
            ("pkg/chunk_7.wasm", "\0asm7"),
            (
                "pkg/__wasm_split.js",
                r#"import { initSync } from "./tickercast.js";
const a = new URL("./chunk_7.wasm", import.meta.url);
const b = new URL("./gone.wasm", import.meta.url);"#,
            ),
        ];
        let dir = site_root("split", &files);
        let assets = Assets::load(&dir);
        let bundle = assets.site_files().bundle.expect("a bundle");
        let text = |url: &str| String::from_utf8(assets.named[url].bytes.to_vec()).unwrap();
        // The page's script imports the loader by its content name, and the loader imports the
        // same script (not a second copy under the plain name) and names the chunk by its content.
        let script = text(&format!("/pkg/{bundle}.js"));
        let loader_url = script
            .split('"')
            .nth(1)
            .map(|relative| format!("/pkg/{}", &relative[2..]))
            .expect("an import");
        assert_ne!(loader_url, SPLIT_LOADER);
        // The WebAssembly's imports stay keyed by the name it asks for.
        assert!(script.contains(r#"{ "./__wasm_split.js": s }"#), "{script}");
        let loader = text(&loader_url);
        assert!(
            loader.contains(&format!("from \"./{bundle}.js\";")),
            "{loader}"
        );
        let chunk = hashed_name("/pkg/chunk_7.wasm", &assets.files["/pkg/chunk_7.wasm"].hash);
        assert!(
            loader.contains(&format!("\".{}\"", &chunk[4..])),
            "{loader}"
        );
        assert!(assets.named.contains_key(&chunk));
        // A name the site does not have is left as it was.
        assert!(loader.contains("\"./gone.wasm\""));
        // Another build of a chunk is another bundle name, so a kept script never links a chunk
        // it was not built with.
        std::fs::write(dir.join("pkg/chunk_7.wasm"), "\0asm8").unwrap();
        assert_ne!(Assets::load(&dir).site_files().bundle, Some(bundle));
        std::fs::remove_dir_all(dir).unwrap();
    }
}

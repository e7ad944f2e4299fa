//! Where the page finds the site's files. The server names each by a hash of its contents
//! (`/pkg/tickercast.3f9c….css`) so a browser may keep it for good; without that (a server
//! started without a built site) the plain names still answer.

/// The `<meta>` that tells the browser side where the chart library is.
pub const CHARTS_META: &str = "tickercast-charts";

/// The plain (unhashed) names, answered with revalidation.
pub const PLAIN_STYLESHEET: &str = "/pkg/tickercast.css";
pub const PLAIN_CHARTS: &str = "/echarts.min.js";

/// The site's files as the page links them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteFiles {
    /// The hydrate bundle's output name under `/pkg` (`tickercast.<hash>`: its `.js` and
    /// `_bg.wasm`), or `None` for the plain `tickercast`.
    pub bundle: Option<String>,
    /// The stylesheet's URL.
    pub stylesheet: String,
    /// The chart library's URL.
    pub charts: String,
}

impl Default for SiteFiles {
    fn default() -> Self {
        Self {
            bundle: None,
            stylesheet: PLAIN_STYLESHEET.to_string(),
            charts: PLAIN_CHARTS.to_string(),
        }
    }
}

/// `path` (`/api/v1/…`) on the Tickercast server: the page's own origin, or the server the static
/// build was made for (`TICKERCAST_SERVER_URL`, see `Trunk.toml`).
pub fn on_server(path: &str) -> String {
    format!("{}{path}", leptos::server_fn::client::get_server_url())
}

/// Whether the server is on another origin (the static build), so requests to it must ask to
/// carry the session cookie.
pub fn server_elsewhere() -> bool {
    !leptos::server_fn::client::get_server_url().is_empty()
}

//! The static build (`trunk build`, see `Trunk.toml`): the same app rendered in the browser alone,
//! for a static host, calling the Tickercast server named at build time.

#[cfg(feature = "csr")]
fn main() {
    console_error_panic_hook::set_once();
    // Server functions, the event stream and download links go to this server.
    if let Some(url) = option_env!("TICKERCAST_SERVER_URL") {
        leptos::server_fn::client::set_server_url(url.trim_end_matches('/'));
    }
    leptos::mount::mount_to_body(app::App);
    app::mark_hydrated();
}

#[cfg(not(feature = "csr"))]
fn main() {}

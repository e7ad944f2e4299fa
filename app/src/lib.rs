//! Tickercast's user interface: pages, components, server functions and the types they exchange.
//!
//! Built twice: with `ssr` into the server (rendering and server functions) and with `hydrate`
//! into the browser's WebAssembly (interactivity, charts); `csr` builds the same app to render in
//! the browser alone (the static build, `Trunk.toml`). Browser-only code is behind `browser`.

pub mod api;
pub mod components;
pub mod domain;
pub mod error;
pub mod model;
pub mod pages;
pub mod site_files;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::components::header::{AuthActions, Header};
use crate::pages::{not_found::NotFoundPage, split};

/// The HTML document around the app. ECharts is not part of it: the first chart a page draws
/// loads it (`components::echarts::when_ready`), so pages without charts never fetch it. The
/// bundle, the stylesheet and the chart library are named by their contents when the server
/// provides [`SiteFiles`](site_files::SiteFiles), so a browser keeps them without asking again.
pub fn shell(mut options: LeptosOptions) -> impl IntoView {
    let files = use_context::<site_files::SiteFiles>().unwrap_or_default();
    if let Some(bundle) = &files.bundle {
        options.output_name = bundle.as_str().into();
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="stylesheet" id="leptos" href=files.stylesheet/>
                <meta name=site_files::CHARTS_META content=files.charts/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Marks the page as taken over by the WebAssembly (`<main data-hydrated="true">`), so browser
/// tests (and people) know its buttons work. The entry points call it once the whole page is live:
/// with the page's own code fetched and hydrated, which an effect of the frame would run before.
#[cfg(feature = "browser")]
pub fn mark_hydrated() {
    if let Ok(Some(main)) = document().query_selector("main[data-hydrated]") {
        _ = main.set_attribute("data-hydrated", "true");
    }
}

/// The routes and the frame every page shares.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(AuthActions::new());
    provide_context(crate::components::alerts::AlertActions::new());

    view! {
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        <Meta name="description" content="Stock charts and honest forecasts, measured against a random walk."/>
        <Title formatter=|t: String| if t.is_empty() { "Tickercast".to_string() } else { format!("{t} · Tickercast") }/>
        <Router>
            <Header/>
            <main data-hydrated="false">
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=split::home()/>
                    <Route path=path!("/stock") view=split::stock_search() ssr=SsrMode::Async/>
                    <Route path=path!("/search") view=split::search() ssr=SsrMode::Async/>
                    <Route path=path!("/stock/:symbol") view=split::stock() ssr=SsrMode::Async/>
                    <Route path=path!("/predict/:symbol") view=split::predict() ssr=SsrMode::Async/>
                    <Route path=path!("/track/:symbol") view=split::track() ssr=SsrMode::Async/>
                    <Route path=path!("/models/:symbol") view=split::models() ssr=SsrMode::Async/>
                    <Route path=path!("/news") view=split::market_news() ssr=SsrMode::Async/>
                    <Route path=path!("/news/:symbol") view=split::symbol_news() ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=split::login()/>
                    <Route path=path!("/register") view=split::register()/>
                    <Route path=path!("/account") view=split::account()/>
                    <Route path=path!("/alerts") view=split::alerts() ssr=SsrMode::Async/>
                    <Route path=path!("/admin/import") view=split::import()/>
                </Routes>
            </main>
            <footer class="site-footer">
                "Forecasts are statistical estimates, not investment advice. Every accuracy figure is measured out of sample against a random walk."
            </footer>
        </Router>
    }
}

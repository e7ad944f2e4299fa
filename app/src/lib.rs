//! Tickercast's user interface: pages, components, server functions and the types they exchange.
//!
//! Built twice: with `ssr` into the server (rendering and server functions) and with `hydrate`
//! into the browser's WebAssembly (interactivity, charts).

pub mod api;
pub mod components;
pub mod domain;
pub mod error;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::components::header::{AuthActions, Header};
use crate::pages::{
    account::AccountPage,
    admin_import::ImportPage,
    alerts::AlertsPage,
    auth::{LoginPage, RegisterPage},
    home::HomePage,
    models::ModelsPage,
    news::{MarketNewsPage, SymbolNewsPage},
    not_found::NotFoundPage,
    predict::PredictPage,
    search::SearchPage,
    stock::{StockPage, StockSearchRedirect},
    track::TrackPage,
};

/// The HTML document around the app. ECharts is not part of it: the first chart a page draws
/// loads it (`components::echarts::when_ready`), so pages without charts never fetch it.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The routes and the frame every page shares.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(AuthActions::new());
    provide_context(crate::components::alerts::AlertActions::new());
    // Set once the WebAssembly has taken over, so browser tests (and people) know buttons work.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Stylesheet id="leptos" href="/pkg/tickercast.css"/>
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        <Meta name="description" content="Stock charts and honest forecasts, measured against a random walk."/>
        <Title formatter=|t: String| if t.is_empty() { "Tickercast".to_string() } else { format!("{t} · Tickercast") }/>
        <Router>
            <Header/>
            <main data-hydrated=move || hydrated.get().to_string()>
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=HomePage/>
                    <Route path=path!("/stock") view=StockSearchRedirect ssr=SsrMode::Async/>
                    <Route path=path!("/search") view=SearchPage ssr=SsrMode::Async/>
                    <Route path=path!("/stock/:symbol") view=StockPage ssr=SsrMode::Async/>
                    <Route path=path!("/predict/:symbol") view=PredictPage ssr=SsrMode::Async/>
                    <Route path=path!("/track/:symbol") view=TrackPage ssr=SsrMode::Async/>
                    <Route path=path!("/models/:symbol") view=ModelsPage ssr=SsrMode::Async/>
                    <Route path=path!("/news") view=MarketNewsPage ssr=SsrMode::Async/>
                    <Route path=path!("/news/:symbol") view=SymbolNewsPage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=LoginPage/>
                    <Route path=path!("/register") view=RegisterPage/>
                    <Route path=path!("/account") view=AccountPage/>
                    <Route path=path!("/alerts") view=AlertsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/import") view=ImportPage/>
                </Routes>
            </main>
            <footer class="site-footer">
                "Forecasts are statistical estimates, not investment advice. Every accuracy figure is measured out of sample against a random walk."
            </footer>
        </Router>
    }
}

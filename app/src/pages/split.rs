//! Each page as a route whose code the browser fetches when the page is first shown, so a visit
//! downloads the frame and its own page, not all fourteen (`make build-wasm` splits the bundle at
//! these points). The static build (`csr`, `Trunk.toml`) has no splitting step, so there each page
//! is its plain component.

use leptos::prelude::*;
#[cfg(not(feature = "csr"))]
use leptos_router::{lazy_route, Lazy, LazyRoute};

/// `split_page!(chooser, Route, Page)`: `chooser()` is what `<Route view=…>` takes for `Page`.
macro_rules! split_page {
    ($chooser:ident, $route:ident, $page:path) => {
        #[cfg(not(feature = "csr"))]
        pub struct $route;

        #[cfg(not(feature = "csr"))]
        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                $page().into_any()
            }
        }

        #[cfg(not(feature = "csr"))]
        pub fn $chooser() -> Lazy<$route> {
            Lazy::new()
        }

        #[cfg(feature = "csr")]
        pub fn $chooser() -> impl Fn() -> AnyView + Send + Clone + 'static {
            || $page().into_any()
        }
    };
}

split_page!(home, HomeRoute, super::home::HomePage);
split_page!(
    stock_search,
    StockSearchRoute,
    super::stock::StockSearchRedirect
);
split_page!(search, SearchRoute, super::search::SearchPage);
split_page!(stock, StockRoute, super::stock::StockPage);
split_page!(predict, PredictRoute, super::predict::PredictPage);
split_page!(track, TrackRoute, super::track::TrackPage);
split_page!(models, ModelsRoute, super::models::ModelsPage);
split_page!(market_news, MarketNewsRoute, super::news::MarketNewsPage);
split_page!(symbol_news, SymbolNewsRoute, super::news::SymbolNewsPage);
split_page!(login, LoginRoute, super::auth::LoginPage);
split_page!(register, RegisterRoute, super::auth::RegisterPage);
split_page!(account, AccountRoute, super::account::AccountPage);
split_page!(alerts, AlertsRoute, super::alerts::AlertsPage);
split_page!(import, ImportRoute, super::admin_import::ImportPage);

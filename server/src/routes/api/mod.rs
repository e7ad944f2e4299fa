//! The JSON API under `/api/v1`: the same market data the pages get, for programs. Handlers call
//! the same [`app::ssr::MarketData`] as the server functions, so both always agree; every error
//! has one shape ([`error::ApiError`]).

pub mod alerts;
pub mod auth;
pub mod docs;
pub mod encoded;
pub mod error;
pub mod export;
pub mod extract;
pub mod history;
pub mod import;
pub mod jobs;
pub mod keys;
pub mod lookup;
pub mod market;
pub mod models;
pub mod news;
pub mod openapi;
pub mod predictions;
pub mod stream;
pub mod usage;
pub mod webhooks;

use axum::routing::{delete, get, post};
use axum::Router;

use super::AppState;

/// The `/api/v1` routes, to be nested under that prefix.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/quote/{symbol}", get(market::quote))
        .route("/timeseries/{symbol}", get(market::timeseries))
        .route("/indicators/{symbol}", get(market::indicators))
        .route("/overview/{symbol}", get(market::overview))
        .route("/news", get(news::market_news))
        .route("/news/{symbol}", get(news::symbol_news))
        .route("/search", get(lookup::search))
        .route("/export/{what}/{symbol}", get(export::export))
        .route("/predictions/batch", post(predictions::batch))
        .route("/predictions/{symbol}", get(predictions::predictions))
        .route("/history/{symbol}", get(history::history))
        .route("/jobs/{id}", get(jobs::job))
        .route("/stream", get(stream::stream))
        .route("/alerts", get(alerts::list).post(alerts::create))
        .route("/alerts/{id}", delete(alerts::delete))
        .route("/notifications", get(alerts::notifications))
        .route("/notifications/read", post(alerts::mark_read))
        .route("/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/webhooks/{id}", delete(webhooks::delete))
        .route("/webhooks/{id}/test", post(webhooks::test))
        .route("/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .route("/models", get(models::models))
        .route("/admin/precompute", post(predictions::precompute))
        .route("/admin/import", post(import::import))
        .route("/admin/refresh/{symbol}", post(lookup::refresh))
        .route("/auth/token", post(auth::token))
        .route("/usage", get(usage::usage))
        .route("/keys", get(keys::list).post(keys::create))
        .route("/keys/{id}", delete(keys::revoke))
        .route("/openapi.json", get(openapi::openapi_json))
        // An unknown API path answers in the API's shape, not with the HTML 404 page.
        .fallback(error::no_such_route)
}

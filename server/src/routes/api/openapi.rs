//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document, generated from the handlers' annotations
//! and the wire types' schemas (utoipa), so it cannot drift from what the code serves.

use axum::Json;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use app::model::{
    CompanyProfile, HistoryPoint, HorizonSkill, JobAccepted, JobStatus, ModelHistory, ModelMetrics,
    ModelPrediction, ModelState, ModelVersionSummary, NewsFeed, NewsItem, OhlcvPoint,
    PredictedStep, PredictionHistory, Predictions, Quote, ServedFrom, TimeSeries, TradeSignal,
};

use super::predictions::{BatchItem, BatchReply, SymbolList};

/// The one error shape of every `/api/v1` endpoint (`routes::api::error::ApiError` writes it).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"error": {"code": "unknown_symbol", "message": "No data for `ZZZZ`: it is not a ticker we know."}}))]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// A stable machine-readable code and a message a person can read.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `invalid_symbol`, `invalid_range`, `bad_request`, `unknown_symbol`, `unknown_job`,
    /// `unauthorized`, `forbidden`, `conflict`, `rate_limited`, `unavailable`, `internal`, `not_found`.
    pub code: String,
    /// What went wrong, in plain words (no internal detail for `internal`).
    pub message: String,
}

// The market handlers live in `market.rs`; their contracts are declared here, next to the rest of
// the document, from the same wire types they return.

/// The latest price, previous close and change.
#[utoipa::path(
    get,
    path = "/api/v1/quote/{symbol}",
    tag = "market",
    params(("symbol" = String, Path, description = "Ticker symbol", example = "GOOG")),
    responses(
        (status = 200, description = "The quote", body = Quote),
        (status = 400, description = "Malformed symbol", body = ErrorBody),
        (status = 404, description = "Unknown symbol", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn quote() {}

/// OHLCV points over a chart range, downsampled for the long ranges.
#[utoipa::path(
    get,
    path = "/api/v1/timeseries/{symbol}",
    tag = "market",
    params(
        ("symbol" = String, Path, description = "Ticker symbol", example = "GOOG"),
        ("range" = Option<String>, Query, description = "1D, 1W, 1M, 3M, 6M, YTD, 1Y (default), 2Y, 5Y, 10Y or MAX", example = "5Y"),
    ),
    responses(
        (status = 200, description = "The series (empty with a reason when there is no data in range)", body = TimeSeries),
        (status = 400, description = "Malformed symbol or range", body = ErrorBody),
        (status = 404, description = "Unknown symbol", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn timeseries() {}

/// Company facts; unknown fields are absent.
#[utoipa::path(
    get,
    path = "/api/v1/overview/{symbol}",
    tag = "market",
    params(("symbol" = String, Path, description = "Ticker symbol", example = "GOOG")),
    responses(
        (status = 200, description = "The company profile", body = CompanyProfile),
        (status = 400, description = "Malformed symbol", body = ErrorBody),
        (status = 404, description = "Unknown symbol", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn overview() {}

/// Latest news for the market or one ticker.
#[utoipa::path(
    get,
    path = "/api/v1/news",
    tag = "market",
    params(("symbol" = Option<String>, Query, description = "Ticker symbol; absent for market news")),
    responses(
        (status = 200, description = "Articles, newest first", body = NewsFeed),
        (status = 400, description = "Malformed symbol", body = ErrorBody),
        (status = 503, description = "No news provider is configured", body = ErrorBody),
    )
)]
#[allow(dead_code)]
fn news() {}

struct AdminToken;

impl Modify for AdminToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "admin_token",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
    }
}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tickercast API",
        description = "Daily stock prices and honest forecasts: every accuracy figure is measured walk-forward, out of sample, against the naive random walk.",
        license(name = "MIT OR Apache-2.0"),
    ),
    paths(
        quote,
        timeseries,
        overview,
        news,
        super::predictions::predictions,
        super::predictions::batch,
        super::predictions::precompute,
        super::jobs::job,
        super::history::history,
        super::models::models,
    ),
    components(schemas(
        ErrorBody, ErrorDetail, Quote, OhlcvPoint, TimeSeries, ServedFrom, CompanyProfile, NewsFeed,
        NewsItem, Predictions, ModelPrediction, ModelState, PredictedStep, TradeSignal, ModelMetrics,
        HorizonSkill, JobAccepted, JobStatus, PredictionHistory, ModelHistory, HistoryPoint,
        ModelVersionSummary, SymbolList, BatchReply, BatchItem,
    )),
    modifiers(&AdminToken),
    tags(
        (name = "market", description = "Prices, company facts and news"),
        (name = "predictions", description = "Model forecasts, their record and the jobs that train them"),
        (name = "admin", description = "Operator endpoints (bearer ADMIN_TOKEN)"),
    )
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`.
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_a_path_refers_to_is_defined() {
        let json = serde_json::to_string(&ApiDoc::openapi()).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for r in json.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = &r[..r.find('"').unwrap()];
            assert!(schemas.contains_key(name), "missing schema {name}");
        }
    }
}

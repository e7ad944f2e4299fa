//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document, generated from the handlers' annotations
//! and the wire types' schemas (utoipa), so it cannot drift from what the code serves.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use app::domain::{ChartRange, JobState, Symbol};
use app::model::{
    CompanyProfile, HistoryPoint, HorizonSkill, IndicatorSeries, JobStatus, ModelHistory,
    ModelMetrics, ModelPrediction, ModelState, ModelVersionSummary, OhlcvPoint, PredictedStep,
    PredictionHistory, Predictions, PricePoint, Quote, ServedFrom, TimeSeries, TradeSignal,
};

use super::auth::{KeyExchange, PasswordExchange, TokenReply, TokenRequest};
use super::error::{ErrorBody, ErrorDetail};
use super::keys::KeyRequest;
use super::predictions::{BatchItem, BatchReply, SymbolList};
use app::model::{
    ApiKeyInfo, ImportReport, ImportedAction, ImportedRow, NewApiKey, Onboarding, SearchResults,
    SplitSuspect, SymbolSuggestion, Usage,
};

/// The two ways to present a credential: an API key in `X-API-Key`, or a key or access token as
/// a bearer token.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "An API key, tc_<id>_<secret>, made on the account page or with POST /api/v1/keys.",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or API key")
                    .description(Some(
                        "An access token from POST /api/v1/auth/token, or an API key.",
                    ))
                    .build(),
            ),
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
        super::market::quote,
        super::market::timeseries,
        super::market::indicators,
        super::market::overview,
        super::news::market_news,
        super::news::symbol_news,
        super::lookup::search,
        super::export::export,
        super::predictions::predictions,
        super::predictions::batch,
        super::predictions::precompute,
        super::import::import,
        super::lookup::refresh,
        super::jobs::job,
        super::stream::stream,
        super::alerts::list,
        super::alerts::create,
        super::alerts::delete,
        super::alerts::notifications,
        super::alerts::mark_read,
        super::webhooks::list,
        super::webhooks::create,
        super::webhooks::delete,
        super::webhooks::test,
        super::webhooks::deliveries,
        super::history::history,
        super::models::models,
        super::auth::token,
        super::usage::usage,
        super::keys::list,
        super::keys::create,
        super::keys::revoke,
    ),
    components(schemas(
        ErrorBody, ErrorDetail, Quote, OhlcvPoint, TimeSeries, IndicatorSeries, ServedFrom, CompanyProfile,
        Predictions, PricePoint, ModelPrediction, ModelState, PredictedStep, TradeSignal,
        ModelMetrics, HorizonSkill, JobStatus, JobState, PredictionHistory, ModelHistory,
        HistoryPoint, ModelVersionSummary, SymbolList, BatchReply, BatchItem, Symbol, ChartRange,
        TokenRequest, KeyExchange, PasswordExchange, TokenReply, Usage, ApiKeyInfo, NewApiKey, KeyRequest,
        app::model::NewsDeskPage, app::model::NewsStory, app::model::SentimentSummary,
        app::model::SentimentBucket, app::domain::PageNumber,
        SearchResults, SymbolSuggestion, Onboarding, super::lookup::PredictionsAccepted, ImportReport, ImportedRow, ImportedAction,
        SplitSuspect, app::model::PriceRow, app::model::PredictionRow, app::model::EvaluationRow, super::export::ExportRow,
        app::model::Alert, app::model::NewAlert, app::model::Notification, app::model::Notifications,
        super::alerts::ReadRequest, super::alerts::UnreadCount,
        super::alerts::NewAlertBody, super::alerts::PriceAlertBody, super::alerts::ModelAlertBody,
        super::stream::StreamEventDoc, app::model::KindName,
        app::model::Webhook, app::model::NewWebhook, app::model::CreatedWebhook,
        app::model::WebhookDelivery, app::model::DeliveryAttempt,
    )),
    modifiers(&SecuritySchemes),
    tags(
        (name = "market", description = "Prices, company facts and news"),
        (name = "predictions", description = "Model forecasts, their record and the jobs that train them"),
        (name = "live", description = "Events as they happen, alerts and what they fired"),
        (name = "access", description = "API keys, access tokens and usage"),
        (name = "admin", description = "Operator endpoints: an administrator's key or token"),
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
    fn the_models_a_model_alert_documents_are_the_trained_ones_served() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let pattern =
            &doc["components"]["schemas"]["ModelAlertBody"]["properties"]["model"]["pattern"];
        let served: Vec<&str> = app::model::ModelId::served()
            .iter()
            .filter(|m| !m.is_baseline())
            .map(|m| m.as_str())
            .collect();
        assert_eq!(
            pattern,
            &serde_json::json!(format!("^({})$", served.join("|")))
        );
    }

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

//! `/api/v1/alerts` and `/api/v1/notifications`: an account's alert rules and what they fired
//! (the same as the alerts page).

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use app::domain::{AlertId, Caller, UserId};
use app::model::{Alert, NewAlert, Notifications};

use super::error::{ApiError, ErrorBody};
use super::extract::{json_body_error, path_id};
use crate::routes::AppState;

fn account(caller: Option<Extension<Caller>>) -> Result<UserId, ApiError> {
    super::extract::account(caller, "Alerts need")
}

/// A new rule as the API takes it (for the OpenAPI document; the body is read as [`NewAlert`]):
/// a price rule with its level, or a model rule with a trained model.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // never built: it only describes the body
pub enum NewAlertBody {
    /// `price_above` or `price_below`.
    Price(PriceAlertBody),
    /// `outside_range`, `signal_change` or `drift`.
    Model(ModelAlertBody),
}

/// The body of a price rule.
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct PriceAlertBody {
    /// A stored ticker.
    symbol: app::domain::Symbol,
    /// Which way the close must cross the level.
    #[schema(pattern = "^price_(above|below)$")]
    rule: String,
    /// The price.
    #[schema(exclusive_minimum = 0, maximum = 9999999)]
    level: f64,
    /// Hours of quiet between firings (absent: once).
    #[schema(minimum = 1, maximum = 720)]
    repeat_hours: Option<u32>,
}

/// The body of a model rule.
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ModelAlertBody {
    /// A stored ticker.
    symbol: app::domain::Symbol,
    /// What to watch the model for.
    #[schema(pattern = "^(outside_range|signal_change|drift)$")]
    rule: String,
    /// A trained model served here.
    #[schema(pattern = "^(autoarima|lstm|rf|gbm|elasticnet|prophet|ensemble)$")]
    model: String,
    /// Hours of quiet between firings (absent: once).
    #[schema(minimum = 1, maximum = 720)]
    repeat_hours: Option<u32>,
}

/// The account's alert rules, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/alerts",
    tag = "live",
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The rules", body = [Alert]),
        (status = 401, description = "No account", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
) -> Result<Json<Vec<Alert>>, ApiError> {
    let user = account(caller)?;
    Ok(Json(state.ctx.alerts.alerts(user).await?))
}

/// Sets an alert on a stored ticker: `price_above` fires when a daily close reaches the level
/// after one below it, `price_below` the other way. Once, or again after `repeat_hours`.
#[utoipa::path(
    post,
    path = "/api/v1/alerts",
    tag = "live",
    request_body(content = NewAlertBody, example = json!({"symbol": "AAPL", "rule": "price_above", "level": 200.0, "repeat_hours": 24})),
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 201, description = "The rule", body = Alert),
        (status = 400, description = "Bad rule, level or cool-down", body = ErrorBody),
        (status = 401, description = "No account", body = ErrorBody),
        (status = 404, description = "No such ticker stored", body = ErrorBody),
        (status = 409, description = "Too many alerts", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    body: Result<Json<NewAlert>, JsonRejection>,
) -> Result<Response, ApiError> {
    let user = account(caller)?;
    let Json(alert) = body.map_err(|e| {
        json_body_error(
            e,
            "{\"symbol\": \"AAPL\", \"rule\": \"price_above\", \"level\": 200, \"repeat_hours\": 24}",
        )
    })?;
    let alert = state.ctx.alerts.create_alert(user, alert).await?;
    Ok((StatusCode::CREATED, Json(alert)).into_response())
}

/// Deletes one of the account's alerts and its notifications.
#[utoipa::path(
    delete,
    path = "/api/v1/alerts/{id}",
    tag = "live",
    params(("id" = String, Path, description = "The alert's id", format = Uuid)),
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Not an alert id", body = ErrorBody),
        (status = 401, description = "No account", body = ErrorBody),
        (status = 404, description = "No alert of this account has that id", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let user = account(caller)?;
    let id = path_id(path, AlertId::parse)?;
    state.ctx.alerts.delete_alert(user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `?limit=`.
#[derive(Debug, Deserialize)]
pub struct ListParams {
    limit: Option<u32>,
}

/// The account's newest notifications (fired alerts, with the values that fired them) and how
/// many are unread.
#[utoipa::path(
    get,
    path = "/api/v1/notifications",
    tag = "live",
    params(("limit" = Option<u32>, Query, description = "How many, 1–200 (50)", minimum = 1, maximum = 200)),
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Newest first", body = Notifications),
        (status = 400, description = "Bad limit", body = ErrorBody),
        (status = 401, description = "No account", body = ErrorBody),
    )
)]
pub async fn notifications(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    query: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<Notifications>, ApiError> {
    let user = account(caller)?;
    let Query(params) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let limit = super::extract::limit(params.limit, 50, 200)?;
    Ok(Json(state.ctx.alerts.notifications(user, limit).await?))
}

/// Which notifications were seen: all, or up to and including `through`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadRequest {
    /// The newest notification seen; absent: all of them.
    pub through: Option<i64>,
}

/// How many are still unread.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UnreadCount {
    /// Unread notifications.
    pub unread: i64,
}

/// Marks notifications read.
#[utoipa::path(
    post,
    path = "/api/v1/notifications/read",
    tag = "live",
    request_body = ReadRequest,
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "What is still unread", body = UnreadCount),
        (status = 400, description = "Bad body", body = ErrorBody),
        (status = 401, description = "No account", body = ErrorBody),
    )
)]
pub async fn mark_read(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    body: Result<Json<ReadRequest>, JsonRejection>,
) -> Result<Json<UnreadCount>, ApiError> {
    let user = account(caller)?;
    let Json(req) = body.map_err(|e| json_body_error(e, "{\"through\": 42} or {}"))?;
    let unread = state.ctx.alerts.mark_read(user, req.through).await?;
    Ok(Json(UnreadCount { unread }))
}

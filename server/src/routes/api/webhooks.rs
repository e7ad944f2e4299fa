//! `/api/v1/webhooks`: an account's webhooks, a test event, and each one's delivery log.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;

use app::domain::{Caller, UserId, WebhookId, WebhookKinds, WebhookUrl};
use app::model::{CreatedWebhook, NewWebhook, Webhook, WebhookDelivery};

use super::error::{ApiError, ErrorBody};
use super::extract::{json_body_error, path_id};
use crate::routes::AppState;

fn account(caller: Option<Extension<Caller>>) -> Result<UserId, ApiError> {
    super::extract::account(caller, "Webhooks need")
}

/// The account's webhooks, newest first (never their secrets).
#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    tag = "live",
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The webhooks", body = [Webhook]),
        (status = 401, description = "No account", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
) -> Result<Json<Vec<Webhook>>, ApiError> {
    let user = account(caller)?;
    Ok(Json(state.ctx.webhooks.webhooks(user).await?))
}

/// Makes a webhook. Every delivery is a `POST` of `{"id", "kind", "data"}` signed in
/// `Tickercast-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">` with the secret in this
/// answer, the only time it is shown. Failed deliveries are retried with growing waits for a day;
/// a webhook that keeps failing is switched off.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    tag = "live",
    request_body = NewWebhook,
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 201, description = "The webhook and its secret", body = CreatedWebhook),
        (status = 400, description = "Bad URL or event kind", body = ErrorBody),
        (status = 401, description = "No account", body = ErrorBody),
        (status = 409, description = "Too many webhooks", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    body: Result<Json<NewWebhook>, JsonRejection>,
) -> Result<Response, ApiError> {
    let user = account(caller)?;
    let Json(req) =
        body.map_err(|e| json_body_error(e, "{\"url\": \"https://…\", \"kinds\": [\"alert\"]}"))?;
    let url = WebhookUrl::parse(&req.url).map_err(ApiError::bad_request)?;
    let kinds = WebhookKinds::parse(req.kinds.as_deref()).map_err(ApiError::bad_request)?;
    let made = state.ctx.webhooks.create_webhook(user, url, kinds).await?;
    Ok((StatusCode::CREATED, Json(made)).into_response())
}

/// Deletes one of the account's webhooks and its log.
#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{id}",
    tag = "live",
    params(("id" = String, Path, description = "The webhook's id", format = Uuid)),
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Not a webhook id", body = ErrorBody),
        (status = 401, description = "No account", body = ErrorBody),
        (status = 404, description = "No webhook of this account has that id", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let user = account(caller)?;
    let id = path_id(path, WebhookId::parse)?;
    state.ctx.webhooks.delete_webhook(user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a `test` event to one of the account's webhooks (and switches it back on if it was off).
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/test",
    tag = "live",
    params(("id" = String, Path, description = "The webhook's id", format = Uuid)),
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 202, description = "The delivery, queued", body = WebhookDelivery),
        (status = 400, description = "Not a webhook id", body = ErrorBody),
        (status = 401, description = "No account", body = ErrorBody),
        (status = 404, description = "No webhook of this account has that id", body = ErrorBody),
    )
)]
pub async fn test(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let user = account(caller)?;
    let id = path_id(path, WebhookId::parse)?;
    let delivery = state.ctx.webhooks.test_webhook(user, id).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery)).into_response())
}

/// `?limit=`.
#[derive(Debug, Deserialize)]
pub struct LogParams {
    limit: Option<u32>,
}

/// One webhook's newest deliveries, each with every attempt: when, the status code, how long.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}/deliveries",
    tag = "live",
    params(
        ("id" = String, Path, description = "The webhook's id", format = Uuid),
        ("limit" = Option<u32>, Query, description = "How many, 1–100 (20)", minimum = 1, maximum = 100),
    ),
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Newest first", body = [WebhookDelivery]),
        (status = 400, description = "Bad id or limit", body = ErrorBody),
        (status = 401, description = "No account", body = ErrorBody),
        (status = 404, description = "No webhook of this account has that id", body = ErrorBody),
    )
)]
pub async fn deliveries(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<LogParams>, QueryRejection>,
) -> Result<Json<Vec<WebhookDelivery>>, ApiError> {
    let user = account(caller)?;
    let id = path_id(path, WebhookId::parse)?;
    let Query(params) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let limit = super::extract::limit(params.limit, 20, 100)?;
    Ok(Json(state.ctx.webhooks.deliveries(user, id, limit).await?))
}

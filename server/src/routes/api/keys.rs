//! `/api/v1/keys`: an account lists, makes and revokes its API keys (the same as the account page).

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;

use app::domain::{ApiKeyId, Caller, KeyName, UserId};
use app::model::{ApiKeyInfo, NewApiKey};

use super::error::{ApiError, ErrorBody};
use super::extract::{json_body_error, path_id};
use crate::routes::AppState;

/// A new key's name.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyRequest {
    /// What the key is for: 1–64 characters, not only spaces, no control characters.
    #[schema(
        example = "laptop",
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
}

fn account(caller: Option<Extension<Caller>>) -> Result<UserId, ApiError> {
    super::extract::account(caller, "Managing keys needs")
}

/// The account's keys, revoked ones too (never their secrets).
#[utoipa::path(
    get,
    path = "/api/v1/keys",
    tag = "access",
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "The keys", body = [ApiKeyInfo]),
        (status = 401, description = "No account", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
) -> Result<Json<Vec<ApiKeyInfo>>, ApiError> {
    let user = account(caller)?;
    Ok(Json(state.ctx.accounts.api_keys(user).await?))
}

/// Makes a key; the answer is the only time its secret is shown.
#[utoipa::path(
    post,
    path = "/api/v1/keys",
    tag = "access",
    request_body = KeyRequest,
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 201, description = "The key and its secret", body = NewApiKey),
        (status = 400, description = "No usable name", body = ErrorBody),
        (status = 401, description = "No account", body = ErrorBody),
        (status = 409, description = "Too many live keys", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    body: Result<Json<KeyRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let user = account(caller)?;
    let Json(req) = body.map_err(|e| json_body_error(e, "{\"name\": \"…\"}"))?;
    let name = KeyName::parse(&req.name).map_err(ApiError::bad_request)?;
    let key = state.ctx.accounts.create_api_key(user, name).await?;
    Ok((StatusCode::CREATED, Json(key)).into_response())
}

/// Revokes one of the account's keys: it stops working at once on this instance, and within 30
/// seconds on every other.
#[utoipa::path(
    delete,
    path = "/api/v1/keys/{id}",
    tag = "access",
    params(("id" = String, Path, description = "The key's id, as listed", example = "k3x9p2m7q1ab", pattern = r"^[a-z0-9]{12}$")),
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, description = "Not a key id", body = ErrorBody),
        (status = 401, description = "No account", body = ErrorBody),
        (status = 403, description = "No live key of this account has that id", body = ErrorBody),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let user = account(caller)?;
    let id = path_id(path, ApiKeyId::parse)?;
    state.ctx.accounts.revoke_api_key(user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! `POST /api/v1/auth/token`: a short-lived access token (JWT) for an API key, or for a username
//! and password, to send as `Authorization: Bearer <token>`.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use app::ssr::{Accounts, ClientAddr};

use super::error::{ApiError, ErrorBody};
use super::extract::json_body_error;
use crate::accounts::{Credential, CredentialError};
use crate::routes::access::PresentedKey;
use crate::routes::AppState;

/// What to exchange: an API key, or a username and password. Without a body, the API key the
/// request presents in its `Authorization` or `X-API-Key` header.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// An API key, `tc_<id>_<secret>`.
    #[serde(default)]
    pub api_key: Option<String>,
    /// A username (with `password`).
    #[serde(default)]
    pub username: Option<String>,
    /// The password (with `username`).
    #[serde(default)]
    pub password: Option<String>,
}

/// A signed access token.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenReply {
    /// The JWT.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until it expires.
    pub expires_in: u64,
}

/// Exchanges an API key (or a username and password) for an access token.
#[utoipa::path(
    post,
    path = "/api/v1/auth/token",
    tag = "access",
    request_body(content = TokenRequest, description = "An API key, or a username and password; may be left out when the request itself carries an API key"),
    security((), ("api_key" = [])),
    responses(
        (status = 200, description = "The token", body = TokenReply),
        (status = 400, description = "Neither a key nor a username and password", body = ErrorBody),
        (status = 401, description = "Wrong key, password or username", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody),
        (status = 503, description = "Tokens are not enabled on this server", body = ErrorBody),
    )
)]
pub async fn token(
    State(state): State<AppState>,
    Extension(ClientAddr(ip)): Extension<ClientAddr>,
    presented: Option<Extension<PresentedKey>>,
    body: Result<Json<TokenRequest>, JsonRejection>,
) -> Result<Json<TokenReply>, ApiError> {
    let accounts = &state.access.accounts;
    let request = match body {
        Ok(Json(r)) => r,
        // No JSON body at all: exchange the key the request presents.
        Err(JsonRejection::MissingJsonContentType(_)) if presented.is_some() => {
            TokenRequest::default()
        }
        Err(e) => {
            return Err(json_body_error(
                e,
                "a JSON body {\"api_key\": …} or {\"username\": …, \"password\": …}",
            ))
        }
    };
    let credential = match request {
        TokenRequest {
            api_key: Some(key),
            username: None,
            password: None,
        } => accounts.verify_key(&key).await.map_err(|e| match e {
            CredentialError::Invalid(why) => ApiError::unauthorized(why),
            CredentialError::Unavailable(e) => ApiError::from(app::ssr::ServiceError::from(e)),
        })?,
        TokenRequest {
            api_key: None,
            username: Some(username),
            password: Some(password),
        } => {
            let user = accounts.authenticate(&username, password, ip).await?;
            Credential {
                caller: user.caller(),
                key_id: None,
            }
        }
        TokenRequest {
            api_key: None,
            username: None,
            password: None,
        } => match presented {
            Some(Extension(PresentedKey(c))) => c,
            None => {
                return Err(ApiError::bad_request(
                    "Give an API key, or a username and password.",
                ))
            }
        },
        _ => {
            return Err(ApiError::bad_request(
                "Give either an API key, or a username and password, not both.",
            ))
        }
    };
    let access_token = accounts.issue_token(&credential)?;
    let expires_in = accounts.tokens().map_or(0, |t| t.lifetime().as_secs());
    Ok(Json(TokenReply {
        access_token,
        token_type: "Bearer",
        expires_in,
    }))
}

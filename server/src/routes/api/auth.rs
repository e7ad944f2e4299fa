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
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum TokenRequest {
    Key(KeyExchange),
    Password(PasswordExchange),
}

/// An API key to exchange.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyExchange {
    /// An API key, `tc_<id>_<secret>`.
    pub api_key: String,
}

/// A username and password to exchange.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordExchange {
    pub username: String,
    pub password: String,
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
    request_body(content = Option<TokenRequest>, description = "An API key, or a username and password; left out, the API key the request carries in a header"),
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
    body: Result<Json<Option<TokenRequest>>, JsonRejection>,
) -> Result<Json<TokenReply>, ApiError> {
    let accounts = &state.access.accounts;
    let credential = match body {
        Ok(Json(Some(TokenRequest::Key(KeyExchange { api_key })))) => {
            accounts.verify_key(&api_key).await.map_err(|e| match e {
                CredentialError::Invalid(why) => ApiError::unauthorized(why),
                CredentialError::Unavailable(e) => {
                    ApiError::from(app::ssr::ServiceError::from(e))
                }
            })?
        }
        Ok(Json(Some(TokenRequest::Password(PasswordExchange { username, password })))) => {
            let user = accounts.authenticate(&username, password, ip).await?;
            Credential {
                caller: user.caller(),
                key_id: None,
            }
        }
        // No body (or `null`): exchange the key the request presents.
        Ok(Json(None)) => match presented {
            Some(Extension(PresentedKey(c))) => c,
            None => {
                return Err(ApiError::bad_request(
                    "Give an API key, or a username and password.",
                ))
            }
        },
        Err(rejection) => match (rejection, presented) {
            (JsonRejection::MissingJsonContentType(_), Some(Extension(PresentedKey(c)))) => c,
            (e, _) => return Err(json_body_error(
                e,
                "a JSON body {\"api_key\": …} or {\"username\": …, \"password\": …}, or no body and a key in the Authorization or X-API-Key header",
            )),
        },
    };
    let access_token = accounts.issue_token(&credential)?;
    let expires_in = accounts.tokens().map_or(0, |t| t.lifetime().as_secs());
    Ok(Json(TokenReply {
        access_token,
        token_type: "Bearer",
        expires_in,
    }))
}

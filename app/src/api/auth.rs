//! Accounts and sessions. The account service checks passwords (argon2id on the server's blocking
//! pool); these functions parse the form, call it and keep the session.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::User;

/// One message for a wrong password and an unknown user, so the form does not reveal which
/// usernames exist.
pub const BAD_CREDENTIALS: &str = "Invalid username or password.";

/// The logged-in user, if any.
#[server(endpoint = "current_user")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn current_user() -> Result<Option<User>, AppError> {
    let session = crate::ssr::UserSession::current().await?;
    Ok(session.user().await?.map(|u| u.to_wire()))
}

/// Creates an account and logs it in, then sends the browser to the landing page.
#[server(endpoint = "register")]
#[cfg_attr(
    feature = "ssr",
    tracing::instrument(skip(password, password_confirm), err(level = "info"))
)]
pub async fn register(
    username: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    use crate::domain::{Password, Username};

    let username = Username::parse(&username).map_err(AppError::BadRequest)?;
    let password = Password::parse(&password).map_err(AppError::BadRequest)?;
    if password.expose() != password_confirm {
        return Err(AppError::BadRequest("The two passwords differ.".into()));
    }
    let from = crate::ssr::client_addr().await?;
    let user = crate::ssr::ctx()?
        .accounts
        .register(username, password, from)
        .await?;
    crate::ssr::UserSession::current()
        .await?
        .log_in(user)
        .await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Logs in, then sends the browser to the landing page.
#[server(endpoint = "login")]
#[cfg_attr(
    feature = "ssr",
    tracing::instrument(skip(password), err(level = "info"))
)]
pub async fn login(username: String, password: String) -> Result<(), AppError> {
    let from = crate::ssr::client_addr().await?;
    let user = crate::ssr::ctx()?
        .accounts
        .authenticate(username.trim(), password, from)
        .await?;
    crate::ssr::UserSession::current()
        .await?
        .log_in(user)
        .await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Ends the session on the server, then sends the browser to the landing page.
#[server(endpoint = "logout")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn logout() -> Result<(), AppError> {
    crate::ssr::UserSession::current().await?.log_out().await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// The logged-in user's API keys.
#[server(endpoint = "my_api_keys")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn my_api_keys() -> Result<Vec<crate::model::ApiKeyInfo>, AppError> {
    let user = crate::ssr::UserSession::current()
        .await?
        .require_user(LOGIN_FOR_KEYS)
        .await?;
    Ok(crate::ssr::ctx()?.accounts.api_keys(user.id).await?)
}

/// Makes an API key for the logged-in user; the answer is the only time its secret is shown.
#[server(endpoint = "create_api_key")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn create_api_key(name: String) -> Result<crate::model::NewApiKey, AppError> {
    let name = crate::domain::KeyName::parse(&name).map_err(AppError::BadRequest)?;
    let user = crate::ssr::UserSession::current()
        .await?
        .require_user(LOGIN_FOR_KEYS)
        .await?;
    Ok(crate::ssr::ctx()?
        .accounts
        .create_api_key(user.id, name)
        .await?)
}

/// Revokes one of the logged-in user's API keys.
#[server(endpoint = "revoke_api_key")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn revoke_api_key(id: String) -> Result<(), AppError> {
    let id = crate::domain::ApiKeyId::parse(id.trim()).map_err(AppError::BadRequest)?;
    let user = crate::ssr::UserSession::current()
        .await?
        .require_user(LOGIN_FOR_KEYS)
        .await?;
    Ok(crate::ssr::ctx()?
        .accounts
        .revoke_api_key(user.id, &id)
        .await?)
}

/// What a logged-out person is told on the account page's actions.
pub const LOGIN_FOR_KEYS: &str = "Log in to manage your API keys.";

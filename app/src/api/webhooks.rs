//! The logged-in user's webhooks, for the account page. The session is checked here, on the server.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{CreatedWebhook, Webhook};

/// What a logged-out person is told.
#[cfg(feature = "ssr")]
const LOGIN_FOR_WEBHOOKS: &str = "Log in to manage webhooks.";

#[cfg(feature = "ssr")]
async fn user() -> Result<crate::domain::UserId, AppError> {
    Ok(crate::ssr::UserSession::current()
        .await?
        .require_user(LOGIN_FOR_WEBHOOKS)
        .await?
        .id)
}

#[cfg(feature = "ssr")]
fn webhook_id(raw: &str) -> Result<crate::domain::WebhookId, AppError> {
    crate::domain::WebhookId::parse(raw).map_err(AppError::BadRequest)
}

/// The logged-in user's webhooks.
#[server(endpoint = "my_webhooks")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn my_webhooks() -> Result<Vec<Webhook>, AppError> {
    let user = user().await?;
    Ok(crate::ssr::ctx()?.webhooks.webhooks(user).await?)
}

/// Makes a webhook to `url` for the comma-separated event `kinds` (empty: alerts); the answer
/// holds its secret, shown once.
#[server(endpoint = "create_webhook")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip(url), err(level = "info")))]
pub async fn create_webhook(
    url: String,
    kinds: Option<String>,
) -> Result<CreatedWebhook, AppError> {
    let user = user().await?;
    let url = crate::domain::WebhookUrl::parse(&url).map_err(AppError::BadRequest)?;
    let names: Option<Vec<String>> = kinds
        .filter(|k| !k.trim().is_empty())
        .map(|k| k.split(',').map(|s| s.trim().to_owned()).collect());
    let kinds =
        crate::domain::WebhookKinds::parse(names.as_deref()).map_err(AppError::BadRequest)?;
    Ok(crate::ssr::ctx()?
        .webhooks
        .create_webhook(user, url, kinds)
        .await?)
}

/// Deletes one of the logged-in user's webhooks.
#[server(endpoint = "delete_webhook")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn delete_webhook(id: String) -> Result<(), AppError> {
    let user = user().await?;
    let id = webhook_id(&id)?;
    Ok(crate::ssr::ctx()?.webhooks.delete_webhook(user, id).await?)
}

/// Sends a test event to one of the logged-in user's webhooks (switching it back on).
#[server(endpoint = "test_webhook")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn test_webhook(id: String) -> Result<String, AppError> {
    let user = user().await?;
    let id = webhook_id(&id)?;
    let delivery = crate::ssr::ctx()?.webhooks.test_webhook(user, id).await?;
    Ok(delivery.event_id)
}

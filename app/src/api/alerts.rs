//! The logged-in user's alerts and notifications. The session is checked here, on the server.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{Alert, Notifications};

/// What a logged-out person is told when they try to set an alert.
pub const LOGIN_TO_ALERT: &str = "Log in to set alerts.";

/// The logged-in user's alert rules (none when logged out).
#[server(endpoint = "my_alerts")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn my_alerts() -> Result<Vec<Alert>, AppError> {
    let session = crate::ssr::UserSession::current().await?;
    let Some(user) = session.user().await? else {
        return Ok(vec![]);
    };
    Ok(crate::ssr::ctx()?.alerts.alerts(user.id).await?)
}

/// The logged-in user's newest notifications and unread count; `None` when logged out.
#[server(endpoint = "my_notifications")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn my_notifications() -> Result<Option<Notifications>, AppError> {
    let session = crate::ssr::UserSession::current().await?;
    let Some(user) = session.user().await? else {
        return Ok(None);
    };
    Ok(Some(
        crate::ssr::ctx()?.alerts.notifications(user.id, 50).await?,
    ))
}

/// Sets an alert on `symbol`: `rule` is `price_above` or `price_below` with `level` (a price as
/// typed), or `outside_range` or `signal_change` with `model`; `repeat_hours` empty (once) or a
/// number of hours between firings.
#[server(endpoint = "set_alert")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn set_alert(
    symbol: String,
    rule: String,
    level: Option<String>,
    model: Option<String>,
    repeat_hours: Option<String>,
) -> Result<Alert, AppError> {
    use crate::domain::{AlertRule, CooldownHours, Symbol};
    let user = crate::ssr::UserSession::current()
        .await?
        .require_user(LOGIN_TO_ALERT)
        .await?;
    let symbol = Symbol::parse(&symbol).map_err(AppError::BadRequest)?;
    let rule = AlertRule::parse(&rule, level.as_deref(), model.as_deref())
        .map_err(AppError::BadRequest)?;
    let repeat_hours = match repeat_hours.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(h) => Some(
            h.parse::<u32>()
                .map_err(|_| "The cool-down must be a whole number of hours.".to_owned())
                .and_then(CooldownHours::new)
                .map_err(AppError::BadRequest)?,
        ),
    };
    let alert = crate::model::NewAlert {
        symbol,
        rule,
        repeat_hours,
    };
    Ok(crate::ssr::ctx()?
        .alerts
        .create_alert(user.id, alert)
        .await?)
}

/// Deletes one of the logged-in user's alerts.
#[server(endpoint = "delete_alert")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn delete_alert(id: String) -> Result<(), AppError> {
    let user = crate::ssr::UserSession::current()
        .await?
        .require_user(LOGIN_TO_ALERT)
        .await?;
    let id = crate::domain::AlertId::parse(&id).map_err(AppError::BadRequest)?;
    Ok(crate::ssr::ctx()?.alerts.delete_alert(user.id, id).await?)
}

/// Marks every notification of the logged-in user read; answers how many are unread now.
#[server(endpoint = "mark_notifications_read")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn mark_notifications_read() -> Result<i64, AppError> {
    let user = crate::ssr::UserSession::current()
        .await?
        .require_user(LOGIN_TO_ALERT)
        .await?;
    Ok(crate::ssr::ctx()?.alerts.mark_read(user.id, None).await?)
}

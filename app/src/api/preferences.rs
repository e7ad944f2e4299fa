//! The logged-in reader's chart choices, kept with the account so they follow the reader to
//! another browser. Logged out, the page keeps them in the browser's local storage instead.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The stored indicator list, and whether anybody is logged in to store one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredIndicators {
    /// Whether the request came from a logged-in reader.
    pub logged_in: bool,
    /// Their list (`sma50,rsi`), when they have chosen.
    pub indicators: Option<String>,
}

/// The logged-in reader's chart indicators.
#[server(endpoint = "chart_indicators")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn chart_indicators() -> Result<StoredIndicators, AppError> {
    let session = crate::ssr::UserSession::current().await?;
    let Some(user) = session.user().await? else {
        return Ok(StoredIndicators {
            logged_in: false,
            indicators: None,
        });
    };
    let set = crate::ssr::ctx()?
        .accounts
        .chart_indicators(user.id)
        .await?;
    Ok(StoredIndicators {
        logged_in: true,
        indicators: set.map(|s| s.to_list()),
    })
}

/// Remembers the logged-in reader's chart indicators (`sma50,rsi`).
#[server(endpoint = "save_chart_indicators")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn save_chart_indicators(list: String) -> Result<(), AppError> {
    let user = crate::ssr::UserSession::current()
        .await?
        .require_user("Log in to keep chart settings with your account.")
        .await?;
    let set = crate::domain::IndicatorSet::parse_list(&list).map_err(AppError::BadRequest)?;
    Ok(crate::ssr::ctx()?
        .accounts
        .set_chart_indicators(user.id, set)
        .await?)
}

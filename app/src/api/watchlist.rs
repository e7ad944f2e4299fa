//! The logged-in user's watchlist. The session is checked here, on the server: a UI that hides a
//! button is not access control.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::TickerSummary;

/// What a logged-out person is told when they try to add to a watchlist.
pub const LOGIN_TO_WATCH: &str = "Log in to keep a watchlist.";

/// The logged-in user's watchlist; empty when nobody is logged in.
#[server(endpoint = "my_watchlist")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn my_watchlist() -> Result<Vec<TickerSummary>, AppError> {
    let session = crate::ssr::UserSession::current().await?;
    let Some(user) = session.user().await? else {
        return Ok(vec![]);
    };
    Ok(crate::ssr::ctx()?.accounts.watchlist(user.id).await?)
}

/// Whether `symbol` is on the logged-in user's watchlist (false when logged out).
#[server(endpoint = "is_watched")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn is_watched(symbol: String) -> Result<bool, AppError> {
    let Ok(symbol) = crate::domain::Symbol::parse(&symbol) else {
        return Ok(false);
    };
    let list = my_watchlist().await?;
    Ok(list.iter().any(|t| t.symbol == symbol))
}

/// Adds a ticker to the logged-in user's watchlist.
#[server(endpoint = "add_to_watchlist")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn add_to_watchlist(symbol: String) -> Result<(), AppError> {
    let user = crate::ssr::UserSession::current()
        .await?
        .require_user(LOGIN_TO_WATCH)
        .await?;
    let symbol = crate::domain::Symbol::parse(&symbol).map_err(AppError::BadRequest)?;
    let ctx = crate::ssr::ctx()?;
    // Watching a symbol not stored yet fetches it, as opening its page would.
    let (caller, client) = (
        crate::ssr::caller().await?,
        crate::ssr::client_addr().await?,
    );
    ctx.lookup.onboard(&symbol, &caller, client).await?;
    Ok(ctx.accounts.watch(user.id, &symbol).await?)
}

/// Removes a ticker from the logged-in user's watchlist.
#[server(endpoint = "remove_from_watchlist")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn remove_from_watchlist(symbol: String) -> Result<(), AppError> {
    let user = crate::ssr::UserSession::current()
        .await?
        .require_user(LOGIN_TO_WATCH)
        .await?;
    let symbol = crate::domain::Symbol::parse(&symbol).map_err(AppError::BadRequest)?;
    Ok(crate::ssr::ctx()?
        .accounts
        .unwatch(user.id, &symbol)
        .await?)
}

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
    let ctx = crate::ssr::ctx()?;
    Ok(crate::ssr::db::watchlist(&ctx.pool, user.id).await?)
}

/// Whether `symbol` is on the logged-in user's watchlist (false when logged out).
#[server(endpoint = "is_watched")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn is_watched(symbol: String) -> Result<bool, AppError> {
    let list = my_watchlist().await?;
    Ok(list
        .iter()
        .any(|t| t.symbol.eq_ignore_ascii_case(symbol.trim())))
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
    if !crate::ssr::db::ticker_exists(&ctx.pool, &symbol).await? {
        return Err(super::market::not_found(&symbol));
    }
    crate::ssr::db::watch(&ctx.pool, user.id, &symbol).await?;
    Ok(())
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
    let ctx = crate::ssr::ctx()?;
    crate::ssr::db::unwatch(&ctx.pool, user.id, &symbol).await?;
    Ok(())
}

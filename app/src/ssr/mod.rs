//! The server side of the UI: the ports the server functions call, the context that carries them,
//! and the typed session. Compiled only with the `ssr` feature; the `server` crate implements the
//! ports and provides the context.

pub mod ports;
pub mod session;

use std::sync::Arc;

use leptos::prelude::use_context;

use crate::error::AppError;

pub use ports::{
    Accounts, Exports, ImportRequest, Imports, Lookup, MarketData, PredictionService, ServiceError,
    SessionUser,
};
pub use ports::{Alerts, NewsDesk, Webhooks};
pub use session::UserSession;

/// What every server function may reach, provided by the server as Leptos context: the services
/// only, never a pool or a cache.
#[derive(Clone)]
pub struct AppContext {
    /// Quotes, series, overviews, news and the trading calendar.
    pub market: Arc<dyn MarketData>,
    /// Model predictions, their recorded history and the training jobs.
    pub predictions: Arc<dyn PredictionService>,
    /// Accounts and watchlists.
    pub accounts: Arc<dyn Accounts>,
    /// Ticker search and the first fetch of a new ticker.
    pub lookup: Arc<dyn Lookup>,
    /// Imports of daily prices from files.
    pub imports: Arc<dyn Imports>,
    /// Downloads of prices, predictions and records.
    pub exports: Arc<dyn Exports>,
    /// Stored market and per-symbol news, page by page.
    pub news: Arc<dyn NewsDesk>,
    /// Alert rules and their notifications.
    pub alerts: Arc<dyn Alerts>,
    /// Webhooks and their deliveries.
    pub webhooks: Arc<dyn Webhooks>,
}

impl std::fmt::Debug for AppContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppContext").finish_non_exhaustive()
    }
}

/// The client's address, as the server's access layer determined it (the socket's peer, or the
/// first untrusted address in `X-Forwarded-For` behind a trusted proxy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);

/// The address of the request being served.
pub async fn client_addr() -> Result<std::net::IpAddr, AppError> {
    let axum::Extension(ClientAddr(ip)) = leptos_axum::extract::<axum::Extension<ClientAddr>>()
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "no client address on the request");
            AppError::Internal
        })?;
    Ok(ip)
}

/// Who is asking: as the server's access layer resolved it (key, token or session, with the
/// account's current tier), or else the logged-in account, or nobody in particular.
pub async fn caller() -> Result<crate::domain::Caller, AppError> {
    if let Ok(axum::Extension(caller)) =
        leptos_axum::extract::<axum::Extension<crate::domain::Caller>>().await
    {
        return Ok(caller);
    }
    Ok(UserSession::current()
        .await?
        .user()
        .await?
        .map_or(crate::domain::Caller::Anonymous, |u| u.caller()))
}

/// The context, or an internal error if the server forgot to provide it.
pub fn ctx() -> Result<AppContext, AppError> {
    use_context::<AppContext>().ok_or_else(|| {
        tracing::error!("AppContext missing from the Leptos context");
        AppError::Internal
    })
}

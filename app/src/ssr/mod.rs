//! The server side of the UI: the ports the server functions call, the context that carries them,
//! and the typed session. Compiled only with the `ssr` feature; the `server` crate implements the
//! ports and provides the context.

pub mod ports;
pub mod session;

use std::sync::Arc;

use leptos::prelude::use_context;

use crate::error::AppError;

pub use ports::{Accounts, MarketData, PredictionService, ServiceError, SessionUser};
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
}

impl std::fmt::Debug for AppContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppContext").finish_non_exhaustive()
    }
}

/// The context, or an internal error if the server forgot to provide it.
pub fn ctx() -> Result<AppContext, AppError> {
    use_context::<AppContext>().ok_or_else(|| {
        tracing::error!("AppContext missing from the Leptos context");
        AppError::Internal
    })
}

//! Server-only plumbing for the server functions: the shared context, the cache, SQL and the
//! typed session. Compiled only with the `ssr` feature.

pub mod cache;
pub mod db;
pub mod services;
pub mod session;

use std::sync::Arc;

use leptos::prelude::use_context;
use sqlx::PgPool;

use crate::error::AppError;

pub use cache::Cache;
pub use services::{MarketData, PredictionService};
pub use session::UserSession;

/// What every server function may reach, provided by the server as Leptos context.
#[derive(Clone)]
pub struct AppContext {
    /// The Postgres pool (the source of truth).
    pub pool: PgPool,
    /// The Redis cache (may be absent or down).
    pub cache: Cache,
    /// Quotes, series, overviews, news and the trading calendar.
    pub market: Arc<dyn MarketData>,
    /// Model predictions, their recorded history and the training jobs.
    pub predictions: Arc<dyn PredictionService>,
}

impl std::fmt::Debug for AppContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppContext")
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

/// The context, or an internal error if the server forgot to provide it.
pub fn ctx() -> Result<AppContext, AppError> {
    use_context::<AppContext>().ok_or_else(|| {
        tracing::error!("AppContext missing from the Leptos context");
        AppError::Internal
    })
}

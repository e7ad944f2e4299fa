//! Server-only plumbing for the server functions: the shared context, the cache, SQL and the
//! typed session. Compiled only with the `ssr` feature.

pub mod cache;
pub mod db;
pub mod session;

use leptos::prelude::use_context;
use sqlx::PgPool;

use crate::error::AppError;

pub use cache::Cache;
pub use session::UserSession;

/// What every server function may reach, provided by the server as Leptos context.
#[derive(Clone, Debug)]
pub struct AppContext {
    /// The Postgres pool (the source of truth).
    pub pool: PgPool,
    /// The Redis cache (may be absent or down).
    pub cache: Cache,
}

/// The context, or an internal error if the server forgot to provide it.
pub fn ctx() -> Result<AppContext, AppError> {
    use_context::<AppContext>().ok_or_else(|| {
        tracing::error!("AppContext missing from the Leptos context");
        AppError::Internal
    })
}

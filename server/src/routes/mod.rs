//! Routes outside Leptos: health and metrics for operators, the JSON API, and the site's files.

pub mod access;
pub mod api;
pub mod assets;
pub mod errors;
pub mod metrics;
pub mod status;

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use app::ssr::AppContext;
use sqlx::PgPool;

use crate::cache::Cache;

/// Shared state of the plain axum routes (the Leptos routes get [`AppContext`] as context).
/// Axum clones it for every request and every layer that extracts it, so it is one reference
/// count: cloning the fields (the site options' strings among them) was about a tenth of the
/// server's CPU time under `make bench-api`'s load.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// The state over `shared`.
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] shares.
#[derive(Debug)]
pub struct Shared {
    /// Leptos site options (site root, output name).
    pub leptos_options: LeptosOptions,
    /// The services, as the server functions see them.
    pub ctx: AppContext,
    /// Postgres, for the health check.
    pub pool: PgPool,
    /// Redis, for the health check.
    pub cache: Cache,
    /// Renders the Prometheus text.
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// Who may do what: keys, tokens, limits.
    pub access: access::Access,
    /// Bearer token `/metrics` requires (`METRICS_TOKEN`); `None`: open.
    pub metrics_token: Option<std::sync::Arc<str>>,
    /// Encoded answers of the read-only routes.
    pub encoded: api::encoded::EncodedCache,
    /// The event streams of this instance.
    pub streams: api::stream::Streams,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

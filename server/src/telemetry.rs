//! Tracing subscriber set-up: human lines in development, JSON with `LOG_FORMAT=json`.

use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable, coloured when on a terminal (development).
    Human,
    /// One JSON object per line (production, log shippers).
    Json,
}

/// Installs the global subscriber once. `RUST_LOG` overrides the default filter.
/// Calling it again (several apps in one test process) is harmless.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,server=info,app=info,tower_http=info,sqlx=warn,tower_sessions=warn")
    });
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Human => registry.with(fmt::layer().with_target(true)).try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true),
            )
            .try_init(),
    };
}

/// Runs CPU-bound `f` on the blocking pool inside the caller's span, so what it logs (a model fit,
/// a password hash) stays attached to the request or job that asked for it.
pub fn spawn_blocking_in_span<F, R>(f: F) -> tokio::task::JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
}

//! Building the application: services, pool, migrations, seed data, sessions, router, listener.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use app::{shell, App};
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{ExpiredDeletion, Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

use crate::compose::{self, Background, Services};
use crate::config::Settings;
use crate::embedded::{EmbeddedPostgres, EmbeddedRedis};
use crate::jobs::Jobs;
use crate::routes::{self, AppState};

/// The name of the embedded default's database.
const EMBEDDED_DB: &str = "tickercast";

/// A built application, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    pool: PgPool,
    jobs: Jobs,
    session_cleanup: tokio::task::JoinHandle<()>,
    background: Background,
    // Dropped last: the private servers stop after the app has drained.
    embedded: EmbeddedServices,
}

/// The private servers started when no URL was configured.
#[derive(Default)]
struct EmbeddedServices {
    postgres: Option<EmbeddedPostgres>,
    redis: Option<EmbeddedRedis>,
}

impl Application {
    /// Starts what is missing, migrates, seeds and binds `settings.addr`.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let mut embedded = EmbeddedServices::default();

        let database_url = match &settings.database_url {
            Some(url) => url.clone(),
            None => {
                let pg = EmbeddedPostgres::start(&settings.data_dir, true)
                    .await
                    .context("Failed to start the private Postgres (or set DATABASE_URL)")?;
                pg.ensure_database(EMBEDDED_DB).await?;
                let url = pg.url(EMBEDDED_DB);
                embedded.postgres = Some(pg);
                url
            }
        };
        let redis_url = match &settings.redis_url {
            Some(url) => url.clone(),
            None => {
                let redis = EmbeddedRedis::start(&settings.data_dir.join("redis"))
                    .await
                    .context("Failed to start the private Redis (or set REDIS_URL)")?;
                let url = redis.url();
                embedded.redis = Some(redis);
                url
            }
        };

        let pool = compose::connect_and_migrate(&database_url, settings.db_max_connections).await?;
        if settings.seed_bundled {
            let inserted = crate::seed::load_bundled(&pool).await?;
            tracing::info!(?inserted, "bundled price series loaded");
            // Bars that arrived since predictions were served: record what really happened.
            let filled = crate::predictions::store::fill_actuals(&pool, None)
                .await
                .context("Failed to fill the actuals of recorded predictions")?;
            tracing::info!(filled, "prediction actuals filled");
        }

        let session_store = PostgresStore::new(pool.clone());
        session_store
            .migrate()
            .await
            .context("Failed to create the session table")?;
        let session_cleanup = tokio::spawn({
            let store = session_store.clone();
            async move {
                if let Err(e) = store
                    .continuously_delete_expired(Duration::from_secs(3600))
                    .await
                {
                    tracing::error!(error = %e, "expired-session cleanup stopped");
                }
            }
        });
        let sessions = SessionManagerLayer::new(session_store)
            .with_name("tickercast.sid")
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(settings.cookie_secure)
            .with_expiry(Expiry::OnInactivity(
                tower_sessions::cookie::time::Duration::days(7),
            ));

        let cache = compose::cache(Some(&redis_url), &settings.cache_prefix)?;
        let services = Services::build(&settings, pool.clone(), cache).await?;
        // This process's workers and schedules (none with APP_WORKERS=0).
        let background = services.start_background(settings.workers).await?;

        let listener = TcpListener::bind(settings.addr)
            .await
            .with_context(|| format!("Failed to listen on {}", settings.addr))?;
        let addr = listener.local_addr()?;
        let leptos_options = LeptosOptions::builder()
            .output_name("tickercast")
            .site_root(settings.site_root.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .build();
        let state = AppState {
            leptos_options,
            ctx: services.app_context(),
            pool: pool.clone(),
            cache: services.cache.clone(),
            metrics: routes::metrics::recorder(),
            admin_token: settings.admin_token.as_deref().map(Into::into),
        };
        let router = router(state, sessions);

        Ok(Self {
            listener,
            router,
            pool,
            jobs: services.jobs.clone(),
            session_cleanup,
            background,
            embedded,
        })
    }

    /// The address it listens on (the real port when configured with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    /// The pool (for tests and jobs).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The job queue's client (enqueue, poll).
    pub fn jobs(&self) -> &Jobs {
        &self.jobs
    }

    /// Serves until `shutdown` resolves, then drains connections and stops the private servers.
    pub async fn run_until_stopped(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Application {
            listener,
            router,
            pool,
            session_cleanup,
            background,
            embedded,
            ..
        } = self;
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
            .context("server error")?;
        session_cleanup.abort();
        background.stop().await;
        pool.close().await;
        if let Some(redis) = embedded.redis {
            redis.stop();
        }
        if let Some(pg) = embedded.postgres {
            pg.stop();
        }
        Ok(())
    }
}

fn router(state: AppState, sessions: SessionManagerLayer<PostgresStore>) -> Router {
    let routes = generate_route_list(App);
    let ctx = state.ctx.clone();
    let ctx_for_files = state.ctx.clone();
    let options = state.leptos_options.clone();
    Router::new()
        .route("/api/status", get(routes::status::status))
        .route("/metrics", get(routes::metrics::metrics))
        .route("/api/docs", get(routes::api::docs::docs))
        .nest("/api/v1", routes::api::router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(ctx.clone()),
            move || shell(options.clone()),
        )
        .route_layer(axum::middleware::from_fn(routes::metrics::track))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            move || provide_context(ctx_for_files.clone()),
            shell,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn(routes::errors::server_fn_status))
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::extract::Request| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
                .to_owned();
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

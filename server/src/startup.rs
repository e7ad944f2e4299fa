//! Building the application: services, pool, migrations, seed data, sessions, router, listener.

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use anyhow::Context;
use app::{shell, App};
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
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
use crate::routes::access::headers::{self, HeaderPolicy};
use crate::routes::access::{self, bounds, bounds::Bounds, csrf, request_id, Access};
use crate::routes::api::encoded::EncodedCache;
use crate::routes::api::stream::Streams;
use crate::routes::{self, AppState};

/// The name of the embedded default's database.
pub const EMBEDDED_DB: &str = "tickercast";
/// The session cookie over plain HTTP (local use).
const SESSION_COOKIE: &str = "tickercast.sid";
/// The session cookie over TLS.
const SECURE_SESSION_COOKIE: &str = "__Host-tickercast.sid";

/// A built application, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    pool: PgPool,
    jobs: Jobs,
    session_cleanup: tokio::task::JoinHandle<()>,
    /// Relays other processes' events into this one.
    listeners: crate::compose::Listeners,
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

        let pool = compose::connect_and_migrate(
            &database_url,
            settings.db_max_connections,
            settings.access.statement_timeout,
        )
        .await?;
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
        let idle = settings.access.session_idle;
        // Over TLS the cookie is `__Host-` prefixed: the browser then insists on Secure, Path=/ and
        // no Domain, so no sibling subdomain can set or overwrite it.
        let sessions = SessionManagerLayer::new(session_store)
            .with_name(if settings.cookie_secure {
                SECURE_SESSION_COOKIE
            } else {
                SESSION_COOKIE
            })
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(settings.cookie_secure)
            .with_path("/")
            .with_expiry(Expiry::OnInactivity(
                tower_sessions::cookie::time::Duration::seconds(
                    i64::try_from(idle.as_secs()).unwrap_or(i64::MAX),
                ),
            ));

        let cache = compose::cache(Some(&redis_url), &settings.cache_prefix)?;
        let jwt_secret = compose::jwt_secret(&settings, embedded.postgres.is_some())?;
        let services = Services::build(&settings, pool.clone(), cache, jwt_secret).await?;
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
        let access = Access {
            accounts: services.accounts.clone(),
            limiter: services.limiter.clone(),
            settings: Arc::new(settings.access.clone()),
            // Written again at most 168 times per idle period (hourly for a week): the expiry
            // slides with every visit without a database write per request.
            session_refresh: (idle / 168).max(Duration::from_secs(1)),
        };
        let state = AppState::new(routes::Shared {
            leptos_options,
            ctx: services.app_context(),
            pool: pool.clone(),
            cache: services.cache.clone(),
            metrics: routes::metrics::recorder(),
            access,
            metrics_token: settings.access.metrics_token.as_deref().map(Into::into),
            encoded: EncodedCache::listening(&services.events),
            streams: Streams::new(
                services.events.clone(),
                settings.access.max_streams,
                settings.access.stream_heartbeat,
            ),
        });
        // Other processes' events (a worker's new bars and predictions) reach this one's caches
        // and streams; new bars are checked against the alerts.
        let listeners = services.start_listeners();
        let edge = Edge {
            headers: HeaderPolicy {
                https: settings.cookie_secure,
                session_cookie: SESSION_COOKIE,
            },
            bounds: Bounds::new(
                settings.access.max_concurrent_requests,
                settings.access.request_timeout,
            )
            .except(&[routes::api::stream::STREAM_PATH]),
            body_limit: settings.access.body_limit,
            trusted_origins: csrf::TrustedOrigins::new(&settings.access.cors_origins),
            cors: access::cors::layer(&settings.access.cors_origins),
        };
        let router = router(state, sessions, edge);

        Ok(Self {
            listener,
            router,
            pool,
            jobs: services.jobs.clone(),
            session_cleanup,
            listeners,
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
            listeners,
            background,
            embedded,
            ..
        } = self;
        // The peer address feeds the access layer (anonymous limits by client address).
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("server error")?;
        session_cleanup.abort();
        drop(listeners);
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

/// The protections in front of the routes that do not depend on the caller.
struct Edge {
    headers: HeaderPolicy,
    bounds: Bounds,
    body_limit: usize,
    trusted_origins: csrf::TrustedOrigins,
    cors: Option<tower_http::cors::CorsLayer>,
}

/// The page routes, listed once per process. Listing renders the app with every resource held
/// pending through a process-wide switch (leptos_server's `SuppressResourceLoad`): a resource that
/// another app in the same process first polls while the switch is on never loads, and its page
/// never answers (leptos-rs/leptos#4773). Listed once, before any app of the process serves, the
/// switch is never on while one does.
static PAGE_ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));

fn router(state: AppState, sessions: SessionManagerLayer<PostgresStore>, edge: Edge) -> Router {
    let routes = PAGE_ROUTES.clone();
    let ctx = state.ctx.clone();
    let ctx_for_files = state.ctx.clone();
    let options = state.leptos_options.clone();
    let assets = routes::assets::Assets::load(std::path::Path::new(
        state.leptos_options.site_root.as_ref(),
    ));
    let site_files = assets.site_files();
    let site_files_for_errors = site_files.clone();
    let access = state.access.clone();
    // Layers run outside in, so read this list bottom-up: the request id is checked and set,
    // the request traced; security headers go on every answer; it is bounded in time, count and
    // size; compressed; site files answered from memory;
    // cross-site posts stop before the session is even loaded; the guard then resolves the
    // caller (it needs the session) and applies its rate limit.
    Router::new()
        .route("/api/status", get(routes::status::status))
        .route("/metrics", get(routes::metrics::metrics))
        .route("/api/docs", get(routes::api::docs::docs))
        .nest("/api/v1", routes::api::router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(ctx.clone());
                provide_context(site_files.clone());
                headers::provide_page_policy();
            },
            move || shell(options.clone()),
        )
        .route_layer(axum::middleware::from_fn(routes::metrics::track))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            move || {
                provide_context(ctx_for_files.clone());
                provide_context(site_files_for_errors.clone());
                headers::provide_page_policy();
            },
            shell,
        ))
        .layer(axum::middleware::from_fn(routes::errors::server_fn_status))
        .layer(axum::middleware::from_fn_with_state(access, access::guard))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            edge.trusted_origins,
            csrf::same_origin_only,
        ))
        // Site files from memory, ahead of everything a file does not need.
        .layer(axum::middleware::from_fn_with_state(
            assets,
            routes::assets::serve,
        ))
        .layer(CompressionLayer::new())
        // `bounds::body_limit` bounds every body by its path; the extractors' own default would
        // cut the uploads' larger allowance back to the default.
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(
            bounds::BodyLimits {
                default: edge.body_limit,
                // A little over the import's own limit, so that it answers first, in its words.
                uploads: routes::api::import::IMPORT_BODY_LIMIT + 1024 * 1024,
                upload_paths: &[routes::api::import::IMPORT_PATH, app::api::IMPORT_FN_PATH],
            },
            bounds::body_limit,
        ))
        .layer(axum::middleware::from_fn_with_state(edge.bounds, bounds::bounded))
        // Outside the bounds, so that their 503 and 413 answers carry the headers too.
        .layer(axum::middleware::from_fn_with_state(
            edge.headers,
            headers::security_headers,
        ))
        // Outside everything that may refuse a request, so a listed origin's page can read why.
        .layer(tower::util::option_layer(edge.cors))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::extract::Request| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
                .to_owned();
            tracing::info_span!("http", method = %req.method(), path = %truncated(req.uri().path()), request_id = %id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::from_fn(request_id::sanitise))
        .with_state(state)
}

/// At most 200 characters of a path in the log (symbols and names in paths are client text).
fn truncated(path: &str) -> &str {
    match path.char_indices().nth(200) {
        Some((i, _)) => &path[..i],
        None => path,
    }
}

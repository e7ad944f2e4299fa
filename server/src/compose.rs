//! The composition root: every shared piece of a process is built here, once, and handed to its
//! users by value. The web app and `server worker` build the same [`Services`]: one pool, one
//! cache, one guarded provider chain (rate limiter + circuit breaker, shared through Redis by
//! every process), one registry, one queue client, one prediction service. Nothing is set later
//! through a global; no module below this one knows how the others are wired.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use app::ssr::AppContext;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use crate::accounts::AccountService;
use crate::alerts::AlertService;
use crate::cache::Cache;
use crate::config::Settings;
use crate::events::{Event, Events};
use crate::exports::ExportService;
use crate::imports::ImportService;
use crate::jobs::Jobs;
use crate::lookup::LookupService;
use crate::market::cached::MarketCache;
use crate::market::guarded::guarded_chain;
use crate::market::ingest::Ingestor;
use crate::market::limiter::RateLimiter;
use crate::market::news_desk::{self, NewsDeskService};
use crate::market::MarketService;
use crate::predictions::backends::{QueuedTraining, RegistryVersions};
use crate::predictions::{Predictor, TrainingAllowance};
use crate::registry::{ArtifactStore, Registry};
use crate::webhooks::WebhookService;
use crate::worker::{self, Runner, ScheduleHandle, Scheduled, WorkerHandle};

/// How long running jobs get to finish when the process stops; the rest are retried elsewhere.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Everything a process serves or works with, built once.
#[derive(Clone)]
pub struct Services {
    /// The Postgres pool (the source of truth).
    pub pool: PgPool,
    /// The Redis cache (may be down).
    pub cache: Cache,
    /// Market data for pages and the API.
    pub market: Arc<MarketService>,
    /// Ticker search and the first fetch of new tickers.
    pub lookup: Arc<LookupService>,
    /// Imports of daily prices from files.
    pub imports: Arc<ImportService>,
    /// Stored news, page by page, and its scheduled refresh.
    pub news: Arc<NewsDeskService>,
    /// Predictions, their history and the jobs behind them.
    pub predictor: Predictor,
    /// Accounts, watchlists, API keys and tokens.
    pub accounts: Arc<AccountService>,
    /// The inbound rate limiter, shared through Redis by every instance.
    pub limiter: crate::ratelimit::InboundLimiter,
    /// The job queue's client.
    pub jobs: Jobs,
    /// Trained model versions.
    pub registry: Registry,
    /// New bars from the providers; `None` when no provider is configured.
    pub ingestor: Option<Ingestor>,
    /// What changed, told to every process.
    pub events: Events,
    /// Alert rules and their notifications.
    pub alerts: AlertService,
    /// Webhooks and their deliveries.
    pub webhooks: WebhookService,
    /// Which webhook targets are allowed, and how deliveries are retried.
    webhook_settings: crate::config::WebhookSettings,
}

impl Services {
    /// Builds every service on `pool` and `cache` as `settings` say; `jwt_secret` signs access
    /// tokens (`None`: token exchange is off).
    pub async fn build(
        settings: &Settings,
        pool: PgPool,
        cache: Cache,
        jwt_secret: Option<Vec<u8>>,
    ) -> anyhow::Result<Self> {
        // Every provider client behind its circuit breaker and the rate limiter shared through
        // Redis: the same chain answers page requests and feeds the scheduled refreshes.
        let limiter = RateLimiter::new(cache.clone(), settings.rate_limits.clone());
        let events = Events::new(cache.clone());
        // A circuit that opens or closes is announced (to streams and the operator's webhook).
        let watch: crate::market::breaker::CircuitWatch = {
            let events = events.clone();
            Arc::new(move |provider, open| {
                let events = events.clone();
                tokio::spawn(async move {
                    let provider = provider.as_str().to_owned();
                    events.publish(Event::Circuit { provider, open }).await;
                });
            })
        };
        let providers = guarded_chain(&settings.providers, &limiter, settings.breaker, Some(watch))
            .context("Failed to build the market-data provider clients")?;
        tracing::info!(order = ?providers.order(), "market-data providers");
        let ingestor =
            (!providers.is_empty()).then(|| Ingestor::new(pool.clone(), providers.clone()));
        let market = Arc::new(MarketService::new(
            pool.clone(),
            MarketCache::new(cache.clone()),
            providers.clone(),
        ));
        // The news desk reads the store only; it is refreshed by the schedule when a provider in
        // the chain serves news.
        let news = Arc::new(NewsDeskService::new(
            pool.clone(),
            cache.clone(),
            ingestor
                .clone()
                .filter(|_| news_desk::serves_news(&providers.order())),
        ));

        Jobs::migrate(&pool)
            .await
            .context("Failed to create the job queue's tables")?;
        let store = ArtifactStore::open(
            settings.artifact_store_url.as_deref(),
            &settings.data_dir.join("artifacts"),
        )
        .context("Failed to open the model artifact store")?;
        tracing::info!(store = ?store, "model artifacts");
        let registry = Registry::new(pool.clone(), store);
        let jobs = Jobs::new(pool.clone(), settings.jobs.clone())
            .await
            .context("Failed to open the job queue")?;
        // Predictions: the registry's current versions, training queued through the jobs, and
        // the baselines fitted and evaluated on the spot under the training protocol, so their
        // records are comparable with the trained models'.
        let limiter = crate::ratelimit::InboundLimiter::new(cache.clone());
        let access = &settings.access;
        let predictor = Predictor::new(pool.clone(), cache.clone())
            .with_events(events.clone())
            .with_protocol(settings.jobs.protocol())
            .with_registry(RegistryVersions::new(registry.clone()))
            .with_queue(QueuedTraining::new(jobs.clone()))
            .with_allowance(TrainingAllowance {
                budget: crate::ratelimit::DailyBudget::new(limiter.clone(), "train"),
                per_tier: [access.train_free, access.train_pro, access.train_admin],
            });
        let lookup = Arc::new(LookupService::new(
            pool.clone(),
            cache.clone(),
            providers,
            jobs.clone(),
            crate::ratelimit::DailyBudget::new(limiter.clone(), "onboard"),
        ));
        let imports = Arc::new(ImportService::new(
            pool.clone(),
            events.clone(),
            settings.jobs.protocol().rows_needed(),
        ));
        let alerts = AlertService::new(pool.clone(), events.clone());
        let webhooks = WebhookService::new(
            pool.clone(),
            crate::webhooks::delivery::queue(&pool)
                .await
                .context("Failed to open the webhook delivery queue")?,
        );
        let tokens = jwt_secret
            .map(|secret| crate::accounts::tokens::Tokens::new(&secret, access.jwt_lifetime));
        Ok(Self {
            accounts: Arc::new(AccountService::new(
                pool.clone(),
                limiter.clone(),
                crate::accounts::AccountLimits {
                    concurrent_hashes: access.concurrent_hashes,
                    free_attempts: access.free_attempts,
                    trust_for: access.auth_cache,
                },
                tokens,
            )),
            limiter,
            pool,
            cache,
            market,
            lookup,
            imports,
            news,
            predictor,
            jobs,
            registry,
            ingestor,
            events,
            alerts,
            webhooks,
            webhook_settings: settings.webhooks.clone(),
        })
    }

    /// Starts what listens to the bus in every process: the relay of other processes' events,
    /// the evaluation of alerts, webhook deliveries, the quotes forgotten when new bars land and
    /// (when `ALERT_WEBHOOK_URL` is set) the operator's alerts. They stop when the answer is
    /// dropped.
    pub fn start_listeners(&self) -> Listeners {
        let mut tasks = vec![
            self.events.relay(),
            self.alerts.listen(),
            self.webhooks.listen(&self.events),
            self.market.forget_quotes_on_new_bars(&self.events),
        ];
        if let Some(url) = &self.webhook_settings.operator_url {
            let operator = crate::webhooks::operator::OperatorAlerts::new(
                url.clone(),
                self.webhook_settings.operator_secret.clone(),
                self.cache.clone(),
            );
            tasks.push(operator.listen(&self.events));
        }
        Listeners(tasks)
    }

    /// The ports the server functions call.
    pub fn app_context(&self) -> AppContext {
        AppContext {
            market: self.market.clone(),
            predictions: Arc::new(self.predictor.clone()),
            accounts: self.accounts.clone(),
            lookup: self.lookup.clone(),
            imports: self.imports.clone(),
            exports: Arc::new(ExportService::new(
                self.pool.clone(),
                Arc::new(self.predictor.clone()),
            )),
            news: self.news.clone(),
            alerts: Arc::new(self.alerts.clone()),
            webhooks: Arc::new(self.webhooks.clone()),
        }
    }

    /// Starts `workers` job workers in this process and the schedules (none when `workers` is 0:
    /// the process only enqueues, and other processes run the work).
    pub async fn start_background(&self, workers: usize) -> anyhow::Result<Background> {
        if workers == 0 {
            return Ok(Background::default());
        }
        let runner = Runner::new(
            self.jobs.clone(),
            self.registry.clone(),
            self.predictor.clone(),
            self.ingestor.clone(),
            self.events.clone(),
        );
        let handle = worker::start(&self.jobs, runner, workers);
        // Each routine's scheduler holds a connection while it leads and its worker one to listen
        // and one to dequeue (three routines with the news refresh): a pool of their own so they
        // never starve requests or jobs.
        let schedule_pool = PgPoolOptions::new()
            .max_connections(12)
            .connect_with((*self.pool.connect_options()).clone())
            .await
            .context("Failed to connect the schedulers to Postgres")?;
        let scheduled = Scheduled {
            jobs: self.jobs.clone(),
            registry: self.registry.clone(),
            can_refresh: self.ingestor.is_some(),
            news: self.news.clone(),
        };
        // Scheduled work is a convenience; a process whose schedules fail to start still serves
        // and runs jobs (another process, or its next start, runs the schedules).
        // Webhook deliveries on a pool of their own: the queue's worker holds one connection to
        // listen and one per attempt in flight (two), and each attempt reads and writes its rows.
        const SENDERS: usize = 2;
        let sender_pool = PgPoolOptions::new()
            .max_connections(2 + 2 * SENDERS as u32)
            .connect_with((*self.pool.connect_options()).clone())
            .await
            .context("Failed to connect the webhook senders to Postgres")?;
        let sender_queue = crate::webhooks::delivery::queue(&sender_pool)
            .await
            .context("Failed to open the webhook delivery queue")?;
        let senders = crate::webhooks::delivery::start(
            sender_pool,
            sender_queue,
            self.webhook_settings.clone(),
            SENDERS,
        );
        let schedules = match worker::start_schedules(scheduled, schedule_pool).await {
            Ok(handle) => Some(handle),
            Err(e) => {
                tracing::error!(error = %e, "schedules not started; jobs still run");
                None
            }
        };
        Ok(Background {
            workers: Some(handle),
            schedules,
            senders: Some(senders),
        })
    }
}

/// The bus listeners of a process ([`Services::start_listeners`]), stopped when dropped.
pub struct Listeners(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Listeners {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// What runs in the background of this process.
#[derive(Default)]
pub struct Background {
    workers: Option<WorkerHandle>,
    schedules: Option<ScheduleHandle>,
    senders: Option<tokio::task::JoinHandle<()>>,
}

impl Background {
    /// Stops the schedules, then the workers (see [`WorkerHandle::shutdown`]).
    pub async fn stop(mut self) {
        if let Some(senders) = self.senders.take() {
            senders.abort();
        }
        drop(self.schedules.take());
        if let Some(w) = self.workers.take() {
            w.shutdown(SHUTDOWN_GRACE).await;
        }
    }
}

/// A pool on `url` with every migration applied (the web app and `server worker` alike). Every
/// statement is bounded by `statement_timeout`, so a runaway query cannot hold a connection.
pub async fn connect_and_migrate(
    url: &str,
    max_connections: u32,
    statement_timeout: Duration,
) -> anyhow::Result<PgPool> {
    let options: sqlx::postgres::PgConnectOptions = url
        .parse()
        .context("DATABASE_URL is not a valid Postgres URL")?;
    let options = options.options([(
        "statement_timeout",
        format!("{}", statement_timeout.as_millis()),
    )]);
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .context("Failed to connect to Postgres")?;
    sqlx::migrate!("../migrations")
        .run(&pool)
        .await
        .context("Failed to run database migrations")?;
    Ok(pool)
}

/// The cache on `url` (`None`: a cache that stores nothing).
pub fn cache(url: Option<&str>, prefix: &str) -> anyhow::Result<Cache> {
    Ok(match url {
        Some(url) => Cache::new(
            redis::Client::open(url).context("REDIS_URL is not a valid Redis URL")?,
            prefix,
        ),
        None => Cache::disabled(),
    })
}

/// `server worker`: migrations, workers and schedules on an external Postgres, no HTTP, until
/// `shutdown` resolves.
pub async fn run_worker_process(
    settings: Settings,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let url = settings.database_url.clone().context(
        "`server worker` needs DATABASE_URL: it works on the database of the web app it serves",
    )?;
    let pool = connect_and_migrate(
        &url,
        settings.db_max_connections,
        settings.access.statement_timeout,
    )
    .await?;
    // Predict jobs record predictions and refresh the web app's cache when Redis is configured.
    let cache = cache(settings.redis_url.as_deref(), &settings.cache_prefix)?;
    let services = Services::build(&settings, pool.clone(), cache, None).await?;
    let workers = settings.workers.max(1);
    let background = services.start_background(workers).await?;
    // A worker hears the web instances' events too (an import's new bars fire alerts).
    let listeners = services.start_listeners();
    tracing::info!(workers, "worker process ready");
    shutdown.await;
    drop(listeners);
    background.stop().await;
    pool.close().await;
    Ok(())
}

/// The secret access tokens are signed with: `JWT_SECRET`, or (for the embedded default only) one
/// generated once into `data_dir/jwt.secret`, readable by this user alone. With external services
/// and no `JWT_SECRET` there is none: instances behind a balancer must share it, so it is never
/// made up per instance.
pub fn jwt_secret(settings: &Settings, embedded: bool) -> anyhow::Result<Option<Vec<u8>>> {
    if let Some(s) = &settings.access.jwt_secret {
        return Ok(Some(s.as_bytes().to_vec()));
    }
    if !embedded {
        tracing::warn!("no JWT_SECRET: POST /api/v1/auth/token is disabled");
        return Ok(None);
    }
    crate::embedded::secret_file(&settings.data_dir.join("jwt.secret"), 48).map(Some)
}

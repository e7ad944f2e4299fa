//! The background side of a process: the jobs service and registry, its workers and schedules,
//! started with the web app (in-process workers) or alone (`server worker`).

use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use super::{Jobs, ScheduleHandle, WorkerHandle};
use crate::config::Settings;
use crate::market::ingest::Ingestor;
use crate::predictions::backends::{QueuedTraining, RegistryVersions};
use crate::predictions::Predictor;
use crate::registry::{ArtifactStore, Registry};

/// How long running jobs get to finish when the process stops; the rest are retried elsewhere.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The jobs service, the registry, and what runs in the background of this process.
pub struct Background {
    /// Enqueue and poll jobs.
    pub jobs: Jobs,
    /// Trained model versions.
    pub registry: Registry,
    workers: Option<WorkerHandle>,
    schedules: Option<ScheduleHandle>,
}

impl Background {
    /// Migrates the queue, opens the artifact store and the registry, and starts `workers`
    /// workers plus the schedules (none when `workers` is 0: that process only enqueues).
    pub async fn start(pool: &PgPool, settings: &Settings, workers: usize) -> anyhow::Result<Self> {
        Jobs::migrate(pool)
            .await
            .context("Failed to create the job queue's tables")?;
        let store = ArtifactStore::open(
            settings.artifact_store_url.as_deref(),
            &settings.data_dir.join("artifacts"),
        )
        .context("Failed to open the model artifact store")?;
        tracing::info!(store = ?store, "model artifacts");
        let registry = Registry::new(pool.clone(), store);
        let jobs = Jobs::new(pool.clone(), registry.clone(), settings.jobs.clone())
            .await
            .context("Failed to open the job queue")?;
        // Refresh jobs fetch through the configured providers; with none, there is nothing to
        // refresh from and the scheduled work only recomputes predictions.
        let chain = settings
            .providers
            .build_chain()
            .context("Failed to build the market-data provider clients")?;
        if !chain.order().is_empty() {
            jobs.refresh_with(Ingestor::new(pool.clone(), chain));
        }
        let (workers, schedules) = if workers > 0 {
            // Each routine's scheduler holds a connection while it leads and its worker one to
            // listen and one to dequeue: a pool of their own so they never starve requests or jobs.
            let schedule_pool = PgPoolOptions::new()
                .max_connections(8)
                .connect_with((*pool.connect_options()).clone())
                .await
                .context("Failed to connect the schedulers to Postgres")?;
            // Scheduled work is a convenience; a process whose schedules fail to start still
            // serves and runs jobs (another process, or its next start, runs the schedules).
            let schedules = match jobs.start_schedules(schedule_pool).await {
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::error!(error = %e, "schedules not started; jobs still run");
                    None
                }
            };
            (Some(jobs.start_workers(workers)), schedules)
        } else {
            (None, None)
        };
        Ok(Self {
            jobs,
            registry,
            workers,
            schedules,
        })
    }

    /// The prediction service over this process's registry and queue, evaluating the baselines
    /// under the training protocol so their records compare with the trained models'.
    pub fn predictor(
        &self,
        pool: &PgPool,
        cache: app::ssr::Cache,
        settings: &Settings,
    ) -> Predictor {
        Predictor::new(pool.clone(), cache)
            .with_protocol(settings.jobs.protocol())
            .with_registry(RegistryVersions::new(self.registry.clone()))
            .with_queue(QueuedTraining::new(self.jobs.clone()))
    }

    /// Stops the schedules, then the workers (see [`WorkerHandle::shutdown`]).
    pub async fn stop(mut self) {
        drop(self.schedules.take());
        if let Some(w) = self.workers.take() {
            w.shutdown(SHUTDOWN_GRACE).await;
        }
    }
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
    let pool = crate::startup::connect_and_migrate(&url, settings.db_max_connections).await?;
    let background = Background::start(&pool, &settings, settings.workers.max(1)).await?;
    // Predict jobs record predictions and refresh the web app's cache when Redis is configured.
    let cache = match &settings.redis_url {
        Some(url) => app::ssr::Cache::new(
            redis::Client::open(url.as_str()).context("REDIS_URL is not a valid Redis URL")?,
            settings.cache_prefix.clone(),
        ),
        None => app::ssr::Cache::disabled(),
    };
    let predictor = background.predictor(&pool, cache, &settings);
    background.jobs.serve_predictions(predictor);
    tracing::info!(workers = settings.workers.max(1), "worker process ready");
    shutdown.await;
    background.stop().await;
    pool.close().await;
    Ok(())
}

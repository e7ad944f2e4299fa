//! Runs one attempt of a job: marks its row running, dispatches on its kind, records the outcome.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use app::domain::Symbol;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use tracing::Instrument;
use underway::task::{Error as TaskError, Result as TaskResult};
use underway::Queue;
use uuid::Uuid;

use super::{
    train, JobError, JobInput, JobKind, JobRecord, JobSettings, JobSpec, JobStatus, JobTask,
};
use crate::market::ingest::Ingestor;
use crate::predictions::Predictor;
use crate::registry::Registry;

/// Executes jobs (one per process, shared by its workers).
pub struct Runner {
    pool: PgPool,
    registry: Registry,
    settings: JobSettings,
    queue: Arc<Queue<JobTask>>,
    predictor: OnceLock<Predictor>,
    ingestor: OnceLock<Ingestor>,
}

impl Runner {
    pub(super) fn new(
        pool: PgPool,
        registry: Registry,
        settings: JobSettings,
        queue: Arc<Queue<JobTask>>,
    ) -> Self {
        Self {
            pool,
            registry,
            settings,
            queue,
            predictor: OnceLock::new(),
            ingestor: OnceLock::new(),
        }
    }

    pub(super) fn queue(&self) -> &Arc<Queue<JobTask>> {
        &self.queue
    }

    pub(super) fn set_predictor(&self, predictor: Predictor) {
        let _ = self.predictor.set(predictor);
    }

    pub(super) fn set_ingestor(&self, ingestor: Ingestor) {
        let _ = self.ingestor.set(ingestor);
    }

    pub(super) fn registry(&self) -> &Registry {
        &self.registry
    }

    pub(super) fn settings(&self) -> &JobSettings {
        &self.settings
    }

    pub(super) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Prediction jobs need the prediction service ([`super::Jobs::serve_predictions`]).
    pub(super) fn can_predict(&self) -> bool {
        self.predictor.get().is_some()
    }

    /// Refresh jobs need the market-data ingestion ([`super::Jobs::refresh_with`]).
    pub(super) fn can_refresh(&self) -> bool {
        self.ingestor.get().is_some()
    }

    pub(super) fn task_for(&self, concurrency_key: Option<String>) -> JobTask {
        JobTask::for_enqueue(self.settings.clone(), concurrency_key)
    }

    /// One attempt of job `id`. Its result and the `done` status are written in `tx`, which the
    /// queue commits together with the task's success; progress goes through the pool so pollers
    /// see it while the attempt runs.
    pub(super) async fn run(&self, mut tx: Transaction<'_, Postgres>, id: Uuid) -> TaskResult<()> {
        let job = match self.start(id).await {
            Ok(Some(job)) => job,
            Ok(None) => return Ok(()),
            Err(e) => return Err(TaskError::Retryable(e.to_string())),
        };
        let span = tracing::info_span!(
            "job",
            job_id = %job.id,
            kind = job.kind.as_str(),
            symbol = %job.symbol,
            model = job.model.map(|m| m.as_str()),
            attempt = job.attempts,
        );
        let started = Instant::now();
        let outcome = async {
            let result = match job.kind {
                JobKind::Train => {
                    let result = train::train(self, &job, &mut tx).await?;
                    // Serve the new version: predictions are recomputed once this commits.
                    self.then_predict(&mut tx, &job.symbol).await?;
                    result
                }
                JobKind::Backtest => train::backtest(self, &job, &mut tx).await?,
                JobKind::Refresh => self.refresh(&job, &mut tx).await?,
                JobKind::Predict => self.predict(&job).await?,
            };
            sqlx::query(
                "update jobs set status = 'done', progress = 100, step = 'done', result = $2, \
                 error = null, finished_at = now() where id = $1",
            )
            .bind(job.id)
            .bind(Json(&result))
            .execute(&mut *tx)
            .await?;
            Ok(result)
        }
        .instrument(span.clone())
        .await;
        async {
            match outcome {
                Ok(result) => {
                    tx.commit()
                        .await
                        .map_err(|e| TaskError::Retryable(e.to_string()))?;
                    let elapsed_s = started.elapsed().as_secs_f64();
                    tracing::info!(elapsed_s, %result, "job done");
                    Ok(())
                }
                Err(e) => {
                    drop(tx);
                    self.fail(&job, &e).await
                }
            }
        }
        .instrument(span)
        .await
    }

    /// `refresh(symbol)`: new bars from the providers, then predictions from them.
    async fn refresh(
        &self,
        job: &JobRecord,
        tx: &mut Transaction<'_, Postgres>,
    ) -> Result<serde_json::Value, JobError> {
        let ingestor = self.ingestor.get().ok_or_else(|| {
            JobError::Unsupported("no market-data providers are configured".into())
        })?;
        let symbol = Symbol::parse(&job.symbol).map_err(JobError::InvalidInput)?;
        super::runner::Progress::new(self.pool.clone(), job.id)
            .set(10, "fetching new bars")
            .await?;
        let report = ingestor
            .refresh_daily(&symbol)
            .await
            .map_err(|e| JobError::Dependency(e.to_string()))?;
        if !report.up_to_date() {
            self.then_predict(tx, &job.symbol).await?;
        }
        Ok(serde_json::json!({
            "fetched": report.fetched,
            "inserted": report.inserted,
            "updated": report.updated,
            "source": report.source.map(|s| format!("{s:?}")),
        }))
    }

    /// `predict(symbol)`: every model that can predict now, recorded and cached.
    async fn predict(&self, job: &JobRecord) -> Result<serde_json::Value, JobError> {
        let predictor = self.predictor.get().ok_or_else(|| {
            JobError::Unsupported("prediction jobs are not available in this build".into())
        })?;
        let symbol = Symbol::parse(&job.symbol).map_err(JobError::InvalidInput)?;
        super::runner::Progress::new(self.pool.clone(), job.id)
            .set(10, "computing forecasts")
            .await?;
        let p = predictor.compute_and_record(&symbol).await.map_err(|e| {
            use crate::predictions::PredictionError as P;
            match e {
                P::UnknownSymbol(_) | P::NoData(_) => JobError::UnknownSymbol(job.symbol.clone()),
                other => JobError::Dependency(other.to_string()),
            }
        })?;
        let served: Vec<serde_json::Value> = p
            .models
            .iter()
            .filter_map(|m| {
                m.version
                    .map(|v| serde_json::json!({ "model": m.model, "version": v }))
            })
            .collect();
        Ok(serde_json::json!({ "as_of": p.as_of, "models": served }))
    }

    /// Queues a predict job for `symbol` inside `tx`, so it exists exactly when what it should
    /// see (a new version, new bars) is committed. Joins an active one.
    async fn then_predict(&self, conn: &mut PgConnection, symbol: &str) -> Result<(), JobError> {
        if !self.can_predict() {
            return Ok(());
        }
        let spec = JobSpec::predict(symbol);
        let as_of: Option<chrono::NaiveDate> =
            sqlx::query_scalar("select max(date) from daily_bars where symbol = $1")
                .bind(symbol)
                .fetch_one(&mut *conn)
                .await?;
        let key = spec.idempotency_key(as_of);
        let id: Option<Uuid> = sqlx::query_scalar(
            "insert into jobs (id, kind, symbol, idempotency_key) values ($1, 'predict', $2, $3) \
             on conflict (idempotency_key) where status in ('queued', 'running') do nothing \
             returning id",
        )
        .bind(Uuid::new_v4())
        .bind(symbol)
        .bind(&key)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(job_id) = id {
            let task = JobTask::for_enqueue(self.settings.clone(), Some(key));
            self.queue
                .enqueue(&mut *conn, &task, &JobInput { job_id })
                .await?;
        }
        Ok(())
    }

    /// Marks the row running and counts the attempt; `None` when there is nothing to do.
    async fn start(&self, id: Uuid) -> Result<Option<JobRecord>, JobError> {
        let job = super::get(&self.pool, id).await?;
        if matches!(job.status, JobStatus::Done | JobStatus::Failed) {
            tracing::warn!(job_id = %id, status = ?job.status, "task for a finished job; skipped");
            return Ok(None);
        }
        sqlx::query(
            "update jobs set status = 'running', attempts = attempts + 1, progress = 0, \
             step = 'starting', started_at = coalesce(started_at, now()) where id = $1",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        super::get(&self.pool, id).await.map(Some)
    }

    /// Records a failed attempt: back to `queued` with the error while retries remain (the
    /// queue's backoff decides when), `failed` for good otherwise.
    async fn fail(&self, job: &JobRecord, e: &JobError) -> TaskResult<()> {
        let message = e.to_string();
        let last = !e.is_transient() || job.attempts >= self.settings.max_attempts;
        tracing::error!(error = %message, final_attempt = last, "job attempt failed");
        let update = if last {
            sqlx::query(
                "update jobs set status = 'failed', step = 'failed', error = $2, \
                 finished_at = now() where id = $1",
            )
        } else {
            sqlx::query(
                "update jobs set status = 'queued', step = 'waiting to retry', error = $2 \
                 where id = $1",
            )
        };
        if let Err(db) = update.bind(job.id).bind(&message).execute(&self.pool).await {
            tracing::error!(error = %db, "could not record the job's failure");
        }
        Err(if last {
            TaskError::Fatal(message)
        } else {
            TaskError::Retryable(message)
        })
    }
}

/// Writes a job's progress and step, from async code or (through [`Progress::reporter`]) from
/// the model library's worker threads, at most a few times a second.
pub(super) struct Progress {
    pool: PgPool,
    id: Uuid,
}

impl Progress {
    pub(super) fn new(pool: PgPool, id: Uuid) -> Self {
        Self { pool, id }
    }

    /// Sets progress and step now.
    pub(super) async fn set(&self, progress: i16, step: &str) -> Result<(), JobError> {
        sqlx::query("update jobs set progress = $2, step = $3 where id = $1")
            .bind(self.id)
            .bind(progress.clamp(0, 100))
            .bind(step)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A callback for `walk_forward` (called after each origin, from any thread) that maps
    /// `done/total` onto `from..to` percent, and the task writing it; abort the task when done.
    pub(super) fn reporter(
        &self,
        from: i16,
        to: i16,
        what: &'static str,
    ) -> (
        impl Fn(usize, usize) + Send + Sync + 'static,
        tokio::task::JoinHandle<()>,
    ) {
        let (tx, mut rx) = tokio::sync::watch::channel((0usize, 0usize));
        let writer = Progress::new(self.pool.clone(), self.id);
        let task = tokio::spawn(async move {
            let mut last_write = Instant::now() - Duration::from_secs(1);
            while rx.changed().await.is_ok() {
                let elapsed = last_write.elapsed();
                if elapsed < Duration::from_millis(250) {
                    tokio::time::sleep(Duration::from_millis(250) - elapsed).await;
                }
                let (done, total) = *rx.borrow_and_update();
                let pct = from + ((to - from) as f64 * done as f64 / total.max(1) as f64) as i16;
                let step = format!("{what}: {done}/{total} origins");
                if let Err(e) = writer.set(pct, &step).await {
                    tracing::warn!(error = %e, "progress not recorded");
                }
                last_write = Instant::now();
            }
        });
        let callback = move |done: usize, total: usize| {
            let _ = tx.send((done, total));
        };
        (callback, task)
    }
}

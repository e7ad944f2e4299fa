//! Runs one attempt of a job: marks its row running, dispatches on its kind, records the outcome.

use std::time::Instant;

use app::domain::{JobId, JobState};
use app::model::JobStatus;
use async_trait::async_trait;
use sqlx::{PgPool, Postgres, Transaction};
use tracing::Instrument;
use underway::task::{Error as TaskError, Result as TaskResult};

use super::progress::Progress;
use super::train::Trainer;
use crate::events::Events;
use crate::jobs::{store, JobError, JobExecutor, JobKind, JobRecord, JobSpec, Jobs};
use crate::market::ingest::{Ingestor, DEFAULT_HISTORY_YEARS};
use crate::market::store::bars;
use crate::predictions::Predictor;
use crate::registry::Registry;

/// Executes jobs (one per process, shared by its workers). Built once by the composition root
/// with everything a job may need.
pub struct Runner {
    pool: PgPool,
    jobs: Jobs,
    trainer: Trainer,
    predictor: Predictor,
    // `None` when no market-data provider is configured: refresh jobs then fail plainly.
    ingestor: Option<Ingestor>,
    events: Events,
}

impl Runner {
    /// A runner over the queue client, the registry, the prediction service and (when providers
    /// are configured) the ingester.
    pub fn new(
        jobs: Jobs,
        registry: Registry,
        predictor: Predictor,
        ingestor: Option<Ingestor>,
        events: Events,
    ) -> Self {
        let pool = jobs.pool().clone();
        let trainer = Trainer::new(pool.clone(), registry, jobs.settings().protocol());
        Self {
            pool,
            trainer,
            jobs,
            predictor,
            ingestor,
            events,
        }
    }

    /// `refresh(symbol)`: new bars from the providers, then predictions from them. The first
    /// refresh of a symbol (its onboarding) backfills the whole history and fetches its profile
    /// and news too; those two are extras, so their failure is logged and the job still succeeds.
    async fn refresh(
        &self,
        job: &JobRecord,
        progress: &Progress,
        tx: &mut Transaction<'_, Postgres>,
    ) -> Result<serde_json::Value, JobError> {
        let ingestor = self.ingestor.as_ref().ok_or_else(|| {
            JobError::Unsupported("no market-data providers are configured".into())
        })?;
        let first = bars::last_bar_date(&self.pool, &job.symbol)
            .await?
            .is_none();
        let step = if first {
            format!(
                "fetching {DEFAULT_HISTORY_YEARS} years of daily bars from {}",
                ingestor.providers()
            )
        } else {
            "fetching new bars".to_owned()
        };
        progress.set(10, &step).await?;
        let report = ingestor
            .refresh_daily(&job.symbol)
            .await
            .map_err(|e| JobError::Dependency(e.to_string()))?;
        if first {
            progress.set(70, "fetching the company profile").await?;
            if let Err(e) = ingestor.refresh_profile(&job.symbol).await {
                tracing::warn!(error = %e, "no profile for a new ticker");
            }
            progress.set(85, "fetching recent news").await?;
            if let Err(e) = ingestor.refresh_recent_news(&job.symbol).await {
                tracing::warn!(error = %e, "no news for a new ticker");
            }
        }
        if !report.up_to_date() {
            self.predictor.bars_stored(&job.symbol).await;
            self.jobs
                .enqueue_in(tx, &JobSpec::predict(&job.symbol))
                .await?;
        }
        Ok(serde_json::json!({
            "fetched": report.fetched,
            "inserted": report.inserted,
            "updated": report.updated,
            "source": report.source.map(|s| format!("{s:?}")),
        }))
    }

    /// `predict(symbol)`: every model that can predict now, recorded and cached.
    async fn predict(
        &self,
        job: &JobRecord,
        progress: &Progress,
    ) -> Result<serde_json::Value, JobError> {
        progress.set(10, "computing forecasts").await?;
        let p = self
            .predictor
            .compute_and_record(&job.symbol)
            .await
            .map_err(|e| {
                use crate::predictions::PredictionError as P;
                match e {
                    P::UnknownSymbol(_) | P::NoData(_) => {
                        JobError::UnknownSymbol(job.symbol.clone())
                    }
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

    /// Marks the row running and counts the attempt; `None` when there is nothing to do.
    async fn start(&self, id: JobId) -> Result<Option<JobRecord>, JobError> {
        let job = store::get(&self.pool, id).await?;
        if job.status.is_finished() {
            tracing::warn!(job_id = %id, status = %job.status, "task for a finished job; skipped");
            return Ok(None);
        }
        store::start_attempt(&self.pool, id).await?;
        store::get(&self.pool, id).await.map(Some)
    }

    /// Records a failed attempt: back to `queued` with the error while retries remain (the
    /// queue's backoff decides when), `failed` for good otherwise.
    async fn fail(&self, job: &JobRecord, progress: &Progress, e: &JobError) -> TaskResult<()> {
        let message = e.to_string();
        let last = !e.is_transient() || job.attempts >= self.jobs.settings().max_attempts;
        tracing::error!(error = %message, final_attempt = last, "job attempt failed");
        match store::fail(&self.pool, job.id, &message, last).await {
            Ok(()) => match store::get(&self.pool, job.id).await {
                Ok(row) => progress.announce((&row).into()).await,
                Err(db) => tracing::warn!(error = %db, "failed job not re-read"),
            },
            Err(db) => tracing::error!(error = %db, "could not record the job's failure"),
        }
        Err(if last {
            TaskError::Fatal(message)
        } else {
            TaskError::Retryable(message)
        })
    }
}

#[async_trait]
impl JobExecutor for Runner {
    /// One attempt of job `id`. Its result and the `done` status are written in `tx`, which the
    /// queue commits together with the task's success; progress goes through the pool so pollers
    /// see it while the attempt runs.
    async fn run(&self, mut tx: Transaction<'_, Postgres>, id: JobId) -> TaskResult<()> {
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
        let progress = Progress::new(self.pool.clone(), self.events.clone(), &job);
        let outcome = async {
            let result = match job.kind {
                JobKind::Train => {
                    let result = self.trainer.train(&job, &progress, &mut tx).await?;
                    // Serve the new version: predictions are recomputed once this commits.
                    self.jobs
                        .enqueue_in(&mut tx, &JobSpec::predict(&job.symbol))
                        .await?;
                    result
                }
                JobKind::Backtest => self.trainer.backtest(&job, &progress, &mut tx).await?,
                JobKind::Refresh => self.refresh(&job, &progress, &mut tx).await?,
                JobKind::Predict => self.predict(&job, &progress).await?,
            };
            store::finish(&mut *tx, job.id, &result).await?;
            Ok::<_, JobError>(result)
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
                    progress
                        .announce(JobStatus {
                            id: job.id,
                            status: JobState::Done,
                            progress: 100,
                            step: None,
                            error: None,
                        })
                        .await;
                    Ok(())
                }
                Err(e) => {
                    drop(tx);
                    self.fail(&job, &progress, &e).await
                }
            }
        }
        .instrument(span)
        .await
    }
}

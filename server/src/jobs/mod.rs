//! Background jobs: training, backtests, data refreshes and predictions, run by workers from a
//! durable Postgres queue (`underway`), each with a `jobs` row a user can poll.
//!
//! A `jobs` row and its queue task are written in one transaction, so neither exists without the
//! other. The queue owns delivery: a task whose worker stops sending heartbeats (a killed
//! process) is handed to another worker, failures are retried with exponential backoff, and the
//! task's concurrency key (its idempotency key) keeps two workers from running the same job at
//! once. The row owns what users see: status, progress and step, attempts, error text, result.

mod background;
mod queue;
mod runner;
mod schedule;
mod settings;
mod train;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use forecast::registry::ModelId;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::PgPool;
use underway::Queue;
use uuid::Uuid;

use crate::market::ingest::Ingestor;
use crate::predictions::Predictor;
use crate::registry::{Registry, RegistryError};

pub use background::{run_worker_process, Background};
pub use queue::{JobInput, JobTask, WorkerHandle};
pub use runner::Runner;
pub use schedule::{drift_exceeds, drifted, ScheduleHandle, DRIFT_RATIO, DRIFT_WINDOW};
pub use settings::JobSettings;

/// The queue every job kind goes through.
pub const QUEUE_NAME: &str = "tickercast_jobs";

/// Everything that can go wrong with jobs.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Postgres failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// The queue failed.
    #[error("job queue: {0}")]
    Queue(String),
    /// The registry or artifact store failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The model library refused the data or failed.
    #[error("model: {0}")]
    Model(#[from] forecast::Error),
    /// A service the job calls (market-data providers, the prediction service) failed.
    #[error("{0}")]
    Dependency(String),
    /// The request itself is wrong (bad symbol, missing model).
    #[error("{0}")]
    InvalidInput(String),
    /// The symbol has no price history.
    #[error("no price history for {0}")]
    UnknownSymbol(String),
    /// No job with this id.
    #[error("no job {0}")]
    NotFound(Uuid),
    /// This kind of job cannot run in this build.
    #[error("{0}")]
    Unsupported(String),
}

impl JobError {
    /// Whether trying again later may succeed (infrastructure), as opposed to a job that will fail
    /// the same way every time (its input or data).
    pub fn is_transient(&self) -> bool {
        match self {
            JobError::Db(_) | JobError::Queue(_) | JobError::Dependency(_) => true,
            JobError::Registry(e) => {
                !matches!(e, RegistryError::Artifact(_) | RegistryError::NotFound(_))
            }
            _ => false,
        }
    }
}

impl From<underway::queue::Error> for JobError {
    fn from(e: underway::queue::Error) -> Self {
        JobError::Queue(e.to_string())
    }
}

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// Walk-forward evaluation, final fit, artifact, registry version, promotion.
    Train,
    /// Forecasts from the current versions.
    Predict,
    /// New bars from the market-data providers.
    Refresh,
    /// Walk-forward evaluation of the current version's model on the latest data.
    Backtest,
}

impl JobKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Train => "train",
            JobKind::Predict => "predict",
            JobKind::Refresh => "refresh",
            JobKind::Backtest => "backtest",
        }
    }

    fn parse(s: &str) -> Result<Self, JobError> {
        Ok(match s {
            "train" => JobKind::Train,
            "predict" => JobKind::Predict,
            "refresh" => JobKind::Refresh,
            "backtest" => JobKind::Backtest,
            other => return Err(JobError::InvalidInput(format!("unknown job kind {other}"))),
        })
    }
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Waiting for a worker (also between retries).
    Queued,
    /// A worker is on it.
    Running,
    /// Finished; `result` holds what it made.
    Done,
    /// Gave up; `error` says why.
    Failed,
}

impl JobStatus {
    fn parse(s: &str) -> Result<Self, JobError> {
        Ok(match s {
            "queued" => JobStatus::Queued,
            "running" => JobStatus::Running,
            "done" => JobStatus::Done,
            "failed" => JobStatus::Failed,
            other => {
                return Err(JobError::InvalidInput(format!(
                    "unknown job status {other}"
                )))
            }
        })
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    /// What to do.
    pub kind: JobKind,
    /// For which ticker (upper-case, as stored).
    pub symbol: String,
    /// Which model (train and backtest only).
    pub model: Option<ModelId>,
}

impl JobSpec {
    /// Train `model` for `symbol`.
    pub fn train(symbol: impl Into<String>, model: ModelId) -> Self {
        Self {
            kind: JobKind::Train,
            symbol: symbol.into(),
            model: Some(model),
        }
    }

    /// Re-evaluate `model` for `symbol` on the latest data.
    pub fn backtest(symbol: impl Into<String>, model: ModelId) -> Self {
        Self {
            kind: JobKind::Backtest,
            symbol: symbol.into(),
            model: Some(model),
        }
    }

    /// Fetch new bars for `symbol`.
    pub fn refresh(symbol: impl Into<String>) -> Self {
        Self {
            kind: JobKind::Refresh,
            symbol: symbol.into(),
            model: None,
        }
    }

    /// Forecast `symbol` with every current model.
    pub fn predict(symbol: impl Into<String>) -> Self {
        Self {
            kind: JobKind::Predict,
            symbol: symbol.into(),
            model: None,
        }
    }

    /// The key that makes repeated requests for the same work join one job: the kind, symbol,
    /// model and the data as-of (the last bar's date) the work would use.
    pub fn idempotency_key(&self, as_of: Option<NaiveDate>) -> String {
        let as_of = as_of.map_or_else(|| "none".to_owned(), |d| d.to_string());
        match self.model {
            Some(m) => format!("{}:{}:{m}:{as_of}", self.kind.as_str(), self.symbol),
            None => format!("{}:{}:{as_of}", self.kind.as_str(), self.symbol),
        }
    }
}

/// A job's row, as users poll it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    /// Job id.
    pub id: Uuid,
    /// What it does.
    pub kind: JobKind,
    /// Ticker.
    pub symbol: String,
    /// Model (train and backtest).
    pub model: Option<ModelId>,
    /// Where it is.
    pub status: JobStatus,
    /// 0–100.
    pub progress: i16,
    /// What it is doing now (or did last).
    pub step: String,
    /// Attempts started so far.
    pub attempts: i32,
    /// Why the last attempt failed; kept when the job fails for good.
    pub error: Option<String>,
    /// Ids of what it made (e.g. `{"version_id", "version", "status"}` for a training run).
    pub result: Option<serde_json::Value>,
    /// The idempotency key.
    pub idempotency_key: String,
    /// Enqueued at.
    pub created_at: DateTime<Utc>,
    /// First attempt started at.
    pub started_at: Option<DateTime<Utc>>,
    /// Done or failed at.
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: Uuid,
    kind: String,
    symbol: String,
    model: Option<String>,
    status: String,
    progress: i16,
    step: String,
    attempts: i32,
    error: Option<String>,
    result: Option<Json<serde_json::Value>>,
    idempotency_key: String,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
}

impl TryFrom<JobRow> for JobRecord {
    type Error = JobError;
    fn try_from(r: JobRow) -> Result<Self, JobError> {
        Ok(JobRecord {
            id: r.id,
            kind: JobKind::parse(&r.kind)?,
            symbol: r.symbol,
            model: r.model.as_deref().map(str::parse).transpose()?,
            status: JobStatus::parse(&r.status)?,
            progress: r.progress,
            step: r.step,
            attempts: r.attempts,
            error: r.error,
            result: r.result.map(|j| j.0),
            idempotency_key: r.idempotency_key,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
        })
    }
}

const JOB_COLUMNS: &str = "id, kind, symbol, model, status, progress, step, attempts, error, \
    result, idempotency_key, created_at, started_at, finished_at";

/// The jobs service (cheap to clone): enqueue, poll, list; and the workers that run them.
#[derive(Clone)]
pub struct Jobs {
    pool: PgPool,
    runner: Arc<Runner>,
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs").field("queue", &QUEUE_NAME).finish()
    }
}

impl Jobs {
    /// Creates the queue's tables if needed (underway's own migrations, idempotent).
    pub async fn migrate(pool: &PgPool) -> Result<(), JobError> {
        underway::run_migrations(pool)
            .await
            .map_err(|e| JobError::Queue(format!("cannot migrate the queue: {e}")))
    }

    /// The service on `pool`; the queue's tables must exist ([`Jobs::migrate`]).
    pub async fn new(
        pool: PgPool,
        registry: Registry,
        settings: JobSettings,
    ) -> Result<Self, JobError> {
        let queue = Queue::builder()
            .name(QUEUE_NAME)
            .pool(pool.clone())
            .build()
            .await?;
        Ok(Self {
            runner: Arc::new(Runner::new(
                pool.clone(),
                registry,
                settings,
                Arc::new(queue),
            )),
            pool,
        })
    }

    /// Lets predict jobs run (and training and refreshes queue them) through `predictor`.
    /// The first call wins.
    pub fn serve_predictions(&self, predictor: Predictor) {
        self.runner.set_predictor(predictor);
    }

    /// Lets refresh jobs fetch bars through `ingestor`. The first call wins.
    pub fn refresh_with(&self, ingestor: Ingestor) {
        self.runner.set_ingestor(ingestor);
    }

    /// The registry the jobs record into.
    pub fn registry(&self) -> &Registry {
        self.runner.registry()
    }

    /// The settings the jobs run with.
    pub fn settings(&self) -> &JobSettings {
        self.runner.settings()
    }

    /// Enqueues `spec`, or returns the job already queued or running for the same idempotency key.
    #[tracing::instrument(skip(self), fields(kind = spec.kind.as_str(), symbol = %spec.symbol), err)]
    pub async fn enqueue(&self, spec: JobSpec) -> Result<JobRecord, JobError> {
        if matches!(spec.kind, JobKind::Train | JobKind::Backtest) && spec.model.is_none() {
            return Err(JobError::InvalidInput(format!(
                "a {} job needs a model",
                spec.kind.as_str()
            )));
        }
        if spec.kind == JobKind::Predict && !self.runner.can_predict() {
            return Err(JobError::Unsupported(
                "prediction jobs are not available in this build".into(),
            ));
        }
        let as_of: Option<NaiveDate> =
            sqlx::query_scalar("select max(date) from daily_bars where symbol = $1")
                .bind(&spec.symbol)
                .fetch_one(&self.pool)
                .await?;
        if as_of.is_none() && spec.kind != JobKind::Refresh {
            return Err(JobError::UnknownSymbol(spec.symbol));
        }
        let key = spec.idempotency_key(as_of);
        // A concurrent enqueue of the same key either inserts first (we then find its row) or
        // after a job with this key finished (we then insert); a few rounds settle both.
        for _ in 0..5 {
            let mut tx = self.pool.begin().await?;
            let inserted: Option<JobRow> = sqlx::query_as(&format!(
                "insert into jobs (id, kind, symbol, model, idempotency_key) \
                 values ($1, $2, $3, $4, $5) \
                 on conflict (idempotency_key) where status in ('queued', 'running') do nothing \
                 returning {JOB_COLUMNS}"
            ))
            .bind(Uuid::new_v4())
            .bind(spec.kind.as_str())
            .bind(&spec.symbol)
            .bind(spec.model.map(ModelId::as_str))
            .bind(&key)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = inserted {
                let task = self.runner.task_for(Some(key.clone()));
                self.runner
                    .queue()
                    .enqueue(&mut *tx, &task, &JobInput { job_id: row.id })
                    .await?;
                tx.commit().await?;
                let job = JobRecord::try_from(row)?;
                tracing::info!(job_id = %job.id, key, "job enqueued");
                return Ok(job);
            }
            tx.rollback().await?;
            if let Some(active) = self.active(&key).await? {
                return Ok(active);
            }
        }
        Err(JobError::Queue(format!(
            "could not enqueue {key}: its active job kept changing"
        )))
    }

    async fn active(&self, key: &str) -> Result<Option<JobRecord>, JobError> {
        let row: Option<JobRow> = sqlx::query_as(&format!(
            "select {JOB_COLUMNS} from jobs \
             where idempotency_key = $1 and status in ('queued', 'running')"
        ))
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(JobRecord::try_from).transpose()
    }

    /// A job by id.
    pub async fn get(&self, id: Uuid) -> Result<JobRecord, JobError> {
        get(&self.pool, id).await
    }

    /// The most recent jobs, newest first (at most `limit`, capped at 500).
    pub async fn list_recent(&self, limit: i64) -> Result<Vec<JobRecord>, JobError> {
        let rows: Vec<JobRow> = sqlx::query_as(&format!(
            "select {JOB_COLUMNS} from jobs order by created_at desc, id limit $1"
        ))
        .bind(limit.clamp(1, 500))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(JobRecord::try_from).collect()
    }

    /// Starts `concurrency` workers on this queue in this process.
    pub fn start_workers(&self, concurrency: usize) -> WorkerHandle {
        queue::start(
            self.runner.queue().clone(),
            self.runner.clone(),
            concurrency,
        )
    }

    /// Starts the cron schedules on `pool` (singleton across processes: see [`schedule`]).
    pub async fn start_schedules(&self, pool: PgPool) -> Result<ScheduleHandle, JobError> {
        schedule::start(self.clone(), pool).await
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub(crate) fn runner_can_refresh(&self) -> bool {
        self.runner.can_refresh()
    }
}

pub(crate) async fn get(pool: &PgPool, id: Uuid) -> Result<JobRecord, JobError> {
    let row: Option<JobRow> =
        sqlx::query_as(&format!("select {JOB_COLUMNS} from jobs where id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await?;
    row.ok_or(JobError::NotFound(id))?.try_into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_idempotency_key_names_kind_symbol_model_and_data_as_of() {
        let d = NaiveDate::from_ymd_opt(2017, 11, 10);
        assert_eq!(
            JobSpec::train("MSFT", ModelId::Rf).idempotency_key(d),
            "train:MSFT:rf:2017-11-10"
        );
        assert_eq!(
            JobSpec::refresh("MSFT").idempotency_key(None),
            "refresh:MSFT:none"
        );
        assert_ne!(
            JobSpec::train("MSFT", ModelId::Rf).idempotency_key(d),
            JobSpec::backtest("MSFT", ModelId::Rf).idempotency_key(d)
        );
    }

    #[test]
    fn infrastructure_failures_are_transient_and_bad_input_is_not() {
        assert!(JobError::Queue("down".into()).is_transient());
        assert!(JobError::Registry(RegistryError::Store("full".into())).is_transient());
        assert!(!JobError::UnknownSymbol("ZZZ".into()).is_transient());
        assert!(
            !JobError::Model(forecast::Error::NotEnoughData { needed: 9, got: 1 }).is_transient()
        );
    }
}

//! Background jobs as users see them: training, backtests, data refreshes and predictions, each a
//! `jobs` row they can poll, run by workers from a durable Postgres queue (`underway`). This
//! module is the queue's client (enqueue, poll, list); the workers live in [`crate::worker`].
//!
//! A `jobs` row and its queue task are written in one transaction, so neither exists without the
//! other. The queue owns delivery: a task whose worker stops sending heartbeats (a killed
//! process) is handed to another worker, failures are retried with exponential backoff, and the
//! task's concurrency key (its idempotency key) keeps two workers from running the same job at
//! once. The row owns what users see: status, progress and step, attempts, error text, result.

mod queue;
mod settings;
pub mod store;

use std::sync::Arc;

use app::domain::{JobId, JobState, Symbol};
use chrono::{DateTime, NaiveDate, Utc};
use forecast::registry::ModelId;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use underway::Queue;

use crate::market::store::bars;

pub use queue::{span_of, JobExecutor, JobInput, JobTask};
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
    Registry(#[from] crate::registry::RegistryError),
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
    UnknownSymbol(Symbol),
    /// No job with this id.
    #[error("no job {0}")]
    NotFound(JobId),
    /// This kind of job cannot run in this process (e.g. a refresh without providers).
    #[error("{0}")]
    Unsupported(String),
}

impl JobError {
    /// Whether trying again later may succeed (infrastructure), as opposed to a job that will fail
    /// the same way every time (its input or data).
    pub fn is_transient(&self) -> bool {
        use crate::registry::RegistryError;
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

/// What a job does. Stored as its lower-case name.
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
    const ALL: [JobKind; 4] = [
        JobKind::Train,
        JobKind::Predict,
        JobKind::Refresh,
        JobKind::Backtest,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Train => "train",
            JobKind::Predict => "predict",
            JobKind::Refresh => "refresh",
            JobKind::Backtest => "backtest",
        }
    }
}

impl std::str::FromStr for JobKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown job kind `{s}`"))
    }
}

app::sql_text_type!(JobKind);

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    /// What to do.
    pub kind: JobKind,
    /// For which ticker.
    pub symbol: Symbol,
    /// Which model (train and backtest only).
    pub model: Option<ModelId>,
}

impl JobSpec {
    /// Train `model` for `symbol`.
    pub fn train(symbol: &Symbol, model: ModelId) -> Self {
        Self {
            kind: JobKind::Train,
            symbol: symbol.clone(),
            model: Some(model),
        }
    }

    /// Re-evaluate `model` for `symbol` on the latest data.
    pub fn backtest(symbol: &Symbol, model: ModelId) -> Self {
        Self {
            kind: JobKind::Backtest,
            symbol: symbol.clone(),
            model: Some(model),
        }
    }

    /// Fetch new bars for `symbol`.
    pub fn refresh(symbol: &Symbol) -> Self {
        Self {
            kind: JobKind::Refresh,
            symbol: symbol.clone(),
            model: None,
        }
    }

    /// Forecast `symbol` with every current model.
    pub fn predict(symbol: &Symbol) -> Self {
        Self {
            kind: JobKind::Predict,
            symbol: symbol.clone(),
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
    pub id: JobId,
    /// What it does.
    pub kind: JobKind,
    /// Ticker.
    pub symbol: Symbol,
    /// Model (train and backtest).
    pub model: Option<ModelId>,
    /// Where it is.
    pub status: JobState,
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

/// A job as a user polls it: its row's state, progress, step (none while empty) and error.
impl From<&JobRecord> for app::model::JobStatus {
    fn from(j: &JobRecord) -> Self {
        app::model::JobStatus {
            id: j.id,
            status: j.status,
            progress: j.progress,
            step: Some(j.step.clone()).filter(|s| !s.is_empty()),
            error: j.error.clone(),
        }
    }
}

/// The queue client (cheap to clone): enqueue, poll, list. Workers are started separately
/// ([`crate::worker`]) and share nothing with it but the database.
#[derive(Clone)]
pub struct Jobs {
    pool: PgPool,
    queue: Arc<Queue<JobTask>>,
    settings: JobSettings,
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

    /// The client on `pool`; the queue's tables must exist ([`Jobs::migrate`]).
    pub async fn new(pool: PgPool, settings: JobSettings) -> Result<Self, JobError> {
        let queue = Queue::builder()
            .name(QUEUE_NAME)
            .pool(pool.clone())
            .build()
            .await?;
        Ok(Self {
            pool,
            queue: Arc::new(queue),
            settings,
        })
    }

    /// The queue workers take tasks from.
    pub fn queue(&self) -> &Arc<Queue<JobTask>> {
        &self.queue
    }

    /// The settings jobs are enqueued and run with.
    pub fn settings(&self) -> &JobSettings {
        &self.settings
    }

    /// The database the jobs live in.
    pub fn pool(&self) -> &PgPool {
        &self.pool
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
        let as_of = bars::last_bar_date(&self.pool, &spec.symbol).await?;
        if as_of.is_none() && spec.kind != JobKind::Refresh {
            return Err(JobError::UnknownSymbol(spec.symbol));
        }
        let key = spec.idempotency_key(as_of);
        // A concurrent enqueue of the same key either inserts first (we then find its row) or
        // after a job with this key finished (we then insert); a few rounds settle both.
        for _ in 0..5 {
            let mut tx = self.pool.begin().await?;
            if let Some(job) = self.insert_with_task(&mut tx, &spec, &key).await? {
                tx.commit().await?;
                tracing::info!(job_id = %job.id, key, "job enqueued");
                return Ok(job);
            }
            tx.rollback().await?;
            if let Some(active) = store::active(&self.pool, &key).await? {
                return Ok(active);
            }
        }
        Err(JobError::Queue(format!(
            "could not enqueue {key}: its active job kept changing"
        )))
    }

    /// Enqueues `spec` inside the caller's transaction, so the job exists exactly when what it
    /// should see (a new version, new bars) is committed. Joins an active job with the same key
    /// (returns `None` then).
    pub async fn enqueue_in(
        &self,
        conn: &mut PgConnection,
        spec: &JobSpec,
    ) -> Result<Option<JobRecord>, JobError> {
        let as_of = bars::last_bar_date(&mut *conn, &spec.symbol).await?;
        let key = spec.idempotency_key(as_of);
        self.insert_with_task(conn, spec, &key).await
    }

    async fn insert_with_task(
        &self,
        conn: &mut PgConnection,
        spec: &JobSpec,
        key: &str,
    ) -> Result<Option<JobRecord>, JobError> {
        let Some(job) =
            store::insert_unless_active(conn, spec.kind, &spec.symbol, spec.model, key).await?
        else {
            return Ok(None);
        };
        let task = JobTask::for_enqueue(self.settings.clone(), Some(key.to_owned()));
        self.queue
            .enqueue(&mut *conn, &task, &JobInput { job_id: job.id })
            .await?;
        Ok(Some(job))
    }

    /// The newest backfill of `symbol` (the refresh of a symbol with no bars yet), in whatever
    /// state, if any.
    pub async fn latest_backfill(&self, symbol: &Symbol) -> Result<Option<JobRecord>, JobError> {
        store::latest(&self.pool, &JobSpec::refresh(symbol).idempotency_key(None)).await
    }

    /// A job by id.
    pub async fn get(&self, id: JobId) -> Result<JobRecord, JobError> {
        store::get(&self.pool, id).await
    }

    /// The most recent jobs, newest first (at most `limit`, capped at 500).
    pub async fn list_recent(&self, limit: i64) -> Result<Vec<JobRecord>, JobError> {
        store::recent(&self.pool, limit.clamp(1, 500)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msft() -> Symbol {
        Symbol::parse("MSFT").unwrap()
    }

    #[test]
    fn the_idempotency_key_names_kind_symbol_model_and_data_as_of() {
        let d = NaiveDate::from_ymd_opt(2017, 11, 10);
        assert_eq!(
            JobSpec::train(&msft(), ModelId::Rf).idempotency_key(d),
            "train:MSFT:rf:2017-11-10"
        );
        assert_eq!(
            JobSpec::refresh(&msft()).idempotency_key(None),
            "refresh:MSFT:none"
        );
        assert_ne!(
            JobSpec::train(&msft(), ModelId::Rf).idempotency_key(d),
            JobSpec::backtest(&msft(), ModelId::Rf).idempotency_key(d)
        );
    }

    #[test]
    fn infrastructure_failures_are_transient_and_bad_input_is_not() {
        use crate::registry::RegistryError;
        assert!(JobError::Queue("down".into()).is_transient());
        assert!(JobError::Registry(RegistryError::Store("full".into())).is_transient());
        assert!(!JobError::UnknownSymbol(msft()).is_transient());
        assert!(
            !JobError::Model(forecast::Error::NotEnoughData { needed: 9, got: 1 }).is_transient()
        );
    }

    #[test]
    fn job_kinds_round_trip_and_unknown_names_are_errors() {
        for k in JobKind::ALL {
            assert_eq!(k.as_str().parse::<JobKind>().unwrap(), k);
        }
        assert!("compile".parse::<JobKind>().is_err());
    }
}

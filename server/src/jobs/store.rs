//! The `jobs` table: what users poll (status, progress, step, attempts, error, result). The only
//! module that reads or writes it.

use app::domain::{JobId, JobState, Symbol};
use chrono::{DateTime, Utc};
use forecast::registry::ModelId;
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor};

use super::{JobError, JobKind, JobRecord};

struct JobRow {
    id: JobId,
    kind: JobKind,
    symbol: Symbol,
    model: Option<String>,
    status: JobState,
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
            kind: r.kind,
            symbol: r.symbol,
            model: r.model.as_deref().map(str::parse).transpose()?,
            status: r.status,
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

/// Inserts a queued job unless one with the same key is queued or running; `None` then.
pub(super) async fn insert_unless_active(
    conn: &mut PgConnection,
    kind: JobKind,
    symbol: &Symbol,
    model: Option<ModelId>,
    key: &str,
) -> Result<Option<JobRecord>, JobError> {
    let row = sqlx::query_as!(
        JobRow,
        r#"insert into jobs (id, kind, symbol, model, idempotency_key)
           values ($1, $2, $3, $4, $5)
           on conflict (idempotency_key) where status in ('queued', 'running') do nothing
           returning id as "id: JobId", kind as "kind: JobKind", symbol as "symbol: Symbol", model,
                     status as "status: JobState", progress, step, attempts, error,
                     result as "result: Json<serde_json::Value>", idempotency_key,
                     created_at as "created_at: DateTime<Utc>",
                     started_at as "started_at: DateTime<Utc>",
                     finished_at as "finished_at: DateTime<Utc>""#,
        JobId::random().as_uuid(),
        kind.as_str(),
        symbol.as_str(),
        model.map(ModelId::as_str),
        key,
    )
    .fetch_optional(conn)
    .await?;
    row.map(JobRecord::try_from).transpose()
}

/// The newest job under `key`, whatever its state.
pub(super) async fn latest(
    ex: impl PgExecutor<'_>,
    key: &str,
) -> Result<Option<JobRecord>, JobError> {
    let row = sqlx::query_as!(
        JobRow,
        r#"select id as "id: JobId", kind as "kind: JobKind", symbol as "symbol: Symbol", model,
                  status as "status: JobState", progress, step, attempts, error,
                  result as "result: Json<serde_json::Value>", idempotency_key,
                  created_at as "created_at: DateTime<Utc>",
                  started_at as "started_at: DateTime<Utc>",
                  finished_at as "finished_at: DateTime<Utc>"
           from jobs where idempotency_key = $1 order by created_at desc limit 1"#,
        key,
    )
    .fetch_optional(ex)
    .await?;
    row.map(JobRecord::try_from).transpose()
}

/// The job queued or running under `key`, if any: the newest, since no job under a key is
/// inserted while another is active.
pub(super) async fn active(
    ex: impl PgExecutor<'_>,
    key: &str,
) -> Result<Option<JobRecord>, JobError> {
    Ok(latest(ex, key).await?.filter(|j| !j.status.is_finished()))
}

/// A job by id.
pub async fn get(ex: impl PgExecutor<'_>, id: JobId) -> Result<JobRecord, JobError> {
    let row = sqlx::query_as!(
        JobRow,
        r#"select id as "id: JobId", kind as "kind: JobKind", symbol as "symbol: Symbol", model,
                  status as "status: JobState", progress, step, attempts, error,
                  result as "result: Json<serde_json::Value>", idempotency_key,
                  created_at as "created_at: DateTime<Utc>",
                  started_at as "started_at: DateTime<Utc>",
                  finished_at as "finished_at: DateTime<Utc>"
           from jobs where id = $1"#,
        id.as_uuid(),
    )
    .fetch_optional(ex)
    .await?;
    row.ok_or(JobError::NotFound(id))?.try_into()
}

/// The most recent jobs, newest first.
pub(super) async fn recent(
    ex: impl PgExecutor<'_>,
    limit: i64,
) -> Result<Vec<JobRecord>, JobError> {
    let rows = sqlx::query_as!(
        JobRow,
        r#"select id as "id: JobId", kind as "kind: JobKind", symbol as "symbol: Symbol", model,
                  status as "status: JobState", progress, step, attempts, error,
                  result as "result: Json<serde_json::Value>", idempotency_key,
                  created_at as "created_at: DateTime<Utc>",
                  started_at as "started_at: DateTime<Utc>",
                  finished_at as "finished_at: DateTime<Utc>"
           from jobs order by created_at desc, id limit $1"#,
        limit,
    )
    .fetch_all(ex)
    .await?;
    rows.into_iter().map(JobRecord::try_from).collect()
}

/// Marks the job running and counts the attempt.
pub async fn start_attempt(ex: impl PgExecutor<'_>, id: JobId) -> Result<(), JobError> {
    sqlx::query!(
        "update jobs set status = 'running', attempts = attempts + 1, progress = 0,
         step = 'starting', started_at = coalesce(started_at, now()) where id = $1",
        id.as_uuid(),
    )
    .execute(ex)
    .await?;
    Ok(())
}

/// Records the job done with its result (inside the attempt's transaction, so stamped with
/// `clock_timestamp()`: `now()` is when that transaction began, before the work).
pub async fn finish(
    ex: impl PgExecutor<'_>,
    id: JobId,
    result: &serde_json::Value,
) -> Result<(), JobError> {
    sqlx::query!(
        "update jobs set status = 'done', progress = 100, step = 'done', result = $2,
         error = null, finished_at = clock_timestamp() where id = $1",
        id.as_uuid(),
        Json(result) as _,
    )
    .execute(ex)
    .await?;
    Ok(())
}

/// Records a failed attempt: `failed` for good when `last`, else back to `queued` to retry.
pub async fn fail(
    ex: impl PgExecutor<'_>,
    id: JobId,
    error: &str,
    last: bool,
) -> Result<(), JobError> {
    if last {
        sqlx::query!(
            "update jobs set status = 'failed', step = 'failed', error = $2, finished_at = clock_timestamp()
             where id = $1",
            id.as_uuid(),
            error,
        )
        .execute(ex)
        .await?;
    } else {
        sqlx::query!(
            "update jobs set status = 'queued', step = 'waiting to retry', error = $2 where id = $1",
            id.as_uuid(),
            error,
        )
        .execute(ex)
        .await?;
    }
    Ok(())
}

/// Sets a running job's progress and step.
pub async fn set_progress(
    ex: impl PgExecutor<'_>,
    id: JobId,
    progress: i16,
    step: &str,
) -> Result<(), JobError> {
    sqlx::query!(
        "update jobs set progress = $2, step = $3 where id = $1",
        id.as_uuid(),
        progress.clamp(0, 100),
        step,
    )
    .execute(ex)
    .await?;
    Ok(())
}

/// Models of `symbol` with a training job queued or running.
pub async fn training_models(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
) -> Result<Vec<ModelId>, JobError> {
    let models = sqlx::query_scalar!(
        r#"select distinct model as "model!" from jobs
           where symbol = $1 and kind = 'train' and status in ('queued', 'running')
             and model is not null"#,
        symbol.as_str(),
    )
    .fetch_all(ex)
    .await?;
    Ok(models.iter().map(|m| m.parse()).collect::<Result<_, _>>()?)
}

/// One training job a predict job waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingRow {
    /// Which model.
    pub model: ModelId,
    /// Where it is.
    pub status: JobState,
    /// 0–100.
    pub progress: i16,
    /// What it is doing.
    pub step: String,
}

/// The symbol's train jobs still running when `predict` was queued, or queued with it.
pub async fn training_for(
    ex: impl PgExecutor<'_>,
    predict: &JobRecord,
) -> Result<Vec<TrainingRow>, JobError> {
    let rows = sqlx::query!(
        r#"select model as "model!", status as "status: JobState", progress, step from jobs
           where symbol = $1 and kind = 'train' and model is not null
             and created_at <= $2::timestamptz + interval '1 minute'
             and (finished_at is null or finished_at >= $2)
           order by created_at"#,
        predict.symbol.as_str(),
        predict.created_at as _,
    )
    .fetch_all(ex)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(TrainingRow {
                model: r.model.parse()?,
                status: r.status,
                progress: r.progress,
                step: r.step,
            })
        })
        .collect()
}

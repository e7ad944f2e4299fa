//! The `model_versions` table: every registered version with its metrics, artifact and status.

use app::domain::{JobId, Symbol};
use chrono::{DateTime, NaiveDate, Utc};
use forecast::registry::ModelId;
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::{
    BacktestRecord, Evaluation, HorizonMetrics, ModelVersion, NewVersion, RegistryError,
    VersionStatus,
};

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    symbol: Symbol,
    model: String,
    version: i32,
    params: Json<serde_json::Value>,
    data_first: NaiveDate,
    data_last: NaiveDate,
    rows: i32,
    metrics: Json<Vec<HorizonMetrics>>,
    eval_first: NaiveDate,
    eval_last: NaiveDate,
    eval_origins: i32,
    score: Option<f64>,
    artifact_key: String,
    artifact_sha256: String,
    artifact_bytes: i64,
    status: VersionStatus,
    job_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    backtest: Option<Json<BacktestRecord>>,
}

impl TryFrom<Row> for ModelVersion {
    type Error = RegistryError;
    fn try_from(r: Row) -> Result<Self, RegistryError> {
        Ok(ModelVersion {
            id: r.id,
            model: r
                .model
                .parse()
                .map_err(|e: forecast::Error| RegistryError::Artifact(e.to_string()))?,
            symbol: r.symbol,
            version: r.version,
            params: r.params.0,
            data_first: r.data_first,
            data_last: r.data_last,
            rows: r.rows,
            evaluation: Evaluation {
                first: r.eval_first,
                last: r.eval_last,
                origins: r.eval_origins,
                horizons: r.metrics.0,
            },
            score: r.score,
            artifact_key: r.artifact_key,
            artifact_sha256: r.artifact_sha256,
            artifact_bytes: r.artifact_bytes,
            status: r.status,
            job_id: r.job_id.map(JobId::from),
            created_at: r.created_at,
            backtest: r.backtest.map(|b| b.0),
        })
    }
}

const COLUMNS: &str = "id, symbol, model, version, params, data_first, data_last, rows, metrics, \
    eval_first, eval_last, eval_origins, score, artifact_key, artifact_sha256, artifact_bytes, \
    status, job_id, created_at, backtest";

/// Serialises version numbering and promotion of (symbol, model) across processes until the
/// transaction ends.
pub(super) async fn lock(
    conn: &mut PgConnection,
    symbol: &Symbol,
    model: ModelId,
) -> Result<(), RegistryError> {
    sqlx::query("select pg_advisory_xact_lock(hashtext($1))")
        .bind(format!("registry:{symbol}:{model}"))
        .execute(conn)
        .await?;
    Ok(())
}

/// The current version's id and score, if any.
pub(super) async fn current_score(
    conn: &mut PgConnection,
    symbol: &Symbol,
    model: ModelId,
) -> Result<Option<(Uuid, Option<f64>)>, RegistryError> {
    Ok(sqlx::query_as(
        "select id, score from model_versions \
         where symbol = $1 and model = $2 and status = 'current'",
    )
    .bind(symbol)
    .bind(model.as_str())
    .fetch_optional(conn)
    .await?)
}

/// Sets a version's status; returns the updated version.
pub(super) async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: VersionStatus,
) -> Result<ModelVersion, RegistryError> {
    let row: Row = sqlx::query_as(&format!(
        "update model_versions set status = $2 where id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(status)
    .fetch_one(conn)
    .await?;
    row.try_into()
}

/// Inserts `new` as the next version number of its (symbol, model).
pub(super) async fn insert(
    conn: &mut PgConnection,
    new: &NewVersion,
    score: Option<f64>,
    status: VersionStatus,
) -> Result<ModelVersion, RegistryError> {
    let row: Row = sqlx::query_as(&format!(
        "insert into model_versions (id, symbol, model, version, params, data_first, data_last, \
           rows, metrics, eval_first, eval_last, eval_origins, score, artifact_key, \
           artifact_sha256, artifact_bytes, status, job_id) \
         values ($1, $2, $3, \
           (select coalesce(max(version), 0) + 1 from model_versions \
             where symbol = $2 and model = $3), \
           $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         returning {COLUMNS}"
    ))
    .bind(new.id)
    .bind(&new.symbol)
    .bind(new.model.as_str())
    .bind(Json(&new.params))
    .bind(new.data_first)
    .bind(new.data_last)
    .bind(new.rows)
    .bind(Json(&new.evaluation.horizons))
    .bind(new.evaluation.first)
    .bind(new.evaluation.last)
    .bind(new.evaluation.origins)
    .bind(score)
    .bind(&new.artifact.key)
    .bind(&new.artifact.sha256)
    .bind(new.artifact.bytes)
    .bind(status)
    .bind(new.job_id)
    .fetch_one(conn)
    .await?;
    row.try_into()
}

/// A version by row id.
pub(super) async fn get(
    ex: impl PgExecutor<'_>,
    id: Uuid,
) -> Result<Option<ModelVersion>, RegistryError> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from model_versions where id = $1"
    ))
    .bind(id)
    .fetch_optional(ex)
    .await?;
    row.map(ModelVersion::try_from).transpose()
}

/// Every version of (symbol, model), newest first.
pub(super) async fn versions(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
    model: ModelId,
) -> Result<Vec<ModelVersion>, RegistryError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from model_versions where symbol = $1 and model = $2 \
         order by version desc"
    ))
    .bind(symbol)
    .bind(model.as_str())
    .fetch_all(ex)
    .await?;
    rows.into_iter().map(ModelVersion::try_from).collect()
}

/// The current versions of `symbol`.
pub(super) async fn current(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
) -> Result<Vec<ModelVersion>, RegistryError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from model_versions where symbol = $1 and status = 'current'"
    ))
    .bind(symbol)
    .fetch_all(ex)
    .await?;
    rows.into_iter().map(ModelVersion::try_from).collect()
}

/// Every current version.
pub(super) async fn list_current(
    ex: impl PgExecutor<'_>,
) -> Result<Vec<ModelVersion>, RegistryError> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from model_versions where status = 'current' order by symbol"
    ))
    .fetch_all(ex)
    .await?;
    rows.into_iter().map(ModelVersion::try_from).collect()
}

/// The row id of a version number.
pub(super) async fn find(
    conn: &mut PgConnection,
    symbol: &Symbol,
    model: ModelId,
    version: i32,
) -> Result<Option<Uuid>, RegistryError> {
    Ok(sqlx::query_scalar(
        "select id from model_versions where symbol = $1 and model = $2 and version = $3",
    )
    .bind(symbol)
    .bind(model.as_str())
    .bind(version)
    .fetch_optional(conn)
    .await?)
}

/// Retires the current version of (symbol, model) unless it is `keep`.
pub(super) async fn retire_current_except(
    conn: &mut PgConnection,
    symbol: &Symbol,
    model: ModelId,
    keep: Uuid,
) -> Result<(), RegistryError> {
    sqlx::query(
        "update model_versions set status = 'retired' \
         where symbol = $1 and model = $2 and status = 'current' and id <> $3",
    )
    .bind(symbol)
    .bind(model.as_str())
    .bind(keep)
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores a re-evaluation on a version; false when there is no such version.
pub(super) async fn set_backtest(
    conn: &mut PgConnection,
    id: Uuid,
    record: &BacktestRecord,
) -> Result<bool, RegistryError> {
    let done = sqlx::query("update model_versions set backtest = $2 where id = $1")
        .bind(id)
        .bind(Json(record))
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

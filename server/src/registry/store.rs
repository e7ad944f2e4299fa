//! The `model_versions` table: every registered version with its metrics, artifact and status.

use app::domain::{JobId, Symbol};
use chrono::{DateTime, NaiveDate, Utc};
use forecast::registry::ModelId;
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use forecast::backtest::Backtest;
use forecast::strategy::StrategyBacktest;

use super::{
    BacktestRecord, Evaluation, HorizonCalibration, HorizonMetrics, ModelVersion, NewVersion,
    RegistryError, VersionStatus,
};

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
    label: Option<String>,
    calibration: Option<Json<Vec<HorizonCalibration>>>,
    strategy: Option<Json<StrategyBacktest>>,
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
            label: r.label,
            calibration: r.calibration.map(|c| c.0).unwrap_or_default(),
            strategy: r.strategy.map(|s| s.0),
        })
    }
}

/// Which versions to read; every field narrows the selection, `None` leaves it open.
#[derive(Debug, Default, Clone, Copy)]
struct Filter<'a> {
    id: Option<Uuid>,
    symbol: Option<&'a Symbol>,
    model: Option<ModelId>,
    status: Option<VersionStatus>,
}

/// The one read of the table, by symbol, then model, newest version first.
async fn select(
    ex: impl PgExecutor<'_>,
    f: Filter<'_>,
) -> Result<Vec<ModelVersion>, RegistryError> {
    let rows = sqlx::query_as!(
        Row,
        r#"select id, symbol as "symbol: Symbol", model, version,
                  params as "params: Json<serde_json::Value>",
                  data_first as "data_first: NaiveDate", data_last as "data_last: NaiveDate", rows,
                  metrics as "metrics: Json<Vec<HorizonMetrics>>",
                  eval_first as "eval_first: NaiveDate", eval_last as "eval_last: NaiveDate",
                  eval_origins, score, artifact_key, artifact_sha256, artifact_bytes,
                  status as "status: VersionStatus", job_id,
                  created_at as "created_at: DateTime<Utc>",
                  backtest as "backtest: Json<BacktestRecord>", label,
                  calibration as "calibration: Json<Vec<HorizonCalibration>>",
                  strategy as "strategy: Json<StrategyBacktest>"
           from model_versions
           where ($1::uuid is null or id = $1)
             and ($2::text is null or symbol = $2)
             and ($3::text is null or model = $3)
             and ($4::text is null or status = $4)
           order by symbol, model, version desc"#,
        f.id,
        f.symbol.map(Symbol::as_str),
        f.model.map(ModelId::as_str),
        f.status.map(VersionStatus::as_str),
    )
    .fetch_all(ex)
    .await?;
    rows.into_iter().map(ModelVersion::try_from).collect()
}

async fn one(ex: impl PgExecutor<'_>, id: Uuid) -> Result<ModelVersion, RegistryError> {
    select(
        ex,
        Filter {
            id: Some(id),
            ..Filter::default()
        },
    )
    .await?
    .pop()
    .ok_or_else(|| RegistryError::NotFound(id.to_string()))
}

/// Serialises version numbering and promotion of (symbol, model) across processes until the
/// transaction ends.
pub(super) async fn lock(
    conn: &mut PgConnection,
    symbol: &Symbol,
    model: ModelId,
) -> Result<(), RegistryError> {
    sqlx::query!(
        "select pg_advisory_xact_lock(hashtext($1))",
        format!("registry:{symbol}:{model}"),
    )
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
    let row = sqlx::query!(
        "select id, score from model_versions
         where symbol = $1 and model = $2 and status = 'current'",
        symbol.as_str(),
        model.as_str(),
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.id, r.score)))
}

/// Sets a version's status; returns the updated version.
pub(super) async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: VersionStatus,
) -> Result<ModelVersion, RegistryError> {
    sqlx::query!(
        "update model_versions set status = $2 where id = $1",
        id,
        status.as_str(),
    )
    .execute(&mut *conn)
    .await?;
    one(conn, id).await
}

/// Inserts `new` as the next version number of its (symbol, model).
pub(super) async fn insert(
    conn: &mut PgConnection,
    new: &NewVersion,
    score: Option<f64>,
    status: VersionStatus,
) -> Result<ModelVersion, RegistryError> {
    sqlx::query!(
        "insert into model_versions (id, symbol, model, version, params, data_first, data_last,
           rows, metrics, eval_first, eval_last, eval_origins, score, artifact_key,
           artifact_sha256, artifact_bytes, status, job_id, record, calibration, strategy, label)
         values ($1, $2, $3,
           (select coalesce(max(version), 0) + 1 from model_versions
             where symbol = $2 and model = $3),
           $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
        new.id,
        new.symbol.as_str(),
        new.model.as_str(),
        Json(&new.params) as _,
        new.data_first as _,
        new.data_last as _,
        new.rows,
        Json(&new.evaluation.horizons) as _,
        new.evaluation.first as _,
        new.evaluation.last as _,
        new.evaluation.origins,
        score,
        new.artifact.key,
        new.artifact.sha256,
        new.artifact.bytes,
        status.as_str(),
        new.job_id.map(|j| j.as_uuid()),
        Json(&new.record) as _,
        Json(&new.calibration) as _,
        new.strategy.as_ref().map(Json) as _,
        new.label,
    )
    .execute(&mut *conn)
    .await?;
    one(conn, new.id).await
}

/// A version by row id.
pub(super) async fn get(
    ex: impl PgExecutor<'_>,
    id: Uuid,
) -> Result<Option<ModelVersion>, RegistryError> {
    Ok(select(
        ex,
        Filter {
            id: Some(id),
            ..Filter::default()
        },
    )
    .await?
    .pop())
}

/// Every version of (symbol, model), newest first.
pub(super) async fn versions(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
    model: ModelId,
) -> Result<Vec<ModelVersion>, RegistryError> {
    select(
        ex,
        Filter {
            symbol: Some(symbol),
            model: Some(model),
            ..Filter::default()
        },
    )
    .await
}

/// The current versions of `symbol`.
pub(super) async fn current(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
) -> Result<Vec<ModelVersion>, RegistryError> {
    select(
        ex,
        Filter {
            symbol: Some(symbol),
            status: Some(VersionStatus::Current),
            ..Filter::default()
        },
    )
    .await
}

/// Every current version.
pub(super) async fn list_current(
    ex: impl PgExecutor<'_>,
) -> Result<Vec<ModelVersion>, RegistryError> {
    select(
        ex,
        Filter {
            status: Some(VersionStatus::Current),
            ..Filter::default()
        },
    )
    .await
}

/// The row id of a version number.
pub(super) async fn find(
    conn: &mut PgConnection,
    symbol: &Symbol,
    model: ModelId,
    version: i32,
) -> Result<Option<Uuid>, RegistryError> {
    Ok(sqlx::query_scalar!(
        "select id from model_versions where symbol = $1 and model = $2 and version = $3",
        symbol.as_str(),
        model.as_str(),
        version,
    )
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
    sqlx::query!(
        "update model_versions set status = 'retired'
         where symbol = $1 and model = $2 and status = 'current' and id <> $3",
        symbol.as_str(),
        model.as_str(),
        keep,
    )
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
    let done = sqlx::query!(
        "update model_versions set backtest = $2 where id = $1",
        id,
        Json(record) as _,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The walk-forward record of a version, if it has one (versions trained before records were kept
/// have none).
pub(super) async fn walk_forward_record(
    ex: impl PgExecutor<'_>,
    id: Uuid,
) -> Result<Option<Backtest>, RegistryError> {
    let record = sqlx::query_scalar!(
        r#"select record as "record: Json<Backtest>" from model_versions where id = $1"#,
        id,
    )
    .fetch_optional(ex)
    .await?;
    Ok(record.flatten().map(|r| r.0))
}

//! The model registry: every trained model is a numbered version per (symbol, model) with its
//! hyper-parameters, data range, out-of-sample walk-forward metrics and a checksummed artifact.
//!
//! **Promotion rule.** A new version becomes `current` when there is no current version, or when
//! its score — the mean over the evaluated horizons of MAE relative to the naive random walk, as
//! measured walk-forward — is at most the current version's score plus [`PROMOTION_TOLERANCE`].
//! Lower is better; the tolerance keeps a retrain on newer data from being refused over noise in
//! the third decimal. A version without a score (a ratio that is undefined) only replaces a
//! current version that has none either. Otherwise the new version is recorded as `rejected`; it
//! stays loadable and [`Registry::rollback`] can still make it current.

mod artifacts;

use chrono::{DateTime, NaiveDate, Utc};
use forecast::metrics::Metrics;
use forecast::registry::{FittedModel, ModelId, ModelSpec};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

pub use artifacts::{hex_sha256, ArtifactStore, StoredArtifact};

/// How much worse (in mean MAE/naive) a new version may score than the current one and still be
/// promoted.
pub const PROMOTION_TOLERANCE: f64 = 0.01;

/// Everything that can go wrong in the registry.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Postgres failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// The object store failed or is misconfigured.
    #[error("artifact store: {0}")]
    Store(String),
    /// An artifact could not be encoded or decoded.
    #[error("artifact: {0}")]
    Artifact(String),
    /// The stored bytes are not the bytes that were registered.
    #[error("artifact {key} failed its checksum: expected sha256 {expected}, found {actual}")]
    Checksum {
        /// Object key.
        key: String,
        /// Registered checksum.
        expected: String,
        /// Checksum of what is stored now.
        actual: String,
    },
    /// No such version.
    #[error("no model version {0}")]
    NotFound(String),
}

/// Life-cycle of a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionStatus {
    /// Recorded, not yet decided (only inside the recording transaction).
    Candidate,
    /// The one version served for its (symbol, model).
    Current,
    /// Was current, replaced by a later promotion or a rollback.
    Retired,
    /// Scored worse than the current version when it was trained.
    Rejected,
}

impl VersionStatus {
    fn as_str(self) -> &'static str {
        match self {
            VersionStatus::Candidate => "candidate",
            VersionStatus::Current => "current",
            VersionStatus::Retired => "retired",
            VersionStatus::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> Result<Self, RegistryError> {
        Ok(match s {
            "candidate" => VersionStatus::Candidate,
            "current" => VersionStatus::Current,
            "retired" => VersionStatus::Retired,
            "rejected" => VersionStatus::Rejected,
            other => return Err(RegistryError::Artifact(format!("unknown status {other}"))),
        })
    }
}

/// Walk-forward metrics at one horizon (trading days ahead).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HorizonMetrics {
    /// Horizon in trading days.
    pub h: usize,
    /// MAE, RMSE, MAPE, MASE, MAE/naive, DM p, DA and its p, 95% coverage and width.
    pub metrics: Metrics,
}

/// The out-of-sample evaluation a version was scored on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// First forecast origin.
    pub first: NaiveDate,
    /// Last forecast origin.
    pub last: NaiveDate,
    /// Number of origins.
    pub origins: i32,
    /// Metrics per horizon.
    pub horizons: Vec<HorizonMetrics>,
}

impl Evaluation {
    /// Mean MAE/naive over the horizons; `None` when any horizon lacks it.
    pub fn score(&self) -> Option<f64> {
        let rel: Option<Vec<f64>> = self
            .horizons
            .iter()
            .map(|h| h.metrics.mae_rel_naive.filter(|v| v.is_finite()))
            .collect();
        rel.filter(|v| !v.is_empty())
            .map(|v| v.iter().sum::<f64>() / v.len() as f64)
    }
}

/// A re-evaluation of a version's model on newer data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestRecord {
    /// When it ran.
    pub at: DateTime<Utc>,
    /// The last bar it used.
    pub data_last: NaiveDate,
    /// What it measured.
    pub evaluation: Evaluation,
}

/// One registered version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelVersion {
    /// Row id.
    pub id: Uuid,
    /// Ticker.
    pub symbol: String,
    /// Model id (`"rf"`, `"arima111"`, ...).
    pub model: ModelId,
    /// 1, 2, ... per (symbol, model).
    pub version: i32,
    /// Hyper-parameters.
    pub params: serde_json::Value,
    /// First bar of the training data.
    pub data_first: NaiveDate,
    /// Last bar of the training data: the version's data as-of.
    pub data_last: NaiveDate,
    /// Bars in the training data.
    pub rows: i32,
    /// The walk-forward evaluation it was scored on.
    pub evaluation: Evaluation,
    /// Mean MAE/naive over horizons (what the promotion rule compares).
    pub score: Option<f64>,
    /// Object key of the artifact.
    pub artifact_key: String,
    /// Hex SHA-256 of the stored artifact.
    pub artifact_sha256: String,
    /// Stored artifact size in bytes.
    pub artifact_bytes: i64,
    /// Life-cycle status.
    pub status: VersionStatus,
    /// The job that trained it.
    pub job_id: Option<Uuid>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// Latest re-evaluation on newer data, if any.
    pub backtest: Option<BacktestRecord>,
}

/// What a training run hands to [`Registry::record`].
#[derive(Debug, Clone)]
pub struct NewVersion {
    /// Row id (also names the artifact).
    pub id: Uuid,
    /// Ticker.
    pub symbol: String,
    /// Model.
    pub model: ModelId,
    /// Hyper-parameters.
    pub params: serde_json::Value,
    /// First bar of the training data.
    pub data_first: NaiveDate,
    /// Last bar of the training data.
    pub data_last: NaiveDate,
    /// Bars in the training data.
    pub rows: i32,
    /// Walk-forward evaluation.
    pub evaluation: Evaluation,
    /// The stored artifact.
    pub artifact: StoredArtifact,
    /// The job that trained it.
    pub job_id: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    symbol: String,
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
    status: String,
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
            status: VersionStatus::parse(&r.status)?,
            job_id: r.job_id,
            created_at: r.created_at,
            backtest: r.backtest.map(|b| b.0),
        })
    }
}

const COLUMNS: &str = "id, symbol, model, version, params, data_first, data_last, rows, metrics, \
    eval_first, eval_last, eval_origins, score, artifact_key, artifact_sha256, artifact_bytes, \
    status, job_id, created_at, backtest";

/// The hyper-parameters of `spec` as JSON.
pub fn spec_params(spec: &ModelSpec) -> serde_json::Value {
    let inner = match spec {
        ModelSpec::Naive(m) => serde_json::to_value(m),
        ModelSpec::Drift(m) => serde_json::to_value(m),
        ModelSpec::Forest(m) => serde_json::to_value(m),
        ModelSpec::Gbm(m) => serde_json::to_value(m),
        ModelSpec::Lstm(m) => serde_json::to_value(m),
        ModelSpec::Arima(m) => serde_json::to_value(m),
        ModelSpec::AutoArima(m) => serde_json::to_value(m),
        // The ensemble's members are not serialisable as a whole; its description still records
        // every member and weight setting.
        other => Ok(serde_json::json!({ "description": format!("{other:?}") })),
    };
    serde_json::json!({
        "model": spec.id().as_str(),
        "spec": inner.unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() })),
    })
}

/// The registry service (cheap to clone).
#[derive(Clone, Debug)]
pub struct Registry {
    pool: PgPool,
    store: ArtifactStore,
}

impl Registry {
    /// A registry on `pool` keeping artifacts in `store`.
    pub fn new(pool: PgPool, store: ArtifactStore) -> Self {
        Self { pool, store }
    }

    /// The artifact store.
    pub fn store(&self) -> &ArtifactStore {
        &self.store
    }

    /// The object key for a new version's artifact.
    pub fn artifact_key(symbol: &str, model: ModelId, id: Uuid) -> String {
        format!("models/{symbol}/{model}/{id}.json.gz")
    }

    /// Records a trained version inside the caller's transaction and applies the promotion rule.
    /// Callers store the artifact first, so a row never points at a missing or partial object.
    #[tracing::instrument(skip_all, fields(symbol = %new.symbol, model = %new.model), err)]
    pub async fn record(
        conn: &mut PgConnection,
        new: NewVersion,
    ) -> Result<ModelVersion, RegistryError> {
        // Serialise version numbering and promotion per (symbol, model) across processes.
        sqlx::query("select pg_advisory_xact_lock(hashtext($1))")
            .bind(format!("registry:{}:{}", new.symbol, new.model))
            .execute(&mut *conn)
            .await?;
        let current: Option<(Uuid, Option<f64>)> = sqlx::query_as(
            "select id, score from model_versions \
             where symbol = $1 and model = $2 and status = 'current'",
        )
        .bind(&new.symbol)
        .bind(new.model.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        let score = new.evaluation.score();
        let promote = match current {
            None => true,
            Some((_, cur)) => promotes(score, cur),
        };
        if promote {
            if let Some((old, _)) = current {
                sqlx::query("update model_versions set status = 'retired' where id = $1")
                    .bind(old)
                    .execute(&mut *conn)
                    .await?;
            }
        }
        let status = if promote {
            VersionStatus::Current
        } else {
            VersionStatus::Rejected
        };
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
        .bind(status.as_str())
        .bind(new.job_id)
        .fetch_one(&mut *conn)
        .await?;
        let version = ModelVersion::try_from(row)?;
        tracing::info!(version = version.version, status = ?version.status, ?score, "model version recorded");
        Ok(version)
    }

    /// A version by row id.
    pub async fn get(&self, id: Uuid) -> Result<ModelVersion, RegistryError> {
        let row: Option<Row> = sqlx::query_as(&format!(
            "select {COLUMNS} from model_versions where id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.ok_or_else(|| RegistryError::NotFound(id.to_string()))?
            .try_into()
    }

    /// Every version of (symbol, model), newest first.
    pub async fn versions(
        &self,
        symbol: &str,
        model: ModelId,
    ) -> Result<Vec<ModelVersion>, RegistryError> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "select {COLUMNS} from model_versions where symbol = $1 and model = $2 \
             order by version desc"
        ))
        .bind(symbol)
        .bind(model.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(ModelVersion::try_from).collect()
    }

    /// The current version of each model of `symbol`, in model order.
    pub async fn current(&self, symbol: &str) -> Result<Vec<ModelVersion>, RegistryError> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "select {COLUMNS} from model_versions where symbol = $1 and status = 'current'"
        ))
        .bind(symbol)
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<ModelVersion> = rows
            .into_iter()
            .map(ModelVersion::try_from)
            .collect::<Result<_, _>>()?;
        out.sort_by_key(|v| v.model);
        Ok(out)
    }

    /// The current version of (symbol, model), if any.
    pub async fn current_for(
        &self,
        symbol: &str,
        model: ModelId,
    ) -> Result<Option<ModelVersion>, RegistryError> {
        Ok(self
            .current(symbol)
            .await?
            .into_iter()
            .find(|v| v.model == model))
    }

    /// Every current version, by symbol then model.
    pub async fn list_current(&self) -> Result<Vec<ModelVersion>, RegistryError> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "select {COLUMNS} from model_versions where status = 'current' order by symbol"
        ))
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<ModelVersion> = rows
            .into_iter()
            .map(ModelVersion::try_from)
            .collect::<Result<_, _>>()?;
        out.sort_by(|a, b| (&a.symbol, a.model).cmp(&(&b.symbol, b.model)));
        Ok(out)
    }

    /// Makes `version` of (symbol, model) current, retiring the current one, in one transaction.
    #[tracing::instrument(skip(self), err)]
    pub async fn rollback(
        &self,
        symbol: &str,
        model: ModelId,
        version: i32,
    ) -> Result<ModelVersion, RegistryError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("select pg_advisory_xact_lock(hashtext($1))")
            .bind(format!("registry:{symbol}:{model}"))
            .execute(&mut *tx)
            .await?;
        let target: Option<(Uuid,)> = sqlx::query_as(
            "select id from model_versions where symbol = $1 and model = $2 and version = $3",
        )
        .bind(symbol)
        .bind(model.as_str())
        .bind(version)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((id,)) = target else {
            return Err(RegistryError::NotFound(format!(
                "{symbol} {model} version {version}"
            )));
        };
        sqlx::query(
            "update model_versions set status = 'retired' \
             where symbol = $1 and model = $2 and status = 'current' and id <> $3",
        )
        .bind(symbol)
        .bind(model.as_str())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let row: Row = sqlx::query_as(&format!(
            "update model_versions set status = 'current' where id = $1 returning {COLUMNS}"
        ))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        row.try_into()
    }

    /// Stores a re-evaluation on a version.
    pub async fn set_backtest(
        &self,
        conn: &mut PgConnection,
        id: Uuid,
        record: &BacktestRecord,
    ) -> Result<(), RegistryError> {
        let done = sqlx::query("update model_versions set backtest = $2 where id = $1")
            .bind(id)
            .bind(Json(record))
            .execute(conn)
            .await?;
        if done.rows_affected() == 0 {
            return Err(RegistryError::NotFound(id.to_string()));
        }
        Ok(())
    }

    /// Loads a version's fitted model, verifying the artifact's checksum and that it holds the
    /// registered model.
    pub async fn load(&self, version: &ModelVersion) -> Result<FittedModel, RegistryError> {
        let artifact = self
            .store
            .load(&version.artifact_key, &version.artifact_sha256)
            .await?;
        if artifact.model != version.model {
            return Err(RegistryError::Artifact(format!(
                "{} holds a {} model, registered as {}",
                version.artifact_key, artifact.model, version.model
            )));
        }
        Ok(artifact.fitted)
    }
}

/// The promotion rule (see the module documentation).
pub fn promotes(candidate: Option<f64>, current: Option<f64>) -> bool {
    match (candidate, current) {
        (Some(new), Some(cur)) => new <= cur + PROMOTION_TOLERANCE,
        (Some(_), None) => true,
        (None, Some(_)) => false,
        (None, None) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_within_the_tolerance_of_the_current_one_is_promoted() {
        assert!(promotes(Some(0.99), Some(1.0)));
        assert!(promotes(Some(1.005), Some(1.0)));
        assert!(!promotes(Some(1.02), Some(1.0)));
    }

    #[test]
    fn a_version_without_a_score_never_replaces_one_with_a_score() {
        assert!(!promotes(None, Some(1.0)));
        assert!(promotes(Some(3.0), None));
    }

    #[test]
    fn every_available_spec_has_json_parameters_naming_its_model() {
        for id in ModelSpec::available() {
            let p = spec_params(&ModelSpec::default_for(id, 0).unwrap());
            assert_eq!(p["model"], id.as_str());
            assert!(p["spec"].is_object(), "{id}: {p}");
            assert!(p["spec"].get("error").is_none(), "{id}: {p}");
        }
    }
}

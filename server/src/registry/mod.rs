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
mod store;

use app::domain::{JobId, Symbol};
use chrono::{DateTime, NaiveDate, Utc};
use forecast::backtest::Backtest;
use forecast::metrics::Metrics;
use forecast::registry::{FittedModel, ModelId};
use forecast::signal::Calibration;
use forecast::strategy::StrategyBacktest;
use serde::{Deserialize, Serialize};
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
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            VersionStatus::Candidate => "candidate",
            VersionStatus::Current => "current",
            VersionStatus::Retired => "retired",
            VersionStatus::Rejected => "rejected",
        }
    }
}

impl std::str::FromStr for VersionStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "candidate" => VersionStatus::Candidate,
            "current" => VersionStatus::Current,
            "retired" => VersionStatus::Retired,
            "rejected" => VersionStatus::Rejected,
            other => return Err(format!("unknown version status `{other}`")),
        })
    }
}

app::sql_text_type!(VersionStatus);

/// Walk-forward metrics at one horizon (trading days ahead).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HorizonMetrics {
    /// Horizon in trading days.
    pub h: usize,
    /// MAE, RMSE, MAPE, MASE, MAE/naive, DM p, DA and its p, 95% coverage and width.
    pub metrics: Metrics,
}

/// The calibrated confidence of one horizon's direction calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HorizonCalibration {
    /// Horizon in trading days.
    pub h: usize,
    /// The fitted calibration and its reliability table.
    pub calibration: Calibration,
}

/// The calibrated confidence of each horizon's calls from a walk-forward `record` on `series`
/// (horizons with too few calls have none).
pub fn calibrate(record: &Backtest, series: &forecast::Ohlcv) -> Vec<HorizonCalibration> {
    use forecast::signal::{calibration_data, fit_calibration};
    record
        .horizons
        .iter()
        .filter_map(|hb| {
            let (x, y) = calibration_data(record, series, hb.horizon);
            match fit_calibration(&x, &y) {
                Ok(calibration) => Some(HorizonCalibration {
                    h: hb.horizon.get(),
                    calibration,
                }),
                Err(e) => {
                    tracing::debug!(h = hb.horizon.get(), error = %e, "no calibration");
                    None
                }
            }
        })
        .collect()
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
    pub symbol: Symbol,
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
    pub job_id: Option<JobId>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// Latest re-evaluation on newer data, if any.
    pub backtest: Option<BacktestRecord>,
    /// The fitted model's own name, when it says more than the id ("ARIMA(2,1,0)").
    pub label: Option<String>,
    /// Calibrated confidence per horizon (absent when the record had too few calls to fit it).
    pub calibration: Vec<HorizonCalibration>,
    /// The strategy backtest of its one-day calls.
    pub strategy: Option<StrategyBacktest>,
}

/// What a training run hands to [`Registry::record`].
#[derive(Debug, Clone)]
pub struct NewVersion {
    /// Row id (also names the artifact).
    pub id: Uuid,
    /// Ticker.
    pub symbol: Symbol,
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
    pub job_id: Option<JobId>,
    /// The walk-forward record behind `evaluation`.
    pub record: Backtest,
    /// The fitted model's own name, if it has one.
    pub label: Option<String>,
    /// Calibrated confidence per horizon.
    pub calibration: Vec<HorizonCalibration>,
    /// The strategy backtest of its one-day calls.
    pub strategy: Option<StrategyBacktest>,
    /// The score of the current version re-measured on this version's origins, when the two were
    /// evaluated on different windows (promotion compares like with like).
    pub current_on_same_origins: Option<Option<f64>>,
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
    pub fn artifact_key(symbol: &Symbol, model: ModelId, id: Uuid) -> String {
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
        store::lock(&mut *conn, &new.symbol, new.model).await?;
        let current = store::current_score(&mut *conn, &new.symbol, new.model).await?;
        let score = new.evaluation.score();
        let promote = match current {
            None => true,
            Some((_, stored)) => promotes(score, new.current_on_same_origins.unwrap_or(stored)),
        };
        if promote {
            if let Some((old, _)) = current {
                store::set_status(&mut *conn, old, VersionStatus::Retired).await?;
            }
        }
        let status = if promote {
            VersionStatus::Current
        } else {
            VersionStatus::Rejected
        };
        let version = store::insert(&mut *conn, &new, score, status).await?;
        tracing::info!(version = version.version, status = ?version.status, ?score, "model version recorded");
        Ok(version)
    }

    /// A version by row id.
    pub async fn get(&self, id: Uuid) -> Result<ModelVersion, RegistryError> {
        store::get(&self.pool, id)
            .await?
            .ok_or_else(|| RegistryError::NotFound(id.to_string()))
    }

    /// Every version of (symbol, model), newest first.
    pub async fn versions(
        &self,
        symbol: &Symbol,
        model: ModelId,
    ) -> Result<Vec<ModelVersion>, RegistryError> {
        store::versions(&self.pool, symbol, model).await
    }

    /// The current version of each model of `symbol`, in model order.
    pub async fn current(&self, symbol: &Symbol) -> Result<Vec<ModelVersion>, RegistryError> {
        let mut out = store::current(&self.pool, symbol).await?;
        out.sort_by_key(|v| v.model);
        Ok(out)
    }

    /// The current version of (symbol, model), if any.
    pub async fn current_for(
        &self,
        symbol: &Symbol,
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
        let mut out = store::list_current(&self.pool).await?;
        out.sort_by(|a, b| (&a.symbol, a.model).cmp(&(&b.symbol, b.model)));
        Ok(out)
    }

    /// Makes `version` of (symbol, model) current, retiring the current one, in one transaction.
    #[tracing::instrument(skip(self), err)]
    pub async fn rollback(
        &self,
        symbol: &Symbol,
        model: ModelId,
        version: i32,
    ) -> Result<ModelVersion, RegistryError> {
        let mut tx = self.pool.begin().await?;
        store::lock(&mut tx, symbol, model).await?;
        let Some(id) = store::find(&mut tx, symbol, model, version).await? else {
            return Err(RegistryError::NotFound(format!(
                "{symbol} {model} version {version}"
            )));
        };
        store::retire_current_except(&mut tx, symbol, model, id).await?;
        let row = store::set_status(&mut tx, id, VersionStatus::Current).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// The walk-forward record of a version (kept apart from the listings: it is large).
    pub async fn walk_forward_record(&self, id: Uuid) -> Result<Option<Backtest>, RegistryError> {
        store::walk_forward_record(&self.pool, id).await
    }

    /// Stores a re-evaluation on a version.
    pub async fn set_backtest(
        &self,
        conn: &mut PgConnection,
        id: Uuid,
        record: &BacktestRecord,
    ) -> Result<(), RegistryError> {
        if !store::set_backtest(conn, id, record).await? {
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
    use forecast::registry::ModelSpec;

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
    fn every_available_spec_stores_its_parameters_as_json_naming_its_model() {
        for &id in ModelId::all() {
            let Ok(spec) = ModelSpec::default_for(id, 0) else {
                continue;
            };
            let p = serde_json::to_value(&spec).unwrap();
            assert!(p["model"].is_string(), "{id}: {p}");
            let back: ModelSpec = serde_json::from_value(p.clone()).unwrap();
            assert_eq!(back.id(), id, "{p}");
        }
    }
}

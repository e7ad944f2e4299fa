//! What the prediction service needs from the model registry and the job queue, as two small
//! traits: the service is written and tested against them, and the registry and queue implement
//! them. Until a registry or queue is wired in, [`NoRegistry`] and [`NoQueue`] say so honestly
//! (no trained versions; queue unavailable, so predictions are computed inline).

use app::domain::{JobId, Symbol};
use app::model::JobStatus;
use async_trait::async_trait;
use chrono::NaiveDate;
use std::sync::Arc;

use app::model::Training;
use forecast::registry::{FittedModel, ModelId};

use super::compute::Skill;
use crate::registry::{HorizonCalibration, ModelVersion};

/// A current registry version's metadata (the artifact is loaded separately, only when needed).
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentVersion {
    /// Ticker it was trained on.
    pub symbol: Symbol,
    /// Which model.
    pub model: ModelId,
    /// Registry version (1, 2, …).
    pub version: i32,
    /// Last bar of its training data.
    pub as_of: NaiveDate,
    /// Its walk-forward record.
    pub skill: Option<Skill>,
    /// Calibrated confidence of its calls per horizon.
    pub calibration: Vec<HorizonCalibration>,
    /// The fitted model's own name, when it has one.
    pub label: Option<String>,
    /// When and on what it was trained.
    pub trained: Option<Training>,
    /// The registry row (its artifact key and checksum), when it came from the registry.
    pub row: Option<ModelVersion>,
}

/// A failure of the registry or queue, with its cause for the log.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SourceError(pub String);

/// Current model versions and their artifacts.
#[async_trait]
pub trait ModelVersions: Send + Sync + 'static {
    /// The current version of each trained model of `symbol`.
    async fn current(&self, symbol: &Symbol) -> Result<Vec<CurrentVersion>, SourceError>;
    /// Every current version of every symbol.
    async fn list_current(&self) -> Result<Vec<CurrentVersion>, SourceError>;
    /// The fitted model of `version` (checksum verified by the registry).
    async fn load(&self, version: &CurrentVersion) -> Result<Arc<FittedModel>, SourceError>;
    /// Every version of every model of `symbol`, newest first within a model.
    async fn all(&self, symbol: &Symbol) -> Result<Vec<ModelVersion>, SourceError>;
    /// Makes `version` of (symbol, model) current again; `false` when there is no such version.
    async fn roll_back(
        &self,
        symbol: &Symbol,
        model: ModelId,
        version: i32,
    ) -> Result<bool, SourceError>;
}

/// How the queue answered an enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueued {
    /// The job to poll.
    pub job_id: JobId,
}

/// Background training and prediction jobs.
#[async_trait]
pub trait TrainingQueue: Send + Sync + 'static {
    /// Queues training of `missing` for `symbol` on data up to `as_of`, then predictions. The same
    /// (symbol, model, as-of) already queued or running is not queued twice: its job is returned.
    async fn enqueue(
        &self,
        symbol: &Symbol,
        as_of: NaiveDate,
        missing: &[ModelId],
    ) -> Result<Enqueued, SourceError>;
    /// Models of `symbol` with a training job queued or running.
    async fn training(&self, symbol: &Symbol) -> Result<Vec<ModelId>, SourceError>;
    /// A job's status; `None` for an unknown id.
    async fn job(&self, id: JobId) -> Result<Option<JobStatus>, SourceError>;
}

/// No registry configured: no model has a trained version.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRegistry;

#[async_trait]
impl ModelVersions for NoRegistry {
    async fn current(&self, _symbol: &Symbol) -> Result<Vec<CurrentVersion>, SourceError> {
        Ok(Vec::new())
    }
    async fn list_current(&self) -> Result<Vec<CurrentVersion>, SourceError> {
        Ok(Vec::new())
    }
    async fn load(&self, version: &CurrentVersion) -> Result<Arc<FittedModel>, SourceError> {
        Err(SourceError(format!(
            "no model registry: cannot load {} v{}",
            version.model, version.version
        )))
    }
    async fn all(&self, _symbol: &Symbol) -> Result<Vec<ModelVersion>, SourceError> {
        Ok(Vec::new())
    }
    async fn roll_back(
        &self,
        _symbol: &Symbol,
        _model: ModelId,
        _version: i32,
    ) -> Result<bool, SourceError> {
        Ok(false)
    }
}

/// No queue configured: every enqueue fails, so the service computes inline.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoQueue;

#[async_trait]
impl TrainingQueue for NoQueue {
    async fn enqueue(
        &self,
        _symbol: &Symbol,
        _as_of: NaiveDate,
        _missing: &[ModelId],
    ) -> Result<Enqueued, SourceError> {
        Err(SourceError("no job queue is running".into()))
    }
    async fn training(&self, _symbol: &Symbol) -> Result<Vec<ModelId>, SourceError> {
        Ok(Vec::new())
    }
    async fn job(&self, _id: JobId) -> Result<Option<JobStatus>, SourceError> {
        Ok(None)
    }
}

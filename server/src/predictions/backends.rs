//! The registry and the job queue behind the prediction service's two ports
//! ([`ModelVersions`], [`TrainingQueue`]).

use std::sync::Arc;

use app::model::JobStatus;
use async_trait::async_trait;
use chrono::NaiveDate;
use forecast::registry::{FittedModel, ModelId};
use std::collections::HashMap;
use tokio::sync::Mutex;

use super::compute::Skill;
use super::sources::{CurrentVersion, Enqueued, ModelVersions, SourceError, TrainingQueue};
use crate::jobs::{JobError, JobSpec, Jobs};
use crate::registry::{ModelVersion, Registry, RegistryError};

fn source(e: impl std::fmt::Display) -> SourceError {
    SourceError(e.to_string())
}

/// The registry's current versions, keeping each loaded row so `load` finds its artifact.
pub struct RegistryVersions {
    registry: Registry,
    // The artifact key and checksum of each version handed out, by (symbol, model, version).
    rows: Mutex<HashMap<(String, ModelId, i32), ModelVersion>>,
}

impl RegistryVersions {
    /// Serves `registry`'s current versions.
    pub fn new(registry: Registry) -> Arc<Self> {
        Arc::new(Self {
            registry,
            rows: Mutex::new(HashMap::new()),
        })
    }

    async fn describe(&self, versions: Vec<ModelVersion>) -> Vec<CurrentVersion> {
        let mut rows = self.rows.lock().await;
        versions
            .into_iter()
            .map(|v| {
                let out = CurrentVersion {
                    symbol: v.symbol.clone(),
                    model: v.model,
                    version: v.version,
                    as_of: v.data_last,
                    skill: skill_of(&v),
                };
                rows.insert((v.symbol.clone(), v.model, v.version), v);
                out
            })
            .collect()
    }
}

/// The latest evaluation of a version: its re-run on newer data when there is one.
fn skill_of(v: &ModelVersion) -> Option<Skill> {
    let e = v.backtest.as_ref().map_or(&v.evaluation, |b| &b.evaluation);
    (!e.horizons.is_empty()).then(|| Skill {
        per_horizon: e.horizons.iter().map(|h| (h.h, h.metrics)).collect(),
        window: (e.first, e.last),
        origins: e.origins.max(0) as usize,
    })
}

#[async_trait]
impl ModelVersions for RegistryVersions {
    async fn current(&self, symbol: &str) -> Result<Vec<CurrentVersion>, SourceError> {
        let v = self.registry.current(symbol).await.map_err(source)?;
        Ok(self.describe(v).await)
    }

    async fn list_current(&self) -> Result<Vec<CurrentVersion>, SourceError> {
        let v = self.registry.list_current().await.map_err(source)?;
        Ok(self.describe(v).await)
    }

    async fn load(&self, version: &CurrentVersion) -> Result<FittedModel, SourceError> {
        let row = self
            .rows
            .lock()
            .await
            .get(&(version.symbol.clone(), version.model, version.version))
            .cloned();
        let row = match row {
            Some(r) => r,
            None => self
                .registry
                .current_for(&version.symbol, version.model)
                .await
                .map_err(source)?
                .filter(|r| r.version == version.version)
                .ok_or_else(|| {
                    source(RegistryError::NotFound(format!(
                        "{} {} v{}",
                        version.symbol, version.model, version.version
                    )))
                })?,
        };
        self.registry.load(&row).await.map_err(source)
    }
}

/// Training through the persistent job queue.
pub struct QueuedTraining {
    jobs: Jobs,
}

impl QueuedTraining {
    /// Queues through `jobs`.
    pub fn new(jobs: Jobs) -> Arc<Self> {
        Arc::new(Self { jobs })
    }
}

#[async_trait]
impl TrainingQueue for QueuedTraining {
    /// One train job per missing model (the queue joins concurrent requests for the same
    /// symbol, model and as-of into one job), then the predict job, whose id is the one to poll.
    /// When this build cannot run predict jobs, the last train job is polled instead.
    async fn enqueue(
        &self,
        symbol: &str,
        _as_of: NaiveDate,
        missing: &[ModelId],
    ) -> Result<Enqueued, SourceError> {
        let mut last = None;
        for &model in missing {
            last = Some(
                self.jobs
                    .enqueue(JobSpec::train(symbol, model))
                    .await
                    .map_err(source)?,
            );
        }
        match self.jobs.enqueue(JobSpec::predict(symbol)).await {
            Ok(job) => Ok(Enqueued {
                job_id: job.id.to_string(),
            }),
            Err(JobError::Unsupported(_)) => last
                .map(|j| Enqueued {
                    job_id: j.id.to_string(),
                })
                .ok_or_else(|| source("nothing to queue")),
            Err(e) => Err(source(e)),
        }
    }

    async fn training(&self, symbol: &str) -> Result<Vec<ModelId>, SourceError> {
        let pool = self.jobs.pool();
        let models: Vec<String> = sqlx::query_scalar(
            "select distinct model from jobs
             where symbol = $1 and kind = 'train' and status in ('queued', 'running')
               and model is not null",
        )
        .bind(symbol)
        .fetch_all(pool)
        .await
        .map_err(source)?;
        Ok(models.iter().filter_map(|m| m.parse().ok()).collect())
    }

    async fn job(&self, id: &str) -> Result<Option<JobStatus>, SourceError> {
        let Ok(uuid) = uuid::Uuid::parse_str(id) else {
            return Ok(None);
        };
        match self.jobs.get(uuid).await {
            Ok(j) => Ok(Some(JobStatus {
                id: j.id.to_string(),
                status: serde_json::to_value(j.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                progress: j.progress,
                step: Some(j.step).filter(|s| !s.is_empty()),
                error: j.error,
            })),
            Err(JobError::NotFound(_)) => Ok(None),
            Err(e) => Err(source(e)),
        }
    }
}

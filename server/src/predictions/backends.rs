//! The registry and the job queue behind the prediction service's two ports
//! ([`ModelVersions`], [`TrainingQueue`]).

use std::collections::VecDeque;
use std::sync::Arc;

use app::domain::{JobId, JobState, Symbol};
use app::model::{JobStatus, Training};
use async_trait::async_trait;
use chrono::NaiveDate;
use forecast::registry::{FittedModel, ModelId};
use tokio::sync::Mutex;
use uuid::Uuid;

use super::compute::Skill;
use super::sources::{CurrentVersion, Enqueued, ModelVersions, SourceError, TrainingQueue};
use crate::jobs::store::{self as job_store, TrainingRow};
use crate::jobs::{JobError, JobKind, JobSpec, Jobs};
use crate::registry::{ModelVersion, Registry, RegistryError};

fn source(e: impl std::fmt::Display) -> SourceError {
    SourceError(e.to_string())
}

/// How many fitted models stay loaded in this process: the current versions of a few symbols'
/// models. A prediction of a symbol whose models are loaded reads no artifact.
const MODEL_CACHE: usize = 48;

/// The registry's current versions, with a bounded in-process cache of loaded models (by version
/// row id: a new version is a new entry, so nothing stale is ever served).
pub struct RegistryVersions {
    registry: Registry,
    loaded: Mutex<VecDeque<(Uuid, Arc<FittedModel>)>>,
}

impl RegistryVersions {
    /// Serves `registry`'s current versions.
    pub fn new(registry: Registry) -> Arc<Self> {
        Arc::new(Self {
            registry,
            loaded: Mutex::new(VecDeque::with_capacity(MODEL_CACHE)),
        })
    }

    fn describe(versions: Vec<ModelVersion>) -> Vec<CurrentVersion> {
        versions
            .into_iter()
            .map(|v| CurrentVersion {
                symbol: v.symbol.clone(),
                model: v.model,
                version: v.version,
                as_of: v.data_last,
                skill: skill_of(&v),
                calibration: v.calibration.clone(),
                label: v.label.clone(),
                trained: Some(Training {
                    at: v.created_at,
                    data_from: v.data_first,
                    data_to: v.data_last,
                }),
                row: Some(v),
            })
            .collect()
    }

    /// The cached model of version `id`, moved to the most recently used end.
    async fn cached(&self, id: Uuid) -> Option<Arc<FittedModel>> {
        let mut loaded = self.loaded.lock().await;
        let i = loaded.iter().position(|(k, _)| *k == id)?;
        let entry = loaded.remove(i)?;
        let model = entry.1.clone();
        loaded.push_back(entry);
        Some(model)
    }

    async fn remember(&self, id: Uuid, model: Arc<FittedModel>) {
        let mut loaded = self.loaded.lock().await;
        if loaded.iter().any(|(k, _)| *k == id) {
            return;
        }
        if loaded.len() == MODEL_CACHE {
            loaded.pop_front();
        }
        loaded.push_back((id, model));
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
    async fn current(&self, symbol: &Symbol) -> Result<Vec<CurrentVersion>, SourceError> {
        let v = self.registry.current(symbol).await.map_err(source)?;
        Ok(Self::describe(v))
    }

    async fn list_current(&self) -> Result<Vec<CurrentVersion>, SourceError> {
        let v = self.registry.list_current().await.map_err(source)?;
        Ok(Self::describe(v))
    }

    async fn load(&self, version: &CurrentVersion) -> Result<Arc<FittedModel>, SourceError> {
        let row = version.row.as_ref().ok_or_else(|| {
            source(RegistryError::NotFound(format!(
                "{} {} v{}",
                version.symbol, version.model, version.version
            )))
        })?;
        if let Some(model) = self.cached(row.id).await {
            return Ok(model);
        }
        let model = Arc::new(self.registry.load(row).await.map_err(source)?);
        self.remember(row.id, model.clone()).await;
        Ok(model)
    }

    async fn all(&self, symbol: &Symbol) -> Result<Vec<ModelVersion>, SourceError> {
        let mut out = Vec::new();
        for &model in ModelId::all() {
            out.extend(
                self.registry
                    .versions(symbol, model)
                    .await
                    .map_err(source)?,
            );
        }
        Ok(out)
    }

    async fn roll_back(
        &self,
        symbol: &Symbol,
        model: ModelId,
        version: i32,
    ) -> Result<bool, SourceError> {
        match self.registry.rollback(symbol, model, version).await {
            Ok(v) => {
                tracing::warn!(%symbol, %model, version = v.version, "model version rolled back");
                Ok(true)
            }
            Err(RegistryError::NotFound(_)) => Ok(false),
            Err(e) => Err(source(e)),
        }
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
    async fn enqueue(
        &self,
        symbol: &Symbol,
        _as_of: NaiveDate,
        missing: &[ModelId],
    ) -> Result<Enqueued, SourceError> {
        for &model in missing {
            self.jobs
                .enqueue(JobSpec::train(symbol, model))
                .await
                .map_err(source)?;
        }
        let job = self
            .jobs
            .enqueue(JobSpec::predict(symbol))
            .await
            .map_err(source)?;
        Ok(Enqueued { job_id: job.id })
    }

    async fn training(&self, symbol: &Symbol) -> Result<Vec<ModelId>, SourceError> {
        job_store::training_models(self.jobs.pool(), symbol)
            .await
            .map_err(source)
    }

    async fn job(&self, id: JobId) -> Result<Option<JobStatus>, SourceError> {
        let j = match self.jobs.get(id).await {
            Ok(j) => j,
            Err(JobError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(source(e)),
        };
        let mut answer = JobStatus::from(&j);
        // A predict job waits for the symbol's training: until it runs, its own row says nothing,
        // so the answer carries the real progress of the training jobs it waits for.
        // Once it runs, its own progress fills the last tenth, so the bar never goes back.
        if j.kind == JobKind::Predict && !j.status.is_finished() {
            let training = job_store::training_for(self.jobs.pool(), &j)
                .await
                .map_err(source)?;
            if let Some((progress, step)) = training_progress(&training) {
                if j.status == JobState::Queued {
                    answer.progress = progress;
                    answer.step = Some(step);
                } else {
                    answer.progress = 90 + j.progress / 10;
                }
            }
        }
        Ok(Some(answer))
    }
}

/// Overall progress (finished jobs count 100; the last 10% is the predict step itself) and a
/// step naming each model's state, or `None` when nothing is being trained.
fn training_progress(rows: &[TrainingRow]) -> Option<(i16, String)> {
    if rows.is_empty() {
        return None;
    }
    let total: i32 = rows
        .iter()
        .map(|r| {
            if r.status.is_finished() {
                100
            } else {
                i32::from(r.progress)
            }
        })
        .sum();
    let progress = (total * 90 / (100 * rows.len() as i32)) as i16;
    let parts: Vec<String> = rows
        .iter()
        .map(|r| match r.status {
            JobState::Running if !r.step.is_empty() => {
                format!("{} {}% ({})", r.model, r.progress, r.step)
            }
            JobState::Running => format!("{} {}%", r.model, r.progress),
            other => format!("{} {other}", r.model),
        })
        .collect();
    let done = rows.iter().filter(|r| r.status.is_finished()).count();
    Some((
        progress,
        format!(
            "Training {done} of {} models finished: {}",
            rows.len(),
            parts.join(", ")
        ),
    ))
}

#[cfg(test)]
mod progress_tests {
    use super::*;

    fn row(model: &str, status: &str, p: i16, step: &str) -> TrainingRow {
        TrainingRow {
            model: model.parse().unwrap(),
            status: status.parse().unwrap(),
            progress: p,
            step: step.into(),
        }
    }

    #[test]
    fn training_progress_averages_the_jobs_and_keeps_the_last_tenth_for_predicting() {
        assert_eq!(training_progress(&[]), None);
        let (p, step) = training_progress(&[
            row("arima111", "done", 100, "done"),
            row("rf", "running", 50, "walk-forward 5/13"),
            row("lstm", "queued", 0, ""),
        ])
        .unwrap();
        // (100 + 50 + 0) / 3 = 50% of training = 45% overall.
        assert_eq!(p, 45);
        assert_eq!(
            step,
            "Training 1 of 3 models finished: arima111 done, rf 50% (walk-forward 5/13), lstm queued"
        );
        let (p, _) =
            training_progress(&[row("gbm", "failed", 30, ""), row("rf", "done", 100, "")]).unwrap();
        assert_eq!(p, 90);
    }
}

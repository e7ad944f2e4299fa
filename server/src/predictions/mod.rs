//! The prediction service: every served model's forecasts from a symbol's last stored bar,
//! answered from Redis, else from the predictions already recorded for that as-of, else by queuing
//! the training that is missing (or, with no queue, computing what can be computed now).
//! Every served prediction is recorded, and its actual is filled in when the target bar arrives.

pub mod backends;
pub mod compute;
pub mod sources;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use app::domain::Symbol;
use app::error::AppError;
use app::model::{
    JobAccepted, JobStatus, ModelPrediction, ModelState, ModelVersionSummary, PredictionHistory,
    Predictions, PredictionsReply,
};
use app::ssr::services::PredictionService;
use app::ssr::Cache;
use async_trait::async_trait;
use chrono::NaiveDate;
use forecast::eval::Protocol;
use forecast::registry::ModelId;
use forecast::Ohlcv;
use sqlx::PgPool;

use compute::{is_baseline, ServableModel, SERVED_MODELS};
use sources::{CurrentVersion, ModelVersions, NoQueue, NoRegistry, TrainingQueue};

/// How long a computed answer stays in Redis. The key holds the as-of, so a new bar is a new key;
/// the TTL only bounds how long a newly promoted version waits to be served.
const CACHE_TTL: Duration = Duration::from_secs(600);

/// The longest history window `GET /api/v1/history` accepts, in calendar days.
pub const MAX_HISTORY_DAYS: u32 = 3660;

/// Errors of the prediction service.
#[derive(Debug, thiserror::Error)]
pub enum PredictionError {
    /// The ticker is unknown.
    #[error("No data for `{0}`: it is not a ticker we know.")]
    UnknownSymbol(String),
    /// The ticker is known but has no stored bars.
    #[error("`{0}` has no stored prices to predict from yet.")]
    NoData(String),
    /// The job id is unknown.
    #[error("No job `{0}`.")]
    UnknownJob(String),
    /// Postgres failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The blocking task running the models failed.
    #[error("model task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// A baseline could not be fitted.
    #[error("forecast error: {0}")]
    Forecast(#[from] forecast::Error),
    /// The registry or queue failed.
    #[error("{0}")]
    Source(#[from] sources::SourceError),
}

impl From<PredictionError> for AppError {
    fn from(e: PredictionError) -> Self {
        match e {
            PredictionError::UnknownSymbol(_)
            | PredictionError::NoData(_)
            | PredictionError::UnknownJob(_) => AppError::NotFound(e.to_string()),
            other => {
                tracing::error!(error = %other, "prediction service failed");
                AppError::Internal
            }
        }
    }
}

/// The prediction service over Postgres, Redis, the registry and the queue.
#[derive(Clone)]
pub struct Predictor {
    pool: PgPool,
    cache: Cache,
    versions: Arc<dyn ModelVersions>,
    queue: Arc<dyn TrainingQueue>,
    protocol: Protocol,
}

impl std::fmt::Debug for Predictor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Predictor").finish_non_exhaustive()
    }
}

impl Predictor {
    /// A service with no registry and no queue (baselines only, computed inline), evaluating the
    /// baselines under the reference protocol.
    pub fn new(pool: PgPool, cache: Cache) -> Self {
        Self {
            pool,
            cache,
            versions: Arc::new(NoRegistry),
            queue: Arc::new(NoQueue),
            protocol: Protocol::default(),
        }
    }

    /// Serves the registry's current versions.
    pub fn with_registry(mut self, versions: Arc<dyn ModelVersions>) -> Self {
        self.versions = versions;
        self
    }

    /// Queues training through `queue`.
    pub fn with_queue(mut self, queue: Arc<dyn TrainingQueue>) -> Self {
        self.queue = queue;
        self
    }

    /// Evaluates the baselines under `protocol` (tests use a short one).
    pub fn with_protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }

    fn cache_key(symbol: &str, as_of: NaiveDate) -> String {
        format!("pred:{symbol}:{as_of}")
    }

    async fn as_of(&self, symbol: &Symbol) -> Result<(NaiveDate, f64), PredictionError> {
        match store::last_bar(&self.pool, symbol.as_str()).await? {
            None => Err(PredictionError::UnknownSymbol(symbol.as_str().into())),
            Some(None) => Err(PredictionError::NoData(symbol.as_str().into())),
            Some(Some(last)) => Ok(last),
        }
    }

    /// Current registry versions of `symbol`; a failing registry is logged and means "none", so
    /// the baselines are still served.
    async fn current_versions(&self, symbol: &str) -> Vec<CurrentVersion> {
        match self.versions.current(symbol).await {
            Ok(v) => v
                .into_iter()
                .filter(|v| SERVED_MODELS.contains(&v.model) && !is_baseline(v.model))
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "model registry unavailable; serving the baselines");
                Vec::new()
            }
        }
    }

    /// Lists every served model: `ready` ones from `ready`, the rest as training or not trained.
    async fn complete(
        &self,
        symbol: &str,
        mut ready: Vec<ModelPrediction>,
    ) -> Vec<ModelPrediction> {
        let training = self.queue.training(symbol).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "job queue unavailable; cannot tell which models are training");
            Vec::new()
        });
        SERVED_MODELS
            .iter()
            .map(
                |&id| match ready.iter().position(|m| m.model == id.as_str()) {
                    Some(i) => ready.swap_remove(i),
                    None if training.contains(&id) => compute::unavailable(
                        id,
                        ModelState::Training,
                        format!("{id} is being trained for {symbol}."),
                    ),
                    None => compute::unavailable(
                        id,
                        ModelState::NotTrainedYet,
                        format!("{id} has not been trained for {symbol} yet."),
                    ),
                },
            )
            .collect()
    }

    /// Computes every model that can predict now (the baselines and each current registry
    /// version), records the predictions and caches the answer. Run by the predict job and when
    /// the queue is unavailable.
    #[tracing::instrument(skip(self), fields(symbol = %symbol.as_str()), err)]
    pub async fn compute_and_record(
        &self,
        symbol: &Symbol,
    ) -> Result<Predictions, PredictionError> {
        let (as_of, last_close) = self.as_of(symbol).await?;
        let bars = app::ssr::db::bars(&self.pool, symbol).await?;
        let mut loaded = Vec::new();
        let mut failed = Vec::new();
        for v in self.current_versions(symbol.as_str()).await {
            match self.versions.load(&v).await {
                Ok(fitted) => loaded.push(ServableModel {
                    model: v.model,
                    version: v.version,
                    skill: v.skill,
                    fitted,
                }),
                Err(e) => {
                    tracing::error!(model = %v.model, version = v.version, error = %e, "cannot load model");
                    failed.push(compute::unavailable(
                        v.model,
                        ModelState::Failed,
                        format!("{} v{} could not be loaded.", v.model, v.version),
                    ));
                }
            }
        }
        let protocol = self.protocol.clone();
        let span = tracing::Span::current();
        // Walk-forward evaluation of the baselines and the fitted models' forecasts are CPU work.
        let ready = tokio::task::spawn_blocking(move || {
            let _enter = span.enter();
            let history = Ohlcv::from_bars(&bars)?;
            let mut models = Vec::new();
            for id in [ModelId::Naive, ModelId::Drift] {
                models.push(compute::fit_baseline(id, &history, &protocol)?);
            }
            models.extend(loaded);
            let out: Vec<ModelPrediction> = models
                .iter()
                .map(|m| {
                    compute::predict(&bars, &history, m).unwrap_or_else(|e| {
                        tracing::error!(model = %m.model, error = %e, "prediction failed");
                        let mut p = compute::unavailable(
                            m.model,
                            ModelState::Failed,
                            format!("{} could not predict from {}.", m.model, bars.len()),
                        );
                        p.version = Some(m.version);
                        p
                    })
                })
                .collect();
            Ok::<_, forecast::Error>(out)
        })
        .await??;
        let mut ready = ready;
        ready.extend(failed);
        store::record(&self.pool, symbol.as_str(), as_of, last_close, &ready).await?;
        let answer = Predictions {
            symbol: symbol.as_str().to_string(),
            as_of: as_of.to_string(),
            last_close,
            models: self.complete(symbol.as_str(), ready).await,
        };
        self.cache
            .set_json(&Self::cache_key(symbol.as_str(), as_of), &answer, CACHE_TTL)
            .await;
        Ok(answer)
    }

    /// Predictions for `symbol`: cached, recorded, queued or (no queue) computed now.
    #[tracing::instrument(skip(self), fields(symbol = %symbol.as_str()), err)]
    pub async fn serve(&self, symbol: &Symbol) -> Result<PredictionsReply, PredictionError> {
        let (as_of, last_close) = self.as_of(symbol).await?;
        let key = Self::cache_key(symbol.as_str(), as_of);
        if let Some(hit) = self.cache.get_json::<Predictions>(&key).await {
            return Ok(PredictionsReply::Ready(hit));
        }
        let current = self.current_versions(symbol.as_str()).await;
        let recorded = store::recorded(&self.pool, symbol.as_str(), as_of).await?;
        if !recorded.is_empty() {
            let stale = current.iter().any(|v| {
                !recorded
                    .iter()
                    .any(|r| r.model == v.model.as_str() && r.version == Some(v.version))
            });
            if stale {
                return Ok(PredictionsReply::Ready(
                    self.compute_and_record(symbol).await?,
                ));
            }
            let answer = Predictions {
                symbol: symbol.as_str().to_string(),
                as_of: as_of.to_string(),
                last_close,
                models: self.complete(symbol.as_str(), recorded).await,
            };
            self.cache.set_json(&key, &answer, CACHE_TTL).await;
            return Ok(PredictionsReply::Ready(answer));
        }
        let missing = missing_models(&current);
        if !missing.is_empty() {
            match self.queue.enqueue(symbol.as_str(), as_of, &missing).await {
                Ok(job) => return Ok(PredictionsReply::Queued(JobAccepted { job_id: job.job_id })),
                Err(e) => {
                    tracing::warn!(error = %e, "job queue unavailable; computing what is current inline")
                }
            }
        }
        Ok(PredictionsReply::Ready(
            self.compute_and_record(symbol).await?,
        ))
    }

    /// Fills actuals of predictions whose target bar is stored (one symbol, or all).
    pub async fn fill_actuals(&self, symbol: Option<&str>) -> Result<u64, PredictionError> {
        Ok(store::fill_actuals(&self.pool, symbol).await?)
    }
}

/// The served models that need training: not a baseline and without a current version.
fn missing_models(current: &[CurrentVersion]) -> Vec<ModelId> {
    SERVED_MODELS
        .into_iter()
        .filter(|&id| !is_baseline(id) && !current.iter().any(|v| v.model == id))
        .collect()
}

#[async_trait]
impl PredictionService for Predictor {
    async fn predictions(&self, symbol: &Symbol) -> Result<PredictionsReply, AppError> {
        Ok(self.serve(symbol).await?)
    }

    async fn precompute(&self, symbol: &Symbol) -> Result<Predictions, AppError> {
        let (as_of, _) = self.as_of(symbol).await?;
        let current = self.current_versions(symbol.as_str()).await;
        let missing = missing_models(&current);
        if !missing.is_empty() {
            if let Err(e) = self.queue.enqueue(symbol.as_str(), as_of, &missing).await {
                tracing::warn!(error = %e, "cannot queue training; computing what is current");
            }
        }
        Ok(self.compute_and_record(symbol).await?)
    }

    async fn job(&self, id: &str) -> Result<JobStatus, AppError> {
        match self.queue.job(id).await {
            Ok(Some(j)) => Ok(j),
            Ok(None) => Err(PredictionError::UnknownJob(id.to_string()).into()),
            Err(e) => {
                tracing::warn!(error = %e, "job queue unavailable");
                Err(AppError::Unavailable(
                    "The job queue is unavailable; try again shortly.".into(),
                ))
            }
        }
    }

    #[tracing::instrument(skip(self), fields(symbol = %symbol.as_str()), err)]
    async fn history(&self, symbol: &Symbol, days: u32) -> Result<PredictionHistory, AppError> {
        if days == 0 || days > MAX_HISTORY_DAYS {
            return Err(AppError::BadRequest(format!(
                "days must be between 1 and {MAX_HISTORY_DAYS}, not {days}."
            )));
        }
        let (as_of, _) = self.as_of(symbol).await?;
        let since = as_of - chrono::Duration::days(i64::from(days));
        let models = store::history(&self.pool, symbol.as_str(), since)
            .await
            .map_err(PredictionError::from)?;
        Ok(PredictionHistory {
            symbol: symbol.as_str().to_string(),
            days,
            models,
        })
    }

    async fn models(&self) -> Result<Vec<ModelVersionSummary>, AppError> {
        let versions = self.versions.list_current().await.map_err(|e| {
            tracing::warn!(error = %e, "model registry unavailable");
            AppError::Unavailable("The model registry is unavailable; try again shortly.".into())
        })?;
        Ok(versions
            .into_iter()
            .map(|v| ModelVersionSummary {
                symbol: v.symbol,
                model: v.model.to_string(),
                version: v.version,
                as_of: v.as_of.to_string(),
                metrics: v.skill.as_ref().map(compute::Skill::to_wire),
            })
            .collect())
    }
}

//! The prediction service: every served model's forecasts from a symbol's last stored bar,
//! answered from Redis, else from the predictions already recorded for that as-of, else by queuing
//! the training that is missing (answering meanwhile with the baselines and the job to follow),
//! or, with no queue, by computing what can be computed now. Every served prediction is recorded,
//! and its actual is filled in when the target bar arrives. Models read the split- and
//! dividend-adjusted series.

pub mod backends;
pub mod compute;
pub mod records;
pub mod sources;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use app::domain::{Caller, HistoryDays, JobId, Symbol, Tier};
use app::model::{
    JobStatus, ModelPrediction, ModelRecord, ModelState, ModelVersionSummary, PredictionHistory,
    Predictions, PricePoint,
};
use app::ssr::{PredictionService, ServiceError};
use async_trait::async_trait;
use forecast::eval::Protocol;
use forecast::registry::ModelId;
use forecast::series::Bar;
use forecast::Ohlcv;
use sqlx::PgPool;

use crate::cache::Cache;
use crate::events::{Event, Events};
use crate::market::store::bars::{self, LastBar};
use crate::ratelimit::DailyBudget;
use crate::telemetry::spawn_blocking_in_span;
use compute::ServableModel;
use sources::{CurrentVersion, ModelVersions, NoQueue, NoRegistry, TrainingQueue};

/// How long a computed answer stays in Redis. The key holds the as-of, so a new bar is a new key;
/// the TTL only bounds how long a newly promoted version waits to be served.
const CACHE_TTL: Duration = Duration::from_secs(600);

/// Trading days of history drawn before the forecasts.
const RECENT_DAYS: usize = 60;

/// Errors of the prediction service.
#[derive(Debug, thiserror::Error)]
pub enum PredictionError {
    /// The ticker is unknown.
    #[error("No data for `{0}`: it is not a ticker we know.")]
    UnknownSymbol(Symbol),
    /// The ticker is known but has no stored bars.
    #[error("`{0}` has no stored prices to predict from yet.")]
    NoData(Symbol),
    /// Postgres failed.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// The blocking task running the models failed.
    #[error("model task failed")]
    Task(#[from] tokio::task::JoinError),
    /// A baseline could not be fitted.
    #[error("forecast error")]
    Forecast(#[from] forecast::Error),
    /// The registry or queue failed.
    #[error("registry or queue")]
    Source(#[from] sources::SourceError),
}

impl From<PredictionError> for ServiceError {
    fn from(e: PredictionError) -> Self {
        match e {
            PredictionError::UnknownSymbol(s) => ServiceError::UnknownSymbol(s),
            PredictionError::NoData(s) => ServiceError::NoData(s),
            PredictionError::Database(e) if app::ssr::ports::database_unreachable(&e) => e.into(),
            other => ServiceError::internal("serving predictions", other),
        }
    }
}

/// Who may queue training, and how much a day.
#[derive(Clone, Debug)]
pub struct TrainingAllowance {
    /// Where the daily counts are kept.
    pub budget: DailyBudget,
    /// Symbols a day per tier (free, pro, admin).
    pub per_tier: [u32; 3],
}

impl TrainingAllowance {
    /// Symbols `caller` may have trained a day; `None` for anonymous callers.
    pub fn per_day(&self, caller: &Caller) -> Option<u32> {
        match caller {
            Caller::Anonymous => None,
            Caller::Member { tier, .. } => Some(match tier {
                Tier::Free => self.per_tier[0],
                Tier::Pro => self.per_tier[1],
                Tier::Admin => self.per_tier[2],
            }),
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
    allowance: Option<TrainingAllowance>,
    events: Events,
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
            events: Events::new(cache.clone()),
            cache,
            versions: Arc::new(NoRegistry),
            queue: Arc::new(NoQueue),
            protocol: Protocol::default(),
            allowance: None,
        }
    }

    /// After new bars of `symbol` are stored (a refresh, a backfill, an import): every instance
    /// forgets what it derived from the old ones, and the predictions waiting for these days get
    /// their actuals. The bars are stored whatever happens here; a miss is filled next time.
    pub async fn bars_stored(&self, symbol: &Symbol) {
        bars_stored(&self.pool, &self.events, symbol).await;
    }

    /// Announces new predictions on `events` (the process's bus, so that its caches hear them).
    pub fn with_events(mut self, events: Events) -> Self {
        self.events = events;
        self
    }

    /// Queues training only within `allowance` (without one, anybody may).
    pub fn with_allowance(mut self, allowance: TrainingAllowance) -> Self {
        self.allowance = Some(allowance);
        self
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

    fn cache_key(symbol: &Symbol, last: &LastBar) -> String {
        format!("pred:{symbol}:{}", last.date)
    }

    fn baselines_key(symbol: &Symbol, last: &LastBar) -> String {
        format!("pred-baselines:{symbol}:{}", last.date)
    }

    async fn last_bar(&self, symbol: &Symbol) -> Result<LastBar, PredictionError> {
        match bars::last_bar(&self.pool, symbol).await? {
            None => Err(PredictionError::UnknownSymbol(symbol.clone())),
            Some(None) => Err(PredictionError::NoData(symbol.clone())),
            Some(Some(last)) => Ok(last),
        }
    }

    /// Current registry versions of `symbol` (served models and the ensemble's members alike); a
    /// failing registry is logged and means "none", so the baselines are still served.
    async fn current_versions(&self, symbol: &Symbol) -> Vec<CurrentVersion> {
        match self.versions.current(symbol).await {
            Ok(v) => v.into_iter().filter(|v| !v.model.is_baseline()).collect(),
            Err(e) => {
                tracing::warn!(error = %e, "model registry unavailable; serving the baselines");
                Vec::new()
            }
        }
    }

    /// Lists every served model: `ready` ones from `ready`, the rest as training or not trained.
    /// `bars`: the length of the history, which says which models it is too short for.
    async fn complete(
        &self,
        symbol: &Symbol,
        mut ready: Vec<ModelPrediction>,
        bars: usize,
    ) -> Vec<ModelPrediction> {
        let training = self.queue.training(symbol).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "job queue unavailable; cannot tell which models are training");
            Vec::new()
        });
        ModelId::served()
            .iter()
            .map(|&id| match ready.iter().position(|m| m.model == id) {
                Some(i) => ready.swap_remove(i),
                None if training.contains(&id) => compute::unavailable(
                    id,
                    ModelState::Training,
                    format!("{id} is being trained for {symbol}."),
                ),
                None if bars < self.bars_needed(id) => compute::unavailable(
                    id,
                    ModelState::InsufficientHistory,
                    format!(
                        "{id} needs {} trading days of history to be evaluated walk-forward; {symbol} has {bars}.",
                        self.bars_needed(id)
                    ),
                ),
                None => compute::unavailable(
                    id,
                    ModelState::NotTrainedYet,
                    format!("{id} has not been trained for {symbol} yet."),
                ),
            })
            .collect()
    }

    /// The history model `id` needs before it is trained: what its walk-forward evaluation runs
    /// on. A shorter one would fail the job, so none is queued.
    fn bars_needed(&self, id: ModelId) -> usize {
        self.protocol.for_model(id).rows_needed()
    }

    /// The adjusted history the models read, and the recent closes the chart shows.
    async fn history(&self, symbol: &Symbol) -> Result<Vec<Bar>, PredictionError> {
        let history = bars::model_history(&self.pool, symbol).await?;
        if history.is_empty() {
            return Err(PredictionError::NoData(symbol.clone()));
        }
        Ok(history)
    }

    fn answer(
        symbol: &Symbol,
        last: &LastBar,
        history: &[Bar],
        models: Vec<ModelPrediction>,
        job_id: Option<JobId>,
    ) -> Predictions {
        Predictions {
            symbol: symbol.clone(),
            as_of: last.date,
            last_close: last.close,
            recent: recent(history),
            models,
            job_id,
        }
    }

    /// Fits and predicts the baselines (and `loaded` versions) on the blocking pool.
    async fn predict_all(
        &self,
        history: Vec<Bar>,
        loaded: Vec<ServableModel>,
    ) -> Result<Vec<ModelPrediction>, PredictionError> {
        let protocol = self.protocol.clone();
        // Walk-forward evaluation of the baselines and the fitted models' forecasts are CPU work.
        let ready = spawn_blocking_in_span(move || {
            let series = Ohlcv::from_bars(&history)?;
            let mut models = Vec::new();
            for &id in ModelId::served().iter().filter(|id| id.is_baseline()) {
                models.push(compute::fit_baseline(id, &series, &protocol)?);
            }
            models.extend(loaded);
            // Every model and horizon shown together is one family for the significance gate.
            let verdicts = compute::verdicts(&models);
            let out: Vec<ModelPrediction> = models
                .iter()
                .map(|m| {
                    compute::predict(&history, &series, m, &verdicts).unwrap_or_else(|e| {
                        tracing::error!(model = %m.model, error = %e, "prediction failed");
                        let mut p = compute::unavailable(
                            m.model,
                            ModelState::Failed,
                            format!("{} could not predict from {}.", m.model, history.len()),
                        );
                        p.version = Some(m.version);
                        p
                    })
                })
                .collect();
            Ok::<_, forecast::Error>(out)
        })
        .await??;
        Ok(ready)
    }

    /// Computes every model that can predict now (the baselines and each current registry
    /// version), records the predictions and caches the answer. Run by the predict job and when
    /// the queue is unavailable.
    // Internal failures are logged once, where they are mapped to an answer; a client error is not one.
    #[tracing::instrument(skip(self), fields(symbol = %symbol), err(level = "debug"))]
    pub async fn compute_and_record(
        &self,
        symbol: &Symbol,
    ) -> Result<Predictions, PredictionError> {
        let last = self.last_bar(symbol).await?;
        let history = self.history(symbol).await?;
        let mut loaded = Vec::new();
        let mut failed = Vec::new();
        let served = self
            .current_versions(symbol)
            .await
            .into_iter()
            .filter(|v| ModelId::served().contains(&v.model));
        for v in served {
            match self.versions.load(&v).await {
                Ok(fitted) => loaded.push(ServableModel {
                    model: v.model,
                    version: v.version,
                    skill: v.skill,
                    calibration: v.calibration,
                    label: v.label,
                    trained: v.trained,
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
        let mut ready = self.predict_all(history.clone(), loaded).await?;
        ready.extend(failed);
        store::record(&self.pool, symbol, last.date, last.close, &ready).await?;
        let models = self.complete(symbol, ready, history.len()).await;
        let answer = Self::answer(symbol, &last, &history, models, None);
        self.cache
            .set_json(&Self::cache_key(symbol, &last), &answer, CACHE_TTL)
            .await;
        self.events
            .publish(Event::PredictionsChanged {
                symbol: symbol.clone(),
            })
            .await;
        Ok(answer)
    }

    /// What can be shown while `job` trains the missing models (or, with no job, what is ready
    /// and `note` saying why the rest is not trained): the baselines (computed once per as-of and
    /// cached, not recorded: the predict job records everything together) beside every other
    /// model's state.
    async fn while_training(
        &self,
        symbol: &Symbol,
        last: &LastBar,
        job: Option<JobId>,
        note: Option<String>,
    ) -> Result<Predictions, PredictionError> {
        let key = Self::baselines_key(symbol, last);
        let history = self.history(symbol).await?;
        let baselines = match self.cache.get_json::<Vec<ModelPrediction>>(&key).await {
            Some(hit) => hit,
            None => {
                let computed = self.predict_all(history.clone(), Vec::new()).await?;
                self.cache.set_json(&key, &computed, CACHE_TTL).await;
                computed
            }
        };
        let mut models = self.complete(symbol, baselines, history.len()).await;
        if let Some(note) = note {
            for m in models
                .iter_mut()
                .filter(|m| m.status == ModelState::NotTrainedYet)
            {
                m.message = Some(note.clone());
            }
        }
        Ok(Self::answer(symbol, last, &history, models, job))
    }

    /// Predictions for `symbol`: cached, recorded, queued (with the baselines meanwhile) or (no
    /// queue) computed now.
    // Internal failures are logged once, where they are mapped to an answer; a client error is not one.
    #[tracing::instrument(skip(self), fields(symbol = %symbol), err(level = "debug"))]
    pub async fn serve(
        &self,
        symbol: &Symbol,
        caller: &Caller,
    ) -> Result<Predictions, PredictionError> {
        let last = self.last_bar(symbol).await?;
        let key = Self::cache_key(symbol, &last);
        if let Some(hit) = self.cache.get_json::<Predictions>(&key).await {
            return Ok(hit);
        }
        let current = self.current_versions(symbol).await;
        let recorded = store::recorded(&self.pool, symbol, last.date).await?;
        if !recorded.is_empty() {
            let stale = current
                .iter()
                .filter(|v| ModelId::served().contains(&v.model))
                .any(|v| {
                    !recorded
                        .iter()
                        .any(|r| r.model == v.model && r.version == Some(v.version))
                });
            if stale {
                return self.compute_and_record(symbol).await;
            }
            let history = self.history(symbol).await?;
            let models = self.complete(symbol, recorded, history.len()).await;
            let answer = Self::answer(symbol, &last, &history, models, None);
            self.cache.set_json(&key, &answer, CACHE_TTL).await;
            return Ok(answer);
        }
        let mut missing = missing_models(&current);
        if !missing.is_empty() {
            // Only what the history can evaluate is queued; the rest says what it needs.
            let bars = bars::bar_count(&self.pool, symbol).await? as usize;
            missing.retain(|&id| bars >= self.bars_needed(id));
        }
        if !missing.is_empty() {
            if let Some(refusal) = self.may_train(symbol, caller, &missing).await {
                return self
                    .while_training(symbol, &last, None, Some(refusal))
                    .await;
            }
            match self.queue.enqueue(symbol, last.date, &missing).await {
                Ok(job) => {
                    return self
                        .while_training(symbol, &last, Some(job.job_id), None)
                        .await
                }
                Err(e) => {
                    tracing::warn!(error = %e, "job queue unavailable; computing what is current inline")
                }
            }
        }
        self.compute_and_record(symbol).await
    }

    /// Why `caller` may not queue the training of `missing` for `symbol`, if it may not: anonymous
    /// callers queue none, members within their daily budget of symbols (a symbol counts once a
    /// day; joining training someone else queued is free).
    async fn may_train(
        &self,
        symbol: &Symbol,
        caller: &Caller,
        missing: &[ModelId],
    ) -> Option<String> {
        let allowance = self.allowance.as_ref()?;
        let Some(per_day) = allowance.per_day(caller) else {
            return Some(format!(
                "Log in or use an API key to have this model trained for {symbol}."
            ));
        };
        let training = self.queue.training(symbol).await.unwrap_or_default();
        if missing.iter().all(|m| training.contains(m)) {
            return None;
        }
        let who = caller.user().map_or_else(String::new, |u| u.to_string());
        if allowance.budget.spend(&who, symbol.as_str(), per_day).await {
            return None;
        }
        Some(format!(
            "Your daily training budget ({per_day} symbols) is used up; it renews at midnight UTC."
        ))
    }

    /// Fills actuals of predictions whose target bar is stored (one symbol, or all).
    pub async fn fill_actuals(&self, symbol: Option<&Symbol>) -> Result<u64, PredictionError> {
        Ok(store::fill_actuals(&self.pool, symbol).await?)
    }
}

/// The last [`RECENT_DAYS`] closes of `history`.
fn recent(history: &[Bar]) -> Vec<PricePoint> {
    history[history.len().saturating_sub(RECENT_DAYS)..]
        .iter()
        .map(|b| PricePoint {
            date: b.date,
            close: b.close,
        })
        .collect()
}

/// The models to train for the served ones: every served model that is not a baseline, and the
/// ensemble's members (it is combined from their records), without a current version. The
/// ensemble comes last, after the members it waits for.
fn missing_models(current: &[CurrentVersion]) -> Vec<ModelId> {
    let mut wanted: Vec<ModelId> = ensemble_members();
    wanted.extend(ModelId::served().iter().copied());
    let mut out: Vec<ModelId> = Vec::new();
    for id in wanted {
        if !id.is_baseline() && !out.contains(&id) && !current.iter().any(|v| v.model == id) {
            out.push(id);
        }
    }
    out.sort_by_key(|&id| id == ModelId::Ensemble);
    out
}

/// [`Predictor::bars_stored`] for a process without a prediction service (`server import`).
pub async fn bars_stored(pool: &PgPool, events: &Events, symbol: &Symbol) {
    // Actuals first: whoever hears of the new bars (a range alert) finds them filled.
    match store::fill_actuals(pool, Some(symbol)).await {
        Ok(filled) => tracing::info!(filled, "prediction actuals filled"),
        Err(e) => tracing::warn!(error = %e, "prediction actuals not filled"),
    }
    events
        .publish(Event::BarsChanged {
            symbol: symbol.clone(),
        })
        .await;
}

/// The models the served ensemble is combined from.
fn ensemble_members() -> Vec<ModelId> {
    match forecast::registry::ModelSpec::default_for(ModelId::Ensemble, 0) {
        Ok(forecast::registry::ModelSpec::Ensemble(e)) => {
            e.members.iter().map(|m| m.id()).collect()
        }
        _ => Vec::new(),
    }
}

#[async_trait]
impl PredictionService for Predictor {
    async fn predictions(
        &self,
        symbol: &Symbol,
        caller: &Caller,
    ) -> Result<Predictions, ServiceError> {
        Ok(self.serve(symbol, caller).await?)
    }

    async fn precompute(&self, symbol: &Symbol) -> Result<Predictions, ServiceError> {
        let last = self.last_bar(symbol).await?;
        let current = self.current_versions(symbol).await;
        let missing = missing_models(&current);
        if !missing.is_empty() {
            if let Err(e) = self.queue.enqueue(symbol, last.date, &missing).await {
                tracing::warn!(error = %e, "cannot queue training; computing what is current");
            }
        }
        Ok(self.compute_and_record(symbol).await?)
    }

    async fn job(&self, id: JobId) -> Result<JobStatus, ServiceError> {
        match self.queue.job(id).await {
            Ok(Some(j)) => Ok(j),
            Ok(None) => Err(ServiceError::UnknownJob(id)),
            Err(e) => {
                tracing::warn!(error = %e, "job queue unavailable");
                Err(ServiceError::Unavailable(
                    "The job queue is unavailable; try again shortly.".into(),
                ))
            }
        }
    }

    // Internal failures are logged once, where they are mapped to an answer; a client error is not one.
    #[tracing::instrument(skip(self), fields(symbol = %symbol), err(level = "debug"))]
    async fn history(
        &self,
        symbol: &Symbol,
        days: HistoryDays,
    ) -> Result<PredictionHistory, ServiceError> {
        let last = self.last_bar(symbol).await?;
        let since = last.date - chrono::Duration::days(i64::from(days.get()));
        let models = store::history(&self.pool, symbol, since)
            .await
            .map_err(PredictionError::from)?;
        Ok(PredictionHistory {
            symbol: symbol.clone(),
            days: days.get(),
            models,
        })
    }

    async fn models(&self) -> Result<Vec<ModelVersionSummary>, ServiceError> {
        let versions = self.versions.list_current().await.map_err(|e| {
            tracing::warn!(error = %e, "model registry unavailable");
            ServiceError::Unavailable(
                "The model registry is unavailable; try again shortly.".into(),
            )
        })?;
        // Each symbol's current versions are one family for the gate, as its page shows them.
        let mut out = Vec::with_capacity(versions.len());
        for group in versions.chunk_by(|a, b| a.symbol == b.symbol) {
            let verdicts = compute::verdicts_of(
                group
                    .iter()
                    .filter_map(|v| v.skill.as_ref().map(|s| (v.model, s))),
            );
            out.extend(group.iter().map(|v| ModelVersionSummary {
                symbol: v.symbol.clone(),
                model: v.model,
                version: v.version,
                as_of: v.as_of,
                metrics: v.skill.as_ref().map(|s| s.to_wire(v.model, &verdicts)),
            }));
        }
        Ok(out)
    }

    async fn model_records(&self, symbol: &Symbol) -> Result<Vec<ModelRecord>, ServiceError> {
        // An unknown ticker is a 404, not an empty page.
        self.last_bar(symbol).await?;
        let versions = self.versions.all(symbol).await.map_err(|e| {
            tracing::warn!(error = %e, "model registry unavailable");
            ServiceError::Unavailable(
                "The model registry is unavailable; try again shortly.".into(),
            )
        })?;
        Ok(records::model_records(versions))
    }

    async fn roll_back(
        &self,
        symbol: &Symbol,
        model: ModelId,
        version: i32,
    ) -> Result<(), ServiceError> {
        let rolled = self
            .versions
            .roll_back(symbol, model, version)
            .await
            .map_err(|e| ServiceError::internal("rolling back a model version", e))?;
        if !rolled {
            return Err(ServiceError::InvalidInput(format!(
                "{symbol} has no version {version} of {}.",
                model.label()
            )));
        }
        // The cached answer names the old version: compute (and record) it again with the one now
        // current.
        if let Err(e) = self.compute_and_record(symbol).await {
            tracing::warn!(error = %e, "predictions not recomputed after a rollback");
        }
        Ok(())
    }
}

//! Training and backtest jobs: load the adjusted bars, evaluate walk-forward (out of sample, with
//! per-refit progress), fit the final model on the latest data, calibrate its direction calls and
//! backtest its one-day strategy from the same record, store the artifact, register the version.
//!
//! The ensemble is not refitted member by member: it is combined from its members' walk-forward
//! records and fitted members, which their own training jobs stored (the random walk and drift,
//! cheap, are evaluated on the spot).

use std::time::Duration;

use chrono::Utc;
use forecast::eval::{walk_forward, walk_forward_and_fit, Backtest, Protocol};
use forecast::registry::{Artifact, FittedModel, ModelId, ModelSpec};
use forecast::strategy::{backtest_strategy, StrategyParams};
use forecast::Ohlcv;
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use super::progress::Progress;
use crate::jobs::{store as job_store, JobError, JobRecord};
use crate::market::store::bars;
use crate::registry::{
    calibrate, BacktestRecord, Evaluation, HorizonMetrics, ModelVersion, NewVersion, Registry,
};
use crate::telemetry::spawn_blocking_in_span;

/// Seed of the randomised models (forest, boosting, LSTM): fixed, so a retrain on the same data
/// reproduces the same model.
const SEED: u64 = 0;

/// How long an ensemble job waits for its members' training before it gives the slot back and
/// retries later.
const MEMBER_WAIT: Duration = Duration::from_secs(600);

/// What training and backtest jobs need: the bars, the registry and the evaluation protocol.
pub(super) struct Trainer {
    pool: PgPool,
    registry: Registry,
    protocol: Protocol,
}

struct Prepared {
    model: ModelId,
    spec: ModelSpec,
    series: Ohlcv,
}

/// A walk-forward run and what it scored.
struct Evaluated {
    record: Backtest,
    evaluation: Evaluation,
}

impl Trainer {
    pub(super) fn new(pool: PgPool, registry: Registry, protocol: Protocol) -> Self {
        Self {
            pool,
            registry,
            protocol,
        }
    }

    async fn prepare(&self, job: &JobRecord, progress: &Progress) -> Result<Prepared, JobError> {
        let model = job
            .model
            .ok_or_else(|| JobError::InvalidInput("this job needs a model".into()))?;
        progress.set(2, "loading price history").await?;
        let bars = bars::model_history(&self.pool, &job.symbol).await?;
        if bars.is_empty() {
            return Err(JobError::UnknownSymbol(job.symbol.clone()));
        }
        let series = Ohlcv::from_bars(&bars)?;
        let spec = ModelSpec::default_for(model, SEED)?;
        Ok(Prepared {
            model,
            spec,
            series,
        })
    }

    /// Walk-forward evaluation of `spec` with progress mapped onto `from..to` percent.
    async fn evaluate(
        &self,
        spec: &ModelSpec,
        series: &Ohlcv,
        progress: &Progress,
        (from, to): (i16, i16),
    ) -> Result<Evaluated, JobError> {
        let protocol = self.protocol.for_model(spec.id());
        // Fail fast, before any thread starts, when the history is too short for the protocol.
        protocol.origin_range(series.len())?;
        progress.set(from, "walk-forward evaluation").await?;
        let (callback, writer) = progress.reporter(from, to, "walk-forward evaluation");
        let (spec, series) = (spec.clone(), series.clone());
        let record =
            spawn_blocking_in_span(move || walk_forward(&spec, &series, &protocol, &callback))
                .await
                .map_err(|e| JobError::InvalidInput(format!("evaluation stopped: {e}")))??;
        // The callback is gone with the closure; let the writer flush its last figure so it cannot
        // overwrite the next step.
        let _ = writer.await;
        let evaluation = evaluation_of(&record)?;
        Ok(Evaluated { record, evaluation })
    }

    /// [`Self::evaluate`] and the final fit on the whole series, the fit running beside the
    /// walk-forward's refits on the same threads (so the fit costs no wall time of its own).
    async fn evaluate_and_fit(
        &self,
        spec: &ModelSpec,
        series: &Ohlcv,
        progress: &Progress,
        (from, to): (i16, i16),
    ) -> Result<(Evaluated, FittedModel), JobError> {
        let protocol = self.protocol.for_model(spec.id());
        protocol.origin_range(series.len())?;
        progress
            .set(from, "walk-forward evaluation and the final fit")
            .await?;
        let (callback, writer) = progress.reporter(from, to, "walk-forward evaluation");
        let (spec, series) = (spec.clone(), series.clone());
        let (record, fitted) = spawn_blocking_in_span(move || {
            walk_forward_and_fit(&spec, &series, &protocol, &callback)
        })
        .await
        .map_err(|e| JobError::InvalidInput(format!("evaluation stopped: {e}")))??;
        let _ = writer.await;
        let evaluation = evaluation_of(&record)?;
        Ok((Evaluated { record, evaluation }, fitted))
    }

    /// `train(symbol, model)`: returns the job result `{version_id, version, status, artifact_key}`.
    pub(super) async fn train(
        &self,
        job: &JobRecord,
        progress: &Progress,
        tx: &mut Transaction<'_, Postgres>,
    ) -> Result<serde_json::Value, JobError> {
        let p = self.prepare(job, progress).await?;
        let (evaluated, fitted) = match &p.spec {
            ModelSpec::Ensemble(_) => self.combine_members(job, &p, progress).await?,
            spec => {
                self.evaluate_and_fit(spec, &p.series, progress, (5, 80))
                    .await?
            }
        };

        progress
            .set(
                88,
                "calibrating the direction calls and backtesting the strategy",
            )
            .await?;
        let (calibration, strategy) = {
            let (record, series) = (evaluated.record.clone(), p.series.clone());
            spawn_blocking_in_span(move || {
                let calibration = calibrate(&record, &series);
                let strategy = backtest_strategy(&record, &StrategyParams::default())
                    .map_err(|e| tracing::info!(error = %e, "no strategy backtest"))
                    .ok();
                (calibration, strategy)
            })
            .await
            .map_err(|e| JobError::InvalidInput(format!("calibration stopped: {e}")))?
        };
        let current_on_same_origins = self
            .current_on_same_origins(job, &p, &evaluated, progress)
            .await?;

        progress.set(93, "storing the model artifact").await?;
        let id = Uuid::new_v4();
        let key = Registry::artifact_key(&job.symbol, p.model, id);
        let label = Some(fitted.label()).filter(|l| l != p.model.label());
        let stored = self
            .registry
            .store()
            .put(&key, &Artifact::new(p.model, fitted))
            .await?;

        progress.set(98, "registering the version").await?;
        let dates = p.series.dates();
        let version = Registry::record(
            tx,
            NewVersion {
                id,
                symbol: job.symbol.clone(),
                model: p.model,
                params: serde_json::to_value(&p.spec)
                    .map_err(|e| JobError::InvalidInput(format!("parameters: {e}")))?,
                data_first: dates[0],
                data_last: dates[dates.len() - 1],
                rows: i32::try_from(p.series.len()).unwrap_or(i32::MAX),
                evaluation: evaluated.evaluation,
                artifact: stored,
                job_id: Some(job.id),
                record: evaluated.record,
                label,
                calibration,
                strategy,
                current_on_same_origins,
            },
        )
        .await?;
        Ok(serde_json::json!({
            "version_id": version.id,
            "version": version.version,
            "status": version.status,
            "score": version.score,
            "artifact_key": version.artifact_key,
        }))
    }

    /// The current version's score on the candidate's origins, when the two were evaluated on
    /// different windows: promotion compares like with like. A current version with the same
    /// specification would score exactly what the candidate scored (the walk-forward refits from
    /// the specification, deterministically), so only a different specification is re-run.
    async fn current_on_same_origins(
        &self,
        job: &JobRecord,
        p: &Prepared,
        candidate: &Evaluated,
        progress: &Progress,
    ) -> Result<Option<Option<f64>>, JobError> {
        let Some(current) = self.registry.current_for(&job.symbol, p.model).await? else {
            return Ok(None);
        };
        let (c, e) = (&candidate.evaluation, &current.evaluation);
        if (c.first, c.last, c.origins) == (e.first, e.last, e.origins) {
            return Ok(None);
        }
        let candidate_params = serde_json::to_value(&p.spec).ok();
        if candidate_params.as_ref() == Some(&current.params) {
            return Ok(Some(c.score()));
        }
        let Ok(spec) = serde_json::from_value::<ModelSpec>(current.params.clone()) else {
            tracing::warn!(
                version = current.version,
                "current version's parameters no longer parse; comparing stored scores"
            );
            return Ok(None);
        };
        progress
            .set(82, "re-scoring the current version on the same origins")
            .await?;
        let again = self.evaluate(&spec, &p.series, progress, (82, 87)).await?;
        Ok(Some(again.evaluation.score()))
    }

    /// The ensemble's record and fitted model, combined from its members': each non-baseline
    /// member's current version must have been trained on the same data (same last bar, same
    /// origins); the baselines are evaluated here, in milliseconds.
    async fn combine_members(
        &self,
        job: &JobRecord,
        p: &Prepared,
        progress: &Progress,
    ) -> Result<(Evaluated, FittedModel), JobError> {
        let ModelSpec::Ensemble(ensemble) = &p.spec else {
            return Err(JobError::InvalidInput("not an ensemble".into()));
        };
        let last = p.series.dates()[p.series.len() - 1];
        let mut records = Vec::new();
        let mut fitted = Vec::new();
        for member in &ensemble.members {
            let id = member.id();
            progress
                .set(10, &format!("collecting the record of {}", id.label()))
                .await?;
            if id.is_baseline() {
                let (record, fit) = self
                    .evaluate_and_fit(member, &p.series, progress, (10, 10))
                    .await?;
                records.push(record.record);
                fitted.push(fit);
                continue;
            }
            let version = self.member_version(job, id, last, progress).await?;
            let record = self
                .registry
                .walk_forward_record(version.id)
                .await?
                .ok_or_else(|| {
                    JobError::Dependency(format!(
                        "{id} version {} has no walk-forward record; it is being retrained",
                        version.version
                    ))
                })?;
            fitted.push(self.registry.load(&version).await?);
            records.push(record);
        }
        progress.set(60, "combining the members' records").await?;
        let (ensemble, series) = (ensemble.clone(), p.series.clone());
        let (record, combined) = spawn_blocking_in_span(move || {
            let refs: Vec<&Backtest> = records.iter().collect();
            let combined = ensemble.backtest_from_members(&series, &refs)?;
            let model = ensemble.fit_from_members(&series, fitted, &refs)?;
            Ok::<_, forecast::Error>((combined.backtest, model))
        })
        .await
        .map_err(|e| JobError::InvalidInput(format!("combination stopped: {e}")))??;
        let evaluation = evaluation_of(&record)?;
        Ok((
            Evaluated { record, evaluation },
            FittedModel::Ensemble(combined),
        ))
    }

    /// The current version of member `id` trained on data up to `last`, waiting while its
    /// training job is queued or running (bounded; the job is retried after that).
    async fn member_version(
        &self,
        job: &JobRecord,
        id: ModelId,
        last: chrono::NaiveDate,
        progress: &Progress,
    ) -> Result<ModelVersion, JobError> {
        let deadline = tokio::time::Instant::now() + MEMBER_WAIT;
        loop {
            if let Some(v) = self.registry.current_for(&job.symbol, id).await? {
                if v.data_last == last {
                    return Ok(v);
                }
            }
            let training = job_store::training_models(&self.pool, &job.symbol).await?;
            if !training.contains(&id) {
                return Err(JobError::Dependency(format!(
                    "the ensemble needs {} trained on the data up to {last}, and no training of it is queued",
                    id.label()
                )));
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(JobError::Dependency(format!(
                    "still waiting for {} to be trained",
                    id.label()
                )));
            }
            progress
                .set(10, &format!("waiting for {} to be trained", id.label()))
                .await?;
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }

    /// `backtest(symbol, model)`: evaluation only, stored on the current version when there is one;
    /// returns `{version_id, evaluation}`.
    pub(super) async fn backtest(
        &self,
        job: &JobRecord,
        progress: &Progress,
        tx: &mut Transaction<'_, Postgres>,
    ) -> Result<serde_json::Value, JobError> {
        let p = self.prepare(job, progress).await?;
        let evaluated = self.evaluate(&p.spec, &p.series, progress, (5, 95)).await?;
        let dates = p.series.dates();
        let record = BacktestRecord {
            at: Utc::now(),
            data_last: dates[dates.len() - 1],
            evaluation: evaluated.evaluation,
        };
        let current = self.registry.current_for(&job.symbol, p.model).await?;
        if let Some(v) = &current {
            self.registry.set_backtest(tx, v.id, &record).await?;
        }
        Ok(serde_json::json!({
            "version_id": current.map(|v| v.id),
            "evaluation": record.evaluation,
            "score": record.evaluation.score(),
        }))
    }
}

fn evaluation_of(bt: &Backtest) -> Result<Evaluation, JobError> {
    let horizons = bt
        .metrics()?
        .into_iter()
        .map(|(h, metrics)| HorizonMetrics {
            h: h.get(),
            metrics,
        })
        .collect();
    let (Some(first), Some(last)) = (bt.dates.first(), bt.dates.last()) else {
        return Err(JobError::InvalidInput(
            "the evaluation has no origins".into(),
        ));
    };
    Ok(Evaluation {
        first: *first,
        last: *last,
        origins: i32::try_from(bt.origins.len()).unwrap_or(i32::MAX),
        horizons,
    })
}

//! Training and backtest jobs: load the bars, evaluate walk-forward (out of sample, per-refit
//! progress), fit the final model on the latest data, store the artifact, register the version.

use chrono::Utc;
use forecast::eval::{walk_forward, Backtest, Protocol};
use forecast::registry::{Artifact, ModelId, ModelSpec};
use forecast::{Fit, Ohlcv};
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use super::progress::Progress;
use crate::jobs::{JobError, JobRecord};
use crate::market::store::bars;
use crate::registry::{BacktestRecord, Evaluation, HorizonMetrics, NewVersion, Registry};
use crate::telemetry::spawn_blocking_in_span;

/// What training and backtest jobs need: the bars, the registry and the evaluation protocol.
pub(super) struct Trainer {
    pool: PgPool,
    registry: Registry,
    protocol: Protocol,
}

/// Seed of the randomised models (forest, boosting, LSTM): fixed, so a retrain on the same data
/// reproduces the same model.
const SEED: u64 = 0;

struct Prepared {
    model: ModelId,
    spec: ModelSpec,
    series: Ohlcv,
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

    /// Walk-forward evaluation with progress mapped onto `from..to` percent.
    async fn evaluate(
        &self,
        p: &Prepared,
        progress: &Progress,
        from: i16,
        to: i16,
    ) -> Result<Evaluation, JobError> {
        let protocol = self.protocol.for_model(p.model);
        // Fail fast, before any thread starts, when the history is too short for the protocol.
        protocol.origin_range(p.series.len())?;
        progress.set(from, "walk-forward evaluation").await?;
        let (callback, writer) = progress.reporter(from, to, "walk-forward evaluation");
        let (spec, series) = (p.spec.clone(), p.series.clone());
        let backtest =
            spawn_blocking_in_span(move || walk_forward(&spec, &series, &protocol, &callback))
                .await
                .map_err(|e| JobError::InvalidInput(format!("evaluation stopped: {e}")))??;
        // The callback is gone with the closure; let the writer flush its last figure so it cannot
        // overwrite the next step.
        let _ = writer.await;
        evaluation_of(&backtest)
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

/// `train(symbol, model)`: returns the job result `{version_id, version, status, artifact_key}`.
impl Trainer {
    pub(super) async fn train(
        &self,
        job: &JobRecord,
        tx: &mut Transaction<'_, Postgres>,
    ) -> Result<serde_json::Value, JobError> {
        let progress = Progress::new(self.pool.clone(), job.id);
        let p = self.prepare(job, &progress).await?;
        let evaluation = self.evaluate(&p, &progress, 5, 85).await?;

        progress
            .set(85, "fitting the final model on the latest data")
            .await?;
        let (spec, series) = (p.spec.clone(), p.series.clone());
        let fitted = spawn_blocking_in_span(move || spec.fit(&series))
            .await
            .map_err(|e| JobError::InvalidInput(format!("fit stopped: {e}")))??;

        progress.set(93, "storing the model artifact").await?;
        let id = Uuid::new_v4();
        let key = Registry::artifact_key(&job.symbol, p.model, id);
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
                evaluation,
                artifact: stored,
                job_id: Some(job.id),
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

    /// `backtest(symbol, model)`: evaluation only, stored on the current version when there is one;
    /// returns `{version_id, evaluation}`.
    pub(super) async fn backtest(
        &self,
        job: &JobRecord,
        tx: &mut Transaction<'_, Postgres>,
    ) -> Result<serde_json::Value, JobError> {
        let progress = Progress::new(self.pool.clone(), job.id);
        let p = self.prepare(job, &progress).await?;
        let evaluation = self.evaluate(&p, &progress, 5, 95).await?;
        let dates = p.series.dates();
        let record = BacktestRecord {
            at: Utc::now(),
            data_last: dates[dates.len() - 1],
            evaluation,
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

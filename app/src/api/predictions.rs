//! Server functions of the predict page: every model's predictions (with the training job to follow
//! while models are being trained), a job's real progress, and the predicted-vs-actual record.
//! They call the same [`crate::ssr::PredictionService`] as `/api/v1/predictions`, so the page and
//! the API agree.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{JobStatus, ModelsOverview, PredictionHistory, Predictions};

/// Predictions of every model from the last stored bar; while models are being trained, what is
/// ready and the job to follow.
#[server(name = GetPredictions, endpoint = "predictions")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn predictions(symbol: String) -> Result<Predictions, AppError> {
    let symbol = super::market::parse_known_format(&symbol)?;
    let caller = crate::ssr::caller().await?;
    Ok(crate::ssr::ctx()?
        .predictions
        .predictions(&symbol, &caller)
        .await?)
}

/// A training or prediction job's status, progress (0–100) and current step.
#[server(name = GetPredictionJob, endpoint = "prediction_job")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn prediction_job(id: String) -> Result<JobStatus, AppError> {
    let id = crate::domain::JobId::parse(&id).map_err(AppError::BadRequest)?;
    Ok(crate::ssr::ctx()?.predictions.job(id).await?)
}

/// Recorded predictions against actuals for target dates in the last `days` days.
#[server(name = GetPredictionHistory, endpoint = "prediction_history")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn prediction_history(symbol: String, days: u32) -> Result<PredictionHistory, AppError> {
    let symbol = super::market::parse_known_format(&symbol)?;
    let days = crate::domain::HistoryDays::new(days).map_err(AppError::BadRequest)?;
    Ok(crate::ssr::ctx()?
        .predictions
        .history(&symbol, days)
        .await?)
}

/// Every trained version of every model of `symbol` (newest first), the current versions'
/// reliability and strategy backtests, and whether the viewer may roll a version back.
#[server(name = GetModelRecords, endpoint = "model_records")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn model_records(symbol: String) -> Result<ModelsOverview, AppError> {
    let symbol = super::market::parse_known_format(&symbol)?;
    let caller = crate::ssr::caller().await?;
    let models = crate::ssr::ctx()?
        .predictions
        .model_records(&symbol)
        .await?;
    Ok(ModelsOverview {
        symbol,
        models,
        can_roll_back: caller.is_admin(),
    })
}

/// Makes `version` of `symbol`'s `model` current again. Administrators only; the predictions
/// are computed again with it at once.
#[server(name = RollBackModel, endpoint = "roll_back_model")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn roll_back_model(symbol: String, model: String, version: i32) -> Result<(), AppError> {
    let symbol = super::market::parse_known_format(&symbol)?;
    let model: crate::model::ModelId = model
        .parse()
        .map_err(|_| AppError::BadRequest(format!("`{model}` is not one of our models.")))?;
    if !crate::ssr::caller().await?.is_admin() {
        return Err(AppError::Unauthorized(
            "Only an administrator can roll a model back.".into(),
        ));
    }
    crate::ssr::ctx()?
        .predictions
        .roll_back(&symbol, model, version)
        .await?;
    // A form posted without JavaScript comes back to the page.
    leptos_axum::redirect(&format!("/models/{}", symbol.url_segment()));
    Ok(())
}

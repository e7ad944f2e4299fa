//! `GET /api/v1/history/{symbol}?days=N`: recorded predictions against what happened.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;

use app::domain::HistoryDays;
use app::model::PredictionHistory;

use super::error::{ApiError, ErrorBody};
use super::extract::path_symbol;
use crate::routes::AppState;

/// Target dates this many calendar days back from the last bar, unless `?days=` says otherwise.
const DEFAULT_DAYS: u32 = 30;

/// `?days=`.
#[derive(Debug, Deserialize)]
pub struct DaysQuery {
    days: Option<u32>,
}

/// Predicted against actual per model, with the running MAE and MAE over the random walk's.
#[utoipa::path(
    get,
    path = "/api/v1/history/{symbol}",
    tag = "predictions",
    params(
        ("symbol" = app::domain::Symbol, Path, description = "Ticker symbol (`^` as `%5E`)"),
        ("days" = Option<u32>, Query, description = "Calendar days of target dates before the last bar (default 30)", minimum = 1, maximum = 3660),
    ),
    responses(
        (status = 200, description = "Recorded predictions and their errors", body = PredictionHistory),
        (status = 400, description = "Malformed symbol or days", body = ErrorBody),
        (status = 404, description = "Unknown symbol", body = ErrorBody),
    )
)]
pub async fn history(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<DaysQuery>, QueryRejection>,
) -> Result<Json<PredictionHistory>, ApiError> {
    let symbol = path_symbol(path)?;
    let Query(q) = query.map_err(|e| {
        ApiError::bad_request(format!("days must be a whole number: {}", e.body_text()))
    })?;
    let days = HistoryDays::new(q.days.unwrap_or(DEFAULT_DAYS)).map_err(ApiError::bad_request)?;
    Ok(Json(state.ctx.predictions.history(&symbol, days).await?))
}

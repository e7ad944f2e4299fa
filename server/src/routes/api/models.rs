//! `GET /api/v1/models`: the current model versions and their walk-forward records.

use axum::extract::State;
use axum::Json;

use app::model::ModelVersionSummary;

use super::error::{ApiError, ErrorBody};
use crate::routes::AppState;

/// Every current (symbol, model) version with its out-of-sample metrics.
#[utoipa::path(
    get,
    path = "/api/v1/models",
    tag = "predictions",
    responses(
        (status = 200, description = "Current versions", body = Vec<ModelVersionSummary>),
        (status = 503, description = "The registry is down", body = ErrorBody),
    )
)]
pub async fn models(
    State(state): State<AppState>,
) -> Result<Json<Vec<ModelVersionSummary>>, ApiError> {
    Ok(Json(state.ctx.predictions.models().await?))
}

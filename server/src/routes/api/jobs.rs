//! `GET /api/v1/jobs/{id}`: a background job's status, progress and step, for polling.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use app::error::AppError;
use app::model::JobStatus;

use super::error::ApiError;
use crate::routes::AppState;

/// A job's status: `queued`, `running`, `done` or `failed`, with progress 0–100.
#[utoipa::path(
    get,
    path = "/api/v1/jobs/{id}",
    tag = "predictions",
    params(("id" = String, Path, description = "Job id (a UUID)")),
    responses(
        (status = 200, description = "The job", body = JobStatus),
        (status = 400, description = "Not a job id", body = super::openapi::ErrorBody),
        (status = 404, description = "No such job", body = super::openapi::ErrorBody),
        (status = 503, description = "The job queue is down", body = super::openapi::ErrorBody),
    )
)]
pub async fn job(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(raw) = path.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let id = uuid::Uuid::parse_str(raw.trim())
        .map_err(|_| AppError::BadRequest(format!("`{raw}` is not a job id.")))?;
    match state.ctx.predictions.job(&id.to_string()).await {
        Ok(j) => Ok(Json(j).into_response()),
        Err(AppError::NotFound(m)) => Err(ApiError::new(StatusCode::NOT_FOUND, "unknown_job", m)),
        Err(e) => Err(e.into()),
    }
}

//! `GET /api/v1/jobs/{id}`: a background job's status, progress and step, for polling.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::Json;

use app::model::JobStatus;

use super::error::{ApiError, ErrorBody};
use super::extract::path_job_id;
use crate::routes::AppState;

/// A job's status: `queued`, `running`, `done` or `failed`, with progress 0–100.
#[utoipa::path(
    get,
    path = "/api/v1/jobs/{id}",
    tag = "predictions",
    params(("id" = uuid::Uuid, Path, description = "Job id, as the 202 answer gave it")),
    responses(
        (status = 200, description = "The job", body = JobStatus),
        (status = 400, description = "Not a job id", body = ErrorBody),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 503, description = "The job queue is down", body = ErrorBody),
    )
)]
pub async fn job(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<JobStatus>, ApiError> {
    let id = path_job_id(path)?;
    Ok(Json(state.ctx.predictions.job(id).await?))
}

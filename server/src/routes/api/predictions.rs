//! `GET /api/v1/predictions/{symbol}`, `POST /api/v1/predictions/batch` and the admin-only
//! `POST /api/v1/admin/precompute`: every model's forecasts, or the job that is training them.

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use app::domain::{JobId, Symbol};
use app::model::Predictions;
use app::ssr::{PredictionService, ServiceError};

use super::error::{ApiError, ErrorBody};
use super::extract::path_symbol;
use crate::routes::AppState;

/// Most symbols one batch or precompute request may name.
pub const MAX_BATCH: usize = 50;

/// 200 with every model; 202 (with `Location` of the job) while models are being trained, the
/// body holding what is ready so far and the `job_id` to poll.
fn reply(p: Predictions) -> Response {
    match p.job_id {
        None => Json(p).into_response(),
        Some(job) => (
            StatusCode::ACCEPTED,
            [(header::LOCATION, format!("/api/v1/jobs/{job}"))],
            Json(p),
        )
            .into_response(),
    }
}

/// Every model's predictions for h = 1, 2, 5 trading days from the last stored bar; 202 with the
/// baselines and a job id while the other models are being trained.
#[utoipa::path(
    get,
    path = "/api/v1/predictions/{symbol}",
    tag = "predictions",
    params(("symbol" = String, Path, description = "Ticker symbol", example = "GOOG")),
    responses(
        (status = 200, description = "Predictions of every served model", body = Predictions),
        (status = 202, description = "Training queued: what is ready so far, and the job to poll", body = Predictions),
        (status = 400, description = "Malformed symbol", body = ErrorBody),
        (status = 404, description = "Unknown symbol", body = ErrorBody),
        (status = 503, description = "A dependency is down", body = ErrorBody),
    )
)]
pub async fn predictions(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let symbol = path_symbol(path)?;
    Ok(reply(state.ctx.predictions.predictions(&symbol).await?))
}

/// The symbols of a batch or precompute request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SymbolList {
    /// Ticker symbols, at most 50.
    #[schema(example = json!(["GOOG", "MSFT"]))]
    pub symbols: Vec<String>,
}

/// One symbol's outcome in a batch.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchItem {
    /// The symbol as asked.
    pub symbol: String,
    /// `ready`, `queued` or `error`.
    pub status: String,
    /// The predictions, when ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predictions: Option<Predictions>,
    /// The job to poll, when queued.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub job_id: Option<JobId>,
    /// What went wrong for this symbol (unknown, malformed, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Outcomes in request order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchReply {
    /// One item per requested symbol.
    pub results: Vec<BatchItem>,
}

fn parse_list(body: Result<Json<SymbolList>, JsonRejection>) -> Result<Vec<String>, ApiError> {
    let Json(list) = body.map_err(|e| {
        ApiError::bad_request(format!(
            "Expected a JSON body {{\"symbols\": [...]}}: {}",
            e.body_text()
        ))
    })?;
    if list.symbols.is_empty() || list.symbols.len() > MAX_BATCH {
        return Err(ApiError::bad_request(format!(
            "Give between 1 and {MAX_BATCH} symbols; got {}.",
            list.symbols.len()
        )));
    }
    Ok(list.symbols)
}

/// What a batch does per symbol.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// What `GET /api/v1/predictions/{symbol}` does.
    Serve,
    /// Compute and record now, queue the missing training.
    Precompute,
}

/// Answers each symbol concurrently; one failing symbol does not fail the others.
async fn run_batch(
    service: Arc<dyn PredictionService>,
    symbols: Vec<String>,
    mode: Mode,
) -> BatchReply {
    let mut tasks = tokio::task::JoinSet::new();
    for (i, raw) in symbols.iter().cloned().enumerate() {
        let service = service.clone();
        tasks.spawn(async move {
            let item = match Symbol::parse(&raw) {
                Err(e) => BatchItem::error(raw, e),
                Ok(symbol) => match match mode {
                    Mode::Serve => service.predictions(&symbol).await,
                    Mode::Precompute => service.precompute(&symbol).await,
                } {
                    Ok(p) => match p.job_id {
                        None => BatchItem {
                            symbol: raw,
                            status: "ready".into(),
                            predictions: Some(p),
                            job_id: None,
                            error: None,
                        },
                        Some(job) => BatchItem {
                            symbol: raw,
                            status: "queued".into(),
                            predictions: None,
                            job_id: Some(job),
                            error: None,
                        },
                    },
                    Err(e) => BatchItem::error(raw, ApiError::from(e).message().to_string()),
                },
            };
            (i, item)
        });
    }
    let mut results: Vec<Option<BatchItem>> = symbols.iter().map(|_| None).collect();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok((i, item)) => results[i] = Some(item),
            Err(e) => tracing::error!(error = %e, "batch prediction task failed"),
        }
    }
    BatchReply {
        results: results
            .into_iter()
            .zip(symbols)
            .map(|(r, s)| r.unwrap_or_else(|| BatchItem::error(s, "internal error".into())))
            .collect(),
    }
}

impl BatchItem {
    fn error(symbol: String, message: String) -> Self {
        BatchItem {
            symbol,
            status: "error".into(),
            predictions: None,
            job_id: None,
            error: Some(message),
        }
    }
}

/// Predictions for up to 50 symbols in one call.
#[utoipa::path(
    post,
    path = "/api/v1/predictions/batch",
    tag = "predictions",
    request_body = SymbolList,
    responses(
        (status = 200, description = "One outcome per symbol", body = BatchReply),
        (status = 400, description = "No symbols, more than 50, or not JSON", body = ErrorBody),
    )
)]
pub async fn batch(
    State(state): State<AppState>,
    body: Result<Json<SymbolList>, JsonRejection>,
) -> Result<Json<BatchReply>, ApiError> {
    let symbols = parse_list(body)?;
    Ok(Json(
        run_batch(state.ctx.predictions.clone(), symbols, Mode::Serve).await,
    ))
}

/// Constant-time comparison, so the token cannot be guessed byte by byte from response times.
fn same_token(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Computes and records predictions for a list of symbols ahead of demand, and queues training
/// of the models they lack. Admin only.
#[utoipa::path(
    post,
    path = "/api/v1/admin/precompute",
    tag = "admin",
    request_body = SymbolList,
    security(("admin_token" = [])),
    responses(
        (status = 202, description = "Computed now, training queued, per symbol", body = BatchReply),
        (status = 400, description = "No symbols, more than 50, or not JSON", body = ErrorBody),
        (status = 401, description = "No bearer token", body = ErrorBody),
        (status = 403, description = "Wrong token", body = ErrorBody),
        (status = 503, description = "No admin token configured", body = ErrorBody),
    )
)]
pub async fn precompute(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<SymbolList>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Some(expected) = state.admin_token.as_deref() else {
        return Err(ServiceError::Unavailable(
            "Admin endpoints are disabled: no ADMIN_TOKEN is configured.".into(),
        )
        .into());
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        None => {
            return Err(ServiceError::Unauthorized(
                "This endpoint needs `Authorization: Bearer <ADMIN_TOKEN>`.".into(),
            )
            .into())
        }
        Some(t) if !same_token(t.trim().as_bytes(), expected.as_bytes()) => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "The admin token is not valid.",
            ))
        }
        Some(_) => {}
    }
    let symbols = parse_list(body)?;
    tracing::info!(count = symbols.len(), "admin precompute");
    let reply = run_batch(state.ctx.predictions.clone(), symbols, Mode::Precompute).await;
    Ok((StatusCode::ACCEPTED, Json(reply)).into_response())
}

#[cfg(test)]
mod tests {
    use super::same_token;

    #[test]
    fn tokens_match_only_when_identical() {
        assert!(same_token(b"s3cret", b"s3cret"));
        assert!(!same_token(b"s3creT", b"s3cret"));
        assert!(!same_token(b"s3cret!", b"s3cret"));
        assert!(!same_token(b"", b"s3cret"));
    }
}

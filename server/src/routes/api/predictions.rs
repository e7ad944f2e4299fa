//! `GET /api/v1/predictions/{symbol}`, `POST /api/v1/predictions/batch` and the admin-only
//! `POST /api/v1/admin/precompute`: every model's forecasts, or the job that is training them.

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use app::domain::{Caller, JobId, Symbol};
use app::model::{ModelState, Predictions};
use app::ssr::PredictionService;

use super::error::{ApiError, ErrorBody};
use super::extract::{json_body_error, path_symbol};
use crate::routes::access::{caller_of, require_admin, Charge};
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
/// baselines and a job id while the other models are being trained. Anonymous callers get the
/// baselines and what is already trained, never new training.
#[utoipa::path(
    get,
    path = "/api/v1/predictions/{symbol}",
    tag = "predictions",
    params(("symbol" = app::domain::Symbol, Path, description = "Ticker symbol (`^` as `%5E`)")),
    security((), ("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Predictions of every served model", body = Predictions),
        (status = 202, description = "Training queued (what is ready so far, and the job to poll), or a first request for a symbol a provider knows (its backfill job)", body = super::lookup::PredictionsAccepted),
        (status = 400, description = "Malformed symbol", body = ErrorBody),
        (status = 404, description = "Unknown symbol", body = ErrorBody),
        (status = 429, description = "Rate limit reached", body = ErrorBody),
        (status = 503, description = "A dependency is down", body = ErrorBody),
    )
)]
pub async fn predictions(
    State(state): State<AppState>,
    asker: super::lookup::Asker,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let symbol = path_symbol(path)?;
    let key = format!("predictions:{symbol}");
    if let Some(hit) = state.encoded.hit(&key, &headers) {
        return Ok(hit);
    }
    if let Some(pending) = super::lookup::pending(&state, &symbol, &asker).await? {
        return Ok(pending);
    }
    let p = state
        .ctx
        .predictions
        .predictions(&symbol, &asker.caller)
        .await?;
    // Only a complete answer is the same for every caller: one with models still training, or
    // saying what this caller may not have trained, is answered afresh each time.
    let complete = p.job_id.is_none()
        && p.models.iter().all(|m| {
            matches!(
                m.status,
                ModelState::Ready | ModelState::InsufficientHistory
            )
        });
    if complete {
        return Ok(state.encoded.keep(key, &symbol, &p, &headers));
    }
    Ok(reply(p))
}
/// The symbols of a batch or precompute request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SymbolList {
    /// Ticker symbols, 1–50 (a symbol given twice counts once).
    #[schema(example = json!(["GOOG", "MSFT"]), min_items = 1, max_items = 50, value_type = Vec<app::domain::Symbol>)]
    pub symbols: Vec<String>,
}

/// One symbol's outcome in a batch.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchItem {
    /// The symbol, upper-case.
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

/// The request's symbols, duplicates merged (case-insensitively, as symbols are), in order.
/// The distinct symbols of a list, each parsed; a malformed one rejects the whole request.
fn parse_list(body: Result<Json<SymbolList>, JsonRejection>) -> Result<Vec<Symbol>, ApiError> {
    let Json(list) = body.map_err(|e| json_body_error(e, "a JSON body {\"symbols\": [...]}"))?;
    if list.symbols.is_empty() || list.symbols.len() > MAX_BATCH {
        return Err(ApiError::bad_request(format!(
            "Give between 1 and {MAX_BATCH} symbols; got {}.",
            list.symbols.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    let mut symbols = Vec::with_capacity(list.symbols.len());
    for raw in &list.symbols {
        let symbol = Symbol::parse(raw).map_err(ApiError::invalid_symbol)?;
        if seen.insert(symbol.clone()) {
            symbols.push(symbol);
        }
    }
    Ok(symbols)
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
    symbols: Vec<Symbol>,
    mode: Mode,
    caller: Caller,
) -> BatchReply {
    let mut tasks = tokio::task::JoinSet::new();
    for (i, symbol) in symbols.iter().cloned().enumerate() {
        let service = service.clone();
        let caller = caller.clone();
        tasks.spawn(async move {
            let answer = match mode {
                Mode::Serve => service.predictions(&symbol, &caller).await,
                Mode::Precompute => service.precompute(&symbol).await,
            };
            let raw = symbol.as_str().to_string();
            let item = match answer {
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
            .map(|(r, s)| {
                r.unwrap_or_else(|| BatchItem::error(s.as_str().into(), "internal error".into()))
            })
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

/// Predictions for up to 50 symbols in one call. A batch of N distinct symbols counts as N
/// requests against the caller's rate limit.
#[utoipa::path(
    post,
    path = "/api/v1/predictions/batch",
    tag = "predictions",
    request_body = SymbolList,
    security((), ("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "One outcome per distinct symbol, in request order", body = BatchReply),
        (status = 400, description = "No symbols, more than 50, a malformed one, or not JSON", body = ErrorBody),
        (status = 429, description = "The batch would go over the rate limit", body = ErrorBody),
    )
)]
pub async fn batch(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    charge: Option<Extension<Charge>>,
    body: Result<Json<SymbolList>, JsonRejection>,
) -> Result<Json<BatchReply>, ApiError> {
    let symbols = parse_list(body)?;
    if let Some(Extension(charge)) = &charge {
        // The request itself was counted on the way in.
        let extra = u32::try_from(symbols.len().saturating_sub(1)).unwrap_or(u32::MAX);
        state.access.charge_more(charge, extra).await?;
    }
    Ok(Json(
        run_batch(
            state.ctx.predictions.clone(),
            symbols,
            Mode::Serve,
            caller_of(caller),
        )
        .await,
    ))
}

/// Computes and records predictions for a list of symbols ahead of demand, and queues training
/// of the models they lack. Accounts with the admin role only.
#[utoipa::path(
    post,
    path = "/api/v1/admin/precompute",
    tag = "admin",
    request_body = SymbolList,
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 202, description = "Computed now, training queued, per symbol", body = BatchReply),
        (status = 400, description = "No symbols, more than 50, a malformed one, or not JSON", body = ErrorBody),
        (status = 401, description = "No key or token", body = ErrorBody),
        (status = 403, description = "The account is not an administrator", body = ErrorBody),
    )
)]
pub async fn precompute(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    body: Result<Json<SymbolList>, JsonRejection>,
) -> Result<Response, ApiError> {
    let caller = require_admin(caller_of(caller))?;
    let symbols = parse_list(body)?;
    tracing::info!(count = symbols.len(), "admin precompute");
    let reply = run_batch(
        state.ctx.predictions.clone(),
        symbols,
        Mode::Precompute,
        caller,
    )
    .await;
    Ok((StatusCode::ACCEPTED, Json(reply)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_symbols_are_merged_in_order() {
        let body = Ok(Json(SymbolList {
            symbols: vec!["GOOG".into(), "msft".into(), "goog".into(), "MSFT ".into()],
        }));
        let parsed = parse_list(body).unwrap();
        let names: Vec<&str> = parsed.iter().map(Symbol::as_str).collect();
        assert_eq!(names, ["GOOG", "MSFT"]);
        let bad = Ok(Json(SymbolList {
            symbols: vec!["GOOG".into(), "no such!".into()],
        }));
        assert_eq!(parse_list(bad).unwrap_err().status(), 400);
    }
}

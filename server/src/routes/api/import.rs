//! `POST /api/v1/admin/import?symbol=S[&name=N][&commit=true][&record_splits=true]`: a CSV file of
//! daily prices as the body, read as it arrives up to [`IMPORT_BODY_LIMIT`], then checked whole
//! and stored all or nothing. Administrators only.

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;

use app::domain::{Caller, Symbol, TickerName};
use app::model::ImportReport;
use app::ssr::ImportRequest;

use super::error::{ApiError, ErrorBody};
use crate::routes::access::caller_of;
use crate::routes::access::require_admin;
use crate::routes::AppState;

/// The largest file an import takes: 50,000 rows of a Yahoo download fit in 4 MiB.
pub const IMPORT_BODY_LIMIT: usize = 8 * 1024 * 1024;
/// Where imports are posted, for the body limit the edge applies to it.
pub const IMPORT_PATH: &str = "/api/v1/admin/import";

/// The query of an import.
#[derive(Debug, Deserialize)]
pub struct ImportParams {
    symbol: Option<String>,
    name: Option<String>,
    commit: Option<bool>,
    record_splits: Option<bool>,
}

/// Imports OHLCV rows for a new or existing ticker from a Yahoo Finance download
/// (`Date,Open,High,Low,Close,Adj Close,Volume`), a Stooq file, an Alpha Vantage CSV or the
/// project's own layout (`date,open,high,low,close,volume`). Without `commit=true` it is a
/// preview: the file is read and checked and nothing is stored. A file with any problem stores
/// nothing and the answer lists every problem with its line.
#[utoipa::path(
    post,
    path = "/api/v1/admin/import",
    tag = "admin",
    params(
        ("symbol" = app::domain::Symbol, Query, description = "The ticker the rows are for"),
        ("name" = Option<String>, Query, description = "The instrument's name, for a new ticker"),
        ("commit" = Option<bool>, Query, description = "Store the rows (default: preview only)"),
        ("record_splits" = Option<bool>, Query, description = "Record each one-day move over 50% as a split"),
    ),
    request_body(content = String, content_type = "text/csv", description = "The CSV file"),
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "What was read and (with commit) stored", body = ImportReport),
        (status = 400, description = "A missing symbol, an unknown layout, or rows with problems (each with its line)", body = ErrorBody),
        (status = 401, description = "No key or token", body = ErrorBody),
        (status = 403, description = "The account is not an administrator", body = ErrorBody),
        (status = 413, description = "The file is over 8 MiB", body = ErrorBody),
    )
)]
pub async fn import(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    query: Result<Query<ImportParams>, QueryRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let caller = require_admin(caller_of(caller))?;
    let Query(params) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let symbol = Symbol::parse(params.symbol.as_deref().unwrap_or_default())
        .map_err(ApiError::invalid_symbol)?;
    let name = TickerName::parse_optional(params.name.as_deref()).map_err(ApiError::bad_request)?;
    // Read as it arrives, refused (413) as soon as it passes the limit.
    let csv = axum::body::to_bytes(body, IMPORT_BODY_LIMIT)
        .await
        .map_err(|e| {
            if over_limit(&e) {
                ApiError::payload_too_large()
            } else {
                ApiError::bad_request(format!("The upload stopped: {e}"))
            }
        })?
        .to_vec();
    let request = ImportRequest {
        symbol,
        name,
        csv,
        commit: params.commit.unwrap_or(false),
        record_splits: params.record_splits.unwrap_or(false),
    };
    let report = state.ctx.imports.import_prices(&caller, request).await?;
    Ok((StatusCode::OK, Json(report)).into_response())
}

/// Whether reading a body stopped at its size limit (ours, or the edge's per-path one).
fn over_limit(e: &axum::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = c.source();
    }
    false
}

//! Path and query parts parsed once into domain types; a part that does not parse is a 400 in the
//! API's error shape.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::Path;
use axum::http::StatusCode;

use app::domain::{JobId, Symbol};

use super::error::ApiError;

/// The path's symbol; a segment that is not even text (bad `%` escapes) is a malformed symbol too.
pub fn path_symbol(path: Result<Path<String>, PathRejection>) -> Result<Symbol, ApiError> {
    let Path(raw) = path.map_err(|e| ApiError::invalid_symbol(e.body_text()))?;
    Symbol::parse(&raw).map_err(ApiError::invalid_symbol)
}

/// A symbol given in a query or body.
pub fn symbol(raw: &str) -> Result<Symbol, ApiError> {
    Symbol::parse(raw).map_err(ApiError::invalid_symbol)
}

/// The path's id, read by `parse` (an alert's, a webhook's, a key's); what does not parse is a
/// 400 saying why.
pub fn path_id<T>(
    path: Result<Path<String>, PathRejection>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, ApiError> {
    let Path(raw) = path.map_err(|e| ApiError::bad_request(e.body_text()))?;
    parse(&raw).map_err(ApiError::bad_request)
}

/// The path's job id.
pub fn path_job_id(path: Result<Path<String>, PathRejection>) -> Result<JobId, ApiError> {
    let Path(raw) = path.map_err(|e| ApiError::bad_request(e.body_text()))?;
    JobId::parse(&raw).map_err(|_| ApiError::bad_request(format!("`{raw}` is not a job id.")))
}

/// A JSON body that could not be read: 413 when it was too large, else 400 saying what was
/// `expected`.
pub fn json_body_error(e: JsonRejection, expected: &str) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::payload_too_large();
    }
    ApiError::bad_request(format!("Expected {expected}: {}", e.body_text()))
}

/// The caller's account, or 401 saying that `what` needs one ("Alerts need an account: …").
pub fn account(
    caller: Option<axum::Extension<app::domain::Caller>>,
    what: &str,
) -> Result<app::domain::UserId, ApiError> {
    crate::routes::access::caller_of(caller)
        .user()
        .ok_or_else(|| {
            ApiError::unauthorized(format!(
                "{what} an account: log in, or send a key or token."
            ))
        })
}

/// `?limit=`: `default` when absent, else a number from 1 to `max`.
pub fn limit(raw: Option<u32>, default: u32, max: u32) -> Result<u32, ApiError> {
    match raw {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::bad_request(format!(
            "limit must be between 1 and {max}."
        ))),
    }
}

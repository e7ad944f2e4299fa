//! The one error shape of the JSON API, `{"error": {"code": "...", "message": "..."}}`, and the one
//! place where a service's [`AppError`] becomes an HTTP status and a code.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use app::error::AppError;

/// An API error: status, a stable machine-readable code, and a message a person can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

#[derive(Serialize)]
struct Detail<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    /// A malformed ticker symbol in the path or query (400 `invalid_symbol`).
    pub fn invalid_symbol(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_symbol", message)
    }

    /// A chart range that is not one of ours (400 `invalid_range`).
    pub fn invalid_range(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_range", message)
    }

    /// An error whose code the [`AppError`] mapping has no variant for (an unknown job is not an
    /// unknown symbol; a wrong admin token is 403).
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            // Every API resource is keyed by a ticker: "not found" means the symbol is unknown.
            AppError::NotFound(m) => Self::new(StatusCode::NOT_FOUND, "unknown_symbol", m),
            AppError::BadRequest(m) => Self::new(StatusCode::BAD_REQUEST, "bad_request", m),
            AppError::Unauthorized(m) => Self::new(StatusCode::UNAUTHORIZED, "unauthorized", m),
            AppError::Conflict(m) => Self::new(StatusCode::CONFLICT, "conflict", m),
            AppError::TooManyRequests(m) => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", m)
            }
            AppError::Unavailable(m) => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", m)
            }
            // The cause is already logged where it happened; the client learns nothing internal.
            AppError::Internal | AppError::Transport(_) => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                AppError::Internal.to_string(),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Detail {
                code: self.code,
                message: &self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

/// The answer for a path under `/api/v1` that names no endpoint.
pub async fn no_such_route() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "No such API endpoint: see GET /api/v1/quote/{symbol}, /api/v1/timeseries/{symbol}, /api/v1/overview/{symbol} and /api/v1/news.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_app_error_maps_to_its_status_and_code() {
        let cases = [
            (AppError::NotFound("x".into()), 404, "unknown_symbol"),
            (AppError::BadRequest("x".into()), 400, "bad_request"),
            (AppError::TooManyRequests("x".into()), 429, "rate_limited"),
            (AppError::Unavailable("x".into()), 503, "unavailable"),
            (AppError::Internal, 500, "internal"),
        ];
        for (err, status, code) in cases {
            let api = ApiError::from(err);
            assert_eq!(api.status().as_u16(), status);
            assert_eq!(api.code(), code);
        }
    }

    #[test]
    fn internal_errors_carry_no_detail() {
        let api = ApiError::from(AppError::Transport("connection reset by 10.0.0.7".into()));
        assert!(!api.message.contains("10.0.0.7"));
        assert_eq!(api.code(), "internal");
    }
}

//! The one error shape of the JSON API, `{"error": {"code": "...", "message": "..."}}`, and the one
//! place where a service's [`ServiceError`] becomes an HTTP status and a code.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use app::ssr::ServiceError;

/// The one error shape of every `/api/v1` endpoint, as the OpenAPI document declares it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"error": {"code": "unknown_symbol", "message": "We have no data for the ticker ZZZZ."}}))]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// A stable machine-readable code and a message a person can read.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `invalid_symbol`, `invalid_range`, `bad_request`, `unknown_symbol`, `no_data`,
    /// `unknown_job`, `unauthorized`, `forbidden`, `conflict`, `payload_too_large`,
    /// `rate_limited`, `unavailable`, `internal`, `not_found`.
    pub code: String,
    /// What went wrong, in plain words (no internal detail for `internal`).
    pub message: String,
}

/// An API error: status, a stable machine-readable code, and a message a person can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// Seconds to wait, sent as `Retry-After` (429 and some 503s).
    retry_after: Option<u64>,
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

    /// A malformed request (400 `bad_request`).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// An error with its status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 401 `unauthorized`: no valid credential for what was asked.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403 `forbidden`: a valid caller that may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 429 `rate_limited`, to be retried after `secs` seconds.
    pub fn rate_limited(message: impl Into<String>, secs: u64) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message).retry_after(secs)
    }

    /// 413 `payload_too_large`: the body is over the configured limit.
    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "The request body is larger than this server accepts.",
        )
    }

    /// Tells the client when to retry (`Retry-After`, in seconds, at least one).
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs.max(1));
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The message a person reads.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The REST edge: every service error gets its status and stable code here, and nowhere else.
impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let message = e.to_string();
        match e {
            ServiceError::UnknownSymbol(_) | ServiceError::NotAvailable { .. } => {
                Self::new(StatusCode::NOT_FOUND, "unknown_symbol", message)
            }
            ServiceError::NoData(_) => Self::new(StatusCode::NOT_FOUND, "no_data", message),
            ServiceError::UnknownJob(_) => Self::new(StatusCode::NOT_FOUND, "unknown_job", message),
            ServiceError::UnknownAlert(_) => {
                Self::new(StatusCode::NOT_FOUND, "unknown_alert", message)
            }
            ServiceError::UnknownWebhook(_) => {
                Self::new(StatusCode::NOT_FOUND, "unknown_webhook", message)
            }
            ServiceError::InvalidInput(m) => Self::bad_request(m),
            ServiceError::Unauthorized(m) => Self::unauthorized(m),
            ServiceError::Forbidden(m) => Self::forbidden(m),
            ServiceError::TooManyRequests {
                message,
                retry_after,
            } => Self::rate_limited(message, retry_after.as_secs()),
            ServiceError::Conflict(m) => Self::new(StatusCode::CONFLICT, "conflict", m),
            ServiceError::Unavailable(m) => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", m)
            }
            // The cause goes to the log; the client learns nothing internal.
            ServiceError::Internal { .. } => {
                tracing::error!(error = %e.chain(), "service failed");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    app::error::AppError::Internal.to_string(),
                )
            }
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
        let mut res = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        res
    }
}

/// The answer for a path under `/api/v1` that names no endpoint.
pub async fn no_such_route() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "No such API endpoint: see /api/v1/openapi.json for the ones there are.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::{JobId, Symbol};

    #[test]
    fn every_service_error_maps_to_its_status_and_code() {
        let goog = || Symbol::parse("GOOG").unwrap();
        let job = JobId::parse("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
        let cases = [
            (ServiceError::UnknownSymbol(goog()), 404, "unknown_symbol"),
            (ServiceError::NoData(goog()), 404, "no_data"),
            (ServiceError::UnknownJob(job), 404, "unknown_job"),
            (
                ServiceError::UnknownAlert(app::domain::AlertId::from(uuid::Uuid::nil())),
                404,
                "unknown_alert",
            ),
            (
                ServiceError::UnknownWebhook(app::domain::WebhookId::from(uuid::Uuid::nil())),
                404,
                "unknown_webhook",
            ),
            (ServiceError::InvalidInput("x".into()), 400, "bad_request"),
            (ServiceError::Unauthorized("x".into()), 401, "unauthorized"),
            (ServiceError::Conflict("x".into()), 409, "conflict"),
            (ServiceError::Forbidden("x".into()), 403, "forbidden"),
            (
                ServiceError::TooManyRequests {
                    message: "x".into(),
                    retry_after: std::time::Duration::from_secs(7),
                },
                429,
                "rate_limited",
            ),
            (ServiceError::Unavailable("x".into()), 503, "unavailable"),
            (ServiceError::internal("testing", "boom"), 500, "internal"),
        ];
        for (err, status, code) in cases {
            let api = ApiError::from(err);
            assert_eq!(api.status().as_u16(), status);
            assert_eq!(api.code(), code);
        }
    }

    #[test]
    fn a_rate_limited_answer_says_when_to_retry() {
        let res = ApiError::rate_limited("slow down", 7).into_response();
        assert_eq!(res.status(), 429);
        assert_eq!(res.headers()[axum::http::header::RETRY_AFTER], "7");
    }

    #[test]
    fn internal_errors_carry_no_detail() {
        let api = ApiError::from(ServiceError::internal(
            "reading bars",
            "connection reset by 10.0.0.7",
        ));
        assert!(!api.message.contains("10.0.0.7"));
        assert!(!api.message.contains("reading bars"));
        assert_eq!(api.code(), "internal");
    }
}

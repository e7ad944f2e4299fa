//! The UI layer's error type: what a server function can answer, serialisable across the wire so
//! the page can match on the kind (and set the HTTP status during SSR).

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// An error a person can read. Internal failures carry no detail: it is logged on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The thing asked for does not exist (unknown ticker, unknown page).
    #[error("{0}")]
    NotFound(String),
    /// The input was malformed.
    #[error("{0}")]
    BadRequest(String),
    /// The action needs a logged-in user, or the credentials were wrong.
    #[error("{0}")]
    Unauthorized(String),
    /// The request conflicts with existing data (a taken username).
    #[error("{0}")]
    Conflict(String),
    /// Too many requests from this client (API rate limit); retry later.
    #[error("{0}")]
    TooManyRequests(String),
    /// A dependency is down or not configured (no provider key, queue unreachable); said plainly.
    #[error("{0}")]
    Unavailable(String),
    /// A dependency failed; details are in the server log.
    #[error("Something went wrong on our side; please try again.")]
    Internal,
    /// The request never reached the server function, or its answer could not be read.
    #[error("Network problem: {0}")]
    Transport(String),
}

impl AppError {
    /// The HTTP status that goes with the error.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::NotFound(_) => 404,
            AppError::BadRequest(_) => 400,
            AppError::Unauthorized(_) => 401,
            AppError::Conflict(_) => 409,
            AppError::TooManyRequests(_) => 429,
            AppError::Unavailable(_) => 503,
            AppError::Internal => 500,
            AppError::Transport(_) => 502,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::MissingArg(msg) => {
                AppError::BadRequest(msg)
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}

impl From<ServerFnErrorErr> for AppError {
    fn from(value: ServerFnErrorErr) -> Self {
        AppError::from_server_fn_error(value)
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::AppError;

    impl From<tower_sessions::session::Error> for AppError {
        fn from(e: tower_sessions::session::Error) -> Self {
            tracing::error!(error = %e, "session store error");
            AppError::Internal
        }
    }
}

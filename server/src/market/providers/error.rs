//! The one error type of every provider client.

use std::time::Duration;

use super::{Operation, ProviderKind};

/// Why a provider call failed. Every variant names the provider; none carries the API key or a URL
/// (URLs may hold the key in their query string).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// Too many requests: HTTP 429, or a rate-limit message in a 200 body (Alpha Vantage's `Note`).
    #[error("{provider}: rate limited{}", match .retry_after {
        Some(d) => format!(", retry after {}s", d.as_secs_f64()),
        None => String::new(),
    })]
    RateLimited {
        /// Who refused.
        provider: ProviderKind,
        /// How long the provider asked us to wait (`Retry-After`), when it said.
        retry_after: Option<Duration>,
    },
    /// The provider does not know the symbol (HTTP 404, or its own "invalid symbol" answer).
    #[error("{provider}: not found: {detail}")]
    NotFound {
        /// Who answered.
        provider: ProviderKind,
        /// The provider's words, or ours.
        detail: String,
    },
    /// The symbol is known but the answer is empty (no bars in the range, `{"s":"no_data"}`, `[]`).
    #[error("{provider}: no data: {detail}")]
    NoData {
        /// Who answered.
        provider: ProviderKind,
        /// What was empty.
        detail: String,
    },
    /// A missing or bad API key, or a plan without access to the endpoint (HTTP 401/403).
    #[error("{provider}: unauthorized: {detail}")]
    Unauthorized {
        /// Who refused.
        provider: ProviderKind,
        /// The provider's words.
        detail: String,
    },
    /// The body is not what the provider documents: bad JSON, an HTML page, a missing field.
    #[error("{provider}: malformed response: {detail}")]
    Malformed {
        /// Who answered.
        provider: ProviderKind,
        /// What was wrong, with a short excerpt of the body.
        detail: String,
    },
    /// The provider refused the request with a message of its own (a bad parameter, say).
    #[error("{provider}: request refused: {detail}")]
    Rejected {
        /// Who refused.
        provider: ProviderKind,
        /// The provider's words.
        detail: String,
    },
    /// Any other unsuccessful HTTP status (5xx after the retries, unexpected 4xx).
    #[error("{provider}: upstream answered HTTP {status}")]
    Upstream {
        /// Who answered.
        provider: ProviderKind,
        /// The HTTP status.
        status: u16,
    },
    /// No answer within the configured timeout.
    #[error("{provider}: timed out")]
    Timeout {
        /// Who did not answer.
        provider: ProviderKind,
    },
    /// Connection refused, DNS, TLS, a body cut short.
    #[error("{provider}: transport error")]
    Transport {
        /// Who could not be reached.
        provider: ProviderKind,
        /// The HTTP client's error, stripped of its URL.
        #[source]
        source: reqwest::Error,
    },
    /// The provider has no endpoint for this kind of data (Yahoo's chart API has no news).
    #[error("{provider} does not provide {operation}")]
    Unsupported {
        /// The provider asked.
        provider: ProviderKind,
        /// What was asked for.
        operation: Operation,
    },
}

impl ProviderError {
    /// The provider the error came from.
    pub fn provider(&self) -> ProviderKind {
        match self {
            ProviderError::RateLimited { provider, .. }
            | ProviderError::NotFound { provider, .. }
            | ProviderError::NoData { provider, .. }
            | ProviderError::Unauthorized { provider, .. }
            | ProviderError::Malformed { provider, .. }
            | ProviderError::Rejected { provider, .. }
            | ProviderError::Upstream { provider, .. }
            | ProviderError::Timeout { provider }
            | ProviderError::Transport { provider, .. }
            | ProviderError::Unsupported { provider, .. } => *provider,
        }
    }

    /// Whether the same request may succeed if sent again after a pause: server errors, 429s,
    /// timeouts and connection failures.
    pub fn is_transient(&self) -> bool {
        match self {
            ProviderError::RateLimited { .. }
            | ProviderError::Timeout { .. }
            | ProviderError::Transport { .. } => true,
            ProviderError::Upstream { status, .. } => *status >= 500,
            _ => false,
        }
    }

    pub(crate) fn malformed(provider: ProviderKind, detail: impl Into<String>) -> Self {
        ProviderError::Malformed {
            provider,
            detail: detail.into(),
        }
    }

    pub(crate) fn no_data(provider: ProviderKind, detail: impl Into<String>) -> Self {
        ProviderError::NoData {
            provider,
            detail: detail.into(),
        }
    }

    pub(crate) fn not_found(provider: ProviderKind, detail: impl Into<String>) -> Self {
        ProviderError::NotFound {
            provider,
            detail: detail.into(),
        }
    }
}

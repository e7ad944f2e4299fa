//! The crate's one error type.

/// Everything that can go wrong while fitting, forecasting or evaluating.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A hyper-parameter or argument is outside its allowed range.
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// The offending value, formatted.
        value: String,
        /// What the allowed values are.
        reason: &'static str,
    },
    /// The history is too short for the model.
    #[error("not enough data: need at least {needed} rows, got {got}")]
    NotEnoughData {
        /// Rows the model needs.
        needed: usize,
        /// Rows it was given.
        got: usize,
    },
    /// The input series is malformed (unsorted dates, non-positive prices, NaN, mismatched lengths).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// An optimiser or iterative fit did not converge.
    #[error("{model} did not converge: {detail}")]
    NotConverged {
        /// Model name.
        model: &'static str,
        /// What failed.
        detail: String,
    },
    /// A numerical failure (singular matrix, non-finite value).
    #[error("numerical failure in {context}: {detail}")]
    Numerical {
        /// Where it happened.
        context: &'static str,
        /// What happened.
        detail: String,
    },
    /// A stored model could not be read back.
    #[error("model artifact: {0}")]
    Artifact(String),
}

/// `Result` with the crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

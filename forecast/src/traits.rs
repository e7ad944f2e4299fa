//! The two traits every model implements: unfitted parameters [`Fit`] into a fitted model that can
//! [`Predict`].
//!
//! Both take the *whole* history up to the forecast origin (rows `0..=t`). Each model picks its own
//! training window from it (the protocol's rolling 2520 rows, the indicator warm-up), so the caller
//! can never hand a model data past the origin by slicing wrong: it only ever passes `prefix(t + 1)`.

use crate::{Forecast, Horizon, Level, Ohlcv, Result};

/// Unfitted model parameters.
pub trait Fit {
    /// The fitted model.
    type Fitted: Predict;

    /// Fits on `history` (rows `0..=t`, oldest first). Training targets must lie inside `history`.
    fn fit(&self, history: &Ohlcv) -> Result<Self::Fitted>;
}

/// A fitted model.
pub trait Predict {
    /// Forecasts the close `h` trading days after the last row of `history`, for each horizon, with
    /// an interval for each level (where the model has an interval method).
    ///
    /// `history` may extend past the data the model was fitted on: between refits the fitted model is
    /// applied to newer data (ARIMA re-runs its filter with fixed coefficients, feature models read
    /// the newest feature row).
    fn predict(&self, history: &Ohlcv, horizons: &[Horizon], levels: &[Level]) -> Result<Forecast>;
}

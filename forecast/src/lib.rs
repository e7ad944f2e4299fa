#![doc = include_str!("../README.md")]

pub mod arima;
pub mod baseline;
pub mod ensemble;
pub mod error;
pub mod eval;
pub mod features;
pub mod forecast;
pub mod forest;
pub mod gbm;
pub mod indicators;
pub mod lstm;
pub mod metrics;
pub mod registry;
pub mod series;
pub mod signal;
pub mod stats;
pub mod traits;

pub use error::{Error, Result};
pub use forecast::{Forecast, Horizon, Interval, Level, StepForecast};
pub use series::Ohlcv;
pub use traits::{Fit, Predict};

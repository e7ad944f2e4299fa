#![doc = include_str!("../README.md")]
//!
//! # Features
//!
//! * `models` (default): every model, the walk-forward evaluator and the registry's specs, fitted
//!   models and artifacts. Without it the crate is the light core (forecast and series types,
//!   [`ModelId`], walk-forward records, metrics and signals) that builds for
//!   `wasm32-unknown-unknown`, for the browser.

pub mod backtest;
pub mod error;
pub mod forecast;
pub mod metrics;
pub mod registry;
pub mod series;
pub mod signal;
pub mod stats;
pub mod traits;

#[cfg(feature = "models")]
pub mod arima;
#[cfg(feature = "models")]
pub mod baseline;
#[cfg(feature = "models")]
pub mod direct;
#[cfg(feature = "models")]
pub mod elasticnet;
#[cfg(feature = "models")]
pub mod ensemble;
#[cfg(feature = "models")]
pub mod eval;
#[cfg(feature = "models")]
pub mod features;
#[cfg(feature = "models")]
pub mod forest;
#[cfg(feature = "models")]
pub mod gbm;
#[cfg(feature = "models")]
pub mod indicators;
#[cfg(feature = "models")]
pub mod lstm;
#[cfg(feature = "models")]
pub mod prophet;
#[cfg(feature = "models")]
pub mod strategy;
#[cfg(feature = "models")]
pub mod volatility;

pub use error::{Error, Result};
pub use forecast::{Forecast, Horizon, Interval, Level, StepForecast};
pub use registry::ModelId;
pub use series::Ohlcv;
pub use traits::{Fit, Predict};

//! Forecast output types and the small domain types for horizons and interval levels.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A forecast horizon in trading days (1 = the next trading day). Always at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "usize", into = "usize")]
pub struct Horizon(usize);

impl Horizon {
    /// The largest horizon any model accepts (about one trading quarter).
    pub const MAX: usize = 63;

    /// Parses a horizon in trading days, `1..=Horizon::MAX`.
    pub fn new(days: usize) -> Result<Self> {
        if (1..=Self::MAX).contains(&days) {
            Ok(Self(days))
        } else {
            Err(Error::InvalidParameter {
                name: "horizon",
                value: days.to_string(),
                reason: "must be between 1 and 63 trading days",
            })
        }
    }

    /// The horizon in trading days.
    pub fn get(self) -> usize {
        self.0
    }

    /// The protocol's three horizons: 1 day, 2 days, 1 week (5 trading days).
    pub fn standard() -> [Horizon; 3] {
        [Horizon(1), Horizon(2), Horizon(5)]
    }
}

impl TryFrom<usize> for Horizon {
    type Error = Error;
    fn try_from(days: usize) -> Result<Self> {
        Self::new(days)
    }
}

impl From<Horizon> for usize {
    fn from(h: Horizon) -> usize {
        h.0
    }
}

/// A prediction-interval level strictly between 0 and 1 (0.95 = 95%).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Level(f64);

impl Level {
    /// Parses a level in the open interval (0, 1).
    pub fn new(level: f64) -> Result<Self> {
        if level > 0.0 && level < 1.0 {
            Ok(Self(level))
        } else {
            Err(Error::InvalidParameter {
                name: "level",
                value: level.to_string(),
                reason: "must lie strictly between 0 and 1",
            })
        }
    }

    /// The level as a fraction.
    pub fn get(self) -> f64 {
        self.0
    }

    /// The two-sided standard-normal quantile for this level (1.959964 for 0.95).
    pub fn z(self) -> f64 {
        crate::stats::normal_quantile(0.5 + self.0 / 2.0)
    }

    /// The levels the app shows: 95% and 99%.
    pub fn standard() -> [Level; 2] {
        [Level(0.95), Level(0.99)]
    }
}

impl TryFrom<f64> for Level {
    type Error = Error;
    fn try_from(level: f64) -> Result<Self> {
        Self::new(level)
    }
}

impl From<Level> for f64 {
    fn from(l: Level) -> f64 {
        l.0
    }
}

/// A prediction interval at one level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Nominal coverage, e.g. 0.95.
    pub level: f64,
    /// Lower bound (price).
    pub lower: f64,
    /// Upper bound (price).
    pub upper: f64,
}

/// The forecast for one horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepForecast {
    /// Trading days ahead of the last row of the history.
    pub horizon: Horizon,
    /// Point forecast of the close.
    pub point: f64,
    /// Prediction intervals, one per requested level. Empty when the model has no interval method.
    pub intervals: Vec<Interval>,
}

impl StepForecast {
    /// The interval at `level`, if the model produced one.
    pub fn interval(&self, level: f64) -> Option<&Interval> {
        self.intervals
            .iter()
            .find(|i| (i.level - level).abs() < 1e-9)
    }
}

/// A forecast from the end of a history: one entry per requested horizon, in the order requested.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// One entry per horizon.
    pub steps: Vec<StepForecast>,
}

impl Forecast {
    /// The entry for horizon `h`, if it was requested.
    pub fn step(&self, h: Horizon) -> Option<&StepForecast> {
        self.steps.iter().find(|s| s.horizon == h)
    }
}

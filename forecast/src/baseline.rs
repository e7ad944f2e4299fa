//! The two baselines every other model must beat: the naive random walk and the random walk with drift.
//!
//! Both are refitted at every origin (fitting is a few arithmetic operations) and both use the
//! protocol's rolling window of the last [`DEFAULT_WINDOW`] rows.

use serde::{Deserialize, Serialize};

use crate::stats::{log_returns, mean, sample_sd};
use crate::{Error, Fit, Forecast, Horizon, Interval, Level, Ohlcv, Predict, Result, StepForecast};

/// The protocol's rolling training window: 2520 rows, about ten years of trading days.
pub const DEFAULT_WINDOW: usize = 2520;

fn check_window(window: usize) -> Result<()> {
    if window < 2 {
        return Err(Error::InvalidParameter {
            name: "window",
            value: window.to_string(),
            reason: "must be at least 2 rows",
        });
    }
    Ok(())
}

/// The last `window` closes of `history` (all of them when shorter).
fn window_closes(history: &Ohlcv, window: usize) -> Result<&[f64]> {
    let c = history.close();
    if c.len() < 2 {
        return Err(Error::NotEnoughData {
            needed: 2,
            got: c.len(),
        });
    }
    Ok(&c[c.len().saturating_sub(window)..])
}

/// Naive random walk: tomorrow's close is today's close.
///
/// Interval (log-normal random walk): `C[t]·exp(±z·σ·√h)`, σ the sample sd (ddof 1) of the window's
/// one-day log returns.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Naive {
    /// Rows of history used to estimate the volatility.
    pub window: usize,
}

impl Default for Naive {
    fn default() -> Self {
        Self {
            window: DEFAULT_WINDOW,
        }
    }
}

/// A fitted [`Naive`] model: the daily log-return volatility of its window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FittedNaive {
    window: usize,
    /// Sample sd of one-day log returns over the training window.
    pub sigma: f64,
}

impl Fit for Naive {
    type Fitted = FittedNaive;
    fn fit(&self, history: &Ohlcv) -> Result<FittedNaive> {
        check_window(self.window)?;
        let c = window_closes(history, self.window)?;
        let sigma = if c.len() >= 3 {
            sample_sd(&log_returns(c))
        } else {
            0.0
        };
        Ok(FittedNaive {
            window: self.window,
            sigma,
        })
    }
}

impl Predict for FittedNaive {
    fn predict(&self, history: &Ohlcv, horizons: &[Horizon], levels: &[Level]) -> Result<Forecast> {
        let last = history
            .last_close()
            .ok_or(Error::NotEnoughData { needed: 1, got: 0 })?;
        let steps = horizons
            .iter()
            .map(|&h| {
                let spread = self.sigma * (h.get() as f64).sqrt();
                StepForecast {
                    horizon: h,
                    point: last,
                    intervals: levels
                        .iter()
                        .map(|l| Interval {
                            level: l.get(),
                            lower: last * (-l.z() * spread).exp(),
                            upper: last * (l.z() * spread).exp(),
                        })
                        .collect(),
                }
            })
            .collect();
        Ok(Forecast { steps })
    }
}

/// Random walk with drift, in price levels: `Ĉ[t+h] = C[t] + h·(C[t] − C[a])/(t − a)`, a the first
/// row of the window.
///
/// Interval: the drift interval of Hyndman & Athanasopoulos (*Forecasting: Principles and Practice*
/// §5.5), `Ĉ ± z·s·√(h·(1 + h/T))` with T the number of daily changes, but with the one-day spread
/// `s = C[t]·σ` taken from the sample sd σ (ddof 1) of one-day *log* returns. The textbook's sd of
/// price changes averages ten years of much lower prices on a trending stock, and its intervals
/// covered only 67–81% on the bundled indices; relative volatility scales to today's price. The
/// protocol scores drift's point forecast only; the interval is what the app shows beside it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    /// Rows of history the slope is measured over.
    pub window: usize,
}

impl Default for Drift {
    fn default() -> Self {
        Self {
            window: DEFAULT_WINDOW,
        }
    }
}

/// A fitted [`Drift`] model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FittedDrift {
    window: usize,
    /// Mean daily price change over the training window.
    pub slope: f64,
    /// Sample sd of the daily log returns.
    pub sigma: f64,
    /// Number of daily changes the slope was measured on.
    pub changes: usize,
}

impl Fit for Drift {
    type Fitted = FittedDrift;
    fn fit(&self, history: &Ohlcv) -> Result<FittedDrift> {
        check_window(self.window)?;
        let c = window_closes(history, self.window)?;
        let diffs: Vec<f64> = c.windows(2).map(|w| w[1] - w[0]).collect();
        let slope = mean(&diffs);
        let sigma = if diffs.len() >= 2 {
            sample_sd(&log_returns(c))
        } else {
            0.0
        };
        Ok(FittedDrift {
            window: self.window,
            slope,
            sigma,
            changes: diffs.len(),
        })
    }
}

impl Predict for FittedDrift {
    fn predict(&self, history: &Ohlcv, horizons: &[Horizon], levels: &[Level]) -> Result<Forecast> {
        // Between refits the slope is re-measured on the current window: drift is a baseline and the
        // protocol recomputes it at every origin.
        let current = Drift {
            window: self.window,
        }
        .fit(history)?;
        let last = history
            .last_close()
            .ok_or(Error::NotEnoughData { needed: 1, got: 0 })?;
        let t = current.changes as f64;
        let steps = horizons
            .iter()
            .map(|&h| {
                let hf = h.get() as f64;
                let point = last + hf * current.slope;
                let se = last * current.sigma * (hf * (1.0 + hf / t)).sqrt();
                StepForecast {
                    horizon: h,
                    point,
                    intervals: levels
                        .iter()
                        .map(|l| Interval {
                            level: l.get(),
                            lower: point - l.z() * se,
                            upper: point + l.z() * se,
                        })
                        .collect(),
                }
            })
            .collect();
        Ok(Forecast { steps })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(d: usize) -> Horizon {
        Horizon::new(d).unwrap()
    }

    #[test]
    fn naive_point_is_last_close_and_interval_widens_with_horizon() {
        let s = Ohlcv::from_closes(&[100.0, 102.0, 101.0, 103.0, 104.0]).unwrap();
        let f = Naive::default()
            .fit(&s)
            .unwrap()
            .predict(&s, &[h(1), h(5)], &[Level::new(0.95).unwrap()])
            .unwrap();
        assert_eq!(f.steps[0].point, 104.0);
        let w1 = f.steps[0].intervals[0].upper - f.steps[0].intervals[0].lower;
        let w5 = f.steps[1].intervals[0].upper - f.steps[1].intervals[0].lower;
        assert!(w5 > w1 * 2.0 && w5 < w1 * 2.3, "w1 {w1} w5 {w5}");
    }

    #[test]
    fn naive_interval_matches_the_log_normal_formula() {
        let closes = [50.0, 51.0, 49.5, 50.5, 52.0, 51.0];
        let s = Ohlcv::from_closes(&closes).unwrap();
        let sigma = sample_sd(&log_returns(&closes));
        let f = Naive::default()
            .fit(&s)
            .unwrap()
            .predict(&s, &[h(2)], &[Level::new(0.95).unwrap()])
            .unwrap();
        let iv = f.steps[0].intervals[0];
        let expect_hi = 51.0 * (1.959963984540054 * sigma * 2f64.sqrt()).exp();
        assert!((iv.upper - expect_hi).abs() < 1e-9);
    }

    #[test]
    fn drift_extrapolates_the_line_through_first_and_last_close() {
        let s = Ohlcv::from_closes(&[10.0, 11.0, 13.0, 12.0, 14.0]).unwrap();
        let f = Drift::default()
            .fit(&s)
            .unwrap()
            .predict(&s, &[h(1), h(2)], &[])
            .unwrap();
        // slope = (14 - 10) / 4 = 1
        assert!((f.steps[0].point - 15.0).abs() < 1e-12);
        assert!((f.steps[1].point - 16.0).abs() < 1e-12);
    }

    #[test]
    fn drift_interval_scales_with_the_current_price() {
        // Same relative moves at ten times the price: ten times the interval width.
        let base = [10.0, 10.5, 10.2, 10.8, 11.0, 10.9];
        let high: Vec<f64> = base.iter().map(|c| c * 10.0).collect();
        let lvl = [Level::new(0.95).unwrap()];
        let width = |c: &[f64]| {
            let s = Ohlcv::from_closes(c).unwrap();
            let f = Drift::default()
                .fit(&s)
                .unwrap()
                .predict(&s, &[h(2)], &lvl)
                .unwrap();
            f.steps[0].intervals[0].upper - f.steps[0].intervals[0].lower
        };
        let ratio = width(&high) / width(&base);
        assert!((ratio - 10.0).abs() < 1e-9, "ratio {ratio}");
    }

    #[test]
    fn window_limits_what_the_baselines_see() {
        let s = Ohlcv::from_closes(&[1.0, 100.0, 101.0, 102.0]).unwrap();
        let f = Drift { window: 3 }
            .fit(&s)
            .unwrap()
            .predict(&s, &[h(1)], &[])
            .unwrap();
        assert!((f.steps[0].point - 103.0).abs() < 1e-12);
    }

    #[test]
    fn zero_window_is_rejected() {
        let s = Ohlcv::from_closes(&[1.0, 2.0]).unwrap();
        assert!(Naive { window: 0 }.fit(&s).is_err());
    }

    #[test]
    fn fitted_models_serialise() {
        let s = Ohlcv::from_closes(&[1.0, 2.0, 3.0]).unwrap();
        let fitted = Drift::default().fit(&s).unwrap();
        let json = serde_json::to_string(&fitted).unwrap();
        let back: FittedDrift = serde_json::from_str(&json).unwrap();
        assert_eq!(back, fitted);
    }
}

//! The two baselines every other model must beat: the naive random walk and the random walk with drift.
//!
//! Both are refitted at every origin (fitting is a few arithmetic operations) and both use the
//! protocol's rolling window of the last [`DEFAULT_WINDOW`] rows.

use serde::{Deserialize, Serialize};

use crate::stats::{log_returns, mean, sample_sd};
use crate::volatility::VolBand;
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

/// How a baseline (or ARIMA) sets its prediction interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intervals {
    /// The model's own fixed-volatility interval (the reference libraries' formula).
    Gaussian,
    /// The volatility-scaled conformal interval of [`crate::volatility`]: EWMA volatility at the
    /// origin, quantiles of standardised returns over the training window. Falls back to
    /// [`Intervals::Gaussian`] when the window is too short to measure them.
    #[default]
    Volatility,
}

/// Naive random walk: tomorrow's close is today's close.
///
/// Interval ([`Intervals::Volatility`], the default): `C[t]·exp(±q·σ_t·√h)` with σ_t the EWMA
/// volatility at the origin and `q` the conformal quantile of the window's standardised `h`-day
/// returns ([`VolBand`]). With [`Intervals::Gaussian`] (the reference evaluation's):
/// `C[t]·exp(±z·σ·√h)`, σ the sample sd (ddof 1) of the window's one-day log returns.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Naive {
    /// Rows of history used to estimate the volatility.
    pub window: usize,
    /// The interval method.
    #[serde(default)]
    pub intervals: Intervals,
}

impl Default for Naive {
    fn default() -> Self {
        Self {
            window: DEFAULT_WINDOW,
            intervals: Intervals::default(),
        }
    }
}

impl Naive {
    /// The reference evaluation's naive model: fixed-volatility Gaussian intervals.
    pub fn gaussian() -> Self {
        Self {
            intervals: Intervals::Gaussian,
            ..Self::default()
        }
    }
}

/// A fitted [`Naive`] model: the daily log-return volatility of its window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedNaive {
    window: usize,
    /// Sample sd of one-day log returns over the training window.
    pub sigma: f64,
    /// The volatility band, when the interval method is [`Intervals::Volatility`] and the window
    /// was long enough.
    #[serde(default)]
    pub band: Option<VolBand>,
}

fn band_for(intervals: Intervals, window: &[f64]) -> Option<VolBand> {
    match intervals {
        Intervals::Gaussian => None,
        Intervals::Volatility => VolBand::fit(window),
    }
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
            band: band_for(self.intervals, c),
        })
    }
}

/// The interval at `level` around `point` for horizon `h`: the band's when there is one, else the
/// log-normal one with daily volatility `sigma`.
fn interval(
    band: Option<&VolBand>,
    closes: &[f64],
    point: f64,
    sigma: f64,
    h: Horizon,
    l: Level,
) -> Interval {
    let (lower, upper) = band
        .and_then(|b| b.interval(closes, point, h.get(), l.get()))
        .unwrap_or_else(|| {
            let spread = l.z() * sigma * (h.get() as f64).sqrt();
            (point * (-spread).exp(), point * spread.exp())
        });
    Interval {
        level: l.get(),
        lower,
        upper,
    }
}

impl Predict for FittedNaive {
    fn predict(&self, history: &Ohlcv, horizons: &[Horizon], levels: &[Level]) -> Result<Forecast> {
        let last = history
            .last_close()
            .ok_or(Error::NotEnoughData { needed: 1, got: 0 })?;
        let closes = history.close();
        let steps = horizons
            .iter()
            .map(|&h| StepForecast {
                horizon: h,
                point: last,
                intervals: levels
                    .iter()
                    .map(|&l| interval(self.band.as_ref(), closes, last, self.sigma, h, l))
                    .collect(),
            })
            .collect();
        Ok(Forecast { steps })
    }
}

/// Random walk with drift, in price levels: `Ĉ[t+h] = C[t] + h·(C[t] − C[a])/(t − a)`, a the first
/// row of the window.
///
/// Interval ([`Intervals::Volatility`], the default): the random walk's volatility-scaled interval
/// ([`Naive`]) around the drift forecast; the drift over a week is a small fraction of a week's
/// volatility. With [`Intervals::Gaussian`]: the drift interval of Hyndman & Athanasopoulos
/// (*Forecasting: Principles and Practice* §5.5), `Ĉ ± z·s·√(h·(1 + h/T))` with T the number of
/// daily changes, but with the one-day spread `s = C[t]·σ` taken from the sample sd σ (ddof 1) of
/// one-day *log* returns (the textbook's sd of price changes averages ten years of much lower prices
/// on a trending stock, and its intervals covered only 67–81% on the bundled indices).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    /// Rows of history the slope is measured over.
    pub window: usize,
    /// The interval method.
    #[serde(default)]
    pub intervals: Intervals,
}

impl Default for Drift {
    fn default() -> Self {
        Self {
            window: DEFAULT_WINDOW,
            intervals: Intervals::default(),
        }
    }
}

/// A fitted [`Drift`] model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedDrift {
    window: usize,
    /// Mean daily price change over the training window.
    pub slope: f64,
    /// Sample sd of the daily log returns.
    pub sigma: f64,
    /// Number of daily changes the slope was measured on.
    pub changes: usize,
    /// The volatility band (see [`FittedNaive::band`]).
    #[serde(default)]
    pub band: Option<VolBand>,
}

/// Mean daily change and the number of changes over the last `window` closes.
fn slope(c: &[f64]) -> (f64, usize) {
    let diffs: Vec<f64> = c.windows(2).map(|w| w[1] - w[0]).collect();
    (mean(&diffs), diffs.len())
}

impl Fit for Drift {
    type Fitted = FittedDrift;
    fn fit(&self, history: &Ohlcv) -> Result<FittedDrift> {
        check_window(self.window)?;
        let c = window_closes(history, self.window)?;
        let (slope, changes) = slope(c);
        let sigma = if changes >= 2 {
            sample_sd(&log_returns(c))
        } else {
            0.0
        };
        Ok(FittedDrift {
            window: self.window,
            slope,
            sigma,
            changes,
            band: band_for(self.intervals, c),
        })
    }
}

impl Predict for FittedDrift {
    fn predict(&self, history: &Ohlcv, horizons: &[Horizon], levels: &[Level]) -> Result<Forecast> {
        // Between refits the slope (and the Gaussian σ) is re-measured on the current window: drift
        // is a baseline and the protocol recomputes it at every origin.
        let c = window_closes(history, self.window)?;
        let (slope, changes) = slope(c);
        let sigma = if changes >= 2 {
            sample_sd(&log_returns(c))
        } else {
            0.0
        };
        let last = c[c.len() - 1];
        let closes = history.close();
        let t = changes as f64;
        let steps = horizons
            .iter()
            .map(|&h| {
                let hf = h.get() as f64;
                let point = last + hf * slope;
                let se = last * sigma * (hf * (1.0 + hf / t)).sqrt();
                StepForecast {
                    horizon: h,
                    point,
                    intervals: levels
                        .iter()
                        .map(|&l| match &self.band {
                            Some(b) => interval(Some(b), closes, point, sigma, h, l),
                            None => Interval {
                                level: l.get(),
                                lower: point - l.z() * se,
                                upper: point + l.z() * se,
                            },
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
        let f = Drift {
            window: 3,
            ..Drift::default()
        }
        .fit(&s)
        .unwrap()
        .predict(&s, &[h(1)], &[])
        .unwrap();
        assert!((f.steps[0].point - 103.0).abs() < 1e-12);
    }

    #[test]
    fn zero_window_is_rejected() {
        let s = Ohlcv::from_closes(&[1.0, 2.0]).unwrap();
        assert!(Naive {
            window: 0,
            ..Naive::default()
        }
        .fit(&s)
        .is_err());
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

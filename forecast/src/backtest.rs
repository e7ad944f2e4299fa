//! A walk-forward record: every origin's forecasts beside the actuals, and the metrics over them.
//!
//! Produced by [`crate::eval::walk_forward`] (and re-exported there); the ensemble reads its members'
//! records from here, so it needs nothing from the evaluator.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::metrics::{mase_scale, Metrics, Scored};
use crate::{Horizon, Result};

/// Per-origin forecasts and actuals at one horizon, aligned with [`Backtest::origins`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HorizonBacktest {
    /// The horizon.
    pub horizon: Horizon,
    /// Point forecasts of `C[t+h]`.
    pub point: Vec<f64>,
    /// Lower 95% bounds, when the model has an interval at every origin.
    pub lo95: Option<Vec<f64>>,
    /// Upper 95% bounds.
    pub hi95: Option<Vec<f64>>,
    /// Lower 99% bounds, when the model has an interval at every origin.
    #[serde(default)]
    pub lo99: Option<Vec<f64>>,
    /// Upper 99% bounds.
    #[serde(default)]
    pub hi99: Option<Vec<f64>>,
    /// `C[t+h]`.
    pub actual: Vec<f64>,
}

/// One refit: the origin and the number of history rows the model was fitted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refit {
    /// Origin `t` of the refit.
    pub origin: usize,
    /// Rows passed to `fit` (`t + 1`).
    pub rows: usize,
}

/// The result of a walk-forward run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backtest {
    /// Origin row indices, ascending.
    pub origins: Vec<usize>,
    /// Origin dates.
    pub dates: Vec<NaiveDate>,
    /// `C[t]` at each origin.
    pub last_close: Vec<f64>,
    /// One entry per protocol horizon.
    pub horizons: Vec<HorizonBacktest>,
    /// Every refit, in origin order.
    pub refits: Vec<Refit>,
    /// The MASE scale of the series under this protocol.
    pub mase_scale: f64,
    /// Wall-clock seconds of the run.
    pub wall_s: f64,
}

impl Backtest {
    /// The record at horizon `h`, if it was evaluated.
    pub fn horizon(&self, h: Horizon) -> Option<&HorizonBacktest> {
        self.horizons.iter().find(|hb| hb.horizon == h)
    }

    /// The record of its last `n` origins (all of them when `n` is larger), as a run with `n`
    /// origins ending at the same one would record it: the refits in force over them, and the MASE
    /// scale measured at the new first origin over a `window`-row training window of `close` (the
    /// series the record was run on). With the same refit cadence the forecasts are those of that
    /// run whenever the dropped origins are a multiple of the cadence.
    pub fn tail(&self, n: usize, close: &[f64], window: usize) -> Backtest {
        let from = self.origins.len().saturating_sub(n);
        let Some(&first) = self.origins.get(from) else {
            return self.clone();
        };
        // The refit whose model forecast the first kept origin, and every later one.
        let keep = self
            .refits
            .iter()
            .rposition(|r| r.origin <= first)
            .unwrap_or(0);
        Backtest {
            origins: self.origins[from..].to_vec(),
            dates: self.dates[from..].to_vec(),
            last_close: self.last_close[from..].to_vec(),
            horizons: self
                .horizons
                .iter()
                .map(|hb| {
                    let cut = |v: &Option<Vec<f64>>| v.as_ref().map(|v| v[from..].to_vec());
                    HorizonBacktest {
                        horizon: hb.horizon,
                        point: hb.point[from..].to_vec(),
                        lo95: cut(&hb.lo95),
                        hi95: cut(&hb.hi95),
                        lo99: cut(&hb.lo99),
                        hi99: cut(&hb.hi99),
                        actual: hb.actual[from..].to_vec(),
                    }
                })
                .collect(),
            refits: self.refits.get(keep..).unwrap_or_default().to_vec(),
            mase_scale: mase_scale(close, first, window),
            wall_s: self.wall_s,
        }
    }

    /// Metrics per horizon, in protocol order.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] if a forecast is not finite.
    pub fn metrics(&self) -> Result<Vec<(Horizon, Metrics)>> {
        self.horizons
            .iter()
            .map(|hb| {
                let s = Scored {
                    horizon: hb.horizon.get(),
                    last_close: &self.last_close,
                    actual: &hb.actual,
                    point: &hb.point,
                    interval95: hb.lo95.as_deref().zip(hb.hi95.as_deref()),
                    interval99: hb.lo99.as_deref().zip(hb.hi99.as_deref()),
                };
                Ok((hb.horizon, Metrics::compute(&s, self.mase_scale)?))
            })
            .collect()
    }
}

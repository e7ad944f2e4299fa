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

    /// This record preceded by the origins of `earlier` (an older record of the same model, say from
    /// the previous training) that come before this record's first origin: a longer record for the
    /// ensemble's burn-in without running those origins again. Every forecast in either record was
    /// made from data up to its own origin, so the joined record is as causal as its parts; the
    /// older forecasts came from the refits of that run. The MASE scale and wall time are this
    /// record's.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] when the two records do not have the same horizons.
    pub fn with_earlier(&self, earlier: &Backtest) -> Result<Backtest> {
        let same_horizons = self.horizons.len() == earlier.horizons.len()
            && self
                .horizons
                .iter()
                .zip(&earlier.horizons)
                .all(|(a, b)| a.horizon == b.horizon);
        if !same_horizons {
            return Err(crate::Error::InvalidInput(
                "records with different horizons cannot be joined".into(),
            ));
        }
        let Some(&first) = self.origins.first() else {
            return Ok(earlier.clone());
        };
        let k = earlier.origins.partition_point(|&t| t < first);
        let join = |old: &[f64], new: &[f64]| -> Vec<f64> { [&old[..k], new].concat() };
        let join_opt = |old: &Option<Vec<f64>>, new: &Option<Vec<f64>>| match (old, new) {
            (Some(o), Some(n)) => Some(join(o, n)),
            _ => None,
        };
        Ok(Backtest {
            origins: [&earlier.origins[..k], &self.origins[..]].concat(),
            dates: [&earlier.dates[..k], &self.dates[..]].concat(),
            last_close: join(&earlier.last_close, &self.last_close),
            horizons: self
                .horizons
                .iter()
                .zip(&earlier.horizons)
                .map(|(new, old)| HorizonBacktest {
                    horizon: new.horizon,
                    point: join(&old.point, &new.point),
                    lo95: join_opt(&old.lo95, &new.lo95),
                    hi95: join_opt(&old.hi95, &new.hi95),
                    lo99: join_opt(&old.lo99, &new.lo99),
                    hi99: join_opt(&old.hi99, &new.hi99),
                    actual: join(&old.actual, &new.actual),
                })
                .collect(),
            refits: earlier
                .refits
                .iter()
                .filter(|r| r.origin < first)
                .chain(&self.refits)
                .copied()
                .collect(),
            mase_scale: self.mase_scale,
            wall_s: self.wall_s,
        })
    }

    /// Metrics per horizon, in protocol order.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] if a forecast is not finite.
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A record of origins `from..to` (one horizon of 1 day) on the closes `c[i] = i + 100`, the
    /// forecast at origin `t` being `t + tag`.
    fn record(from: usize, to: usize, tag: f64, refit_every: usize) -> Backtest {
        let origins: Vec<usize> = (from..to).collect();
        Backtest {
            dates: origins
                .iter()
                .map(|&t| {
                    NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(t as u64)
                })
                .collect(),
            last_close: origins.iter().map(|&t| t as f64 + 100.0).collect(),
            horizons: vec![HorizonBacktest {
                horizon: Horizon::new(1).unwrap(),
                point: origins.iter().map(|&t| t as f64 + tag).collect(),
                lo95: None,
                hi95: None,
                lo99: None,
                hi99: None,
                actual: origins.iter().map(|&t| t as f64 + 101.0).collect(),
            }],
            refits: origins
                .iter()
                .step_by(refit_every)
                .map(|&t| Refit {
                    origin: t,
                    rows: t + 1,
                })
                .collect(),
            origins,
            mase_scale: 1.0,
            wall_s: 0.0,
        }
    }

    #[test]
    fn the_tail_keeps_the_last_origins_and_the_refit_in_force() {
        let close: Vec<f64> = (0..60).map(|i| i as f64 + 100.0).collect();
        let bt = record(20, 50, 0.5, 4);
        let t = bt.tail(10, &close, 20);
        assert_eq!(t.origins, (40..50).collect::<Vec<_>>());
        assert_eq!(t.horizons[0].point[0], 40.5);
        // Refits at 20, 24, …, 48: the one at 40 is in force at the first kept origin.
        assert_eq!(t.refits.first().map(|r| r.origin), Some(40));
        assert_eq!(t.mase_scale, 1.0);
        assert_eq!(bt.tail(99, &close, 20).origins, bt.origins);
    }

    #[test]
    fn an_earlier_record_fills_in_the_origins_before_the_first() {
        let earlier = record(10, 45, 0.25, 5);
        let new = record(40, 50, 0.75, 5);
        let joined = new.with_earlier(&earlier).unwrap();
        assert_eq!(joined.origins, (10..50).collect::<Vec<_>>());
        let p = &joined.horizons[0].point;
        // Origins before 40 come from the earlier record, the rest from the new one.
        assert_eq!((p[0], p[29], p[30], p[39]), (10.25, 39.25, 40.75, 49.75));
        assert_eq!(joined.horizons[0].actual.len(), 40);
        assert!(joined.refits.windows(2).all(|w| w[0].origin < w[1].origin));
        let mut other = record(0, 5, 0.0, 1);
        other.horizons[0].horizon = Horizon::new(2).unwrap();
        assert!(new.with_earlier(&other).is_err());
    }
}

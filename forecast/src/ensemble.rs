//! Inverse-MSE weighted ensemble of other models, with weights measured causally.
//!
//! [`Ensemble<M>`] is generic over its member type: any `M: Fit` whose fitted model predicts. The
//! registry instantiates it with its own model enum, so the ensemble never needs to know which
//! models exist.
//!
//! Fitting at origin `t` (history rows `0..=t`):
//!
//! 1. **Weights.** Each member is fitted once on rows `0..=a`, `a = t − lookback − H + 1` (`H` the
//!    largest horizon the weights are kept for), and then, exactly as between refits in the
//!    walk-forward protocol, applied at every origin `s = a..t`. For horizon `h` only the origins with
//!    `s + h ≤ t` are scored, so every target used is already known at `t`. Member `m` gets
//!    `w_m(h) = (1/MSE_m(h)) / Σ_k 1/MSE_k(h)`. A member that cannot be fitted or applied there gets
//!    weight 0.
//! 2. **Members.** Each member is then fitted on the whole history, as it would be alone.
//!
//! When no member has a scored origin (short history) the ensemble falls back to the naive
//! forecast. Forecast for horizon `h`: `Σ_m w_m(h)·Ĉ_m`, with the weights of the largest fitted
//! horizon `≤ h`. Interval bounds are combined with the same weights; a member without an interval
//! contributes the naive log-normal interval scaled to its own point forecast.
//!
//! Inverse-MSE weights over a few dozen origins are noisy but never put all the weight on one lucky
//! member, which keeps the combination close to the best member (the walk-forward evaluation
//! reports it beside its members).

use serde::{Deserialize, Serialize};

use crate::baseline::{FittedNaive, Naive};
use crate::{Error, Fit, Forecast, Horizon, Interval, Level, Ohlcv, Predict, Result, StepForecast};

/// Ensemble parameters over members of type `M`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ensemble<M> {
    /// Member models (not empty).
    pub members: Vec<M>,
    /// Origins scored per horizon to set the weights (at least 1).
    pub lookback: usize,
    /// Horizons (trading days) weights are measured for; others use the nearest smaller one.
    pub horizons: Vec<Horizon>,
}

/// Default lookback: 60 origins, about three months of daily forecasts.
pub const DEFAULT_LOOKBACK: usize = 60;

impl<M> Ensemble<M> {
    /// Checked constructor.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for no members, a zero lookback or no horizons.
    pub fn new(members: Vec<M>, lookback: usize, horizons: Vec<Horizon>) -> Result<Self> {
        let s = Ensemble {
            members,
            lookback,
            horizons,
        };
        s.check()?;
        Ok(s)
    }

    fn check(&self) -> Result<()> {
        if self.members.is_empty() {
            return Err(Error::InvalidParameter {
                name: "members",
                value: "[]".into(),
                reason: "an ensemble needs at least one member",
            });
        }
        if self.lookback == 0 {
            return Err(Error::InvalidParameter {
                name: "lookback",
                value: "0".into(),
                reason: "must score at least one origin",
            });
        }
        if self.horizons.is_empty() {
            return Err(Error::InvalidParameter {
                name: "horizons",
                value: "[]".into(),
                reason: "weights need at least one horizon",
            });
        }
        Ok(())
    }
}

impl<M: Fit> Ensemble<M> {
    /// Per-horizon inverse-MSE weights from the members' errors at past origins (see module docs).
    fn weights(&self, history: &Ohlcv, horizons: &[Horizon]) -> Vec<Option<Vec<f64>>> {
        let n = history.len();
        let max_h = horizons.iter().map(|h| h.get()).max().unwrap_or(1);
        let span = self.lookback + max_h - 1;
        let none = vec![None; horizons.len()];
        if n < span + 2 {
            return none;
        }
        let t = n - 1;
        let a = t - span;
        let close = history.close();
        // sse[h][m], count[h][m]
        let mut sse = vec![vec![0.0; self.members.len()]; horizons.len()];
        let mut cnt = vec![vec![0usize; self.members.len()]; horizons.len()];
        let mut usable = vec![true; self.members.len()];
        for (m, spec) in self.members.iter().enumerate() {
            let Ok(fitted) = spec.fit(&history.prefix(a + 1)) else {
                usable[m] = false;
                continue;
            };
            for s in a..t {
                let Ok(f) = fitted.predict(&history.prefix(s + 1), horizons, &[]) else {
                    usable[m] = false;
                    break;
                };
                for (k, h) in horizons.iter().enumerate() {
                    if s + h.get() <= t {
                        if let Some(step) = f.step(*h) {
                            sse[k][m] += (step.point - close[s + h.get()]).powi(2);
                            cnt[k][m] += 1;
                        }
                    }
                }
            }
        }
        (0..horizons.len())
            .map(|k| {
                let inv: Vec<f64> = (0..self.members.len())
                    .map(|m| {
                        let mse = sse[k][m] / cnt[k][m] as f64;
                        if usable[m] && cnt[k][m] > 0 && mse.is_finite() {
                            // A member with zero error would take all the weight; floor the MSE.
                            1.0 / mse.max(1e-12)
                        } else {
                            0.0
                        }
                    })
                    .collect();
                let total: f64 = inv.iter().sum();
                (total > 0.0).then(|| inv.iter().map(|v| v / total).collect())
            })
            .collect()
    }
}

/// A fitted [`Ensemble`] with members of fitted type `F`.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct FittedEnsemble<F> {
    /// Members fitted on the whole history.
    pub members: Vec<F>,
    /// Horizons the weights were measured for, ascending.
    pub horizons: Vec<usize>,
    /// `weights[k][m]`: weight of member `m` at `horizons[k]`; `None` = no history, naive fallback.
    pub weights: Vec<Option<Vec<f64>>>,
    fallback: FittedNaive,
}

impl<M: Fit> Fit for Ensemble<M> {
    type Fitted = FittedEnsemble<M::Fitted>;
    #[tracing::instrument(skip_all, fields(rows = history.len(), members = self.members.len()))]
    fn fit(&self, history: &Ohlcv) -> Result<Self::Fitted> {
        self.check()?;
        let mut horizons = self.horizons.clone();
        horizons.sort();
        horizons.dedup();
        let weights = self.weights(history, &horizons);
        let members = self
            .members
            .iter()
            .map(|m| m.fit(history))
            .collect::<Result<Vec<_>>>()?;
        Ok(FittedEnsemble {
            members,
            horizons: horizons.iter().map(|h| h.get()).collect(),
            weights,
            fallback: Naive::default().fit(history)?,
        })
    }
}

impl<F> FittedEnsemble<F> {
    fn weights_for(&self, h: Horizon) -> Option<&Vec<f64>> {
        let k = self
            .horizons
            .iter()
            .rposition(|&x| x <= h.get())
            .unwrap_or(0);
        self.weights.get(k).and_then(|w| w.as_ref())
    }
}

impl<F: Predict> Predict for FittedEnsemble<F> {
    fn predict(&self, history: &Ohlcv, horizons: &[Horizon], levels: &[Level]) -> Result<Forecast> {
        let naive = self.fallback.predict(history, horizons, levels)?;
        let last = history
            .last_close()
            .ok_or(Error::NotEnoughData { needed: 1, got: 0 })?;
        let needs_members = horizons.iter().any(|&h| self.weights_for(h).is_some());
        let member_fc: Vec<Forecast> = if needs_members {
            self.members
                .iter()
                .map(|m| m.predict(history, horizons, levels))
                .collect::<Result<_>>()?
        } else {
            Vec::new()
        };
        let steps = horizons
            .iter()
            .zip(&naive.steps)
            .map(|(&h, naive_step)| {
                let Some(w) = self.weights_for(h) else {
                    return Ok(naive_step.clone());
                };
                let mut point = 0.0;
                let mut lower = vec![0.0; levels.len()];
                let mut upper = vec![0.0; levels.len()];
                for (m, f) in member_fc.iter().enumerate() {
                    if w[m] == 0.0 {
                        continue;
                    }
                    let step = f.step(h).ok_or_else(|| Error::Numerical {
                        context: "ensemble",
                        detail: format!("member {m} returned no forecast for horizon {}", h.get()),
                    })?;
                    point += w[m] * step.point;
                    for (i, l) in levels.iter().enumerate() {
                        let (lo, hi) = match step.interval(l.get()) {
                            Some(iv) => (iv.lower, iv.upper),
                            None => {
                                let iv = naive_step.intervals[i];
                                (iv.lower / last * step.point, iv.upper / last * step.point)
                            }
                        };
                        lower[i] += w[m] * lo;
                        upper[i] += w[m] * hi;
                    }
                }
                Ok(StepForecast {
                    horizon: h,
                    point,
                    intervals: levels
                        .iter()
                        .enumerate()
                        .map(|(i, l)| Interval {
                            level: l.get(),
                            lower: lower[i],
                            upper: upper[i],
                        })
                        .collect(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Forecast { steps })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::{Drift, FittedDrift};

    /// A two-model member type, as a registry would build one.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    enum Member {
        Naive(Naive),
        Drift(Drift),
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum FittedMember {
        Naive(FittedNaive),
        Drift(FittedDrift),
    }

    impl Fit for Member {
        type Fitted = FittedMember;
        fn fit(&self, history: &Ohlcv) -> Result<FittedMember> {
            Ok(match self {
                Member::Naive(m) => FittedMember::Naive(m.fit(history)?),
                Member::Drift(m) => FittedMember::Drift(m.fit(history)?),
            })
        }
    }

    impl Predict for FittedMember {
        fn predict(&self, h: &Ohlcv, hs: &[Horizon], ls: &[Level]) -> Result<Forecast> {
            match self {
                FittedMember::Naive(m) => m.predict(h, hs, ls),
                FittedMember::Drift(m) => m.predict(h, hs, ls),
            }
        }
    }

    fn two_members(lookback: usize) -> Ensemble<Member> {
        Ensemble::new(
            vec![
                Member::Naive(Naive::default()),
                Member::Drift(Drift::default()),
            ],
            lookback,
            Horizon::standard().to_vec(),
        )
        .unwrap()
    }

    #[test]
    fn short_history_falls_back_to_naive() {
        let s = Ohlcv::from_closes(&[10.0, 11.0, 12.0, 13.0]).unwrap();
        let f = two_members(20).fit(&s).unwrap();
        assert!(f.weights.iter().all(Option::is_none));
        let fc = f.predict(&s, &[Horizon::new(1).unwrap()], &[]).unwrap();
        assert_eq!(fc.steps[0].point, 13.0);
    }

    #[test]
    fn a_steady_trend_puts_most_weight_on_drift() {
        // Linear trend with a small wiggle: drift's errors are far smaller than naive's.
        let closes: Vec<f64> = (0..200)
            .map(|i| 100.0 + i as f64 + 0.1 * (i as f64).sin())
            .collect();
        let s = Ohlcv::from_closes(&closes).unwrap();
        let f = two_members(30).fit(&s).unwrap();
        let w = f.weights[0].as_ref().unwrap();
        assert!(w[1] > 0.95, "{w:?}");
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        let fc = f
            .predict(
                &s,
                &[Horizon::new(1).unwrap()],
                &[Level::new(0.95).unwrap()],
            )
            .unwrap();
        let st = &fc.steps[0];
        assert!(st.point > 299.0);
        assert!(st.intervals[0].lower < st.point && st.point < st.intervals[0].upper);
    }

    #[test]
    fn weights_are_deterministic_once_there_is_enough_history() {
        let closes: Vec<f64> = (0..150)
            .map(|i| 50.0 + (i as f64 * 0.37).sin() * 3.0)
            .collect();
        let s = Ohlcv::from_closes(&closes).unwrap();
        let e = two_members(20);
        let w1 = e.fit(&s.prefix(120)).unwrap().weights;
        let w2 = e.fit(&s.prefix(120)).unwrap().weights;
        assert_eq!(w1, w2);
        assert!(w1.iter().all(Option::is_some));
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        assert!(Ensemble::<Member>::new(vec![], 10, Horizon::standard().to_vec()).is_err());
        assert!(Ensemble::new(vec![Member::Naive(Naive::default())], 0, vec![]).is_err());
    }

    #[test]
    fn fitted_ensemble_serialises() {
        let closes: Vec<f64> = (0..100).map(|i| 20.0 + (i as f64 * 0.5).cos()).collect();
        let s = Ohlcv::from_closes(&closes).unwrap();
        let f = two_members(10).fit(&s).unwrap();
        let back: FittedEnsemble<FittedMember> =
            serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
        assert_eq!(back, f);
    }
}

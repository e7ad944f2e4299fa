//! The ensemble: a convex combination of the random walk and other models, with weights fitted
//! causally on the errors known at each origin and shrunk toward the random walk unless a member has
//! shown significant skill.
//!
//! [`Ensemble<M>`] is generic over its member type: any `M: Fit`. The registry instantiates it with its
//! own model enum, so the ensemble never needs to know which models exist. The **random walk is
//! always a member**: it is built in as member 0 (the ensemble's own [`Naive`]), so the combination
//! can always fall back on it; the other members are the ones given (the registry gives drift and
//! every other model).
//!
//! # The weight rule ([`combination_weights`])
//!
//! For horizon `h` at origin `t`, the errors *known* at `t` are those of origins `s` with
//! `s + h ≤ t`. Of these the last [`Ensemble::lookback`] (250) are used:
//!
//! 1. **Too little evidence.** With fewer than [`WeightRule::min_errors`] (10) known errors the
//!    ensemble is the random walk.
//! 2. **Members worse than the random walk are dropped.** A member whose absolute errors are
//!    larger than the random walk's with a one-sided Diebold–Mariano p below
//!    [`WeightRule::exclude_p`] (0.10) gets weight 0, as does a member whose forecasts are missing.
//! 3. **Skill: combine for accuracy.** The members whose absolute errors are smaller than the random
//!    walk's with one-sided DM p-values that survive Holm's correction across the members at
//!    [`WeightRule::skill_p`] (0.05) are *skilful*. If there is one, the weights are the constrained
//!    least-squares combination of the random walk and the skilful members (non-negative weights
//!    summing to 1 that minimise the squared error of the combined forecast over the window), which
//!    puts nearly all the weight on a member with real skill.
//! 4. **No skill: shrink toward the random walk.** Otherwise the random walk and the members left
//!    after step 2 get tempered inverse-MSE weights `w_m ∝ (MSE_rw/MSE_m)^κ` ([`WeightRule::temper`],
//!    8), and the random walk's weight is raised to at least [`WeightRule::rw_floor`] (0 by default:
//!    see below).
//!
//! **Why this rule.** An inverse-MSE blend of models that all lose to the random walk, without the
//! random walk among them, can only lose too. Dropping members that are significantly worse is what
//! keeps a set of bad members from dragging the combination below the random walk (they are dropped
//! within a few dozen origins, and until then the ensemble is the random walk itself). Members that
//! are neither significantly better nor worse are pooled with the random walk: on daily prices their
//! errors are nearly the same as the random walk's and partly independent, so pooling helps at the
//! one-week horizon (an equal-weight pool beat most single members there on the bundled series) and
//! costs little at one day. Optimal (least-squares) weights are only used once a member has shown
//! skill that survives a multiplicity correction: estimated over 60 origins they chase noise
//! otherwise (on the bundled series they were up to 2% worse than the random walk). A floor on the
//! random walk's weight in step 4 makes the ensemble more conservative and gives up part of the
//! pooling gain; it is there to be raised, not used by default.
//!
//! # Two ways to run it
//!
//! * **From history** ([`Fit`]): at origin `t` every member is fitted once, `lookback + H − 1` rows
//!   before `t` (`H` the largest horizon), and applied at each later origin as between refits in
//!   the walk-forward protocol; that gives the errors the weights are fitted on. Then each member is
//!   fitted on the whole history. The weights stay fixed until the next fit.
//! * **From the members' walk-forward records** ([`Ensemble::backtest_from_members`],
//!   [`Ensemble::fit_from_members`]): nothing is refitted. The weights at every origin come from the
//!   errors the members' own walk-forward runs made at earlier origins, so the ensemble's evaluation
//!   costs a few milliseconds, and its final fit reuses the members fitted for serving. This is how
//!   `forecast-eval` and the app evaluate it.
//!
//! # Burn-in
//!
//! Scored over exactly the members' 250 origins, the weights at the first origins know no errors
//! (the random walk alone) and then only a few dozen, so for a good part of the scored window they
//! are noise. [`Ensemble::backtest_from_members_scored`] takes member records that start
//! [`BURN_IN`] (260) origins earlier and scores the last 250: the weights then start from a year of
//! known errors. The members' records over the scored origins are unchanged (the burn-in is whole
//! refit blocks). On the bundled series this met issue #15's criterion in one more cell (the S&P 500
//! at one week); `evaluation/README.md` has the figures, and the evidence that the three cells it
//! still misses are out of reach of every causal rule tried. It costs the members' walk-forward runs
//! over 510 origins instead of 250, unless their records from an earlier training are kept
//! ([`Backtest::with_earlier`]).
//!
//! Forecast for horizon `h`: `Σ_m w_m(h)·Ĉ_m` (member 0 the random walk), with the weights of the
//! largest weighted horizon `≤ h`. The interval is the random walk's volatility-scaled interval
//! ([`crate::baseline::Naive`]) moved to the combined point: the combination is close to the random
//! walk, and averaging members' bounds would mix intervals of different calibration.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::backtest::{Backtest, HorizonBacktest};
use crate::baseline::{FittedNaive, Naive};
use crate::metrics::diebold_mariano;
use crate::{Error, Fit, Forecast, Horizon, Interval, Level, Ohlcv, Predict, Result, StepForecast};

/// Default lookback: the last 250 known errors, about a year of daily forecasts (the length of the
/// evaluation window).
pub const DEFAULT_LOOKBACK: usize = 250;

/// Origins of member records before the scored ones that the weights may learn from (260): with a
/// record of `250 + BURN_IN` origins, [`Ensemble::backtest_from_members_scored`] scores the last
/// 250 with weights that start from about a year of known errors instead of from none. A multiple
/// of the protocol's refit cadence (20), so each member's record over the scored origins is the
/// one a 250-origin run gives ([`crate::backtest::Backtest::tail`]).
pub const BURN_IN: usize = 260;

/// The thresholds of the weight rule (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WeightRule {
    /// Fewest known errors before any member but the random walk gets weight (10).
    pub min_errors: usize,
    /// One-sided Diebold–Mariano p below which a member is worse than the random walk and dropped
    /// (0.10).
    pub exclude_p: f64,
    /// Family-wise level of the Holm-corrected one-sided DM tests that make a member skilful (0.05).
    pub skill_p: f64,
    /// Exponent κ of the pooled weights `w_m ∝ (MSE_rw/MSE_m)^κ` while no member is skilful (8):
    /// 1 is plain inverse-MSE; larger values favour the members that did better than the random
    /// walk and fade the ones that did worse.
    pub temper: f64,
    /// Smallest weight of the random walk while no member is skilful, in [0, 1] (0).
    pub rw_floor: f64,
}

impl Default for WeightRule {
    fn default() -> Self {
        Self {
            min_errors: 10,
            exclude_p: 0.10,
            skill_p: 0.05,
            temper: 8.0,
            rw_floor: 0.0,
        }
    }
}

/// Which step of the rule set the weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    /// Too few known errors: the random walk alone.
    TooFewErrors,
    /// No member is skilful: inverse-MSE pool of the random walk and the members not dropped.
    NoSkill,
    /// At least one member is skilful: least-squares combination of it and the random walk.
    Skill,
}

/// Weights for one horizon at one origin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    /// One weight per member, the random walk first; non-negative, summing to 1.
    pub weights: Vec<f64>,
    /// How they were set.
    pub regime: Regime,
    /// Members (indices into `weights`) that were skilful.
    pub skilful: Vec<usize>,
    /// Members dropped as worse than the random walk (or without forecasts).
    pub dropped: Vec<usize>,
}

impl Weights {
    fn random_walk(n: usize) -> Self {
        let mut weights = vec![0.0; n];
        weights[0] = 1.0;
        Weights {
            weights,
            regime: Regime::TooFewErrors,
            skilful: Vec::new(),
            dropped: Vec::new(),
        }
    }
}

/// The weights of the rule (module docs) from the members' recent errors at horizon `h`.
///
/// `errors[m]` are member `m`'s forecast errors at the same origins, oldest first, member 0 the
/// random walk (which must be present); `None` marks a member without forecasts. Only the last
/// `lookback` errors are used.
pub fn combination_weights(
    errors: &[Option<&[f64]>],
    h: usize,
    lookback: usize,
    rule: &WeightRule,
) -> Weights {
    let m_count = errors.len();
    let Some(Some(rw)) = errors.first() else {
        return Weights::random_walk(m_count.max(1));
    };
    let n = rw.len().min(lookback);
    if n < rule.min_errors.max(2) || errors.iter().flatten().any(|e| e.len() != rw.len()) {
        return Weights::random_walk(m_count);
    }
    let tail = |e: &[f64]| -> Vec<f64> { e[e.len() - n..].to_vec() };
    let rw = tail(rw);
    let mut kept = vec![0usize];
    let mut dropped = Vec::new();
    let mut better: Vec<(usize, f64)> = Vec::new();
    for (m, e) in errors.iter().enumerate().skip(1) {
        let Some(e) = e else {
            dropped.push(m);
            continue;
        };
        let e = tail(e);
        if e.iter().any(|v| !v.is_finite()) {
            dropped.push(m);
            continue;
        }
        match diebold_mariano(&e, &rw, h) {
            Some(dm) if dm.p_model_worse() < rule.exclude_p => dropped.push(m),
            Some(dm) => {
                kept.push(m);
                better.push((m, dm.p_model_better()));
            }
            // Identical losses (a copy of the random walk): no evidence either way.
            None => kept.push(m),
        }
    }
    let skilful = holm_rejections(&better, rule.skill_p);
    let mut weights = vec![0.0; m_count];
    let column = |m: usize| -> Vec<f64> {
        if m == 0 {
            rw.clone()
        } else {
            tail(errors[m].expect("kept members have errors"))
        }
    };
    if !skilful.is_empty() {
        let idx: Vec<usize> = std::iter::once(0).chain(skilful.iter().copied()).collect();
        let cols: Vec<Vec<f64>> = idx.iter().map(|&m| column(m)).collect();
        for (w, &m) in least_squares_weights(&cols).iter().zip(&idx) {
            weights[m] = *w;
        }
        return Weights {
            weights,
            regime: Regime::Skill,
            skilful,
            dropped,
        };
    }
    let mse = |m: usize| {
        let c = column(m);
        // A member with zero error would take all the weight; floor the MSE.
        (c.iter().map(|v| v * v).sum::<f64>() / c.len() as f64).max(1e-300)
    };
    let rw_mse = mse(0);
    let inv: Vec<f64> = kept
        .iter()
        .map(|&m| (rw_mse / mse(m)).powf(rule.temper))
        .collect();
    let total: f64 = inv.iter().sum();
    for (&m, v) in kept.iter().zip(&inv) {
        weights[m] = v / total;
    }
    let floor = rule.rw_floor.clamp(0.0, 1.0);
    if weights[0] < floor {
        let rest = 1.0 - weights[0];
        for w in weights.iter_mut().skip(1) {
            *w *= (1.0 - floor) / rest;
        }
        weights[0] = floor;
    }
    Weights {
        weights,
        regime: Regime::NoSkill,
        skilful: Vec::new(),
        dropped,
    }
}

/// Holm's step-down procedure: the members whose p-values are rejected at family-wise level `alpha`.
fn holm_rejections(p: &[(usize, f64)], alpha: f64) -> Vec<usize> {
    let mut sorted = p.to_vec();
    sorted.sort_by(|a, b| a.1.total_cmp(&b.1));
    let k = sorted.len();
    let mut out = Vec::new();
    for (i, &(m, pv)) in sorted.iter().enumerate() {
        if pv < alpha / (k - i) as f64 {
            out.push(m);
        } else {
            break;
        }
    }
    out.sort_unstable();
    out
}

/// Non-negative weights summing to 1 that minimise `Σ_i (Σ_m w_m·e_m[i])²` (the squared error of the
/// combined forecast), `cols[m]` member `m`'s errors: projected gradient descent with Nesterov
/// momentum on the simplex. The columns are few (≤ a dozen), so this converges in well under a
/// millisecond.
pub fn least_squares_weights(cols: &[Vec<f64>]) -> Vec<f64> {
    let k = cols.len();
    if k == 1 {
        return vec![1.0];
    }
    let mut g = vec![vec![0.0; k]; k];
    for a in 0..k {
        for b in a..k {
            let v: f64 = cols[a].iter().zip(&cols[b]).map(|(x, y)| x * y).sum();
            g[a][b] = v;
            g[b][a] = v;
        }
    }
    // Scale so the step size does not depend on the price level.
    let trace: f64 = (0..k).map(|a| g[a][a]).sum();
    if !(trace > 0.0 && trace.is_finite()) {
        let mut w = vec![0.0; k];
        w[0] = 1.0;
        return w;
    }
    for row in g.iter_mut() {
        for v in row.iter_mut() {
            *v /= trace;
        }
    }
    // The largest eigenvalue is at most the trace (now 1): step 1/2 is safe for the gradient 2Gw.
    let step = 0.5;
    let mut w = vec![1.0 / k as f64; k];
    let mut y = w.clone();
    let mut t = 1.0f64;
    for _ in 0..5000 {
        let grad: Vec<f64> = (0..k)
            .map(|a| 2.0 * (0..k).map(|b| g[a][b] * y[b]).sum::<f64>())
            .collect();
        let next = project_to_simplex(
            &y.iter()
                .zip(&grad)
                .map(|(v, d)| v - step * d)
                .collect::<Vec<_>>(),
        );
        let t_next = (1.0 + (1.0 + 4.0 * t * t).sqrt()) / 2.0;
        let moved: f64 = next.iter().zip(&w).map(|(a, b)| (a - b).abs()).sum();
        y = next
            .iter()
            .zip(&w)
            .map(|(n, o)| n + (t - 1.0) / t_next * (n - o))
            .collect();
        w = next;
        t = t_next;
        if moved < 1e-12 {
            break;
        }
    }
    w
}

/// Euclidean projection onto `{w ≥ 0, Σw = 1}` (sort-based, Held–Wolfe–Crowder).
fn project_to_simplex(v: &[f64]) -> Vec<f64> {
    let mut u = v.to_vec();
    u.sort_by(|a, b| b.total_cmp(a));
    let mut cum = 0.0;
    let mut theta = 0.0;
    for (i, &x) in u.iter().enumerate() {
        cum += x;
        let t = (cum - 1.0) / (i + 1) as f64;
        if x - t > 0.0 {
            theta = t;
        }
    }
    v.iter().map(|x| (x - theta).max(0.0)).collect()
}

/// Ensemble parameters over members of type `M` (the random walk is built in; see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ensemble<M> {
    /// Members besides the built-in random walk (may be empty: the ensemble is then the random
    /// walk).
    pub members: Vec<M>,
    /// Known errors per horizon the weights are measured on, the most recent ones (at least 1).
    pub lookback: usize,
    /// Horizons (trading days) weights are measured for; others use the nearest smaller one.
    pub horizons: Vec<Horizon>,
    /// The thresholds of the weight rule.
    #[serde(default)]
    pub rule: WeightRule,
}

impl<M> Ensemble<M> {
    /// Checked constructor with the default [`WeightRule`].
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a zero lookback or no horizons.
    pub fn new(members: Vec<M>, lookback: usize, horizons: Vec<Horizon>) -> Result<Self> {
        let s = Ensemble {
            members,
            lookback,
            horizons,
            rule: WeightRule::default(),
        };
        s.check()?;
        Ok(s)
    }

    fn check(&self) -> Result<()> {
        let bad = |name, value: String, reason| {
            Err(Error::InvalidParameter {
                name,
                value,
                reason,
            })
        };
        if self.lookback == 0 {
            return bad("lookback", "0".into(), "must score at least one origin");
        }
        if self.horizons.is_empty() {
            return bad("horizons", "[]".into(), "weights need at least one horizon");
        }
        let r = &self.rule;
        let unit = |p: f64| p > 0.0 && p < 1.0;
        if !unit(r.exclude_p) {
            return bad("exclude_p", r.exclude_p.to_string(), "must lie in (0, 1)");
        }
        if !unit(r.skill_p) {
            return bad("skill_p", r.skill_p.to_string(), "must lie in (0, 1)");
        }
        if !(r.temper > 0.0 && r.temper <= 64.0) {
            return bad("temper", r.temper.to_string(), "must lie in (0, 64]");
        }
        if !(0.0..=1.0).contains(&r.rw_floor) {
            return bad("rw_floor", r.rw_floor.to_string(), "must lie in [0, 1]");
        }
        Ok(())
    }

    fn sorted_horizons(&self) -> Vec<Horizon> {
        let mut h = self.horizons.clone();
        h.sort();
        h.dedup();
        h
    }

    /// The ensemble's walk-forward record computed from its members' records, without fitting
    /// anything: at each origin the weights come from the errors known there (see the module
    /// docs). `records[m]` must be member `m`'s record over the same origins and horizons, run on
    /// `series`; the random walk's record is derived from `series`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the records do not match the members or each other.
    pub fn backtest_from_members(
        &self,
        series: &Ohlcv,
        records: &[&Backtest],
    ) -> Result<EnsembleBacktest> {
        self.check()?;
        let start = Instant::now();
        let base = check_records(self.members.len(), series, records)?;
        let naive = Naive::default();
        let levels = Level::standard();
        let all_h: Vec<Horizon> = base.horizons.iter().map(|hb| hb.horizon).collect();
        // The random walk's forecast at each origin, from its own fit there; its interval, moved to
        // the ensemble's point, is the ensemble's interval.
        let naive_fc: Vec<Forecast> = base
            .origins
            .iter()
            .map(|&t| {
                let history = series.prefix(t + 1);
                naive.fit(&history)?.predict(&history, &all_h, &levels)
            })
            .collect::<Result<_>>()?;
        let mut horizons = Vec::with_capacity(base.horizons.len());
        let mut weights_out = Vec::with_capacity(base.horizons.len());
        for hb in &base.horizons {
            let h = hb.horizon;
            let members: Vec<&HorizonBacktest> = records
                .iter()
                .map(|r| r.horizon(h).expect("checked"))
                .collect();
            let rw_err: Vec<f64> = base
                .last_close
                .iter()
                .zip(&hb.actual)
                .map(|(c, y)| c - y)
                .collect();
            let m_err: Vec<Vec<f64>> = members
                .iter()
                .map(|m| m.point.iter().zip(&m.actual).map(|(p, y)| p - y).collect())
                .collect();
            let n = base.origins.len();
            let mut point = vec![0.0; n];
            let mut bounds = [vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]];
            let mut path = Vec::with_capacity(n);
            for (i, &t) in base.origins.iter().enumerate() {
                // Origins j with origins[j] + h ≤ t: their targets are known at t.
                let known = base.origins[..i]
                    .iter()
                    .take_while(|&&s| s + h.get() <= t)
                    .count();
                let from = known.saturating_sub(self.lookback);
                let cols: Vec<Option<&[f64]>> = std::iter::once(Some(&rw_err[from..known]))
                    .chain(m_err.iter().map(|e| Some(&e[from..known])))
                    .collect();
                let w = combination_weights(&cols, h.get(), self.lookback, &self.rule);
                let last = base.last_close[i];
                let p = w.weights[0] * last
                    + members
                        .iter()
                        .zip(&w.weights[1..])
                        .filter(|(_, &wm)| wm != 0.0)
                        .map(|(mb, wm)| wm * mb.point[i])
                        .sum::<f64>();
                point[i] = p;
                let step = naive_fc[i].step(h).expect("every horizon");
                for (k, iv) in step.intervals.iter().enumerate() {
                    bounds[2 * k][i] = iv.lower / last * p;
                    bounds[2 * k + 1][i] = iv.upper / last * p;
                }
                path.push(w);
            }
            let [lo95, hi95, lo99, hi99] = bounds;
            horizons.push(HorizonBacktest {
                horizon: h,
                point,
                lo95: Some(lo95),
                hi95: Some(hi95),
                lo99: Some(lo99),
                hi99: Some(hi99),
                actual: hb.actual.clone(),
            });
            weights_out.push(HorizonWeights { horizon: h, path });
        }
        Ok(EnsembleBacktest {
            backtest: Backtest {
                origins: base.origins.clone(),
                dates: base.dates.clone(),
                last_close: base.last_close.clone(),
                horizons,
                refits: Vec::new(),
                mase_scale: base.mase_scale,
                wall_s: start.elapsed().as_secs_f64(),
            },
            weights: weights_out,
        })
    }

    /// Like [`Ensemble::backtest_from_members`], but the record and the weights cover only the last
    /// `scored` origins of the members' records: the errors at the origins before them (the
    /// burn-in, [`BURN_IN`]) only inform the weights. The members' own records over the scored
    /// origins are `record.tail(scored, series.close(), window)`; `window` is the protocol's
    /// training window, which the MASE scale is measured over.
    ///
    /// # Errors
    /// As [`Ensemble::backtest_from_members`]; [`Error::InvalidInput`] when `scored` is 0 or more
    /// than the records' origins.
    pub fn backtest_from_members_scored(
        &self,
        series: &Ohlcv,
        records: &[&Backtest],
        scored: usize,
        window: usize,
    ) -> Result<EnsembleBacktest> {
        let total = records.first().map_or(0, |r| r.origins.len());
        if scored == 0 || scored > total {
            return Err(Error::InvalidInput(format!(
                "{scored} origins to score from member records of {total}"
            )));
        }
        let start = Instant::now();
        let full = self.backtest_from_members(series, records)?;
        let from = total - scored;
        let mut backtest = full.backtest.tail(scored, series.close(), window);
        backtest.wall_s = start.elapsed().as_secs_f64();
        Ok(EnsembleBacktest {
            backtest,
            weights: full
                .weights
                .into_iter()
                .map(|hw| HorizonWeights {
                    horizon: hw.horizon,
                    path: hw.path[from..].to_vec(),
                })
                .collect(),
        })
    }

    /// The fitted ensemble from members already fitted on `history` and their walk-forward records:
    /// the weights come from the last [`Ensemble::lookback`] errors known at the end of `history`,
    /// so nothing is refitted. `fitted[m]` and `records[m]` belong to member `m`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the counts differ or a record reaches past `history`.
    pub fn fit_from_members<F>(
        &self,
        history: &Ohlcv,
        fitted: Vec<F>,
        records: &[&Backtest],
    ) -> Result<FittedEnsemble<F>> {
        self.check()?;
        if fitted.len() != self.members.len() {
            return Err(Error::InvalidInput(format!(
                "{} fitted members for an ensemble of {}",
                fitted.len(),
                self.members.len()
            )));
        }
        let base = check_records(self.members.len(), history, records)?;
        let t = history.len() - 1;
        let horizons = self.sorted_horizons();
        let weights = horizons
            .iter()
            .map(|&h| {
                let known = base
                    .origins
                    .iter()
                    .take_while(|&&s| s + h.get() <= t)
                    .count();
                let from = known.saturating_sub(self.lookback);
                let err = |hb: &HorizonBacktest, point: &[f64]| -> Vec<f64> {
                    point[from..known]
                        .iter()
                        .zip(&hb.actual[from..known])
                        .map(|(p, y)| p - y)
                        .collect()
                };
                let mut cols: Vec<Vec<f64>> = Vec::new();
                match base.horizon(h) {
                    Some(hb) => cols.push(err(hb, &base.last_close)),
                    None => return Weights::random_walk(self.members.len() + 1).weights,
                }
                for r in records {
                    match r.horizon(h) {
                        Some(hb) => cols.push(err(hb, &hb.point)),
                        None => return Weights::random_walk(self.members.len() + 1).weights,
                    }
                }
                let refs: Vec<Option<&[f64]>> = cols.iter().map(|c| Some(&c[..])).collect();
                combination_weights(&refs, h.get(), self.lookback, &self.rule).weights
            })
            .collect();
        Ok(FittedEnsemble {
            members: fitted,
            horizons: horizons.iter().map(|h| h.get()).collect(),
            weights,
            naive: Naive::default().fit(history)?,
        })
    }
}

/// Checks that the member records are aligned with each other and lie inside `series`; returns the
/// first one (the origins and actuals every record shares).
fn check_records<'a>(
    members: usize,
    series: &Ohlcv,
    records: &[&'a Backtest],
) -> Result<&'a Backtest> {
    if records.len() != members {
        return Err(Error::InvalidInput(format!(
            "{} member records for an ensemble of {members} members",
            records.len()
        )));
    }
    let Some(&base) = records.first() else {
        return Err(Error::InvalidInput(
            "an ensemble evaluated from records needs at least one member record".into(),
        ));
    };
    for (m, r) in records.iter().enumerate() {
        if r.origins != base.origins {
            return Err(Error::InvalidInput(format!(
                "member {m}'s record has other origins than member 0's"
            )));
        }
        for hb in &base.horizons {
            if r.horizon(hb.horizon).is_none() {
                return Err(Error::InvalidInput(format!(
                    "member {m}'s record has no horizon {}",
                    hb.horizon.get()
                )));
            }
        }
    }
    if let Some(&t) = base.origins.last() {
        if t >= series.len() {
            return Err(Error::InvalidInput(format!(
                "records reach origin {t} but the series has {} rows",
                series.len()
            )));
        }
    }
    Ok(base)
}

/// The ensemble's record computed from its members' records, with its weights at every origin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnsembleBacktest {
    /// The ensemble's walk-forward record (no refits: nothing was fitted).
    pub backtest: Backtest,
    /// The weights used at each origin, per horizon.
    pub weights: Vec<HorizonWeights>,
}

/// The weights at each origin for one horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HorizonWeights {
    /// The horizon.
    pub horizon: Horizon,
    /// One entry per origin, in origin order.
    pub path: Vec<Weights>,
}

impl<M: Fit> Ensemble<M> {
    /// Per-horizon weights at the end of `history` from the members' errors at earlier origins,
    /// each member fitted once `lookback + H − 1` rows before the end (see the module docs).
    fn weights(&self, history: &Ohlcv, horizons: &[Horizon]) -> Vec<Vec<f64>> {
        let n = history.len();
        let m_count = self.members.len() + 1;
        let max_h = horizons.iter().map(|h| h.get()).max().unwrap_or(1);
        let span = self.lookback + max_h - 1;
        if n < span + 2 || n < self.rule.min_errors + max_h + 2 {
            return vec![Weights::random_walk(m_count).weights; horizons.len()];
        }
        let t = n - 1;
        let a = t.saturating_sub(span);
        let close = history.close();
        // errors[k][m]: member m's errors at horizon k over the scored origins (member 0 = RW).
        let mut errors: Vec<Vec<Option<Vec<f64>>>> = horizons
            .iter()
            .map(|&h| {
                let rw = (a..t)
                    .filter(|s| s + h.get() <= t)
                    .map(|s| close[s] - close[s + h.get()])
                    .collect();
                vec![Some(rw)]
            })
            .collect();
        for spec in &self.members {
            let mut own: Vec<Option<Vec<f64>>> = vec![Some(Vec::new()); horizons.len()];
            match spec.fit(&history.prefix(a + 1)) {
                Ok(fitted) => {
                    for s in a..t {
                        let Ok(f) = fitted.predict(&history.prefix(s + 1), horizons, &[]) else {
                            own = vec![None; horizons.len()];
                            break;
                        };
                        for (k, h) in horizons.iter().enumerate() {
                            if s + h.get() > t {
                                continue;
                            }
                            match (f.step(*h), own[k].as_mut()) {
                                (Some(step), Some(col)) => {
                                    col.push(step.point - close[s + h.get()])
                                }
                                _ => own[k] = None,
                            }
                        }
                    }
                }
                Err(_) => own = vec![None; horizons.len()],
            }
            for (k, col) in own.into_iter().enumerate() {
                errors[k].push(col);
            }
        }
        horizons
            .iter()
            .zip(&mut errors)
            .map(|(h, cols)| {
                let refs: Vec<Option<&[f64]>> = cols.iter().map(|c| c.as_deref()).collect();
                combination_weights(&refs, h.get(), self.lookback, &self.rule).weights
            })
            .collect()
    }
}

/// A fitted [`Ensemble`] with members of fitted type `F`.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct FittedEnsemble<F> {
    /// Members fitted on the whole history (the random walk is `naive`).
    pub members: Vec<F>,
    /// Horizons the weights were measured for, ascending.
    pub horizons: Vec<usize>,
    /// `weights[k][m]`: weight of member `m` at `horizons[k]`, member 0 the random walk and member
    /// `m ≥ 1` `members[m − 1]`.
    pub weights: Vec<Vec<f64>>,
    /// The built-in random walk.
    pub naive: FittedNaive,
}

impl<M: Fit> Fit for Ensemble<M> {
    type Fitted = FittedEnsemble<M::Fitted>;
    #[tracing::instrument(skip_all, fields(rows = history.len(), members = self.members.len()))]
    fn fit(&self, history: &Ohlcv) -> Result<Self::Fitted> {
        self.check()?;
        let horizons = self.sorted_horizons();
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
            naive: Naive::default().fit(history)?,
        })
    }
}

impl<F> FittedEnsemble<F> {
    /// The weights used for horizon `h` (random walk first).
    pub fn weights_for(&self, h: Horizon) -> Option<&[f64]> {
        let k = self
            .horizons
            .iter()
            .rposition(|&x| x <= h.get())
            .unwrap_or(0);
        self.weights.get(k).map(Vec::as_slice)
    }
}

impl<F: Predict> Predict for FittedEnsemble<F> {
    fn predict(&self, history: &Ohlcv, horizons: &[Horizon], levels: &[Level]) -> Result<Forecast> {
        let naive = self.naive.predict(history, horizons, levels)?;
        let last = history
            .last_close()
            .ok_or(Error::NotEnoughData { needed: 1, got: 0 })?;
        // Only members with weight somewhere are asked for a forecast.
        let used: Vec<bool> = (0..self.members.len())
            .map(|m| {
                horizons
                    .iter()
                    .any(|&h| self.weights_for(h).is_some_and(|w| w[m + 1] != 0.0))
            })
            .collect();
        let member_fc: Vec<Option<Forecast>> = self
            .members
            .iter()
            .zip(&used)
            .map(|(m, &u)| u.then(|| m.predict(history, horizons, levels)).transpose())
            .collect::<Result<_>>()?;
        let steps = horizons
            .iter()
            .zip(&naive.steps)
            .map(|(&h, naive_step)| {
                let Some(w) = self.weights_for(h) else {
                    return Ok(naive_step.clone());
                };
                let mut point = w[0] * naive_step.point;
                for (m, f) in member_fc.iter().enumerate() {
                    let wm = w[m + 1];
                    if wm == 0.0 {
                        continue;
                    }
                    let step =
                        f.as_ref()
                            .and_then(|f| f.step(h))
                            .ok_or_else(|| Error::Numerical {
                                context: "ensemble",
                                detail: format!(
                                    "member {m} returned no forecast for horizon {}",
                                    h.get()
                                ),
                            })?;
                    point += wm * step.point;
                }
                // The random walk's interval, moved to the combined point.
                let lower: Vec<f64> = naive_step
                    .intervals
                    .iter()
                    .map(|i| i.lower / last * point)
                    .collect();
                let upper: Vec<f64> = naive_step
                    .intervals
                    .iter()
                    .map(|i| i.upper / last * point)
                    .collect();
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

    /// A one-model member type, as a registry would build one.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    enum Member {
        Drift(Drift),
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum FittedMember {
        Drift(FittedDrift),
    }

    impl Fit for Member {
        type Fitted = FittedMember;
        fn fit(&self, history: &Ohlcv) -> Result<FittedMember> {
            match self {
                Member::Drift(m) => Ok(FittedMember::Drift(m.fit(history)?)),
            }
        }
    }

    impl Predict for FittedMember {
        fn predict(&self, h: &Ohlcv, hs: &[Horizon], ls: &[Level]) -> Result<Forecast> {
            match self {
                FittedMember::Drift(m) => m.predict(h, hs, ls),
            }
        }
    }

    fn with_drift(lookback: usize) -> Ensemble<Member> {
        Ensemble::new(
            vec![Member::Drift(Drift::default())],
            lookback,
            Horizon::standard().to_vec(),
        )
        .unwrap()
    }

    #[test]
    fn short_history_falls_back_to_the_random_walk() {
        let s = Ohlcv::from_closes(&[10.0, 11.0, 12.0, 13.0]).unwrap();
        let f = with_drift(20).fit(&s).unwrap();
        assert!(f.weights.iter().all(|w| w == &[1.0, 0.0]));
        let fc = f.predict(&s, &[Horizon::new(1).unwrap()], &[]).unwrap();
        assert_eq!(fc.steps[0].point, 13.0);
    }

    #[test]
    fn a_steady_trend_puts_most_weight_on_drift() {
        // Linear trend with a small wiggle: drift's errors are far smaller than the random walk's.
        let closes: Vec<f64> = (0..200)
            .map(|i| 100.0 + i as f64 + 0.1 * (i as f64).sin())
            .collect();
        let s = Ohlcv::from_closes(&closes).unwrap();
        let f = with_drift(30).fit(&s).unwrap();
        let w = &f.weights[0];
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
        let e = with_drift(20);
        let w1 = e.fit(&s.prefix(120)).unwrap().weights;
        let w2 = e.fit(&s.prefix(120)).unwrap().weights;
        assert_eq!(w1, w2);
        assert!(w1
            .iter()
            .all(|w| (w.iter().sum::<f64>() - 1.0).abs() < 1e-12));
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        assert!(Ensemble::<Member>::new(vec![], 0, Horizon::standard().to_vec()).is_err());
        assert!(Ensemble::<Member>::new(vec![], 10, vec![]).is_err());
        let mut e = with_drift(10);
        e.rule.skill_p = 0.0;
        let s = Ohlcv::from_closes(&[1.0, 2.0, 3.0]).unwrap();
        assert!(matches!(e.fit(&s), Err(Error::InvalidParameter { .. })));
    }

    #[test]
    fn fitted_ensemble_serialises() {
        let closes: Vec<f64> = (0..100).map(|i| 20.0 + (i as f64 * 0.5).cos()).collect();
        let s = Ohlcv::from_closes(&closes).unwrap();
        let f = with_drift(10).fit(&s).unwrap();
        let back: FittedEnsemble<FittedMember> =
            serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
        assert_eq!(back, f);
    }

    #[test]
    fn a_member_significantly_worse_than_the_random_walk_is_dropped() {
        // Member 1 adds a large alternating error to the random walk's.
        let rw: Vec<f64> = (0..60).map(|i| ((i * 7919) % 13) as f64 - 6.0).collect();
        let bad: Vec<f64> = rw
            .iter()
            .enumerate()
            .map(|(i, e)| e + if i % 2 == 0 { 5.0 } else { -5.0 })
            .collect();
        let w = combination_weights(&[Some(&rw), Some(&bad)], 1, 60, &WeightRule::default());
        assert_eq!(w.weights, [1.0, 0.0]);
        assert_eq!((w.regime, w.dropped), (Regime::NoSkill, vec![1]));
    }

    #[test]
    fn a_skilful_member_takes_nearly_all_the_weight() {
        // Member 1's errors are a third of the random walk's: the least-squares weights go to it.
        let rw: Vec<f64> = (0..60).map(|i| (i as f64 * 1.3).sin() * 3.0).collect();
        let good: Vec<f64> = rw.iter().map(|e| e / 3.0).collect();
        let w = combination_weights(&[Some(&rw), Some(&good)], 1, 60, &WeightRule::default());
        assert_eq!(w.regime, Regime::Skill);
        assert!(w.weights[1] > 0.99, "{:?}", w.weights);
    }

    #[test]
    fn too_few_errors_give_the_random_walk() {
        let e = [1.0, -1.0, 2.0];
        let w = combination_weights(&[Some(&e), Some(&e)], 1, 60, &WeightRule::default());
        assert_eq!(
            (w.weights, w.regime),
            (vec![1.0, 0.0], Regime::TooFewErrors)
        );
    }

    #[test]
    fn least_squares_weights_match_the_closed_form_for_two_members() {
        // Two uncorrelated error columns with variances 1 and 4: w = (4/5, 1/5).
        let a: Vec<f64> = (0..400)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let b: Vec<f64> = (0..400)
            .map(|i| if (i / 2) % 2 == 0 { 2.0 } else { -2.0 })
            .collect();
        let w = least_squares_weights(&[a, b]);
        assert!(
            (w[0] - 0.8).abs() < 1e-9 && (w[1] - 0.2).abs() < 1e-9,
            "{w:?}"
        );
        assert_eq!(project_to_simplex(&[2.0, 0.0]), vec![1.0, 0.0]);
    }

    #[test]
    fn holm_keeps_only_what_survives_the_step_down() {
        // Three tests at 0.05: thresholds 0.0167, 0.025, 0.05.
        assert_eq!(
            holm_rejections(&[(1, 0.01), (2, 0.02), (3, 0.04)], 0.05),
            vec![1, 2, 3]
        );
        assert_eq!(
            holm_rejections(&[(1, 0.01), (2, 0.03), (3, 0.04)], 0.05),
            vec![1]
        );
        assert!(holm_rejections(&[(1, 0.03), (2, 0.04)], 0.05).is_empty());
    }
}

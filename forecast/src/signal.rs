//! BUY / SELL / HOLD, only from models whose walk-forward record shows skill that survives a
//! multiplicity correction, with a calibrated probability that the call is right.
//!
//! # The significance gate ([`significance_gate`])
//!
//! The cells shown together (every model × horizon on one page) are one family. A cell is
//! **skilful** when both hold:
//!
//! 1. **It beats the random walk**: the one-sided Diebold–Mariano p-value of "smaller absolute errors
//!    than naive" (`DM_p_better`), adjusted with **Holm**'s step-down procedure across every cell of
//!    the family that has the test, is below [`ALPHA`] (5%);
//! 2. **It calls the direction better than a constant call**: its hit rate beats
//!    `max(up share, 1 − up share)` of its own evaluation window with an exact one-sided binomial
//!    p-value below [`ALPHA`] (`DA_p_vs_up`). Against 50%, a model that always says "up" in a year
//!    when prices rose 56% of the days would look skilful.
//!
//! Only a skilful cell may say BUY or SELL; every other cell says HOLD. On daily prices that is the
//! honest answer for nearly every model.
//!
//! **Why Holm, not Benjamini–Hochberg.** A BUY shown next to a model is a claim to a person that
//! this model has skill; the error that matters is showing *any* such claim falsely, which is the
//! family-wise error rate that Holm controls (at 5% for the whole page). Benjamini–Hochberg controls
//! the expected share of false claims among those made and is more powerful when many cells have real
//! skill, but on daily prices nearly none do: under that (near-global) null BH's guarantee is no
//! stronger than Holm's and it is harder to explain. Holm is uniformly more powerful than Bonferroni
//! and needs no independence between the cells (the cells of one series are strongly dependent).
//!
//! # Confidence ([`Calibration`])
//!
//! The probability that a direction call is right, as a function of the call's **strength**
//! `|ln(Ĉ/C)| / (σ·√h)` (the predicted move in units of the EWMA volatility at the origin), fitted
//! by logistic regression (linfa) on the walk-forward record: every origin where the model called a
//! direction and the price moved, with whether the call was right. The record's forecasts are all
//! out of sample. Its reliability table (predicted against observed hit rate by bins) is computed by
//! time-blocked cross-fitting — each block's probabilities come from a model fitted on the other
//! blocks — so it shows how the calibration does on data it was not fitted on. Five labels name the
//! probability ([`ConfidenceLabel`]).

use serde::{Deserialize, Serialize};

use crate::metrics::Metrics;
use crate::registry::ModelId;
use crate::StepForecast;

/// Level of the gate's tests (family-wise for the DM tests after Holm).
pub const ALPHA: f64 = 0.05;

/// The suggested action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Action {
    /// Predicted rise from a skilful model.
    Buy,
    /// Predicted fall from a skilful model.
    Sell,
    /// No call.
    Hold,
}

/// Why the action was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// No walk-forward record for this model and horizon.
    NotEvaluated,
    /// The record does not pass the significance gate.
    NoDemonstratedSkill,
    /// The predicted move is zero.
    NoPredictedMove,
    /// A direction was called.
    Directional,
}

/// One cell of the family the gate judges: a model at a horizon with its walk-forward metrics.
#[derive(Debug, Clone, Copy)]
pub struct Cell<'a> {
    /// The model.
    pub model: ModelId,
    /// Horizon in trading days.
    pub horizon: usize,
    /// Its walk-forward metrics.
    pub metrics: &'a Metrics,
}

/// The gate's verdict on one cell.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The model.
    pub model: ModelId,
    /// Horizon in trading days.
    pub horizon: usize,
    /// One-sided DM p-value against the random walk, before correction.
    pub dm_p_better: Option<f64>,
    /// The same after Holm's correction across the family.
    pub dm_p_holm: Option<f64>,
    /// One-sided binomial p-value of the hit rate against `max(up, 1 − up)`.
    pub da_p_vs_up: Option<f64>,
    /// Condition 1: beats the random walk after the correction.
    pub beats_random_walk: bool,
    /// Condition 2: calls the direction better than a constant call.
    pub beats_constant_call: bool,
    /// Both: the cell may say BUY or SELL.
    pub skilful: bool,
    /// Hit rate over the evaluation window, percent (the fallback confidence).
    pub hit_rate_pct: Option<f64>,
}

/// Judges every cell of a family (see the module docs). Verdicts come back in the order of `cells`.
pub fn significance_gate(cells: &[Cell<'_>]) -> Vec<Verdict> {
    let tested: Vec<(usize, f64)> = cells
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.metrics.dm_p_better.map(|p| (i, p)))
        .collect();
    let adjusted = holm_adjust(&tested.iter().map(|&(_, p)| p).collect::<Vec<_>>());
    let mut holm = vec![None; cells.len()];
    for (&(i, _), p) in tested.iter().zip(adjusted) {
        holm[i] = Some(p);
    }
    cells
        .iter()
        .zip(holm)
        .map(|(c, dm_p_holm)| {
            let m = c.metrics;
            let beats_random_walk =
                dm_p_holm.is_some_and(|p| p < ALPHA) && m.mae_rel_naive.is_some_and(|r| r < 1.0);
            let beats_constant_call = matches!(
                (m.da_p_vs_up, m.da_pct, m.up_pct),
                (Some(p), Some(da), Some(up)) if p < ALPHA && da > up.max(100.0 - up)
            );
            Verdict {
                model: c.model,
                horizon: c.horizon,
                dm_p_better: m.dm_p_better,
                dm_p_holm,
                da_p_vs_up: m.da_p_vs_up,
                beats_random_walk,
                beats_constant_call,
                skilful: beats_random_walk && beats_constant_call,
                hit_rate_pct: m.da_pct,
            }
        })
        .collect()
}

/// Holm's step-down adjusted p-values, in the input order:
/// `p̃_(i) = max_{j ≤ i} min(1, (m − j + 1)·p_(j))` over the ascending order.
pub fn holm_adjust(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut out = vec![0.0; m];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        out[i] = running;
    }
    out
}

/// Five names for the probability that a call is right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfidenceLabel {
    /// Below 50%: no better than a coin.
    VeryLow,
    /// 50–53%.
    Low,
    /// 53–56%.
    Moderate,
    /// 56–60%.
    High,
    /// 60% or more (rare on daily prices; check the record).
    VeryHigh,
}

impl ConfidenceLabel {
    /// The label of probability `p`.
    pub fn of(p: f64) -> Self {
        match p {
            p if p < 0.50 => Self::VeryLow,
            p if p < 0.53 => Self::Low,
            p if p < 0.56 => Self::Moderate,
            p if p < 0.60 => Self::High,
            _ => Self::VeryHigh,
        }
    }

    /// The label as a person reads it ("very low" … "very high").
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VeryLow => "very low",
            Self::Low => "low",
            Self::Moderate => "moderate",
            Self::High => "high",
            Self::VeryHigh => "very high",
        }
    }
}

/// One bin of a reliability table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// Lower edge of the predicted probability.
    pub lower: f64,
    /// Upper edge.
    pub upper: f64,
    /// Calls in the bin.
    pub count: usize,
    /// Mean predicted probability of the calls in the bin.
    pub predicted: f64,
    /// Share of them that were right.
    pub observed: f64,
}

/// A fitted calibration: `P(right) = 1/(1 + exp(−(a + b·strength)))`, with its reliability table.
/// Stored beside a model version; [`Calibration::VERSION`] says which fitting rule made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// The fitting rule's version.
    pub version: u32,
    /// Intercept `a`.
    pub intercept: f64,
    /// Slope `b` on the strength.
    pub slope: f64,
    /// Calls it was fitted on.
    pub calls: usize,
    /// Share of them that were right.
    pub base_rate: f64,
    /// Out-of-sample reliability (time-blocked cross-fitting), by predicted probability.
    pub reliability: Vec<ReliabilityBin>,
}

impl Calibration {
    /// Version of the fitting rule (logistic regression on the strength, 5-block cross-fitted
    /// reliability).
    pub const VERSION: u32 = 1;

    /// The probability that a call of `strength` is right.
    pub fn probability(&self, strength: f64) -> f64 {
        1.0 / (1.0 + (-(self.intercept + self.slope * strength)).exp())
    }
}

/// The strength of a call: the predicted log move in units of the volatility over the horizon,
/// `|ln(point/last)| / (σ·√h)`, σ the daily volatility at the origin.
pub fn strength(last_close: f64, point: f64, daily_vol: f64, h: usize) -> f64 {
    ((point / last_close).ln().abs() / (daily_vol.max(1e-12) * (h as f64).sqrt())).min(1e6)
}

/// A trading signal with its confidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// The action.
    pub action: Action,
    /// Probability that the called direction is right (the calibration's, or the record's hit rate
    /// without one); 0 for `Hold`.
    pub confidence: f64,
    /// Its label; `None` for `Hold`.
    pub label: Option<ConfidenceLabel>,
    /// Why.
    pub reason: Reason,
}

impl Signal {
    fn hold(reason: Reason) -> Self {
        Signal {
            action: Action::Hold,
            confidence: 0.0,
            label: None,
            reason,
        }
    }
}

/// The signal for one forecast step: `verdict` is the gate's verdict for the model at this horizon,
/// `calibration` (with the EWMA volatility `daily_vol` at the origin) turns the call's strength into a
/// probability.
pub fn signal(
    last_close: f64,
    step: &StepForecast,
    verdict: Option<&Verdict>,
    calibration: Option<(&Calibration, f64)>,
) -> Signal {
    let Some(v) = verdict else {
        return Signal::hold(Reason::NotEvaluated);
    };
    if !v.skilful {
        return Signal::hold(Reason::NoDemonstratedSkill);
    }
    let m = step.point - last_close;
    if m == 0.0 || !m.is_finite() {
        return Signal::hold(Reason::NoPredictedMove);
    }
    let p = match calibration {
        Some((c, vol)) => c.probability(strength(last_close, step.point, vol, step.horizon.get())),
        None => v.hit_rate_pct.unwrap_or(50.0) / 100.0,
    };
    Signal {
        action: if m > 0.0 { Action::Buy } else { Action::Sell },
        confidence: p.clamp(0.0, 1.0),
        label: Some(ConfidenceLabel::of(p)),
        reason: Reason::Directional,
    }
}

/// The old gate (directional accuracy against 50% at p < 0.05 and MAE below naive, no DM test, no
/// correction), kept to compare with: how many cells it let through.
pub fn passes_old_gate(m: &Metrics) -> bool {
    matches!(
        (m.da_pct, m.da_p, m.mae_rel_naive),
        (Some(da), Some(p), Some(rel)) if da > 50.0 && p < 0.05 && rel < 1.0
    )
}

#[cfg(feature = "models")]
pub use fit::{calibration_data, fit_calibration};

#[cfg(feature = "models")]
mod fit {
    use linfa::prelude::*;
    use linfa_logistic::LogisticRegression;
    use ndarray::{Array1, Array2};

    use super::{strength, Calibration, ReliabilityBin};
    use crate::backtest::Backtest;
    use crate::{Error, Horizon, Ohlcv, Result};

    /// Cross-fitting blocks of the reliability table.
    const BLOCKS: usize = 5;

    /// The (strength, right) pairs of a walk-forward record at horizon `h`: every origin where the
    /// model predicted a move and the price moved. `series` is the series the record was run on (for
    /// the volatility at each origin).
    pub fn calibration_data(bt: &Backtest, series: &Ohlcv, h: Horizon) -> (Vec<f64>, Vec<bool>) {
        let Some(hb) = bt.horizon(h) else {
            return (Vec::new(), Vec::new());
        };
        let close = series.close();
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for (i, &t) in bt.origins.iter().enumerate() {
            let (c, p, a) = (bt.last_close[i], hb.point[i], hb.actual[i]);
            if p == c || a == c || t >= close.len() {
                continue;
            }
            let vol = crate::volatility::ewma_at(&close[..=t]);
            x.push(strength(c, p, vol, h.get()));
            y.push((p > c) == (a > c));
        }
        (x, y)
    }

    fn logistic(x: &[f64], y: &[bool]) -> Result<(f64, f64)> {
        let records = Array2::from_shape_vec((x.len(), 1), x.to_vec())
            .map_err(|e| Error::InvalidInput(format!("calibration data: {e}")))?;
        let targets = Array1::from_vec(y.to_vec());
        let fitted = LogisticRegression::default()
            .alpha(1e-4)
            .max_iterations(200)
            .fit(&Dataset::new(records, targets))
            .map_err(|e| Error::NotConverged {
                model: "calibration (logistic regression)",
                detail: e.to_string(),
            })?;
        // linfa models the probability of its positive class; with bool targets that is `true`
        // (the larger label), so the coefficients are those of P(right).
        Ok((fitted.intercept(), fitted.params()[0]))
    }

    /// Fits the calibration on (strength, right) pairs (see the module docs).
    ///
    /// # Errors
    /// [`Error::NotEnoughData`] for fewer than 20 calls or calls that are all right or all wrong;
    /// [`Error::NotConverged`] when the regression fails.
    pub fn fit_calibration(x: &[f64], y: &[bool]) -> Result<Calibration> {
        let n = x.len();
        let right = y.iter().filter(|&&v| v).count();
        if n < 20 || n != y.len() || right == 0 || right == n {
            return Err(Error::NotEnoughData {
                needed: 20,
                got: n.min(y.len()),
            });
        }
        let (intercept, slope) = logistic(x, y)?;
        // Out-of-sample probabilities by time blocks.
        let mut oos = vec![0.0; n];
        for b in 0..BLOCKS {
            let (from, to) = (b * n / BLOCKS, (b + 1) * n / BLOCKS);
            let (tx, ty): (Vec<f64>, Vec<bool>) = (0..n)
                .filter(|&i| i < from || i >= to)
                .map(|i| (x[i], y[i]))
                .unzip();
            let (a, s) = if ty.iter().any(|&v| v) && ty.iter().any(|&v| !v) {
                logistic(&tx, &ty)?
            } else {
                (intercept, slope)
            };
            for i in from..to {
                oos[i] = 1.0 / (1.0 + (-(a + s * x[i])).exp());
            }
        }
        Ok(Calibration {
            version: Calibration::VERSION,
            intercept,
            slope,
            calls: n,
            base_rate: right as f64 / n as f64,
            reliability: reliability(&oos, y),
        })
    }

    /// Predicted against observed by bins of the predicted probability.
    fn reliability(p: &[f64], y: &[bool]) -> Vec<ReliabilityBin> {
        const EDGES: [f64; 7] = [0.0, 0.45, 0.5, 0.53, 0.56, 0.6, 1.0];
        EDGES
            .windows(2)
            .filter_map(|e| {
                let idx: Vec<usize> = (0..p.len())
                    .filter(|&i| p[i] >= e[0] && (p[i] < e[1] || (e[1] == 1.0 && p[i] <= 1.0)))
                    .collect();
                (!idx.is_empty()).then(|| ReliabilityBin {
                    lower: e[0],
                    upper: e[1],
                    count: idx.len(),
                    predicted: idx.iter().map(|&i| p[i]).sum::<f64>() / idx.len() as f64,
                    observed: idx.iter().filter(|&&i| y[i]).count() as f64 / idx.len() as f64,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Horizon, Interval};

    fn metrics(dm_p_better: f64, da: f64, up: f64, da_p_vs_up: f64, rel: f64) -> Metrics {
        Metrics {
            mae: 1.0,
            rmse: 1.0,
            mape_pct: 1.0,
            mase: Some(1.0),
            mae_rel_naive: Some(rel),
            dm_p: Some(2.0 * dm_p_better),
            da_pct: Some(da),
            da_p: Some(0.001),
            cov95_pct: None,
            pi_width_pct: None,
            cov99_pct: None,
            pi99_width_pct: None,
            dm_p_better: Some(dm_p_better),
            up_pct: Some(up),
            da_p_vs_up: Some(da_p_vs_up),
        }
    }

    fn step(point: f64) -> StepForecast {
        StepForecast {
            horizon: Horizon::new(1).unwrap(),
            point,
            intervals: vec![Interval {
                level: 0.95,
                lower: point - 5.0,
                upper: point + 5.0,
            }],
        }
    }

    fn cell(m: &Metrics) -> Cell<'_> {
        Cell {
            model: ModelId::Gbm,
            horizon: 1,
            metrics: m,
        }
    }

    #[test]
    fn holm_adjusts_like_statsmodels_multipletests() {
        // statsmodels 0.15.0: multipletests([0.01, 0.04, 0.03, 0.005], method="holm")[1]
        let got = holm_adjust(&[0.01, 0.04, 0.03, 0.005]);
        for (g, w) in got.iter().zip([0.03, 0.06, 0.06, 0.02]) {
            assert!((g - w).abs() < 1e-12, "{got:?}");
        }
    }

    #[test]
    fn a_significant_dm_alone_is_not_enough() {
        // DM p tiny, but the hit rate does not beat the up share.
        let m = metrics(0.0001, 58.0, 60.0, 0.7, 0.95);
        let v = significance_gate(&[cell(&m)]);
        assert!(v[0].beats_random_walk && !v[0].beats_constant_call && !v[0].skilful);
        assert_eq!(
            signal(100.0, &step(110.0), Some(&v[0]), None).action,
            Action::Hold
        );
    }

    #[test]
    fn the_correction_takes_away_a_lone_significant_cell_among_many() {
        let good = metrics(0.02, 60.0, 52.0, 0.001, 0.97);
        let noise = metrics(0.5, 51.0, 52.0, 0.6, 1.0);
        let alone = significance_gate(&[cell(&good)]);
        assert!(alone[0].skilful);
        let family: Vec<Cell<'_>> = std::iter::once(cell(&good))
            .chain(std::iter::repeat_n(cell(&noise), 17))
            .collect();
        let v = significance_gate(&family);
        assert!(!v[0].skilful, "0.02 × 18 > 0.05");
        assert!((v[0].dm_p_holm.unwrap() - 0.36).abs() < 1e-12);
    }

    #[test]
    fn a_skilful_cell_calls_the_direction_with_a_labelled_probability() {
        let m = metrics(0.001, 62.0, 52.0, 0.001, 0.9);
        let v = significance_gate(&[cell(&m)]);
        let up = signal(100.0, &step(102.0), Some(&v[0]), None);
        assert_eq!((up.action, up.reason), (Action::Buy, Reason::Directional));
        assert!((up.confidence - 0.62).abs() < 1e-12);
        assert_eq!(up.label, Some(ConfidenceLabel::VeryHigh));
        let cal = Calibration {
            version: 1,
            intercept: 0.0,
            slope: 0.4,
            calls: 100,
            base_rate: 0.55,
            reliability: vec![],
        };
        let down = signal(100.0, &step(99.0), Some(&v[0]), Some((&cal, 0.01)));
        assert_eq!(down.action, Action::Sell);
        let s = strength(100.0, 99.0, 0.01, 1);
        assert!((down.confidence - 1.0 / (1.0 + (-0.4 * s).exp())).abs() < 1e-12);
        assert_eq!(
            signal(100.0, &step(100.0), Some(&v[0]), None).reason,
            Reason::NoPredictedMove
        );
        assert_eq!(
            signal(100.0, &step(101.0), None, None).reason,
            Reason::NotEvaluated
        );
    }

    #[test]
    fn naive_metrics_never_give_a_signal() {
        let mut m = metrics(0.5, 50.0, 50.0, 1.0, 1.0);
        m.dm_p_better = None;
        m.da_pct = None;
        m.da_p_vs_up = None;
        let v = significance_gate(&[cell(&m)]);
        assert!(!v[0].skilful && v[0].dm_p_holm.is_none());
    }

    #[test]
    fn labels_cover_the_probability_range() {
        assert_eq!(ConfidenceLabel::of(0.45), ConfidenceLabel::VeryLow);
        assert_eq!(ConfidenceLabel::of(0.51), ConfidenceLabel::Low);
        assert_eq!(ConfidenceLabel::of(0.55), ConfidenceLabel::Moderate);
        assert_eq!(ConfidenceLabel::of(0.58), ConfidenceLabel::High);
        assert_eq!(ConfidenceLabel::of(0.7).as_str(), "very high");
    }
}

//! BUY / SELL / HOLD from a forecast and the model's measured walk-forward skill.
//!
//! A direction is only called when the model has *demonstrated* skill at that horizon in the
//! walk-forward evaluation:
//!
//! * directional accuracy above 50% with binomial p-value `DA_p < 0.05`, and
//! * `MAE_rel_naive < 1` (it beats the random walk on average).
//!
//! Otherwise the signal is `Hold` with confidence 0, which is the honest answer for nearly every
//! model on daily stock prices. With skill, let `m = Ĉ[t+h] − C[t]` be the predicted move and
//! `w = (hi95 − lo95)/2` the interval half-width:
//!
//! ```text
//! strength   = min(|m| / w, 1)          how far the move stands out of its own uncertainty
//! edge       = (DA − 50%) / 50%         measured hit-rate advantage over a coin, in (0, 1]
//! confidence = strength · edge          in [0, 1]
//! action     = Buy if m > 0, Sell if m < 0, Hold if m = 0 or there is no interval
//! ```
//!
//! With hit rates of 52–60% the edge is 0.04–0.2, so even a move as wide as the interval gives a
//! confidence of at most 0.2: the number is meant to look as weak as the evidence is.

use serde::{Deserialize, Serialize};

use crate::metrics::Metrics;
use crate::StepForecast;

/// Significance level a directional hit rate must reach before a direction is called.
pub const MAX_DA_P: f64 = 0.05;

/// The suggested action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Action {
    /// Predicted rise from a model with demonstrated directional skill.
    Buy,
    /// Predicted fall from a model with demonstrated directional skill.
    Sell,
    /// No call.
    Hold,
}

/// Why the action was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// No walk-forward metrics for this model and horizon.
    NotEvaluated,
    /// Directional accuracy not significantly above 50%, or MAE not below naive.
    NoDemonstratedSkill,
    /// The forecast has no 95% interval to measure the move against.
    NoInterval,
    /// The predicted move is zero.
    NoPredictedMove,
    /// A direction was called.
    Directional,
}

/// A trading signal with its confidence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// The action.
    pub action: Action,
    /// Confidence in `[0, 1]`; 0 for `Hold`.
    pub confidence: f64,
    /// Why.
    pub reason: Reason,
}

impl Signal {
    fn hold(reason: Reason) -> Self {
        Signal {
            action: Action::Hold,
            confidence: 0.0,
            reason,
        }
    }
}

/// True when the metrics show directional skill and an MAE below naive (see the module docs).
pub fn has_skill(skill: &Metrics) -> bool {
    matches!(
        (skill.da_pct, skill.da_p, skill.mae_rel_naive),
        (Some(da), Some(p), Some(rel)) if da > 50.0 && p < MAX_DA_P && rel < 1.0
    )
}

/// The signal for one forecast step, given the last close and the model's walk-forward metrics at
/// the same horizon.
pub fn signal(last_close: f64, step: &StepForecast, skill: Option<&Metrics>) -> Signal {
    let Some(skill) = skill else {
        return Signal::hold(Reason::NotEvaluated);
    };
    if !has_skill(skill) {
        return Signal::hold(Reason::NoDemonstratedSkill);
    }
    let Some(iv) = step.interval(0.95) else {
        return Signal::hold(Reason::NoInterval);
    };
    let m = step.point - last_close;
    let half = (iv.upper - iv.lower) / 2.0;
    if m == 0.0 || !m.is_finite() {
        return Signal::hold(Reason::NoPredictedMove);
    }
    let strength = if half > 0.0 {
        (m.abs() / half).min(1.0)
    } else {
        1.0
    };
    let edge = ((skill.da_pct.unwrap_or(50.0) - 50.0) / 50.0).clamp(0.0, 1.0);
    Signal {
        action: if m > 0.0 { Action::Buy } else { Action::Sell },
        confidence: (strength * edge).clamp(0.0, 1.0),
        reason: Reason::Directional,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Horizon, Interval};

    fn metrics(da: f64, da_p: f64, rel: f64) -> Metrics {
        Metrics {
            mae: 1.0,
            rmse: 1.0,
            mape_pct: 1.0,
            mase: Some(1.0),
            mae_rel_naive: Some(rel),
            dm_p: Some(0.5),
            da_pct: Some(da),
            da_p: Some(da_p),
            cov95_pct: None,
            pi_width_pct: None,
        }
    }

    fn step(point: f64, lo: f64, hi: f64) -> StepForecast {
        StepForecast {
            horizon: Horizon::new(1).unwrap(),
            point,
            intervals: vec![Interval {
                level: 0.95,
                lower: lo,
                upper: hi,
            }],
        }
    }

    #[test]
    fn no_skill_means_hold_whatever_the_forecast() {
        let s = step(120.0, 110.0, 130.0);
        assert_eq!(signal(100.0, &s, None).reason, Reason::NotEvaluated);
        // p just at the threshold is not significant.
        let sig = signal(100.0, &s, Some(&metrics(60.0, 0.05, 0.9)));
        assert_eq!(
            (sig.action, sig.confidence, sig.reason),
            (Action::Hold, 0.0, Reason::NoDemonstratedSkill)
        );
        // worse than naive on MAE.
        assert_eq!(
            signal(100.0, &s, Some(&metrics(60.0, 0.01, 1.0))).action,
            Action::Hold
        );
        // significantly *below* 50% is not skill either.
        assert_eq!(
            signal(100.0, &s, Some(&metrics(40.0, 0.001, 0.9))).action,
            Action::Hold
        );
    }

    #[test]
    fn naive_metrics_never_give_a_signal() {
        let mut m = metrics(50.0, 1.0, 1.0);
        m.da_pct = None;
        m.da_p = None;
        assert_eq!(
            signal(100.0, &step(100.0, 90.0, 110.0), Some(&m)).action,
            Action::Hold
        );
    }

    #[test]
    fn skilled_model_calls_the_direction_with_bounded_confidence() {
        let m = metrics(60.0, 0.001, 0.95);
        let up = signal(100.0, &step(102.0, 96.0, 108.0), Some(&m));
        assert_eq!(up.action, Action::Buy);
        // strength = 2/6, edge = 0.2
        assert!((up.confidence - 0.2 / 3.0).abs() < 1e-12);
        let down = signal(100.0, &step(90.0, 95.0, 99.0), Some(&m));
        assert_eq!(down.action, Action::Sell);
        assert!(
            (down.confidence - 0.2).abs() < 1e-12,
            "strength capped at 1"
        );
        let flat = signal(100.0, &step(100.0, 95.0, 105.0), Some(&m));
        assert_eq!(flat.reason, Reason::NoPredictedMove);
        let perfect = signal(
            100.0,
            &step(130.0, 99.0, 101.0),
            Some(&metrics(100.0, 0.0, 0.5)),
        );
        assert_eq!(perfect.confidence, 1.0);
    }

    #[test]
    fn a_forecast_without_interval_holds() {
        let s = StepForecast {
            horizon: Horizon::new(1).unwrap(),
            point: 105.0,
            intervals: vec![],
        };
        assert_eq!(
            signal(100.0, &s, Some(&metrics(60.0, 0.001, 0.9))).reason,
            Reason::NoInterval
        );
    }
}

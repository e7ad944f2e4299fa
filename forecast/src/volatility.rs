//! Volatility-scaled intervals: an EWMA volatility that follows the regime, and conformal quantiles
//! of returns standardised by it, so an interval is as wide as *today's* volatility calls for and
//! has the tails the series has shown.
//!
//! **Volatility.** `σ²[s] = λ·σ²[s−1] + (1 − λ)·r[s]²` over one-day log returns (RiskMetrics,
//! λ = 0.94: a half-life of about eleven days), started from the mean square of the first
//! [`EWMA_START`] returns of the slice it runs over and computed only from rows `≤ s`. It is always
//! run over the last [`EWMA_SPAN`] rows ending at the row it is wanted for, so the value at a row is
//! the same whichever longer history it is computed in (λ^750 ≈ 10⁻²⁰).
//!
//! **Scores.** For horizon `h`, at each row `s` of a calibration stretch, the *standardised
//! residual* `z = (ln(C[s+h]/C[s]) − m[s]) / (σ[s]·√h)` with `m[s]` the model's predicted log return
//! (0 for the random walk). The interval at level `ℓ` around a point forecast `Ĉ` at origin `t` is
//! `Ĉ·exp(±q_ℓ·σ[t]·√h)`, with `q_ℓ` the `⌈(n + 1)·ℓ⌉`-th smallest of the `n` absolute scores
//! (split-conformal, Vovk et al.), over the last [`VolBand::SCORE_WINDOW`] rows whose target is
//! known.
//!
//! **Why.** A fixed-volatility interval (the sample sd of ten years of returns) is far too wide in a
//! calm year and too narrow in a crisis: on the bundled series it covered 99–100% in calm evaluation
//! years and 93% in 2018. The EWMA follows the regime within days, and the empirical quantile of
//! standardised returns keeps the fat tails a normal quantile would miss (it is near 2.1–2.3 for 95%
//! on daily stock returns rather than 1.96). GARCH(1,1) would add mean reversion of the volatility,
//! which matters for horizons of weeks; at one week the EWMA's persistence is close enough, and it
//! has no parameters to fit and nothing to fail to converge.

/// RiskMetrics' decay for daily data.
pub const EWMA_LAMBDA: f64 = 0.94;

/// Returns whose mean square starts the recursion.
pub const EWMA_START: usize = 20;

/// Rows the recursion runs over, ending at the row wanted (about three years).
pub const EWMA_SPAN: usize = 750;

/// Floor of a daily volatility, so that flat prices cannot divide by zero.
const MIN_VOL: f64 = 1e-6;

/// EWMA volatility of daily log returns for every row of `closes` (row 0 and rows before
/// [`EWMA_START`] returns use the returns seen so far), each from rows `≤ s` only, the recursion
/// started at `closes[0]`. Use [`ewma_at`] for one row with the fixed span.
pub fn ewma_path(closes: &[f64]) -> Vec<f64> {
    let n = closes.len();
    let mut out = vec![MIN_VOL; n];
    if n < 2 {
        return out;
    }
    let r: Vec<f64> = closes.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    let k = EWMA_START.min(r.len());
    let mut var = 0.0;
    for s in 1..n {
        let x = r[s - 1];
        if s <= k {
            // Until the start window is full, the mean square of the returns seen so far.
            var = r[..s].iter().map(|x| x * x).sum::<f64>() / s as f64;
        } else {
            var = EWMA_LAMBDA * var + (1.0 - EWMA_LAMBDA) * x * x;
        }
        out[s] = var.sqrt().max(MIN_VOL);
    }
    out
}

/// The EWMA volatility at the last row of `closes`, run over its last [`EWMA_SPAN`] rows.
pub fn ewma_at(closes: &[f64]) -> f64 {
    let from = closes.len().saturating_sub(EWMA_SPAN);
    *ewma_path(&closes[from..]).last().unwrap_or(&MIN_VOL)
}

/// EWMA volatilities of rows `first..=last` of `closes`, each equal to [`ewma_at`] of the prefix
/// ending there.
pub fn ewma_rows(closes: &[f64], first: usize, last: usize) -> Vec<f64> {
    (first..=last).map(|s| ewma_at(&closes[..=s])).collect()
}

/// Sorted absolute standardised residuals of the random walk at horizon `h` over rows
/// `first..=last` (each needs `C[s+h]`, so `last + h < closes.len()`), `vol[i]` the volatility of row
/// `first + i`.
pub fn random_walk_scores(closes: &[f64], vol: &[f64], first: usize, h: usize) -> Vec<f64> {
    let hf = (h as f64).sqrt();
    let mut z: Vec<f64> = vol
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let s = first + i;
            ((closes[s + h] / closes[s]).ln() / (v * hf)).abs()
        })
        .filter(|z| z.is_finite())
        .collect();
    z.sort_by(f64::total_cmp);
    z
}

/// The conformal radius at `level` from ascending absolute scores: the `⌈(n + 1)·level⌉`-th
/// smallest; the largest when that rank exceeds `n` (the interval is then slightly below nominal
/// rather than unbounded). `None` without scores.
pub fn conformal_radius(sorted_abs: &[f64], level: f64) -> Option<f64> {
    let n = sorted_abs.len();
    if n == 0 {
        return None;
    }
    let k = ((n as f64 + 1.0) * level).ceil() as usize;
    Some(sorted_abs[k.clamp(1, n) - 1])
}

/// A fitted volatility band: score quantiles for a few horizons, from the random walk's standardised
/// residuals over a model's training window. Any model's point forecast gets the interval
/// `Ĉ·exp(±q·σ[t]·√h)` from it, `σ[t]` the EWMA volatility at the forecast origin.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VolBand {
    /// Horizons (trading days) the quantiles were measured for, ascending.
    pub horizons: Vec<usize>,
    /// Quantiles of the absolute standardised residuals, one per horizon.
    pub quantiles: Vec<ScoreQuantiles>,
}

impl VolBand {
    /// Horizons measured: the app's 1, 2, 5 days, and two and four weeks for longer requests (a
    /// horizon between two of them uses the smaller one: the scores are already scaled by `√h`).
    pub const HORIZONS: [usize; 5] = [1, 2, 5, 10, 21];

    /// Rows at the start of the window left out while the EWMA forgets its start.
    pub const BURN_IN: usize = 60;

    /// Fewest scores a horizon needs to be measured.
    pub const MIN_SCORES: usize = 30;

    /// Scores kept: the last 500 (about two years), so the quantiles follow a change in the shape of
    /// the standardised returns as well as in their scale.
    pub const SCORE_WINDOW: usize = 500;

    /// The band from the closes of a training window (oldest first). `None` when even the one-day
    /// horizon has fewer than [`VolBand::MIN_SCORES`] scores.
    pub fn fit(window: &[f64]) -> Option<VolBand> {
        let vol = ewma_path(window);
        let first = Self::BURN_IN.min(window.len() / 4);
        let mut horizons = Vec::new();
        let mut quantiles = Vec::new();
        for h in Self::HORIZONS {
            let Some(last) = window.len().checked_sub(h + 1) else {
                break;
            };
            if last < first + Self::MIN_SCORES {
                break;
            }
            let first = first.max((last + 1).saturating_sub(Self::SCORE_WINDOW));
            let scores = random_walk_scores(window, &vol[first..=last], first, h);
            match ScoreQuantiles::from_sorted(&scores) {
                Some(q) if scores.len() >= Self::MIN_SCORES => {
                    horizons.push(h);
                    quantiles.push(q);
                }
                _ => break,
            }
        }
        (!horizons.is_empty()).then_some(VolBand {
            horizons,
            quantiles,
        })
    }

    /// The radius `q·σ[t]·√h` in log terms at origin `t` = the last row of `closes`.
    pub fn log_radius(&self, closes: &[f64], h: usize, level: f64) -> Option<f64> {
        let k = self.horizons.iter().rposition(|&x| x <= h).unwrap_or(0);
        let q = self.quantiles.get(k)?.radius(level)?;
        Some(q * ewma_at(closes) * (h as f64).sqrt())
    }

    /// The interval `(lower, upper)` around `point` at origin `t` = the last row of `closes`.
    pub fn interval(&self, closes: &[f64], point: f64, h: usize, level: f64) -> Option<(f64, f64)> {
        let r = self.log_radius(closes, h, level)?;
        Some((point * (-r).exp(), point * r.exp()))
    }
}

/// Quantiles of absolute scores kept with a fitted model: the conformal radius at a fixed grid of
/// levels, so a model stores a few numbers instead of every score.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScoreQuantiles {
    /// Levels, ascending.
    pub levels: Vec<f64>,
    /// Radius at each level.
    pub radius: Vec<f64>,
}

impl ScoreQuantiles {
    /// The levels kept: the app's 50–99.9% range, dense near the shown 95% and 99%.
    pub const GRID: [f64; 14] = [
        0.5, 0.68, 0.8, 0.85, 0.9, 0.925, 0.95, 0.96, 0.975, 0.98, 0.99, 0.995, 0.998, 0.999,
    ];

    /// The radii at [`ScoreQuantiles::GRID`] of ascending absolute scores; `None` without scores.
    pub fn from_sorted(sorted_abs: &[f64]) -> Option<Self> {
        let radius = Self::GRID
            .iter()
            .map(|&l| conformal_radius(sorted_abs, l))
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            levels: Self::GRID.to_vec(),
            radius,
        })
    }

    /// The radius at `level`: exact on the grid, linearly interpolated between grid levels, the end
    /// values outside it.
    pub fn radius(&self, level: f64) -> Option<f64> {
        let (l, r) = (&self.levels, &self.radius);
        if l.is_empty() || l.len() != r.len() {
            return None;
        }
        if level <= l[0] {
            return Some(r[0]);
        }
        for i in 1..l.len() {
            if level <= l[i] {
                let f = (level - l[i - 1]) / (l[i] - l[i - 1]);
                return Some(r[i - 1] + f * (r[i] - r[i - 1]));
            }
        }
        r.last().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ewma_follows_the_recursion_after_its_start_window() {
        let closes: Vec<f64> = (0..60)
            .map(|i| 100.0 * (0.01 * (i as f64 * 0.7).sin()).exp())
            .collect();
        let path = ewma_path(&closes);
        let r: Vec<f64> = closes.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
        let mut var = r[..20].iter().map(|x| x * x).sum::<f64>() / 20.0;
        assert!((path[20] - var.sqrt()).abs() < 1e-15);
        for s in 21..60 {
            var = 0.94 * var + 0.06 * r[s - 1] * r[s - 1];
            assert!((path[s] - var.sqrt()).abs() < 1e-15, "row {s}");
        }
    }

    #[test]
    fn the_value_at_a_row_does_not_depend_on_later_rows() {
        let closes: Vec<f64> = (0..900)
            .map(|i| 50.0 * (0.02 * (i as f64 * 0.3).cos()).exp())
            .collect();
        let a = ewma_at(&closes[..=800]);
        assert_eq!(a, ewma_rows(&closes, 800, 800)[0]);
    }

    #[test]
    fn quantiles_interpolate_between_grid_levels() {
        let scores: Vec<f64> = (1..=999).map(|i| i as f64 / 1000.0).collect();
        let q = ScoreQuantiles::from_sorted(&scores).unwrap();
        assert_eq!(q.radius(0.95), conformal_radius(&scores, 0.95));
        let mid = q.radius(0.955).unwrap();
        assert!(mid > q.radius(0.95).unwrap() && mid < q.radius(0.96).unwrap());
        assert_eq!(conformal_radius(&[], 0.9), None);
    }
}

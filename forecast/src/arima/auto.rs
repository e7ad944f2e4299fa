//! AutoARIMA: KPSS tests choose d, then a Hyndman–Khandakar stepwise search over (p, q, constant)
//! minimises the AICc of exact-likelihood fits.
//!
//! The search is the one of R's `forecast::auto.arima` as ported by statsforecast (`AutoARIMA` with
//! `season_length = 1` and its defaults: `approximation = False`, so every candidate is fitted by
//! CSS-ML, not by CSS alone). The rules reproduced here, including the ones that look like accidents,
//! because they decide which model wins:
//! * d: repeated KPSS level tests at 5% with `⌊3√n/13⌋` Newey–West lags, at most `max_d` times,
//!   each differenced series losing its first value as in statsforecast's `ndiffs`;
//! * the start models (2,d,2), (0,d,0), (1,d,0), (0,d,1) with constant and (0,d,0) without;
//! * the neighbour moves p±1, q±1, (p±1, q±1) and the constant toggle, first improvement wins,
//!   at most `nmodels` fits;
//! * a constant is a drift when d = 1, a mean when d = 0, and not allowed when d = 2;
//! * a candidate whose AR or MA polynomial has a root of modulus below 1.01 is discarded, but only
//!   when its last non-zero coefficient is beyond lag 1 (statsforecast's check skips single-lag
//!   polynomials);
//! * a candidate whose CSS estimate is not stationary is discarded (statsforecast's CSS-ML fails on it);
//! * each candidate's coefficients are its CSS estimates and its AICc uses the exact likelihood there
//!   (statsforecast's ML stage does not move; see [`Estimator::Statsforecast`]);
//! * σ² for intervals is Σ v²/F / (n − k).
//!
//! Set [`AutoArima::estimator`] to [`Estimator::Exact`] to rank candidates by their actual maximum
//! likelihood instead; the choices then differ from statsforecast's on some windows.

use serde::{Deserialize, Serialize};

use super::{
    difference, estimate, invpartrans, Arima, ArimaOrder, Estimator, FittedArima, VarianceEstimator,
};
use crate::baseline::{Intervals, DEFAULT_WINDOW};
use crate::{Error, Fit, Forecast, Horizon, Level, Ohlcv, Predict, Result};

/// KPSS level-stationarity statistic with `lags` Newey–West (Bartlett) lags, as statsmodels'
/// `kpss(x, regression="c", nlags=lags)`.
pub fn kpss_statistic(x: &[f64], lags: usize) -> f64 {
    let n = x.len();
    let m = crate::stats::mean(x);
    let resid: Vec<f64> = x.iter().map(|v| v - m).collect();
    let mut cum = 0.0;
    let mut eta = 0.0;
    for r in &resid {
        cum += r;
        eta += cum * cum;
    }
    eta /= (n * n) as f64;
    let mut s = resid.iter().map(|r| r * r).sum::<f64>();
    for i in 1..=lags.min(n.saturating_sub(1)) {
        let prod: f64 = resid[i..]
            .iter()
            .zip(&resid[..n - i])
            .map(|(a, b)| a * b)
            .sum();
        s += 2.0 * prod * (1.0 - i as f64 / (lags as f64 + 1.0));
    }
    s /= n as f64;
    eta / s
}

/// p-value of a KPSS level statistic, interpolated in Kwiatkowski et al.'s table (as statsmodels;
/// clipped to [0.01, 0.10]).
fn kpss_pvalue(stat: f64) -> f64 {
    const CRIT: [f64; 4] = [0.347, 0.463, 0.574, 0.739];
    const P: [f64; 4] = [0.10, 0.05, 0.025, 0.01];
    if stat <= CRIT[0] {
        return P[0];
    }
    if stat >= CRIT[3] {
        return P[3];
    }
    let i = CRIT.iter().rposition(|&c| c <= stat).unwrap_or(0);
    P[i] + (P[i + 1] - P[i]) * (stat - CRIT[i]) / (CRIT[i + 1] - CRIT[i])
}

fn is_constant(x: &[f64]) -> bool {
    x.iter().all(|v| *v == x[0])
}

/// Number of differences that make `x` level-stationary by repeated KPSS tests at level `alpha`
/// (statsforecast's `ndiffs`, `⌊3√n/13⌋` lags, its first differenced value dropped), at most `max_d`.
pub fn ndiffs(x: &[f64], alpha: f64, max_d: usize) -> usize {
    let reject = |x: &[f64]| {
        let lags = (3.0 * (x.len() as f64).sqrt() / 13.0).floor() as usize;
        kpss_pvalue(kpss_statistic(x, lags)) < alpha
    };
    if x.len() < 3 || is_constant(x) {
        return 0;
    }
    let mut d = 0;
    let mut x = x.to_vec();
    let mut dodiff = reject(&x);
    while dodiff && d < max_d {
        d += 1;
        // statsforecast drops one more leading value than the difference needs
        // (`diff(x, 1, 1)[1:]`); reproduced because it moves borderline tests.
        x = difference(&x, 1)[1..].to_vec();
        if x.len() < 3 || is_constant(&x) {
            return d;
        }
        dodiff = reject(&x);
    }
    d
}

/// True when every root of `1 − Σ cᵢ zⁱ` has modulus ≥ 1.01: the polynomial scaled by 1.01 must be
/// stationary, which the PACF recursion decides without computing roots.
fn roots_clear_of_unit_circle(c: &[f64]) -> bool {
    let scaled: Vec<f64> = c
        .iter()
        .enumerate()
        .map(|(i, v)| v * 1.01f64.powi(i as i32 + 1))
        .collect();
    invpartrans(&scaled).is_some()
}

/// statsforecast's root check: only polynomials whose last coefficient above 1e-8 in size sits
/// beyond lag 1 are tested.
fn passes_root_check(c: &[f64]) -> bool {
    match c.iter().rposition(|v| v.abs() > 1e-8) {
        Some(last) if last > 0 => roots_clear_of_unit_circle(&c[..=last]),
        _ => true,
    }
}

/// One model tried by the stepwise search.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// AR order.
    pub p: usize,
    /// MA order.
    pub q: usize,
    /// With drift/mean.
    pub constant: bool,
    /// Its AICc (+∞ when the fit failed or was rejected).
    pub aicc: f64,
}

/// Unfitted AutoARIMA parameters (statsforecast's defaults).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AutoArima {
    /// Largest AR order.
    pub max_p: usize,
    /// Largest MA order.
    pub max_q: usize,
    /// Largest number of differences.
    pub max_d: usize,
    /// Starting AR order of the stepwise search.
    pub start_p: usize,
    /// Starting MA order of the stepwise search.
    pub start_q: usize,
    /// Significance level of the KPSS tests (0.01..=0.1).
    pub alpha: f64,
    /// Allow a drift when d = 1.
    pub allow_drift: bool,
    /// Allow a mean when d = 0.
    pub allow_mean: bool,
    /// Maximum number of models the stepwise search fits.
    pub nmodels: usize,
    /// Rows of history used (the last `window`).
    pub window: usize,
    /// Model the log close (the protocol) rather than the close.
    pub log: bool,
    /// How each candidate's likelihood is maximised (statsforecast's optimiser by default, which
    /// is what its model choices depend on).
    pub estimator: Estimator,
    /// The chosen model's interval method (statsforecast's Gaussian intervals by default; the app
    /// serves [`Intervals::Volatility`]).
    #[serde(default = "super::gaussian")]
    pub intervals: Intervals,
}

impl Default for AutoArima {
    fn default() -> Self {
        Self {
            max_p: 5,
            max_q: 5,
            max_d: 2,
            start_p: 2,
            start_q: 2,
            alpha: 0.05,
            allow_drift: true,
            allow_mean: true,
            nmodels: 94,
            window: DEFAULT_WINDOW,
            log: true,
            estimator: Estimator::Statsforecast,
            intervals: Intervals::Gaussian,
        }
    }
}

/// The model AutoARIMA chose, with the search trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedAutoArima {
    /// The selected model; forecasting delegates to it.
    pub model: FittedArima,
    /// Every model tried, in order.
    pub candidates: Vec<Candidate>,
}

impl AutoArima {
    fn check(&self) -> Result<()> {
        let bad = |name, value: String, reason| {
            Err(Error::InvalidParameter {
                name,
                value,
                reason,
            })
        };
        if self.max_p > super::MAX_ARMA_ORDER {
            return bad("max_p", self.max_p.to_string(), "must be at most 10");
        }
        if self.max_q > super::MAX_ARMA_ORDER {
            return bad("max_q", self.max_q.to_string(), "must be at most 10");
        }
        if self.max_d > 2 {
            return bad("max_d", self.max_d.to_string(), "must be at most 2");
        }
        if !(0.01..=0.1).contains(&self.alpha) {
            return bad(
                "alpha",
                self.alpha.to_string(),
                "KPSS p-values are tabulated for 0.01..=0.1 only",
            );
        }
        if self.nmodels < 5 {
            return bad(
                "nmodels",
                self.nmodels.to_string(),
                "the search needs at least its 5 start models",
            );
        }
        if self.window < 10 {
            return bad(
                "window",
                self.window.to_string(),
                "must be at least 10 rows",
            );
        }
        Ok(())
    }

    /// Runs the search on a series already on the model scale (no window applied).
    #[tracing::instrument(skip_all, fields(n = y.len()))]
    pub fn fit_series(&self, y: &[f64]) -> Result<FittedAutoArima> {
        self.check()?;
        let n = y.len();
        if n < 10 {
            return Err(Error::NotEnoughData { needed: 10, got: n });
        }
        if y.iter().any(|v| !v.is_finite()) {
            return Err(Error::InvalidInput(
                "ARIMA series contains a non-finite value".into(),
            ));
        }
        if is_constant(y) {
            return Err(Error::InvalidInput(
                "series is constant; nothing to model".into(),
            ));
        }
        let d = ndiffs(y, self.alpha, self.max_d);
        let w = difference(y, d);
        if is_constant(&w) {
            return Err(Error::InvalidInput(format!(
                "series is a polynomial of degree {d} (constant after differencing)"
            )));
        }
        let max_p = self.max_p.min(n / 3);
        let max_q = self.max_q.min(n / 3);
        let allow_drift = self.allow_drift && d == 1;
        let allow_mean = self.allow_mean && d == 0;
        let mut constant = allow_drift || allow_mean;
        let spec = |p, q, c| Arima {
            order: ArimaOrder { p, d, q },
            constant: c,
            window: self.window,
            log: self.log,
            variance: VarianceEstimator::DegreesOfFreedom,
            estimator: self.estimator,
            intervals: Intervals::Gaussian,
        };
        let mut tried: Vec<Candidate> = Vec::new();
        let mut best: Option<FittedArima> = None;
        // Fits one candidate, records it, and returns whether it beat the best so far.
        let try_model = |p: usize,
                         q: usize,
                         c: bool,
                         tried: &mut Vec<Candidate>,
                         best: &mut Option<FittedArima>| {
            let fit = estimate(&w, p, q, c, self.estimator, n)
                .ok()
                .map(|e| FittedArima::from_estimate(&spec(p, q, c), e));
            let aicc = match &fit {
                Some(f)
                    if passes_root_check(&f.ar)
                        && passes_root_check(&f.ma.iter().map(|v| -v).collect::<Vec<_>>()) =>
                {
                    f.aicc
                }
                _ => f64::INFINITY,
            };
            tried.push(Candidate {
                p,
                q,
                constant: c,
                aicc,
            });
            let better = aicc < best.as_ref().map_or(f64::INFINITY, |b| b.aicc);
            if better {
                *best = fit;
            }
            better
        };
        let (mut p, mut q) = (self.start_p.min(max_p), self.start_q.min(max_q));
        try_model(p, q, constant, &mut tried, &mut best);
        if try_model(0, 0, constant, &mut tried, &mut best) {
            (p, q) = (0, 0);
        }
        if max_p > 0 && try_model(1, 0, constant, &mut tried, &mut best) {
            (p, q) = (1, 0);
        }
        if max_q > 0 && try_model(0, 1, constant, &mut tried, &mut best) {
            (p, q) = (0, 1);
        }
        if constant && try_model(0, 0, false, &mut tried, &mut best) {
            (p, q) = (0, 0);
            // statsforecast keeps searching with `constant` unchanged here; the toggle move below
            // is what switches it.
        }
        let is_new = |p: usize, q: usize, c: bool, tried: &[Candidate]| {
            !tried
                .iter()
                .any(|m| m.p == p && m.q == q && m.constant == c)
        };
        let mut startk = 0;
        while startk < tried.len() && tried.len() < self.nmodels {
            startk = tried.len();
            // (Δp, Δq) in statsforecast's order.
            let moves: [(i64, i64); 8] = [
                (-1, 0),
                (0, -1),
                (1, 0),
                (0, 1),
                (-1, -1),
                (-1, 1),
                (1, -1),
                (1, 1),
            ];
            let mut moved = false;
            for (dp, dq) in moves {
                let (np, nq) = (p as i64 + dp, q as i64 + dq);
                if np < 0 || nq < 0 || np > max_p as i64 || nq > max_q as i64 {
                    continue;
                }
                let (np, nq) = (np as usize, nq as usize);
                if !is_new(np, nq, constant, &tried) || tried.len() >= self.nmodels {
                    continue;
                }
                if try_model(np, nq, constant, &mut tried, &mut best) {
                    (p, q) = (np, nq);
                    moved = true;
                    break;
                }
            }
            if moved {
                continue;
            }
            if (allow_drift || allow_mean)
                && is_new(p, q, !constant, &tried)
                && tried.len() < self.nmodels
                && try_model(p, q, !constant, &mut tried, &mut best)
            {
                constant = !constant;
            }
        }
        let model = best.ok_or(Error::NotConverged {
            model: "AutoARIMA",
            detail: format!("no candidate model could be fitted ({} tried)", tried.len()),
        })?;
        Ok(FittedAutoArima {
            model,
            candidates: tried,
        })
    }
}

impl Fit for AutoArima {
    type Fitted = FittedAutoArima;
    fn fit(&self, history: &Ohlcv) -> Result<FittedAutoArima> {
        self.check()?;
        let c = history.close();
        let c = &c[c.len().saturating_sub(self.window)..];
        let y: Vec<f64> = if self.log {
            c.iter().map(|v| v.ln()).collect()
        } else {
            c.to_vec()
        };
        let mut fitted = self.fit_series(&y)?;
        fitted.model.band = super::band(self.intervals, history, self.window);
        Ok(fitted)
    }
}

impl FittedAutoArima {
    /// The chosen model's name for a person, with its order: `"ARIMA(2,1,0)"`, or
    /// `"ARIMA(0,1,0) with drift"` (`"with mean"` when d = 0).
    pub fn label(&self) -> String {
        let m = &self.model;
        match (m.constant, m.order.d()) {
            (false, _) => m.order.to_string(),
            (true, 0) => format!("{} with mean", m.order),
            (true, _) => format!("{} with drift", m.order),
        }
    }
}

impl Predict for FittedAutoArima {
    fn predict(&self, history: &Ohlcv, horizons: &[Horizon], levels: &[Level]) -> Result<Forecast> {
        self.model.predict(history, horizons, levels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kpss_pvalue_interpolates_and_clips() {
        assert_eq!(kpss_pvalue(0.1), 0.10);
        assert_eq!(kpss_pvalue(2.0), 0.01);
        assert!((kpss_pvalue(0.463) - 0.05).abs() < 1e-15);
        assert!((kpss_pvalue(0.5185) - 0.0375).abs() < 1e-12);
    }

    #[test]
    fn root_check_rejects_near_unit_roots_beyond_lag_one() {
        // 1 − 1.5z + 0.5z² = (1 − z)(1 − 0.5z): a unit root.
        assert!(!passes_root_check(&[1.5, -0.5]));
        assert!(passes_root_check(&[0.5, 0.2]));
        // A single lag is never tested, as in statsforecast.
        assert!(passes_root_check(&[0.999]));
    }

    #[test]
    fn bad_alpha_is_rejected() {
        let a = AutoArima {
            alpha: 0.5,
            ..AutoArima::default()
        };
        assert!(a
            .fit_series(&(0..50).map(|i| i as f64).collect::<Vec<_>>())
            .is_err());
    }
}

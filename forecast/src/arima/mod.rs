//! ARIMA(p, d, q) by exact maximum likelihood, and AutoARIMA (Hyndman–Khandakar stepwise search).
//!
//! The model is fitted to the log close (by default) over the protocol's rolling window. The exact
//! Gaussian likelihood is computed by a Kalman filter on the differenced series with a stationary
//! initial state (module `kalman`). How it is maximised is an [`Estimator`]: the statsmodels and
//! statsforecast reproductions (the defaults of [`Arima`] and [`AutoArima`], so the app's numbers
//! can be checked against the reference evaluation), or [`Estimator::Exact`], R's CSS-ML run to
//! convergence. AR coefficients are optimised through a partial-autocorrelation transform, so every
//! iterate is stationary.
//!
//! A constant means a drift (mean of the differences) when d = 1 and a mean when d = 0, the
//! regression-with-ARIMA-errors form of R and statsforecast; there is no constant when d = 2.
//!
//! Between refits [`FittedArima::predict`] keeps order and coefficients (σ² included) and re-runs the
//! filter over the last `window` rows of whatever history it is given (statsmodels
//! `results.apply`, statsforecast `AutoARIMA.forward`). Forecasts are `exp` of the log-scale mean
//! (the median price) and intervals are `exp` of the log-scale normal bounds.
//!
//! ```
//! use forecast::arima::{Arima, ArimaOrder};
//! use forecast::{Fit, Horizon, Level, Ohlcv, Predict};
//!
//! let closes: Vec<f64> = (0..300).map(|i| 100.0 * (1.0 + 0.01 * ((i * 7 % 11) as f64 - 5.0) / 5.0).powi(1) + i as f64 * 0.1).collect();
//! let history = Ohlcv::from_closes(&closes).unwrap();
//! let model = Arima::new(ArimaOrder::new(1, 1, 1).unwrap());
//! let fitted = model.fit(&history).unwrap();
//! let f = fitted.predict(&history, &[Horizon::new(1).unwrap()], &[Level::new(0.95).unwrap()]).unwrap();
//! assert!(f.steps[0].intervals[0].lower < f.steps[0].point);
//! ```

pub mod auto;
pub(crate) mod kalman;
pub(crate) mod optim;

pub use auto::{kpss_statistic, ndiffs, AutoArima, Candidate, FittedAutoArima};

use serde::{Deserialize, Serialize};

use crate::baseline::{Intervals, DEFAULT_WINDOW};
use crate::volatility::VolBand;
use crate::{Error, Fit, Forecast, Horizon, Interval, Level, Ohlcv, Predict, Result, StepForecast};

/// The largest AR or MA order accepted (the state dimension, and the cost, grow with it).
pub const MAX_ARMA_ORDER: usize = 10;

/// A non-seasonal ARIMA order `(p, d, q)`, checked on construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "(usize, usize, usize)", into = "(usize, usize, usize)")]
pub struct ArimaOrder {
    p: usize,
    d: usize,
    q: usize,
}

impl ArimaOrder {
    /// An order with `p, q ≤ MAX_ARMA_ORDER` and `d ≤ 2`.
    pub fn new(p: usize, d: usize, q: usize) -> Result<Self> {
        if p > MAX_ARMA_ORDER {
            return Err(Error::InvalidParameter {
                name: "p",
                value: p.to_string(),
                reason: "AR order must be at most 10",
            });
        }
        if q > MAX_ARMA_ORDER {
            return Err(Error::InvalidParameter {
                name: "q",
                value: q.to_string(),
                reason: "MA order must be at most 10",
            });
        }
        if d > 2 {
            return Err(Error::InvalidParameter {
                name: "d",
                value: d.to_string(),
                reason: "differencing order must be 0, 1 or 2",
            });
        }
        Ok(Self { p, d, q })
    }
    /// AR order.
    pub fn p(self) -> usize {
        self.p
    }
    /// Differencing order.
    pub fn d(self) -> usize {
        self.d
    }
    /// MA order.
    pub fn q(self) -> usize {
        self.q
    }
}

impl TryFrom<(usize, usize, usize)> for ArimaOrder {
    type Error = Error;
    fn try_from((p, d, q): (usize, usize, usize)) -> Result<Self> {
        Self::new(p, d, q)
    }
}

impl From<ArimaOrder> for (usize, usize, usize) {
    fn from(o: ArimaOrder) -> Self {
        (o.p, o.d, o.q)
    }
}

impl std::fmt::Display for ArimaOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ARIMA({},{},{})", self.p, self.d, self.q)
    }
}

/// How the innovation variance σ² behind the intervals is estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VarianceEstimator {
    /// The maximum-likelihood estimate Σ v²/F / n (statsmodels).
    MaximumLikelihood,
    /// Σ v²/F / (n − k), k the number of estimated coefficients (R `forecast`, statsforecast).
    DegreesOfFreedom,
}

/// How the likelihood is maximised. The ARIMA likelihood of daily log prices is nearly flat along
/// the ridge φ ≈ −θ (the ARMA part almost cancels), so where an optimiser stops depends on its start
/// and its stopping rule, and that moves the forecasts by up to a few tenths of a percent. The two
/// compatible estimators reproduce the reference libraries' start values and stopping rules so that
/// the app's numbers can be checked against them; [`Estimator::Exact`] climbs to the actual maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Estimator {
    /// CSS estimates, then BFGS on the exact likelihood to a tight gradient tolerance.
    Exact,
    /// statsmodels `ARIMA.fit()`: least-squares (Hannan–Rissanen style) start values, σ² as a free
    /// parameter, quasi-Newton with a 1e-5 finite-difference step and L-BFGS-B's relative-decrease
    /// stop (`factr = 1e7`).
    Statsmodels,
    /// statsforecast / R `arima(method = "CSS-ML")`: SciPy BFGS on the CSS objective from zero, then
    /// on the exact likelihood, each stopping where SciPy's BFGS stops.
    Statsforecast,
}

/// Unfitted ARIMA parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Arima {
    /// The order.
    pub order: ArimaOrder,
    /// Include a drift (d = 1) or a mean (d = 0). Not allowed with d = 2.
    pub constant: bool,
    /// Rows of history the model is fitted on and filtered over (the last `window` rows).
    pub window: usize,
    /// Model the natural log of the close (the protocol) instead of the close itself.
    pub log: bool,
    /// The σ² convention for intervals.
    pub variance: VarianceEstimator,
    /// How the likelihood is maximised.
    pub estimator: Estimator,
    /// The interval method: the model's own Gaussian intervals (the reference libraries'), or the
    /// volatility-scaled ones the app serves.
    #[serde(default = "gaussian")]
    pub intervals: Intervals,
}

fn gaussian() -> Intervals {
    Intervals::Gaussian
}

impl Arima {
    /// An ARIMA of `order` on log closes without constant, on the protocol's 2520-row window, with
    /// statsmodels' conventions (its `ARIMA(order=…)` defaults for d ≥ 1).
    pub fn new(order: ArimaOrder) -> Self {
        Self {
            order,
            constant: false,
            window: DEFAULT_WINDOW,
            log: true,
            variance: VarianceEstimator::MaximumLikelihood,
            estimator: Estimator::Statsmodels,
            intervals: Intervals::Gaussian,
        }
    }

    fn check(&self) -> Result<()> {
        if self.constant && self.order.d >= 2 {
            return Err(Error::InvalidParameter {
                name: "constant",
                value: "true".into(),
                reason: "a constant needs d = 0 (mean) or d = 1 (drift); d = 2 would make it a quadratic trend",
            });
        }
        let min = self.min_rows();
        if self.window < min {
            return Err(Error::InvalidParameter {
                name: "window",
                value: self.window.to_string(),
                reason: "window too short for the order (needs p + q + d + 3 rows at least)",
            });
        }
        Ok(())
    }

    fn min_rows(&self) -> usize {
        self.order.p + self.order.q + self.order.d + 3 + usize::from(self.constant)
    }

    /// Fits the model to a series already on the model scale (log prices if you follow the
    /// protocol), all of it: no window is applied.
    #[tracing::instrument(skip_all, fields(order = %self.order, constant = self.constant, n = y.len()))]
    pub fn fit_series(&self, y: &[f64]) -> Result<FittedArima> {
        self.check()?;
        if y.len() < self.min_rows() {
            return Err(Error::NotEnoughData {
                needed: self.min_rows(),
                got: y.len(),
            });
        }
        if y.iter().any(|v| !v.is_finite()) {
            return Err(Error::InvalidInput(
                "ARIMA series contains a non-finite value".into(),
            ));
        }
        let w = difference(y, self.order.d);
        let est = estimate(
            &w,
            self.order.p,
            self.order.q,
            self.constant,
            self.estimator,
            y.len(),
        )?;
        Ok(FittedArima::from_estimate(self, est))
    }

    fn model_scale(&self, history: &Ohlcv) -> Vec<f64> {
        let c = history.close();
        let c = &c[c.len().saturating_sub(self.window)..];
        if self.log {
            c.iter().map(|v| v.ln()).collect()
        } else {
            c.to_vec()
        }
    }
}

impl Fit for Arima {
    type Fitted = FittedArima;
    fn fit(&self, history: &Ohlcv) -> Result<FittedArima> {
        self.check()?;
        let mut fitted = self.fit_series(&self.model_scale(history))?;
        fitted.band = band(self.intervals, history, self.window);
        Ok(fitted)
    }
}

/// The volatility band over the last `window` closes, for [`Intervals::Volatility`].
pub(crate) fn band(intervals: Intervals, history: &Ohlcv, window: usize) -> Option<VolBand> {
    match intervals {
        Intervals::Gaussian => None,
        Intervals::Volatility => {
            let c = history.close();
            VolBand::fit(&c[c.len().saturating_sub(window)..])
        }
    }
}

/// `Δᵈ y`.
pub(crate) fn difference(y: &[f64], d: usize) -> Vec<f64> {
    let mut w = y.to_vec();
    for _ in 0..d {
        w = w.windows(2).map(|p| p[1] - p[0]).collect();
    }
    w
}

/// A fitted ARIMA. Coefficients follow the sign convention of statsmodels and R:
/// `(1 − Σ φᵢ Bⁱ)(Δᵈ yₜ − μ) = (1 + Σ θⱼ Bʲ) εₜ`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedArima {
    /// The order.
    pub order: ArimaOrder,
    /// Whether a constant (drift or mean) was estimated.
    pub constant: bool,
    /// AR coefficients φ₁..φ_p.
    pub ar: Vec<f64>,
    /// MA coefficients θ₁..θ_q.
    pub ma: Vec<f64>,
    /// Mean of the differenced series: the drift per row (d = 1) or the mean (d = 0); 0 without constant.
    pub mean: f64,
    /// Innovation variance used for intervals.
    pub sigma2: f64,
    /// Exact log-likelihood at the estimates (of the differenced series).
    pub loglik: f64,
    /// Akaike information criterion, `−2 ℓ + 2k` with k = p + q + constant + 1.
    pub aic: f64,
    /// AIC with the small-sample correction `2k(k+1)/(n − k − 1)`, n = observations after differencing.
    pub aicc: f64,
    /// Observations in the likelihood (after differencing).
    pub nobs: usize,
    /// Whether the optimiser met its gradient tolerance.
    pub converged: bool,
    /// The volatility band of [`Intervals::Volatility`]; `None` gives the model's own intervals.
    #[serde(default)]
    pub band: Option<VolBand>,
    window: usize,
    log: bool,
}

impl FittedArima {
    fn from_estimate(spec: &Arima, est: Estimate) -> Self {
        let k = est.phi.len() + est.theta.len() + usize::from(spec.constant);
        let npar = (k + 1) as f64;
        let n = est.nobs as f64;
        let sigma2 = match spec.variance {
            VarianceEstimator::MaximumLikelihood => est.sigma2.unwrap_or(est.ssq / n),
            VarianceEstimator::DegreesOfFreedom => est.ssq / (n - k as f64),
        };
        let aic = -2.0 * est.loglik + 2.0 * npar;
        let aicc = if n - npar - 1.0 > 0.0 {
            aic + 2.0 * npar * (npar + 1.0) / (n - npar - 1.0)
        } else {
            f64::INFINITY
        };
        FittedArima {
            order: spec.order,
            constant: spec.constant,
            ar: est.phi,
            ma: est.theta,
            mean: est.mean,
            sigma2,
            loglik: est.loglik,
            aic,
            aicc,
            nobs: est.nobs,
            converged: est.converged,
            band: None,
            window: spec.window,
            log: spec.log,
        }
    }

    /// Filters `y` (model scale, all of it) with the fitted coefficients and forecasts `horizon`
    /// steps: returns the mean forecasts and their standard errors on the model scale.
    pub fn forecast_series(&self, y: &[f64], horizon: usize) -> Result<(Vec<f64>, Vec<f64>)> {
        let d = self.order.d;
        if y.len() <= d {
            return Err(Error::NotEnoughData {
                needed: d + 1,
                got: y.len(),
            });
        }
        let w = difference(y, d);
        let filtered =
            kalman::filter(&self.ar, &self.ma, self.mean, &w).ok_or(Error::Numerical {
                context: "ARIMA filter",
                detail: format!("AR coefficients {:?} are not stationary", self.ar),
            })?;
        let last: Vec<f64> = y.iter().rev().take(d).copied().collect();
        let (means, vars) =
            kalman::forecast(&self.ar, &self.ma, self.mean, d, &filtered, &last, horizon);
        let se = vars.iter().map(|v| (v * self.sigma2).sqrt()).collect();
        Ok((means, se))
    }
}

impl Predict for FittedArima {
    fn predict(&self, history: &Ohlcv, horizons: &[Horizon], levels: &[Level]) -> Result<Forecast> {
        let c = history.close();
        let c = &c[c.len().saturating_sub(self.window)..];
        let y: Vec<f64> = if self.log {
            c.iter().map(|v| v.ln()).collect()
        } else {
            c.to_vec()
        };
        let hmax = horizons.iter().map(|h| h.get()).max().unwrap_or(0);
        let (means, se) = self.forecast_series(&y, hmax)?;
        let back = |v: f64| if self.log { v.exp() } else { v };
        let steps = horizons
            .iter()
            .map(|&h| {
                let (m, s) = (means[h.get() - 1], se[h.get() - 1]);
                let point = back(m);
                StepForecast {
                    horizon: h,
                    point,
                    intervals: levels
                        .iter()
                        .map(|l| {
                            let vol = self
                                .band
                                .as_ref()
                                .and_then(|b| b.interval(c, point, h.get(), l.get()));
                            let (lower, upper) =
                                vol.unwrap_or_else(|| (back(m - l.z() * s), back(m + l.z() * s)));
                            Interval {
                                level: l.get(),
                                lower,
                                upper,
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        Ok(Forecast { steps })
    }
}

/// Raw estimates of an ARMA on the differenced series.
#[derive(Debug, Clone)]
pub(crate) struct Estimate {
    pub(crate) phi: Vec<f64>,
    pub(crate) theta: Vec<f64>,
    pub(crate) mean: f64,
    pub(crate) loglik: f64,
    pub(crate) ssq: f64,
    pub(crate) nobs: usize,
    pub(crate) converged: bool,
    /// σ² when the estimator treats it as a free parameter (statsmodels).
    pub(crate) sigma2: Option<f64>,
}

/// PACF → AR coefficients (R's `partrans`): `tanh` then the Durbin–Levinson recursion. Every real
/// input maps to a stationary AR polynomial.
pub(crate) fn partrans(raw: &[f64]) -> Vec<f64> {
    let p = raw.len();
    let mut new: Vec<f64> = raw.iter().map(|v| v.tanh()).collect();
    let mut work = new.clone();
    for j in 1..p {
        let a = new[j];
        for k in 0..j {
            work[k] -= a * new[j - k - 1];
        }
        new[..j].copy_from_slice(&work[..j]);
    }
    new
}

/// AR coefficients → unconstrained parameters (R's `invpartrans`); `None` if not stationary.
pub(crate) fn invpartrans(phi: &[f64]) -> Option<Vec<f64>> {
    let p = phi.len();
    let mut new = phi.to_vec();
    let mut work = new.clone();
    for j in (1..p).rev() {
        let a = new[j];
        if a.abs() >= 1.0 {
            return None;
        }
        for k in 0..j {
            work[k] = (new[k] + a * new[j - k - 1]) / (1.0 - a * a);
        }
        new[..j].copy_from_slice(&work[..j]);
    }
    if new.iter().any(|v| v.abs() >= 1.0) {
        return None;
    }
    Some(new.iter().map(|v| v.atanh()).collect())
}

/// Conditional sum of squares objective `½ ln(ssq/ν)` (R's `ARIMA_CSS`, residuals from row p).
fn css_objective(w: &[f64], phi: &[f64], theta: &[f64], mean: f64) -> f64 {
    let (p, q) = (phi.len(), theta.len());
    let mut resid = vec![0.0; w.len()];
    let mut ssq = 0.0;
    for l in p..w.len() {
        let mut tmp = w[l] - mean;
        for j in 0..p {
            tmp -= phi[j] * (w[l - j - 1] - mean);
        }
        for j in 0..(l - p).min(q) {
            tmp -= theta[j] * resid[l - j - 1];
        }
        resid[l] = tmp;
        ssq += tmp * tmp;
    }
    let nu = (w.len() - p) as f64;
    let v = 0.5 * (ssq / nu).ln();
    if v.is_finite() {
        v
    } else {
        f64::MAX
    }
}

/// Monahan's (1984) map from ℝᵖ to stationary AR coefficients, as statsmodels'
/// `constrain_stationary_univariate`.
fn monahan(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let r: Vec<f64> = x.iter().map(|v| v / (1.0 + v * v).sqrt()).collect();
    let mut y = vec![vec![0.0; n]; n];
    for k in 0..n {
        for i in 0..k {
            y[k][i] = y[k - 1][i] + r[k] * y[k - 1][k - i - 1];
        }
        y[k][k] = r[k];
    }
    if n == 0 {
        return Vec::new();
    }
    y[n - 1].iter().map(|v| -v).collect()
}

/// Inverse of [`monahan`] (statsmodels' `unconstrain_stationary_univariate`); `None` if not stationary.
fn monahan_inv(c: &[f64]) -> Option<Vec<f64>> {
    let n = c.len();
    if n == 0 {
        return Some(Vec::new());
    }
    let mut y = vec![vec![0.0; n]; n];
    y[n - 1] = c.iter().map(|v| -v).collect();
    for k in (1..n).rev() {
        let a = y[k][k];
        if a.abs() >= 1.0 {
            return None;
        }
        for i in 0..k {
            y[k - 1][i] = (y[k][i] - a * y[k][k - i - 1]) / (1.0 - a * a);
        }
    }
    let r: Vec<f64> = (0..n).map(|k| y[k][k]).collect();
    if r.iter().any(|v| v.abs() >= 1.0) {
        return None;
    }
    Some(r.iter().map(|v| v / (1.0 - v * v).sqrt()).collect())
}

/// Ordinary least squares through the normal equations (the regressions here have ≤ 12 columns).
fn ols(x: &[Vec<f64>], y: &[f64]) -> Option<Vec<f64>> {
    let k = x.first().map_or(0, Vec::len);
    if k == 0 {
        return Some(Vec::new());
    }
    let mut a = vec![0.0; k * k];
    let mut b = vec![0.0; k];
    for (row, &yi) in x.iter().zip(y) {
        for i in 0..k {
            b[i] += row[i] * yi;
            for j in 0..k {
                a[i * k + j] += row[i] * row[j];
            }
        }
    }
    kalman::solve_linear(&mut a, &mut b, k)
}

/// statsmodels' SARIMAX start values (`_conditional_sum_squares`): an AR(2q) by least squares gives
/// residuals, then w is regressed on its p lags and q lagged residuals. Non-stationary or
/// non-invertible results fall back to zeros, as statsmodels does.
fn statsmodels_start(
    w: &[f64],
    p: usize,
    q: usize,
    constant: bool,
) -> (Vec<f64>, Vec<f64>, f64, f64) {
    let k = 2 * q;
    let r = (k + q).max(p);
    let n = w.len();
    let mut resid = Vec::new();
    if q > 0 {
        let xs: Vec<Vec<f64>> = (k..n)
            .map(|t| (1..=k).map(|j| w[t - j]).collect())
            .collect();
        let ys = &w[k..];
        if let Some(b) = ols(&xs, ys) {
            resid = xs
                .iter()
                .zip(ys)
                .map(|(row, y)| y - row.iter().zip(&b).map(|(a, c)| a * c).sum::<f64>())
                .collect();
        }
    }
    let lag_resid = |t: usize, j: usize| -> f64 {
        // lagmat(resid, q)[r − k + (t − r)] column j−1 = resid[t − k − j] (zero before the start).
        let i = (t - k) as isize - j as isize;
        if i >= 0 && (i as usize) < resid.len() {
            resid[i as usize]
        } else {
            0.0
        }
    };
    let xs: Vec<Vec<f64>> = (r..n)
        .map(|t| {
            let mut row = Vec::with_capacity(p + q + 1);
            if constant {
                row.push(1.0);
            }
            row.extend((1..=p).map(|j| w[t - j]));
            row.extend((1..=q).map(|j| lag_resid(t, j)));
            row
        })
        .collect();
    let ys = &w[r.min(n)..];
    let c = usize::from(constant);
    let Some(b) = ols(&xs, ys) else {
        return (
            vec![0.0; p],
            vec![0.0; q],
            0.0,
            crate::stats::sample_sd(w).powi(2),
        );
    };
    let res: Vec<f64> = xs
        .iter()
        .zip(ys)
        .map(|(row, y)| y - row.iter().zip(&b).map(|(a, c)| a * c).sum::<f64>())
        .collect();
    let mean = if constant { b[0] } else { 0.0 };
    let mut phi = b[c..c + p].to_vec();
    let mut theta = b[c + p..c + p + q].to_vec();
    let sigma2 = res[q.min(res.len())..].iter().map(|v| v * v).sum::<f64>()
        / (res.len() - q.min(res.len())).max(1) as f64;
    if monahan_inv(&phi).is_none() {
        phi = vec![0.0; p];
    }
    let neg: Vec<f64> = theta.iter().map(|v| -v).collect();
    if monahan_inv(&neg).is_none() {
        theta = vec![0.0; q];
    }
    (phi, theta, mean, sigma2)
}

/// Estimates an ARMA(p, q) (plus mean) on the differenced series `w`. `n_levels` is the length of the
/// undifferenced series (statsmodels scales its objective by it).
pub(crate) fn estimate(
    w: &[f64],
    p: usize,
    q: usize,
    constant: bool,
    how: Estimator,
    n_levels: usize,
) -> Result<Estimate> {
    let split = |x: &[f64]| -> (Vec<f64>, Vec<f64>, f64) {
        let m = if constant { x[p + q] } else { 0.0 };
        (x[..p].to_vec(), x[p..p + q].to_vec(), m)
    };
    let ml_obj = |x: &[f64]| {
        let (raw, theta, m) = split(x);
        let phi = partrans(&raw);
        match kalman::filter(&phi, &theta, m, w) {
            Some(f) if f.objective().is_finite() => f.objective(),
            _ => f64::MAX,
        }
    };
    let finish = |phi: Vec<f64>,
                  theta: Vec<f64>,
                  mean: f64,
                  converged: bool,
                  sigma2: Option<f64>|
     -> Result<Estimate> {
        let f = kalman::filter(&phi, &theta, mean, w).ok_or(Error::NotConverged {
            model: "ARIMA",
            detail: "the estimates are not stationary".into(),
        })?;
        if !f.loglik().is_finite() {
            return Err(Error::NotConverged {
                model: "ARIMA",
                detail: "non-finite likelihood".into(),
            });
        }
        Ok(Estimate {
            phi,
            theta,
            mean,
            loglik: f.loglik(),
            ssq: f.ssq,
            nobs: f.nu,
            converged,
            sigma2,
        })
    };
    let (phi, theta, mean, converged, sigma2) = match how {
        Estimator::Statsmodels => {
            let (phi0, theta0, mean0, s20) = statsmodels_start(w, p, q, constant);
            // statsmodels optimises (Monahan(AR), −Monahan(−MA)... i.e. invertible MA, mean, √σ²).
            let mut x0 = monahan_inv(&phi0).unwrap_or_else(|| vec![0.0; p]);
            let neg: Vec<f64> = theta0.iter().map(|v| -v).collect();
            x0.extend(monahan_inv(&neg).unwrap_or_else(|| vec![0.0; q]));
            if constant {
                x0.push(mean0);
            }
            x0.push(s20.sqrt());
            let unpack = |x: &[f64]| -> (Vec<f64>, Vec<f64>, f64, f64) {
                let phi = monahan(&x[..p]);
                let theta: Vec<f64> = monahan(&x[p..p + q]).iter().map(|v| -v).collect();
                let m = if constant { x[p + q] } else { 0.0 };
                (phi, theta, m, x[x.len() - 1].powi(2))
            };
            let nobs = n_levels as f64;
            let obj = |x: &[f64]| {
                let (phi, theta, m, s2) = unpack(x);
                match kalman::filter(&phi, &theta, m, w) {
                    Some(f) => {
                        let nu = f.nu as f64;
                        let ll = -0.5
                            * (nu * (2.0 * std::f64::consts::PI * s2).ln() + f.sumlog + f.ssq / s2);
                        if ll.is_finite() {
                            -ll / nobs
                        } else {
                            f64::MAX
                        }
                    }
                    None => f64::MAX,
                }
            };
            // Two iterations: on daily log prices statsmodels' relative-decrease test ends the search
            // after at most two iterations in almost every fit (12 of the 13 MSFT refits of the
            // protocol; the ARMA coefficients barely leave the start values, σ² adjusts). Letting this
            // optimiser run on walks along the likelihood ridge, away from what statsmodels reports.
            let m = optim::lbfgs_statsmodels(obj, &x0, 2);
            let (phi, theta, mean, s2) = unpack(&m.x);
            (phi, theta, mean, m.converged, Some(s2))
        }
        Estimator::Exact | Estimator::Statsforecast => {
            let compat = how == Estimator::Statsforecast;
            let mean0 = if constant { crate::stats::mean(w) } else { 0.0 };
            let mut x0 = vec![0.0; p + q];
            if constant {
                x0.push(mean0);
            }
            let css_obj = |x: &[f64]| {
                let (phi, theta, m) = split(x);
                css_objective(w, &phi, &theta, m)
            };
            let css = if compat {
                optim::scipy_bfgs(css_obj, &x0, 1e-8, 100, None, None)
            } else {
                optim::bfgs(css_obj, &x0, 1e-8, 100)
            };
            // statsforecast keeps the zero start when CSS hits its iteration cap.
            let css_x = if compat && css.max_iter_reached {
                x0.clone()
            } else {
                css.x
            };
            let (css_phi, css_theta, css_mean) = split(&css_x);
            let ar0 = match invpartrans(&css_phi) {
                Some(v) => v,
                // R restarts the ML search from zero AR coefficients; statsforecast's port fails.
                None if !compat => vec![0.0; p],
                None => {
                    return Err(Error::NotConverged {
                        model: "ARIMA",
                        detail: format!("CSS estimates {css_phi:?} are not stationary"),
                    })
                }
            };
            let mut start = ar0;
            start.extend_from_slice(&css_theta);
            if constant {
                start.push(css_mean);
            }
            if compat {
                // statsforecast's ML stage never leaves its start: its likelihood closure keeps the
                // Kalman state of the previous call, so every perturbed evaluation differs from the
                // first by O(1), the finite-difference gradient is ~1e8 and SciPy's first line search
                // fails ("precision loss"). The model it reports is therefore the CSS estimate, with
                // the exact likelihood evaluated there; that is what its AICc ranks.
                return finish(css_phi, css_theta, css_mean, css.converged, None);
            }
            let ml = optim::bfgs(ml_obj, &start, 1e-8, 200);
            let (raw, theta, mean) = split(&ml.x);
            (partrans(&raw), theta, mean, ml.converged, None)
        }
    };
    finish(phi, theta, mean, converged, sigma2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partrans_round_trips() {
        let phi = [0.5, -0.2, 0.1];
        let raw = invpartrans(&phi).unwrap();
        let back = partrans(&raw);
        for (a, b) in phi.iter().zip(&back) {
            assert!((a - b).abs() < 1e-12);
        }
        assert!(invpartrans(&[1.2]).is_none());
    }

    #[test]
    fn invalid_orders_are_rejected() {
        assert!(ArimaOrder::new(11, 1, 0).is_err());
        assert!(ArimaOrder::new(1, 3, 0).is_err());
        assert!(ArimaOrder::new(0, 1, 11).is_err());
        let spec = Arima {
            constant: true,
            ..Arima::new(ArimaOrder::new(0, 2, 1).unwrap())
        };
        assert!(spec.fit_series(&[1.0; 50]).is_err());
    }
}

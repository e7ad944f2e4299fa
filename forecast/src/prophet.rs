//! Prophet (the `augurs-prophet` port) on log closes, with an optimiser written here, so it builds
//! and runs with no external Stan and no WebAssembly runtime.
//!
//! # The optimiser ([`MapOptimizer`])
//! Prophet fits by maximising the posterior of its Stan model (Stan's `optimize`, L-BFGS, no
//! Jacobian). [`MapOptimizer`] implements augurs-prophet's [`Optimizer`] for the linear and flat
//! trends by minimising the same negative log posterior with L-BFGS and an analytic gradient:
//!
//! ```text
//! k, m ~ N(0, 5)        δ_j ~ Laplace(0, τ)        σ ~ N⁺(0, 0.5)        β_j ~ N(0, σ_β,j)
//! y_i ~ N(g_i·(1 + Σ_j X_ij β_j s_m,j) + Σ_j X_ij β_j s_a,j, σ)
//! g_i = (k + Σ_{j: c_j ≤ t_i} δ_j)·t_i + m − Σ_{j: c_j ≤ t_i} δ_j·c_j        (linear)
//! ```
//!
//! over `(k, m, δ, ln σ, β)`. The Laplace prior's kink at 0 gets its subgradient 0 there. The
//! augurs `wasmstan` optimiser would run Prophet's own Stan program, but it brings a WebAssembly
//! runtime (wasmtime and cranelift, about ten minutes of extra build on two cores); this one is
//! ~150 lines. Logistic growth is not implemented (refused with an error).
//!
//! # As a forecaster ([`Prophet`])
//! Prophet models a series as a function of *time*: trend plus seasonalities. On prices that
//! ignores the last close, so the forecast here is anchored to it: `Ĉ[t+h] = C[t]·exp(ŷ(d_t + h·Δ) −
//! ŷ(d_t))`, `ŷ` Prophet's fitted curve of the log close, `d_t` the origin's date and `Δ` the mean
//! number of calendar days per trading day in the window. At fit time the curve is evaluated on a
//! daily grid from the first training date to [`Prophet::GRID_DAYS`] days past the last, and that grid
//! is all the fitted model keeps (a few kB); later dates extend the grid's last month linearly.
//! Intervals are the random walk's volatility-scaled ones ([`crate::volatility`]) around the point.

use augurs_prophet::optimizer::{Data, InitialParams, OptimizeOpts, OptimizedParams};
use augurs_prophet::{
    Optimizer, PositiveFloat, PredictionData, Prophet as AugursProphet, ProphetOptions,
    SeasonalityOption, TrainingData, TrendIndicator,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::baseline::DEFAULT_WINDOW;
use crate::volatility::VolBand;
use crate::{Error, Fit, Forecast, Horizon, Interval, Level, Ohlcv, Predict, Result, StepForecast};

/// MAP estimation of Prophet's model by L-BFGS (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MapOptimizer {
    /// Iterations at most (Stan's default: 2000).
    pub max_iter: usize,
    /// Stop when the relative decrease of the objective falls below this (Stan's `tol_rel_obj`
    /// 1e4 × machine ε ≈ 2.2e-12).
    pub tol_rel_obj: f64,
    /// Stop when the gradient's largest component falls below this (Stan's `tol_grad`, 1e-8).
    pub tol_grad: f64,
}

impl Default for MapOptimizer {
    fn default() -> Self {
        Self {
            max_iter: 2000,
            tol_rel_obj: 1e4 * f64::EPSILON,
            tol_grad: 1e-8,
        }
    }
}

/// The negative log posterior of Prophet's Stan model and its gradient, for a linear (or flat)
/// trend. Parameters: `[k, m, δ_1..δ_S, ln σ, β_1..β_K]`.
struct Objective<'a> {
    d: &'a Data,
    /// `a[i][j]`: changepoint j is active at row i (`c_j ≤ t_i`), as the rows' first inactive index.
    active: Vec<usize>,
    linear: bool,
}

impl<'a> Objective<'a> {
    fn new(d: &'a Data) -> Self {
        let active =
            d.t.iter()
                .map(|&t| d.t_change.iter().take_while(|&&c| c <= t).count())
                .collect();
        Objective {
            d,
            active,
            linear: matches!(d.trend_indicator, TrendIndicator::Linear),
        }
    }

    fn trend(&self, x: &[f64]) -> Vec<f64> {
        let d = self.d;
        let s = d.t_change.len();
        let (k, m, delta) = (x[0], x[1], &x[2..2 + s]);
        if !self.linear {
            return vec![m; d.t.len()];
        }
        // Cumulative rate and offset changes up to each changepoint.
        let mut cum_k = vec![0.0; s + 1];
        let mut cum_m = vec![0.0; s + 1];
        for j in 0..s {
            cum_k[j + 1] = cum_k[j] + delta[j];
            cum_m[j + 1] = cum_m[j] - delta[j] * d.t_change[j];
        }
        d.t.iter()
            .zip(&self.active)
            .map(|(&t, &a)| (k + cum_k[a]) * t + m + cum_m[a])
            .collect()
    }

    /// Value and gradient.
    // Rows index several parallel arrays (t, y, X, the active changepoints) at once.
    #[allow(clippy::needless_range_loop)]
    fn eval(&self, x: &[f64]) -> (f64, Vec<f64>) {
        let d = self.d;
        let (n, s, kk) = (d.t.len(), d.t_change.len(), d.K as usize);
        let (k, m) = (x[0], x[1]);
        let delta = &x[2..2 + s];
        let u = x[2 + s];
        let beta = &x[3 + s..3 + s + kk];
        let sigma = u.exp();
        let tau = *d.tau;
        let g = self.trend(x);
        let bm: Vec<f64> = (0..kk).map(|j| beta[j] * f64::from(d.s_m[j])).collect();
        let ba: Vec<f64> = (0..kk).map(|j| beta[j] * f64::from(d.s_a[j])).collect();
        let mut grad = vec![0.0; x.len()];
        let mut sse = 0.0;
        // dμ/dg per row and the residual weights −r/σ².
        let mut w = vec![0.0; n];
        let mut dg = vec![0.0; n];
        for i in 0..n {
            let row = &d.X[i * kk..(i + 1) * kk];
            let (mut mult, mut add) = (0.0, 0.0);
            for j in 0..kk {
                mult += row[j] * bm[j];
                add += row[j] * ba[j];
            }
            let mu = g[i] * (1.0 + mult) + add;
            let r = d.y[i] - mu;
            sse += r * r;
            w[i] = -r / (sigma * sigma);
            dg[i] = w[i] * (1.0 + mult);
            for j in 0..kk {
                grad[3 + s + j] +=
                    w[i] * row[j] * (g[i] * f64::from(d.s_m[j]) + f64::from(d.s_a[j]));
            }
        }
        // Trend parameters.
        if self.linear {
            for i in 0..n {
                grad[0] += dg[i] * d.t[i];
                grad[1] += dg[i];
                for j in 0..self.active[i] {
                    grad[2 + j] += dg[i] * (d.t[i] - d.t_change[j]);
                }
            }
        } else {
            grad[1] += dg.iter().sum::<f64>();
        }
        let mut f = sse / (2.0 * sigma * sigma) + n as f64 * u;
        grad[2 + s] = n as f64 - sse / (sigma * sigma);
        // Priors.
        f += k * k / 50.0 + m * m / 50.0 + sigma * sigma / 0.5;
        grad[0] += k / 25.0;
        grad[1] += m / 25.0;
        grad[2 + s] += 2.0 * sigma * sigma / 0.5;
        for (j, &dj) in delta.iter().enumerate() {
            f += dj.abs() / tau;
            grad[2 + j] += if dj > 0.0 {
                1.0 / tau
            } else if dj < 0.0 {
                -1.0 / tau
            } else {
                0.0
            };
        }
        for (j, &b) in beta.iter().enumerate() {
            let sb = *d.sigmas[j];
            f += b * b / (2.0 * sb * sb);
            grad[3 + s + j] += b / (sb * sb);
        }
        (f, grad)
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// L-BFGS (history 10) with a backtracking Armijo line search.
fn lbfgs(f: impl Fn(&[f64]) -> (f64, Vec<f64>), mut x: Vec<f64>, opt: &MapOptimizer) -> Vec<f64> {
    const HISTORY: usize = 10;
    let (mut fx, mut g) = f(&x);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    for _ in 0..opt.max_iter {
        if g.iter().fold(0.0f64, |a, v| a.max(v.abs())) < opt.tol_grad {
            break;
        }
        // Two-loop recursion.
        let mut q = g.clone();
        let mut alpha = vec![0.0; s_hist.len()];
        for i in (0..s_hist.len()).rev() {
            let rho = 1.0 / dot(&y_hist[i], &s_hist[i]);
            alpha[i] = rho * dot(&s_hist[i], &q);
            for (qv, yv) in q.iter_mut().zip(&y_hist[i]) {
                *qv -= alpha[i] * yv;
            }
        }
        let gamma = match (s_hist.last(), y_hist.last()) {
            (Some(s), Some(y)) => dot(s, y) / dot(y, y),
            _ => 1.0 / g.iter().map(|v| v.abs()).fold(1.0, f64::max),
        };
        for v in q.iter_mut() {
            *v *= gamma;
        }
        for i in 0..s_hist.len() {
            let rho = 1.0 / dot(&y_hist[i], &s_hist[i]);
            let b = rho * dot(&y_hist[i], &q);
            for (qv, sv) in q.iter_mut().zip(&s_hist[i]) {
                *qv += (alpha[i] - b) * sv;
            }
        }
        let mut dir: Vec<f64> = q.iter().map(|v| -v).collect();
        let mut slope = dot(&g, &dir);
        if slope >= 0.0 {
            // Not a descent direction: restart from steepest descent.
            dir = g.iter().map(|v| -v).collect();
            slope = dot(&g, &dir);
            s_hist.clear();
            y_hist.clear();
        }
        let mut step = 1.0;
        let (mut xn, mut fxn, mut gn);
        loop {
            xn = x
                .iter()
                .zip(&dir)
                .map(|(a, b)| a + step * b)
                .collect::<Vec<_>>();
            (fxn, gn) = f(&xn);
            if fxn.is_finite() && fxn <= fx + 1e-4 * step * slope {
                break;
            }
            step *= 0.5;
            if step < 1e-20 {
                return x;
            }
        }
        let s: Vec<f64> = xn.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = gn.iter().zip(&g).map(|(a, b)| a - b).collect();
        let converged = (fx - fxn).abs() <= opt.tol_rel_obj * fx.abs().max(fxn.abs()).max(1.0);
        if dot(&s, &y) > 1e-12 {
            s_hist.push(s);
            y_hist.push(y);
            if s_hist.len() > HISTORY {
                s_hist.remove(0);
                y_hist.remove(0);
            }
        }
        x = xn;
        fx = fxn;
        g = gn;
        if converged {
            break;
        }
    }
    x
}

impl Optimizer for MapOptimizer {
    fn optimize(
        &self,
        init: &InitialParams,
        data: &Data,
        _opts: &OptimizeOpts,
    ) -> std::result::Result<OptimizedParams, augurs_prophet::optimizer::Error> {
        if matches!(data.trend_indicator, TrendIndicator::Logistic) {
            return Err(augurs_prophet::optimizer::Error::static_str(
                "logistic growth is not supported by this optimiser",
            ));
        }
        let obj = Objective::new(data);
        let mut x0 = vec![init.k, init.m];
        x0.extend(&init.delta);
        x0.push(init.sigma_obs.ln());
        x0.extend(&init.beta);
        let x = lbfgs(|x| obj.eval(x), x0, self);
        let s = data.t_change.len();
        let sigma = PositiveFloat::try_from(x[2 + s].exp().max(1e-12))
            .map_err(augurs_prophet::optimizer::Error::custom)?;
        Ok(OptimizedParams {
            k: x[0],
            m: x[1],
            sigma_obs: sigma,
            delta: x[2..2 + s].to_vec(),
            beta: x[3 + s..].to_vec(),
            trend: obj.trend(&x),
        })
    }
}

/// Prophet's parameters as a forecaster (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prophet {
    /// Rows of history fitted (the last 2520, about ten years).
    pub window: usize,
    /// Potential changepoints (Prophet's 25).
    pub n_changepoints: u32,
    /// Scale of the Laplace prior on the rate changes (Prophet's 0.05).
    pub changepoint_prior_scale: f64,
    /// Fit a yearly seasonality (Prophet's automatic choice: yes with two years of data).
    pub yearly: bool,
    /// The optimiser's settings.
    pub optimizer: MapOptimizer,
}

impl Default for Prophet {
    fn default() -> Self {
        Self {
            window: DEFAULT_WINDOW,
            n_changepoints: 25,
            changepoint_prior_scale: 0.05,
            yearly: true,
            optimizer: MapOptimizer::default(),
        }
    }
}

impl Prophet {
    /// Calendar days past the last training date the fitted curve is kept for.
    pub const GRID_DAYS: i64 = 400;
}

/// A fitted [`Prophet`]: its curve of the log close on a daily grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedProphet {
    /// First date of the grid.
    pub grid_start: NaiveDate,
    /// `ŷ` (log close) at each calendar day from `grid_start`.
    pub curve: Vec<f64>,
    /// Mean calendar days per trading day in the training window.
    pub days_per_row: f64,
    /// The volatility band of the intervals.
    pub band: Option<VolBand>,
}

fn seconds(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp()
}

fn prophet_error(e: impl std::fmt::Display) -> Error {
    Error::NotConverged {
        model: "Prophet",
        detail: e.to_string(),
    }
}

impl Fit for Prophet {
    type Fitted = FittedProphet;

    #[tracing::instrument(name = "prophet_fit", skip_all, fields(rows = history.len()))]
    fn fit(&self, history: &Ohlcv) -> Result<FittedProphet> {
        let n = history.len();
        if n < 30 {
            return Err(Error::NotEnoughData { needed: 30, got: n });
        }
        if self.changepoint_prior_scale.is_nan()
            || self.changepoint_prior_scale <= 0.0
            || self.window < 30
        {
            return Err(Error::InvalidParameter {
                name: "changepoint_prior_scale",
                value: format!("{} (window {})", self.changepoint_prior_scale, self.window),
                reason: "needs a positive prior scale and a window of at least 30 rows",
            });
        }
        let from = n.saturating_sub(self.window);
        let dates = &history.dates()[from..];
        let closes = &history.close()[from..];
        let ds: Vec<i64> = dates.iter().map(|&d| seconds(d)).collect();
        let y: Vec<f64> = closes.iter().map(|c| c.ln()).collect();
        let opts = ProphetOptions {
            n_changepoints: self.n_changepoints,
            changepoint_prior_scale: PositiveFloat::try_from(self.changepoint_prior_scale)
                .map_err(prophet_error)?,
            yearly_seasonality: if self.yearly {
                SeasonalityOption::Auto
            } else {
                SeasonalityOption::Manual(false)
            },
            // Trading days only: no weekly or daily pattern to fit.
            weekly_seasonality: SeasonalityOption::Manual(false),
            daily_seasonality: SeasonalityOption::Manual(false),
            uncertainty_samples: 0,
            ..ProphetOptions::default()
        };
        let mut model = AugursProphet::new(opts, self.optimizer);
        let data = TrainingData::new(ds, y).map_err(prophet_error)?;
        model
            .fit(data, OptimizeOpts::default())
            .map_err(prophet_error)?;
        let first = dates[0];
        let last = dates[dates.len() - 1];
        let days = (last - first).num_days() + Self::GRID_DAYS;
        let grid: Vec<i64> = (0..=days)
            .map(|k| seconds(first + chrono::Days::new(k as u64)))
            .collect();
        let pred = model
            .predict(PredictionData::new(grid))
            .map_err(prophet_error)?;
        Ok(FittedProphet {
            grid_start: first,
            curve: pred.yhat.point,
            days_per_row: (last - first).num_days() as f64 / (dates.len() - 1).max(1) as f64,
            band: VolBand::fit(closes),
        })
    }
}

impl FittedProphet {
    /// `ŷ` at a (fractional) day offset from the grid start; past the grid, the last month's slope
    /// continues.
    fn at(&self, day: f64) -> f64 {
        let n = self.curve.len();
        let last = (n - 1) as f64;
        if day >= last {
            let back = 30.min(n - 1);
            let slope = (self.curve[n - 1] - self.curve[n - 1 - back]) / back.max(1) as f64;
            return self.curve[n - 1] + slope * (day - last);
        }
        let day = day.max(0.0);
        let i = day.floor() as usize;
        let f = day - i as f64;
        self.curve[i] + f * (self.curve[(i + 1).min(n - 1)] - self.curve[i])
    }
}

impl Predict for FittedProphet {
    fn predict(&self, history: &Ohlcv, horizons: &[Horizon], levels: &[Level]) -> Result<Forecast> {
        let last = history
            .last_close()
            .ok_or(Error::NotEnoughData { needed: 1, got: 0 })?;
        let d = (history.dates()[history.len() - 1] - self.grid_start).num_days() as f64;
        let now = self.at(d);
        let closes = history.close();
        let steps = horizons
            .iter()
            .map(|&h| {
                let point = last * (self.at(d + h.get() as f64 * self.days_per_row) - now).exp();
                StepForecast {
                    horizon: h,
                    point,
                    intervals: levels
                        .iter()
                        .filter_map(|l| {
                            let (lower, upper) =
                                self.band
                                    .as_ref()?
                                    .interval(closes, point, h.get(), l.get())?;
                            Some(Interval {
                                level: l.get(),
                                lower,
                                upper,
                            })
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

    #[test]
    fn the_gradient_matches_finite_differences() {
        let n = 40;
        let t: Vec<f64> = (0..n).map(|i| i as f64 / (n - 1) as f64).collect();
        let data = Data {
            T: n as i32,
            y: t.iter()
                .map(|v| 0.3 + 0.5 * v + 0.05 * (9.0 * v).sin())
                .collect(),
            t: t.clone(),
            cap: vec![0.0; n],
            S: 3,
            t_change: vec![0.2, 0.5, 0.7],
            trend_indicator: TrendIndicator::Linear,
            K: 2,
            s_a: vec![1, 0],
            s_m: vec![0, 1],
            X: t.iter()
                .flat_map(|v| [(6.0 * v).sin(), (6.0 * v).cos()])
                .collect(),
            sigmas: vec![10.0.try_into().unwrap(), 10.0.try_into().unwrap()],
            tau: 0.05.try_into().unwrap(),
        };
        let obj = Objective::new(&data);
        let x = [0.4, 0.2, 0.03, -0.02, 0.01, -2.0, 0.1, -0.05];
        let (_, g) = obj.eval(&x);
        for i in 0..x.len() {
            let mut a = x;
            let mut b = x;
            a[i] += 1e-6;
            b[i] -= 1e-6;
            let fd = (obj.eval(&a).0 - obj.eval(&b).0) / 2e-6;
            assert!(
                (fd - g[i]).abs() < 1e-4 * (1.0 + g[i].abs()),
                "param {i}: {fd} vs {}",
                g[i]
            );
        }
    }
}

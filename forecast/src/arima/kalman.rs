//! Exact Gaussian likelihood of a stationary ARMA(p, q) through a Kalman filter, and forecasts of the
//! integrated series from the filtered state.
//!
//! The state space is Harvey's form used by R's `arima` and statsmodels' SARIMAX: state dimension
//! `r = max(p, q + 1)`, transition `T` with φ in its first column and ones on the superdiagonal,
//! disturbance loading `R = (1, θ₁, …, θ_{r−1})`, observation `Z = e₁`. The initial state covariance is
//! the stationary one (the solution of `P = T P Tᵀ + R Rᵀ`), so the likelihood is exact.
//!
//! Differencing is done before filtering. For an ARIMA(p, d, q) this gives the same likelihood as
//! carrying the `d` integrated states in the state vector with a diffuse prior (statsmodels'
//! `simple_differencing=False`, R's `kappa = 1e6`): the diffuse prior makes the first `d`
//! observations uninformative and both libraries leave them out of the likelihood. Working on the
//! differences avoids the `1e6` variances and their round-off.
//!
//! All variances are in units of σ² (the innovation variance is concentrated out).

/// The result of filtering a series.
#[derive(Debug, Clone)]
pub(crate) struct Filtered {
    /// Σ v²/F over the observations.
    pub(crate) ssq: f64,
    /// Σ ln F.
    pub(crate) sumlog: f64,
    /// Number of observations in the likelihood.
    pub(crate) nu: usize,
    /// Filtered state at the last observation.
    pub(crate) state: Vec<f64>,
    /// Filtered state covariance at the last observation (row-major r×r, σ² units).
    pub(crate) cov: Vec<f64>,
}

impl Filtered {
    /// The concentrated objective minimised by R's `arima` and statsforecast:
    /// `½ (ln(ssq/ν) + Σ ln F / ν)` (minus the log-likelihood per observation, up to constants).
    pub(crate) fn objective(&self) -> f64 {
        let nu = self.nu as f64;
        0.5 * ((self.ssq / nu).ln() + self.sumlog / nu)
    }

    /// Exact Gaussian log-likelihood at the maximum-likelihood σ² = ssq/ν.
    pub(crate) fn loglik(&self) -> f64 {
        let nu = self.nu as f64;
        -0.5 * (2.0 * nu * self.objective() + nu + nu * (2.0 * std::f64::consts::PI).ln())
    }
}

/// State dimension of an ARMA(p, q) in Harvey's form.
pub(crate) fn state_dim(p: usize, q: usize) -> usize {
    p.max(q + 1)
}

/// φ and θ padded with zeros to the state dimension (θ to r − 1).
fn padded(phi: &[f64], theta: &[f64]) -> (Vec<f64>, Vec<f64>, usize) {
    let r = state_dim(phi.len(), theta.len());
    let mut ph = vec![0.0; r];
    ph[..phi.len()].copy_from_slice(phi);
    // R = (1, θ₁, …, θ_{r−1}).
    let mut rv = vec![0.0; r];
    rv[0] = 1.0;
    rv[1..=theta.len()].copy_from_slice(theta);
    (ph, rv, r)
}

/// Stationary state covariance: solves `P = T P Tᵀ + R Rᵀ` as an r²×r² linear system (r ≤ 21 is
/// plenty here; the orders we fit keep r ≤ 6). `None` when the AR part is not stationary (the
/// system is singular or the solution is not a covariance).
pub(crate) fn stationary_cov(phi: &[f64], theta: &[f64]) -> Option<Vec<f64>> {
    let (ph, rv, r) = padded(phi, theta);
    if r == 1 {
        let v = 1.0 / (1.0 - ph[0] * ph[0]);
        return (v.is_finite() && v > 0.0).then(|| vec![v]);
    }
    // T as a dense matrix.
    let mut t = vec![0.0; r * r];
    for i in 0..r {
        t[i * r] = ph[i];
        if i + 1 < r {
            t[i * r + i + 1] = 1.0;
        }
    }
    // (I − T⊗T) vec(P) = vec(R Rᵀ), vec row-major: P[i][j] at i*r + j.
    let m = r * r;
    let mut a = vec![0.0; m * m];
    let mut b = vec![0.0; m];
    for i in 0..r {
        for j in 0..r {
            let row = i * r + j;
            b[row] = rv[i] * rv[j];
            a[row * m + row] += 1.0;
            for k in 0..r {
                if t[i * r + k] == 0.0 {
                    continue;
                }
                for l in 0..r {
                    a[row * m + k * r + l] -= t[i * r + k] * t[j * r + l];
                }
            }
        }
    }
    let x = solve_linear(&mut a, &mut b, m)?;
    // Symmetrise against round-off and reject non-covariances.
    let mut p = vec![0.0; m];
    for i in 0..r {
        for j in 0..r {
            p[i * r + j] = 0.5 * (x[i * r + j] + x[j * r + i]);
        }
    }
    (p[0] > 0.0 && p.iter().all(|v| v.is_finite())).then_some(p)
}

/// Gaussian elimination with partial pivoting; `None` if singular.
pub(crate) fn solve_linear(a: &mut [f64], b: &mut [f64], n: usize) -> Option<Vec<f64>> {
    for col in 0..n {
        let piv =
            (col..n).max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))?;
        if a[piv * n + col].abs() < 1e-12 {
            return None;
        }
        if piv != col {
            for k in 0..n {
                a.swap(piv * n + k, col * n + k);
            }
            b.swap(piv, col);
        }
        let d = a[col * n + col];
        for i in col + 1..n {
            let f = a[i * n + col] / d;
            if f == 0.0 {
                continue;
            }
            for k in col..n {
                a[i * n + k] -= f * a[col * n + k];
            }
            b[i] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= a[i * n + k] * x[k];
        }
        x[i] = s / a[i * n + i];
    }
    Some(x)
}

/// Filters `w − mean` (a stationary ARMA) and returns the likelihood pieces and the last filtered
/// state. `None` when the AR part is not stationary.
pub(crate) fn filter(phi: &[f64], theta: &[f64], mean: f64, w: &[f64]) -> Option<Filtered> {
    let (ph, rv, r) = padded(phi, theta);
    let mut p = stationary_cov(phi, theta)?;
    let mut a = vec![0.0; r];
    let mut tp = vec![0.0; r * r];
    let (mut ssq, mut sumlog) = (0.0, 0.0);
    // Once the predicted covariance stops changing the gain is constant and only the state needs
    // updating; this is what makes a 2520-row likelihood cheap inside the optimiser.
    let mut steady = false;
    let mut f_ss = 0.0;
    let mut k_ss = vec![0.0; r];
    let mut prev_pred = vec![f64::NAN; r * r];
    let mut p_upd = vec![0.0; r * r];
    for (t, &obs) in w.iter().enumerate() {
        if t > 0 {
            // a ← T a
            let a0 = a[0];
            for i in 0..r {
                a[i] = ph[i] * a0 + if i + 1 < r { a[i + 1] } else { 0.0 };
            }
            if !steady {
                // P ← T P Tᵀ + R Rᵀ using T's structure: (T P)[i][j] = φᵢ P[0][j] + P[i+1][j].
                for i in 0..r {
                    for j in 0..r {
                        tp[i * r + j] =
                            ph[i] * p[j] + if i + 1 < r { p[(i + 1) * r + j] } else { 0.0 };
                    }
                }
                for i in 0..r {
                    for j in 0..r {
                        p[i * r + j] = tp[i * r] * ph[j]
                            + if j + 1 < r { tp[i * r + j + 1] } else { 0.0 }
                            + rv[i] * rv[j];
                    }
                }
                let change = p
                    .iter()
                    .zip(&prev_pred)
                    .map(|(x, y)| (x - y).abs())
                    .fold(0.0, f64::max);
                if change < 1e-15 {
                    steady = true;
                    f_ss = p[0];
                    for i in 0..r {
                        k_ss[i] = p[i * r] / f_ss;
                    }
                    p_upd.copy_from_slice(&p);
                    for i in 0..r {
                        for j in 0..r {
                            p_upd[i * r + j] -= p[i * r] * p[j] / f_ss;
                        }
                    }
                } else {
                    prev_pred.copy_from_slice(&p);
                }
            }
        }
        let v = obs - mean - a[0];
        if steady {
            ssq += v * v / f_ss;
            sumlog += f_ss.ln();
            for i in 0..r {
                a[i] += k_ss[i] * v;
            }
            continue;
        }
        let f = p[0];
        if !(f > 0.0 && f.is_finite()) {
            return None;
        }
        ssq += v * v / f;
        sumlog += f.ln();
        for i in 0..r {
            a[i] += p[i * r] / f * v;
        }
        // P ← P − P[:,0] P[0,:] / F
        let col0: Vec<f64> = (0..r).map(|i| p[i * r]).collect();
        for i in 0..r {
            for j in 0..r {
                p[i * r + j] -= col0[i] * col0[j] / f;
            }
        }
    }
    let cov = if steady { p_upd } else { p };
    (ssq.is_finite() && sumlog.is_finite()).then_some(Filtered {
        ssq,
        sumlog,
        nu: w.len(),
        state: a,
        cov,
    })
}

/// Forecasts the undifferenced series `y` from the end of a filtered ARMA on `w = Δᵈ y − mean`.
///
/// `last_levels` are `y[n−1], y[n−2], …, y[n−d]` (most recent first). Returns, for steps
/// `1..=horizon`, the mean forecast and the forecast-error variance in σ² units. The augmented state
/// `(α, y_n, …, y_{n−d+1})` starts with the filtered ARMA covariance and zero variance on the observed
/// levels, which is what the diffuse-state filters of statsmodels and R hold at the end of a sample.
pub(crate) fn forecast(
    phi: &[f64],
    theta: &[f64],
    mean: f64,
    d: usize,
    filtered: &Filtered,
    last_levels: &[f64],
    horizon: usize,
) -> (Vec<f64>, Vec<f64>) {
    let (ph, rv, r) = padded(phi, theta);
    // Coefficients of y_t on its lags from (1 − B)^d: y_t = w_t + Σ δᵢ y_{t−i}.
    let mut delta = vec![0.0; d];
    {
        let mut poly = vec![1.0];
        for _ in 0..d {
            let mut next = vec![0.0; poly.len() + 1];
            for (i, &c) in poly.iter().enumerate() {
                next[i] += c;
                next[i + 1] -= c;
            }
            poly = next;
        }
        for i in 0..d {
            delta[i] = -poly[i + 1];
        }
    }
    let m = r + d;
    // Transition of the augmented state s = (α_t, y_t, …, y_{t−d+1}):
    // α_{t+1} = T α_t + R ε, y_{t+1} = mean + (T α_t)₀ + ε + Σ δᵢ y_{t+1−i}.
    let mut tm = vec![0.0; m * m];
    for i in 0..r {
        tm[i * m] = ph[i];
        if i + 1 < r {
            tm[i * m + i + 1] = 1.0;
        }
    }
    if d > 0 {
        // Row r: y_{t+1} = φ₁ α_t[0] + α_t[1] + Σ δᵢ y_{t+1−i}.
        for j in 0..r {
            tm[r * m + j] = tm[j];
        }
        for i in 0..d {
            tm[r * m + r + i] = delta[i];
        }
        for i in 1..d {
            tm[(r + i) * m + r + i - 1] = 1.0;
        }
    }
    let mut g = vec![0.0; m];
    g[..r].copy_from_slice(&rv);
    if d > 0 {
        g[r] = 1.0;
    }
    let mut s = vec![0.0; m];
    s[..r].copy_from_slice(&filtered.state);
    s[r..].copy_from_slice(&last_levels[..d]);
    let mut p = vec![0.0; m * m];
    for i in 0..r {
        for j in 0..r {
            p[i * m + j] = filtered.cov[i * r + j];
        }
    }
    let mut means = Vec::with_capacity(horizon);
    let mut vars = Vec::with_capacity(horizon);
    let mut tmp = vec![0.0; m * m];
    for _ in 0..horizon {
        let mut ns = vec![0.0; m];
        for i in 0..m {
            ns[i] = (0..m).map(|k| tm[i * m + k] * s[k]).sum();
        }
        if d > 0 {
            ns[r] += mean;
        }
        s = ns;
        for i in 0..m {
            for j in 0..m {
                tmp[i * m + j] = (0..m).map(|k| tm[i * m + k] * p[k * m + j]).sum();
            }
        }
        for i in 0..m {
            for j in 0..m {
                p[i * m + j] =
                    (0..m).map(|k| tmp[i * m + k] * tm[j * m + k]).sum::<f64>() + g[i] * g[j];
            }
        }
        if d > 0 {
            means.push(s[r]);
            vars.push(p[r * m + r]);
        } else {
            means.push(mean + s[0]);
            vars.push(p[0]);
        }
    }
    (means, vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stationary_covariance_of_an_ar1_is_one_over_one_minus_phi_squared() {
        let p = stationary_cov(&[0.5], &[]).unwrap();
        assert!((p[0] - 1.0 / 0.75).abs() < 1e-14);
        assert!(stationary_cov(&[1.0], &[]).is_none());
    }

    #[test]
    fn stationary_covariance_of_an_arma11_matches_the_closed_form() {
        // γ₀ = (1 + 2φθ + θ²)/(1 − φ²) for an ARMA(1,1), σ² = 1.
        let (phi, theta) = (0.6, 0.3);
        let p = stationary_cov(&[phi], &[theta]).unwrap();
        let g0 = (1.0 + 2.0 * phi * theta + theta * theta) / (1.0 - phi * phi);
        assert!((p[0] - g0).abs() < 1e-12, "{} vs {g0}", p[0]);
    }

    #[test]
    fn white_noise_forecast_variance_grows_linearly_once_integrated() {
        let w = [0.1, -0.2, 0.05, 0.3];
        let f = filter(&[], &[], 0.0, &w).unwrap();
        let (m, v) = forecast(&[], &[], 0.0, 1, &f, &[7.0], 3);
        assert_eq!(m, vec![7.0, 7.0, 7.0]);
        assert!((v[2] - 3.0).abs() < 1e-12);
    }
}

//! A small BFGS minimiser with central-difference gradients.
//!
//! R's `arima`, statsforecast and statsmodels all maximise the ARIMA likelihood with a quasi-Newton
//! method on numerical gradients (BFGS; statsmodels L-BFGS). The problems here have at most a dozen
//! parameters, so a dense BFGS with a backtracking Armijo line search is enough, and keeping it in
//! the crate avoids a dependency for forty lines of arithmetic. Central differences (rather than the
//! forward differences of `scipy.optimize`) give gradients accurate to about 1e-9 on the per-observation
//! objective, which lets the search stop at a tight gradient tolerance.

/// Outcome of a minimisation.
#[derive(Debug, Clone)]
pub(crate) struct Minimum {
    /// Arg-min.
    pub(crate) x: Vec<f64>,
    /// True when the gradient tolerance was met (false: stopped on no progress or iteration cap).
    pub(crate) converged: bool,
    /// True when the iteration cap stopped the search.
    pub(crate) max_iter_reached: bool,
}

fn gradient(f: &mut impl FnMut(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    let mut xp = x.to_vec();
    (0..x.len())
        .map(|i| {
            let h = 1e-6 * x[i].abs().max(1e-2);
            xp[i] = x[i] + h;
            let fp = f(&xp);
            xp[i] = x[i] - h;
            let fm = f(&xp);
            xp[i] = x[i];
            (fp - fm) / (2.0 * h)
        })
        .collect()
}

/// Minimises `f` from `x0`. Non-finite objective values are treated as +∞ (the line search backs off).
pub(crate) fn bfgs(
    mut f: impl FnMut(&[f64]) -> f64,
    x0: &[f64],
    gtol: f64,
    max_iter: usize,
) -> Minimum {
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut fx = f(&x);
    if n == 0 || !fx.is_finite() {
        return Minimum {
            x,
            converged: n == 0,
            max_iter_reached: false,
        };
    }
    let mut g = gradient(&mut f, &x);
    // Inverse-Hessian approximation, identity until the first curvature pair rescales it.
    let mut h = vec![0.0; n * n];
    for i in 0..n {
        h[i * n + i] = 1.0;
    }
    let mut first = true;
    let mut stalls = 0;
    for _ in 0..max_iter {
        let gmax = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if gmax < gtol {
            return Minimum {
                x,
                converged: true,
                max_iter_reached: false,
            };
        }
        let mut dir: Vec<f64> = (0..n)
            .map(|i| -(0..n).map(|j| h[i * n + j] * g[j]).sum::<f64>())
            .collect();
        let mut slope: f64 = dir.iter().zip(&g).map(|(d, g)| d * g).sum();
        if slope >= 0.0 {
            // Lost positive definiteness: restart from steepest descent.
            for i in 0..n {
                for j in 0..n {
                    h[i * n + j] = if i == j { 1.0 } else { 0.0 };
                }
            }
            dir = g.iter().map(|v| -v).collect();
            slope = -g.iter().map(|v| v * v).sum::<f64>();
            first = true;
        }
        // First step: move at most 0.1 in any coordinate (parameters are O(1) or smaller).
        let mut step = if first {
            let dmax = dir.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            (0.1 / dmax).min(1.0)
        } else {
            1.0
        };
        let mut accepted = None;
        for _ in 0..60 {
            let xn: Vec<f64> = x.iter().zip(&dir).map(|(xi, di)| xi + step * di).collect();
            let fnew = f(&xn);
            if fnew.is_finite() && fnew <= fx + 1e-4 * step * slope {
                accepted = Some((xn, fnew));
                break;
            }
            step *= 0.5;
        }
        let Some((xn, fnew)) = accepted else {
            return Minimum {
                x,
                converged: false,
                max_iter_reached: false,
            };
        };
        let gn = gradient(&mut f, &xn);
        let s: Vec<f64> = xn.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = gn.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy: f64 = s.iter().zip(&y).map(|(a, b)| a * b).sum();
        if sy > 1e-18 {
            if first {
                let yy: f64 = y.iter().map(|v| v * v).sum();
                let scale = sy / yy;
                for i in 0..n {
                    for j in 0..n {
                        h[i * n + j] = if i == j { scale } else { 0.0 };
                    }
                }
                first = false;
            }
            // H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ
            let rho = 1.0 / sy;
            let hy: Vec<f64> = (0..n)
                .map(|i| (0..n).map(|j| h[i * n + j] * y[j]).sum())
                .collect();
            let yhy: f64 = y.iter().zip(&hy).map(|(a, b)| a * b).sum();
            for i in 0..n {
                for j in 0..n {
                    h[i * n + j] += -rho * (s[i] * hy[j] + hy[i] * s[j])
                        + (rho * rho * yhy + rho) * s[i] * s[j];
                }
            }
        }
        let progress = fx - fnew;
        x = xn;
        g = gn;
        fx = fnew;
        // Stop when the objective no longer moves at double precision (the gradient may stay just
        // above tolerance because of finite-difference noise).
        if progress <= 1e-15 * fx.abs().max(1.0) {
            stalls += 1;
            if stalls >= 3 {
                return Minimum {
                    x,
                    converged: false,
                    max_iter_reached: false,
                };
            }
        } else {
            stalls = 0;
        }
    }
    Minimum {
        x,
        converged: false,
        max_iter_reached: true,
    }
}

/// Unbounded L-BFGS-B as statsmodels calls it (`fmin_l_bfgs_b(approx_grad=True, epsilon=1e-5,
/// m=10, factr=1e7, pgtol=1e-5)`): forward differences with an absolute step, a first step of
/// length 1 along −g/‖g‖, then two-loop L-BFGS directions scaled by sᵀy/yᵀy with unit trial steps,
/// a line search with sufficient-decrease constant 1e-3, and the relative-decrease stop
/// `(f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ factr·ε`.
pub(crate) fn lbfgs_statsmodels(
    mut f: impl FnMut(&[f64]) -> f64,
    x0: &[f64],
    max_iter: usize,
) -> Minimum {
    let (pgtol, factr, step, m) = (1e-5, 1e7, 1e-5, 10);
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut fx = f(&x);
    if n == 0 || !fx.is_finite() {
        return Minimum {
            x,
            converged: n == 0,
            max_iter_reached: false,
        };
    }
    let mut g = forward_gradient(&mut f, &x, fx, Some(step));
    let mut pairs: Vec<(Vec<f64>, Vec<f64>, f64)> = Vec::new();
    for k in 0..max_iter {
        if g.iter().fold(0.0f64, |a, v| a.max(v.abs())) <= pgtol {
            return Minimum {
                x,
                converged: true,
                max_iter_reached: false,
            };
        }
        // Two-loop recursion.
        let mut qv = g.clone();
        let mut alphas = Vec::with_capacity(pairs.len());
        for (s, y, rho) in pairs.iter().rev() {
            let a = rho * dot(s, &qv);
            for i in 0..n {
                qv[i] -= a * y[i];
            }
            alphas.push(a);
        }
        if let Some((s, y, _)) = pairs.last() {
            let gamma = dot(s, y) / dot(y, y);
            qv.iter_mut().for_each(|v| *v *= gamma);
        }
        for ((s, y, rho), a) in pairs.iter().zip(alphas.iter().rev()) {
            let b = rho * dot(y, &qv);
            for i in 0..n {
                qv[i] += s[i] * (a - b);
            }
        }
        let p: Vec<f64> = qv.iter().map(|v| -v).collect();
        let derphi0 = dot(&g, &p);
        if derphi0 >= 0.0 {
            return Minimum {
                x,
                converged: false,
                max_iter_reached: false,
            };
        }
        let first = if k == 0 {
            1.0 / dot(&g, &g).sqrt()
        } else {
            1.0
        };
        // MINPACK's line search, as L-BFGS-B runs it, shrinks an overshooting trial step by
        // (safeguarded) interpolation rather than the bisection-bounded zoom of SciPy's BFGS; with σ
        // among the parameters the first unit-length step overshoots by orders of magnitude.
        let mut alpha = first;
        let mut tries = 0;
        let f_new = loop {
            let xa: Vec<f64> = x.iter().zip(&p).map(|(a, b)| a + alpha * b).collect();
            let fa = f(&xa);
            if fa.is_finite() && fa <= fx + 1e-3 * alpha * derphi0 {
                break fa;
            }
            tries += 1;
            if tries >= 20 {
                return Minimum {
                    x,
                    converged: false,
                    max_iter_reached: false,
                };
            }
            let quad = if fa.is_finite() {
                -derphi0 * alpha * alpha / (2.0 * (fa - fx - derphi0 * alpha))
            } else {
                0.1 * alpha
            };
            alpha = quad.clamp(1e-4 * alpha, 0.5 * alpha);
        };
        let x_new: Vec<f64> = x.iter().zip(&p).map(|(a, b)| a + alpha * b).collect();
        let g_new = forward_gradient(&mut f, &x_new, f_new, Some(step));
        let s: Vec<f64> = p.iter().map(|v| alpha * v).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let decrease = fx - f_new;
        let scale = fx.abs().max(f_new.abs()).max(1.0);
        x = x.iter().zip(&s).map(|(a, b)| a + b).collect();
        fx = f_new;
        g = g_new;
        let sy = dot(&s, &y);
        if sy > f64::EPSILON * dot(&y, &y) {
            pairs.push((s, y, 1.0 / sy));
            if pairs.len() > m {
                pairs.remove(0);
            }
        }
        if decrease <= factr * f64::EPSILON * scale {
            return Minimum {
                x,
                converged: true,
                max_iter_reached: false,
            };
        }
    }
    Minimum {
        x,
        converged: false,
        max_iter_reached: true,
    }
}

/// √ε of f64: the relative step of SciPy's 2-point finite differences.
const SQRT_EPS: f64 = 1.4901161193847656e-08;

/// Forward-difference gradient as `scipy.optimize.approx_fprime` / `minimize(jac=None)` computes it
/// (relative step √ε·max(1, |x|)). Its O(h·f″) bias is part of what makes the reference libraries
/// stop where they stop, so the compatible minimisers below use it on purpose.
fn forward_gradient(
    f: &mut impl FnMut(&[f64]) -> f64,
    x: &[f64],
    fx: f64,
    abs_step: Option<f64>,
) -> Vec<f64> {
    let mut xp = x.to_vec();
    (0..x.len())
        .map(|i| {
            let h = abs_step.unwrap_or_else(|| {
                let sign = if x[i] >= 0.0 { 1.0 } else { -1.0 };
                SQRT_EPS * sign * x[i].abs().max(1.0)
            });
            xp[i] = x[i] + h;
            let dx = xp[i] - x[i];
            let fp = f(&xp);
            xp[i] = x[i];
            (fp - fx) / dx
        })
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn cubicmin(a: f64, fa: f64, fpa: f64, b: f64, fb: f64, c: f64, fc: f64) -> Option<f64> {
    let c0 = fpa;
    let (db, dc) = (b - a, c - a);
    let denom = (db * dc).powi(2) * (db - dc);
    let (r1, r2) = (fb - fa - c0 * db, fc - fa - c0 * dc);
    let aa = (dc * dc * r1 - db * db * r2) / denom;
    let bb = (-dc.powi(3) * r1 + db.powi(3) * r2) / denom;
    let radical = bb * bb - 3.0 * aa * c0;
    let x = a + (-bb + radical.sqrt()) / (3.0 * aa);
    x.is_finite().then_some(x)
}

fn quadmin(a: f64, fa: f64, fpa: f64, b: f64, fb: f64) -> Option<f64> {
    let db = b - a;
    let bb = (fb - fa - fpa * db) / (db * db);
    let x = a - fpa / (2.0 * bb);
    x.is_finite().then_some(x)
}

/// SciPy's `scalar_search_wolfe2` (Nocedal & Wright, Algorithms 3.5 and 3.6) on φ(α) = f(x + α p).
/// Returns (α, f(x + α p), ∇f(x + α p)), or `None` when no strong-Wolfe step was found.
#[allow(clippy::too_many_arguments)]
fn wolfe_search(
    f: &mut impl FnMut(&[f64]) -> f64,
    x: &[f64],
    p: &[f64],
    phi0: f64,
    derphi0: f64,
    old_phi0: f64,
    abs_step: Option<f64>,
    first_alpha: Option<f64>,
    c1: f64,
) -> Option<(f64, f64, Vec<f64>)> {
    let c2 = 0.9;
    let at = |a: f64| -> Vec<f64> { x.iter().zip(p).map(|(xi, pi)| xi + a * pi).collect() };
    let eval = |f: &mut dyn FnMut(&[f64]) -> f64, a: f64| -> f64 { f(&at(a)) };
    let grad_at = |f: &mut dyn FnMut(&[f64]) -> f64, a: f64, fa: f64| -> Vec<f64> {
        let xa = at(a);
        let mut ff = |z: &[f64]| f(z);
        forward_gradient(&mut ff, &xa, fa, abs_step)
    };
    let mut alpha1 = if derphi0 != 0.0 {
        (1.01 * 2.0 * (phi0 - old_phi0) / derphi0).min(1.0)
    } else {
        1.0
    };
    if alpha1 < 0.0 || !alpha1.is_finite() {
        alpha1 = 1.0;
    }
    if let Some(a) = first_alpha {
        alpha1 = a;
    }
    let (mut alpha0, mut phi_a0, mut derphi_a0) = (0.0, phi0, derphi0);
    let mut phi_a1 = eval(f, alpha1);
    let zoom = |f: &mut dyn FnMut(&[f64]) -> f64,
                mut a_lo: f64,
                mut a_hi: f64,
                mut phi_lo: f64,
                mut phi_hi: f64,
                mut derphi_lo: f64|
     -> Option<(f64, f64, Vec<f64>)> {
        let (mut phi_rec, mut a_rec) = (phi0, 0.0);
        for i in 0..10 {
            let dalpha = a_hi - a_lo;
            let (a, b) = if dalpha < 0.0 {
                (a_hi, a_lo)
            } else {
                (a_lo, a_hi)
            };
            let mut a_j = None;
            if i > 0 {
                let cchk = 0.2 * dalpha;
                a_j = cubicmin(a_lo, phi_lo, derphi_lo, a_hi, phi_hi, a_rec, phi_rec)
                    .filter(|&v| !(v > b - cchk || v < a + cchk));
            }
            if a_j.is_none() {
                let qchk = 0.1 * dalpha;
                a_j = quadmin(a_lo, phi_lo, derphi_lo, a_hi, phi_hi)
                    .filter(|&v| !(v > b - qchk || v < a + qchk));
            }
            let a_j = a_j.unwrap_or(a_lo + 0.5 * dalpha);
            let xa = at(a_j);
            let phi_aj = f(&xa);
            if phi_aj > phi0 + c1 * a_j * derphi0 || phi_aj >= phi_lo {
                phi_rec = phi_hi;
                a_rec = a_hi;
                a_hi = a_j;
                phi_hi = phi_aj;
            } else {
                let mut ff = |z: &[f64]| f(z);
                let g = forward_gradient(&mut ff, &xa, phi_aj, abs_step);
                let derphi_aj = dot(&g, p);
                if derphi_aj.abs() <= -c2 * derphi0 {
                    return Some((a_j, phi_aj, g));
                }
                if derphi_aj * (a_hi - a_lo) >= 0.0 {
                    phi_rec = phi_hi;
                    a_rec = a_hi;
                    a_hi = a_lo;
                    phi_hi = phi_lo;
                } else {
                    phi_rec = phi_lo;
                    a_rec = a_lo;
                }
                a_lo = a_j;
                phi_lo = phi_aj;
                derphi_lo = derphi_aj;
            }
        }
        None
    };
    for i in 0..10 {
        if alpha1 == 0.0 {
            return None;
        }
        if phi_a1 > phi0 + c1 * alpha1 * derphi0
            || (phi_a1 >= phi_a0 && i > 0)
            || !phi_a1.is_finite()
        {
            let phi_hi = if phi_a1.is_finite() { phi_a1 } else { f64::MAX };
            return zoom(f, alpha0, alpha1, phi_a0, phi_hi, derphi_a0);
        }
        let g1 = grad_at(f, alpha1, phi_a1);
        let derphi_a1 = dot(&g1, p);
        if derphi_a1.abs() <= -c2 * derphi0 {
            return Some((alpha1, phi_a1, g1));
        }
        if derphi_a1 >= 0.0 {
            return zoom(f, alpha1, alpha0, phi_a1, phi_a0, derphi_a1);
        }
        let alpha2 = 2.0 * alpha1;
        alpha0 = alpha1;
        alpha1 = alpha2;
        phi_a0 = phi_a1;
        phi_a1 = eval(f, alpha1);
        derphi_a0 = derphi_a1;
    }
    None
}

/// A minimiser that follows `scipy.optimize.minimize(method="BFGS")` step for step: forward-difference
/// gradients, identity initial inverse Hessian, the strong-Wolfe search with SciPy's first trial
/// step, and a stop on `‖g‖∞ ≤ gtol`, `max_iter`, or a failed line search ("precision loss").
///
/// `ftol_rel`: additionally stop once an iteration lowers f by less than `ftol_rel·max(|f|, 1)`
/// (the `factr` test of L-BFGS-B, which statsmodels relies on). `abs_step`: a fixed absolute
/// finite-difference step (statsmodels passes 1e-5 to L-BFGS-B) instead of SciPy's relative one.
pub(crate) fn scipy_bfgs(
    mut f: impl FnMut(&[f64]) -> f64,
    x0: &[f64],
    gtol: f64,
    max_iter: usize,
    ftol_rel: Option<f64>,
    abs_step: Option<f64>,
) -> Minimum {
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut fx = f(&x);
    if n == 0 || !fx.is_finite() {
        return Minimum {
            x,
            converged: n == 0,
            max_iter_reached: false,
        };
    }
    let mut g = forward_gradient(&mut f, &x, fx, abs_step);
    let mut h = vec![0.0; n * n];
    for i in 0..n {
        h[i * n + i] = 1.0;
    }
    let mut old_old = fx + dot(&g, &g).sqrt() / 2.0;
    let mut gnorm = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let mut k = 0;
    while gnorm > gtol && k < max_iter {
        let p: Vec<f64> = (0..n).map(|i| -dot(&h[i * n..(i + 1) * n], &g)).collect();
        let derphi0 = dot(&g, &p);
        let mut ff = |z: &[f64]| f(z);
        let Some((alpha, f_new, g_new)) =
            wolfe_search(&mut ff, &x, &p, fx, derphi0, old_old, abs_step, None, 1e-4)
        else {
            return Minimum {
                x,
                converged: false,
                max_iter_reached: false,
            };
        };
        let s: Vec<f64> = p.iter().map(|pi| alpha * pi).collect();
        let x_new: Vec<f64> = x.iter().zip(&s).map(|(a, b)| a + b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let decrease = fx - f_new;
        old_old = fx;
        x = x_new;
        fx = f_new;
        g = g_new;
        k += 1;
        gnorm = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if gnorm <= gtol {
            break;
        }
        if let Some(tol) = ftol_rel {
            if decrease <= tol * fx.abs().max(old_old.abs()).max(1.0) {
                return Minimum {
                    x,
                    converged: true,
                    max_iter_reached: false,
                };
            }
        }
        let sy = dot(&s, &y);
        let rho = if sy == 0.0 { 1000.0 } else { 1.0 / sy };
        let hy: Vec<f64> = (0..n).map(|i| dot(&h[i * n..(i + 1) * n], &y)).collect();
        let yhy = dot(&y, &hy);
        for i in 0..n {
            for j in 0..n {
                h[i * n + j] +=
                    -rho * (s[i] * hy[j] + hy[i] * s[j]) + (rho * rho * yhy + rho) * s[i] * s[j];
            }
        }
    }
    Minimum {
        x,
        converged: gnorm <= gtol,
        max_iter_reached: gnorm > gtol,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bfgs_finds_the_rosenbrock_minimum() {
        let m = bfgs(
            |x| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2),
            &[-1.2, 1.0],
            1e-7,
            500,
        );
        assert!(
            (m.x[0] - 1.0).abs() < 1e-5 && (m.x[1] - 1.0).abs() < 1e-5,
            "{:?}",
            m
        );
    }
}

//! Small statistical helpers shared by the models and the metrics.

/// Arithmetic mean; NaN for an empty slice.
pub fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample standard deviation (ddof = 1); NaN for fewer than two values.
pub fn sample_sd(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return f64::NAN;
    }
    let m = mean(x);
    (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
}

/// Log returns `ln(x[i] / x[i-1])`, one shorter than `x`.
pub fn log_returns(x: &[f64]) -> Vec<f64> {
    x.windows(2).map(|w| (w[1] / w[0]).ln()).collect()
}

/// Inverse of the standard normal CDF (Acklam's algorithm refined by one Halley step; |error| < 1e-15
/// in double precision after refinement).
pub fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let p_low = 0.02425;
    let x = if p < p_low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - p_low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Halley step against the exact CDF.
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// Standard normal CDF via the complementary error function.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Complementary error function (W. J. Cody's rational approximations; relative error < 1e-15).
pub fn erfc(x: f64) -> f64 {
    // Numerical Recipes' erfc with Chebyshev fit (fractional error < 1.2e-7) is not accurate enough
    // for p-values; use the continued-fraction / series split instead.
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 0.5 {
        return 1.0 - erf_series(x);
    }
    // Lentz continued fraction for erfc, converges quickly for x >= 0.5.
    let x2 = x * x;
    let mut f;
    let tiny = 1e-300;
    let mut c;
    let mut d;
    // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
    // written as K(a_n / b_n) with b = x, a_n = n/2.
    f = x;
    c = x;
    d = 0.0;
    for n in 1..300 {
        let a = n as f64 / 2.0;
        d = x + a * d;
        if d.abs() < tiny {
            d = tiny;
        }
        c = x + a / c;
        if c.abs() < tiny {
            c = tiny;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x2).exp() / std::f64::consts::PI.sqrt() / f
}

fn erf_series(x: f64) -> f64 {
    // erf(x) = 2/sqrt(pi) * sum_{n} (-1)^n x^(2n+1) / (n! (2n+1))
    let mut sum = 0.0;
    let mut term = x;
    let x2 = x * x;
    for n in 0..60 {
        let add = term / (2 * n + 1) as f64;
        sum += add;
        if add.abs() < 1e-17 * sum.abs() {
            break;
        }
        term *= -x2 / (n + 1) as f64;
    }
    2.0 / std::f64::consts::PI.sqrt() * sum
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values: scipy.stats.norm.ppf / norm.cdf (SciPy 1.11).
    #[test]
    fn normal_quantile_matches_scipy() {
        assert!((normal_quantile(0.975) - 1.959963984540054).abs() < 1e-12);
        assert!((normal_quantile(0.995) - 2.5758293035489004).abs() < 1e-12);
        assert!((normal_quantile(0.01) + 2.3263478740408408).abs() < 1e-12);
        assert!((normal_quantile(1e-6) + 4.753424308822899).abs() < 1e-10);
    }

    #[test]
    fn normal_cdf_matches_scipy() {
        assert!((normal_cdf(1.0) - 0.8413447460685429).abs() < 1e-14);
        assert!((normal_cdf(-3.0) - 0.0013498980316300946).abs() < 1e-15);
        assert!((normal_cdf(0.3) - 0.6179114221889527).abs() < 1e-14);
    }

    #[test]
    fn sample_sd_uses_ddof_one() {
        assert!((sample_sd(&[1.0, 2.0, 3.0, 4.0]) - 1.2909944487358056).abs() < 1e-15);
    }
}

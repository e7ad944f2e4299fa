//! Causal technical indicators over price slices.
//!
//! Every function returns a vector as long as its input, where entry `t` depends on entries
//! `0..=t` only, and is `NaN` where the indicator is not yet defined (its warm-up). The formulas and
//! seeding conventions are the ones TA-Lib and pandas use, as spelled out in the evaluation protocol:
//!
//! * [`sma`]: plain mean of the last `n` values.
//! * [`ema`]: `α = 2/(n+1)`, seeded with the first value (pandas `ewm(span=n, adjust=False)`).
//! * [`rsi`], [`atr`]: Wilder smoothing `(n−1)·prev/n + x/n`, seeded with a simple mean.
//! * [`bollinger`]: population standard deviation (ddof 0), as TA-Lib's `BBANDS`.
//! * [`obv`]: on-balance volume starting at 0.
//! * [`historical_volatility`]: sample sd (ddof 1) of log returns, annualised.

/// Simple moving average of the last `n` values; NaN for `t < n − 1` (and everywhere when `n == 0`).
pub fn sma(x: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; x.len()];
    if n == 0 {
        return out;
    }
    for t in n.saturating_sub(1)..x.len() {
        // Summing each window afresh (instead of a running sum) keeps every value within one
        // rounding of the exact mean, which the value-by-value reference check relies on.
        out[t] = x[t + 1 - n..=t].iter().sum::<f64>() / n as f64;
    }
    out
}

/// Population standard deviation (ddof 0) of the last `n` values; NaN for `t < n − 1`.
pub fn rolling_pop_sd(x: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; x.len()];
    if n == 0 {
        return out;
    }
    for t in n.saturating_sub(1)..x.len() {
        let w = &x[t + 1 - n..=t];
        let m = w.iter().sum::<f64>() / n as f64;
        out[t] = (w.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n as f64).sqrt();
    }
    out
}

/// Exponential moving average with `α = 2/(n+1)`, seeded `EMA[0] = x[0]`
/// (pandas `ewm(span=n, adjust=False)`). Defined from the first row on; empty input gives empty output.
pub fn ema(x: &[f64], n: usize) -> Vec<f64> {
    let alpha = 2.0 / (n as f64 + 1.0);
    let mut out = Vec::with_capacity(x.len());
    let mut prev = f64::NAN;
    for (t, &v) in x.iter().enumerate() {
        prev = if t == 0 {
            v
        } else {
            alpha * v + (1.0 - alpha) * prev
        };
        out.push(prev);
    }
    out
}

/// Wilder smoothing of `x` with period `n`: seed `S[first + n − 1] = mean(x[first..first + n])`,
/// then `S[t] = ((n−1)·S[t−1] + x[t])/n`. `first` is the first row where `x` is defined.
fn wilder(x: &[f64], n: usize, first: usize) -> Vec<f64> {
    let mut out = vec![f64::NAN; x.len()];
    if n == 0 || x.len() < first + n {
        return out;
    }
    let seed_at = first + n - 1;
    let mut s = x[first..=seed_at].iter().sum::<f64>() / n as f64;
    out[seed_at] = s;
    for t in seed_at + 1..x.len() {
        s = ((n - 1) as f64 * s + x[t]) / n as f64;
        out[t] = s;
    }
    out
}

/// Relative Strength Index (Wilder), on the 0–100 scale.
///
/// `d[t] = C[t] − C[t−1]`; average gain and loss are seeded with the mean of `d[1..=n]` and
/// Wilder-smoothed after that, so the first value is at `t = n`. `RSI = 100 − 100/(1 + AG/AL)`,
/// and 100 when the average loss is 0.
pub fn rsi(close: &[f64], n: usize) -> Vec<f64> {
    let mut gain = vec![f64::NAN; close.len()];
    let mut loss = vec![f64::NAN; close.len()];
    for t in 1..close.len() {
        let d = close[t] - close[t - 1];
        gain[t] = d.max(0.0);
        loss[t] = (-d).max(0.0);
    }
    let ag = wilder(&gain, n, 1);
    let al = wilder(&loss, n, 1);
    ag.iter()
        .zip(&al)
        .map(|(&g, &l)| {
            if g.is_nan() || l.is_nan() {
                f64::NAN
            } else if l == 0.0 {
                100.0
            } else {
                100.0 - 100.0 / (1.0 + g / l)
            }
        })
        .collect()
}

/// MACD lines: the MACD itself, its signal line and the histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct Macd {
    /// `EMA(fast) − EMA(slow)`.
    pub macd: Vec<f64>,
    /// `EMA(signal)` of the MACD line, seeded with its first value.
    pub signal: Vec<f64>,
    /// `macd − signal`.
    pub hist: Vec<f64>,
}

/// MACD with the given fast/slow/signal periods (12/26/9 is the usual choice), built on [`ema`].
pub fn macd(close: &[f64], fast: usize, slow: usize, signal: usize) -> Macd {
    let f = ema(close, fast);
    let s = ema(close, slow);
    let line: Vec<f64> = f.iter().zip(&s).map(|(a, b)| a - b).collect();
    let sig = ema(&line, signal);
    let hist = line.iter().zip(&sig).map(|(a, b)| a - b).collect();
    Macd {
        macd: line,
        signal: sig,
        hist,
    }
}

/// Bollinger bands.
#[derive(Debug, Clone, PartialEq)]
pub struct Bollinger {
    /// `SMA(n)` of the close.
    pub mid: Vec<f64>,
    /// `mid + k·sd` (population sd of the last `n` closes).
    pub upper: Vec<f64>,
    /// `mid − k·sd`.
    pub lower: Vec<f64>,
}

/// Bollinger bands over `n` closes with `k` standard deviations (20/2 is the usual choice).
pub fn bollinger(close: &[f64], n: usize, k: f64) -> Bollinger {
    let mid = sma(close, n);
    let sd = rolling_pop_sd(close, n);
    let upper = mid.iter().zip(&sd).map(|(m, s)| m + k * s).collect();
    let lower = mid.iter().zip(&sd).map(|(m, s)| m - k * s).collect();
    Bollinger { mid, upper, lower }
}

/// True range: `TR[0] = H − L`, `TR[t] = max(H − L, |H − C[t−1]|, |L − C[t−1]|)`.
pub fn true_range(high: &[f64], low: &[f64], close: &[f64]) -> Vec<f64> {
    (0..close.len())
        .map(|t| {
            let hl = high[t] - low[t];
            if t == 0 {
                hl
            } else {
                hl.max((high[t] - close[t - 1]).abs())
                    .max((low[t] - close[t - 1]).abs())
            }
        })
        .collect()
}

/// Average True Range (Wilder): seeded `ATR[n−1] = mean(TR[0..n])`, then Wilder-smoothed.
///
/// # Panics
/// When the three slices differ in length.
pub fn atr(high: &[f64], low: &[f64], close: &[f64], n: usize) -> Vec<f64> {
    assert!(
        high.len() == close.len() && low.len() == close.len(),
        "atr: slice lengths differ"
    );
    wilder(&true_range(high, low, close), n, 0)
}

/// On-balance volume: `OBV[0] = 0`, `OBV[t] = OBV[t−1] + sign(C[t] − C[t−1])·V[t]` (sign 0 on no change).
///
/// # Panics
/// When the slices differ in length.
pub fn obv(close: &[f64], volume: &[f64]) -> Vec<f64> {
    assert_eq!(close.len(), volume.len(), "obv: slice lengths differ");
    let mut out = Vec::with_capacity(close.len());
    let mut acc = 0.0;
    for t in 0..close.len() {
        if t > 0 {
            let d = close[t] - close[t - 1];
            if d > 0.0 {
                acc += volume[t];
            } else if d < 0.0 {
                acc -= volume[t];
            }
        }
        out.push(acc);
    }
    out
}

/// Historical volatility: sample sd (ddof 1) of the last `n` one-day log returns, times
/// `√periods_per_year` (252 for daily data). The first value is at `t = n`.
pub fn historical_volatility(close: &[f64], n: usize, periods_per_year: f64) -> Vec<f64> {
    let mut out = vec![f64::NAN; close.len()];
    if n < 2 {
        return out;
    }
    let r: Vec<f64> = (0..close.len())
        .map(|t| {
            if t == 0 {
                f64::NAN
            } else {
                (close[t] / close[t - 1]).ln()
            }
        })
        .collect();
    for t in n..close.len() {
        out[t] = crate::stats::sample_sd(&r[t + 1 - n..=t]) * periods_per_year.sqrt();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close_all(a: &[f64], b: &[f64], tol: f64) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x.is_nan() && y.is_nan()) || (x - y).abs() <= tol,
                "index {i}: {x} vs {y}"
            );
        }
    }

    const NAN: f64 = f64::NAN;

    #[test]
    fn sma_averages_the_last_n_values_after_a_nan_warm_up() {
        close_all(&sma(&[1.0, 2.0, 3.0, 4.0], 3), &[NAN, NAN, 2.0, 3.0], 1e-15);
        assert!(sma(&[1.0, 2.0], 0).iter().all(|v| v.is_nan()));
    }

    #[test]
    fn ema_is_seeded_with_the_first_value_like_pandas_adjust_false() {
        // span 3 -> alpha 0.5: 2, 0.5*4+0.5*2 = 3, 0.5*8+0.5*3 = 5.5
        close_all(&ema(&[2.0, 4.0, 8.0], 3), &[2.0, 3.0, 5.5], 1e-15);
    }

    #[test]
    fn rsi_seeds_with_the_mean_gain_and_loss_then_smooths_like_wilder() {
        // n = 2. d = [+2, -1, +3]; seed at t = 2: AG = 1, AL = 0.5 -> RSI = 100 - 100/3.
        // t = 3: AG = (1 + 3)/2 = 2, AL = (0.5 + 0)/2 = 0.25 -> RSI = 100 - 100/9.
        let r = rsi(&[10.0, 12.0, 11.0, 14.0], 2);
        close_all(
            &r,
            &[NAN, NAN, 100.0 - 100.0 / 3.0, 100.0 - 100.0 / 9.0],
            1e-12,
        );
    }

    #[test]
    fn rsi_is_100_without_losses() {
        let r = rsi(&[1.0, 2.0, 3.0, 4.0], 3);
        assert_eq!(r[3], 100.0);
    }

    #[test]
    fn macd_is_the_difference_of_two_emas_and_hist_is_macd_minus_signal() {
        let c = [10.0, 11.0, 12.5, 12.0, 13.0];
        let m = macd(&c, 2, 4, 3);
        let f = ema(&c, 2);
        let s = ema(&c, 4);
        for t in 0..c.len() {
            assert!((m.macd[t] - (f[t] - s[t])).abs() < 1e-15);
            assert!((m.hist[t] - (m.macd[t] - m.signal[t])).abs() < 1e-15);
        }
        assert_eq!(m.signal[0], m.macd[0]);
    }

    #[test]
    fn bollinger_uses_the_population_sd() {
        // last 4 closes 2,4,4,4 -> mean 3.5, pop var = (2.25 + 3*0.25)/4 = 0.75
        let b = bollinger(&[2.0, 4.0, 4.0, 4.0], 4, 2.0);
        assert!((b.mid[3] - 3.5).abs() < 1e-15);
        assert!((b.upper[3] - (3.5 + 2.0 * 0.75f64.sqrt())).abs() < 1e-14);
        assert!((b.lower[3] - (3.5 - 2.0 * 0.75f64.sqrt())).abs() < 1e-14);
        assert!(b.mid[2].is_nan());
    }

    #[test]
    fn atr_takes_gaps_into_account_and_seeds_with_the_mean_true_range() {
        let h = [10.0, 12.0, 11.0];
        let l = [9.0, 11.0, 8.0];
        let c = [9.5, 11.5, 9.0];
        // TR = [1, max(1, 2.5, 1.5) = 2.5, max(3, 0.5, 3.5) = 3.5]
        close_all(&true_range(&h, &l, &c), &[1.0, 2.5, 3.5], 1e-15);
        // n = 2: seed at t = 1 = 1.75; t = 2: (1.75 + 3.5)/2 = 2.625
        close_all(&atr(&h, &l, &c, 2), &[NAN, 1.75, 2.625], 1e-15);
    }

    #[test]
    fn obv_adds_volume_on_up_days_and_ignores_unchanged_days() {
        let o = obv(&[1.0, 2.0, 2.0, 1.5], &[100.0, 10.0, 20.0, 5.0]);
        close_all(&o, &[0.0, 10.0, 10.0, 5.0], 0.0);
    }

    #[test]
    fn historical_volatility_is_annualised_sample_sd_of_log_returns() {
        let c = [100.0, 101.0, 99.0, 102.0];
        let hv = historical_volatility(&c, 3, 252.0);
        let r: Vec<f64> = crate::stats::log_returns(&c);
        let expect = crate::stats::sample_sd(&r) * 252f64.sqrt();
        close_all(&hv, &[NAN, NAN, NAN, expect], 1e-15);
    }

    #[test]
    fn indicators_are_causal() {
        let c: Vec<f64> = (0..80)
            .map(|i| 100.0 + (i as f64 * 0.7).sin() * 5.0)
            .collect();
        let full = rsi(&c, 14);
        let part = rsi(&c[..50], 14);
        close_all(&full[..50], &part, 0.0);
        let full = historical_volatility(&c, 20, 252.0);
        let part = historical_volatility(&c[..50], 20, 252.0);
        close_all(&full[..50], &part, 0.0);
    }
}

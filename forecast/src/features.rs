//! The protocol's 19 causal features (see the crate docs): row `s` uses rows `0..=s` only.
//!
//! | column | formula |
//! |---|---|
//! | `ret_l0..ret_l4` | `r[t−k]`, `r[t] = ln(C[t]/C[t−1])` |
//! | `ret_5`, `ret_20` | `ln(C[t]/C[t−5])`, `ln(C[t]/C[t−20])` |
//! | `rsi14` | Wilder RSI 14 / 100 |
//! | `ema12_rel`, `ema26_rel` | `C/EMA(n) − 1` |
//! | `macd_rel`, `macdsig_rel`, `macdhist_rel` | MACD 12/26/9 lines divided by `C` |
//! | `bb_pctb`, `bb_width` | Bollinger 20/2: `%b` (0.5 when the band is flat) and `(up − down)/mid` |
//! | `atr14_rel` | Wilder ATR 14 / `C` |
//! | `obv_slope20` | `(OBV[t] − OBV[t−20]) / Σ V[t−19..=t]` |
//! | `hv20` | annualised 20-day volatility of log returns |
//! | `vol_ratio20` | `V/SMA20(V) − 1` |
//!
//! Every row before [`WARMUP`] is NaN, even where an indicator would already be defined, so that
//! the matrix equals the reference computation value by value and no model can train on a
//! half-warmed indicator. Histories without volume (all zero over the 20-row window, e.g. indices
//! built with [`Ohlcv::from_closes`]) get `obv_slope20 = vol_ratio20 = 0` rather than `0/0`: no volume
//! carries no signal, and a NaN would poison the tree models.

use crate::indicators::{atr, bollinger, ema, historical_volatility, macd, obv, rsi, sma};
use crate::Ohlcv;

/// Number of feature columns.
pub const N_FEATURES: usize = 19;

/// Rows `0..WARMUP` are indicator warm-up and never used for training or prediction.
pub const WARMUP: usize = 60;

/// Column names, in order (identical to the reference CSV header).
pub const FEATURE_NAMES: [&str; N_FEATURES] = [
    "ret_l0",
    "ret_l1",
    "ret_l2",
    "ret_l3",
    "ret_l4",
    "ret_5",
    "ret_20",
    "rsi14",
    "ema12_rel",
    "ema26_rel",
    "macd_rel",
    "macdsig_rel",
    "macdhist_rel",
    "bb_pctb",
    "bb_width",
    "atr14_rel",
    "obv_slope20",
    "hv20",
    "vol_ratio20",
];

/// Feature rows for every row of a history; entries that are not yet defined (warm-up) are NaN.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMatrix {
    /// One row per history row.
    pub rows: Vec<[f64; N_FEATURES]>,
}

/// Computes all features for every row of `history`. Rows `0..WARMUP` are all NaN; every later row
/// is finite (prices are validated positive and finite by [`Ohlcv`]).
pub fn compute(history: &Ohlcv) -> FeatureMatrix {
    let c = history.close();
    let v = history.volume();
    let n = c.len();
    let ema12 = ema(c, 12);
    let ema26 = ema(c, 26);
    let m = macd(c, 12, 26, 9);
    let rsi14 = rsi(c, 14);
    let bb = bollinger(c, 20, 2.0);
    let atr14 = atr(history.high(), history.low(), c, 14);
    let obv = obv(c, v);
    let hv20 = historical_volatility(c, 20, 252.0);
    let vsma20 = sma(v, 20);

    let lr = |a: usize, b: usize| (c[a] / c[b]).ln();
    let mut rows = vec![[f64::NAN; N_FEATURES]; n];
    for (t, row) in rows.iter_mut().enumerate().skip(WARMUP) {
        let (up, down, mid) = (bb.upper[t], bb.lower[t], bb.mid[t]);
        let vsum: f64 = v[t + 1 - 20..=t].iter().sum();
        *row = [
            lr(t, t - 1),
            lr(t - 1, t - 2),
            lr(t - 2, t - 3),
            lr(t - 3, t - 4),
            lr(t - 4, t - 5),
            lr(t, t - 5),
            lr(t, t - 20),
            rsi14[t] / 100.0,
            c[t] / ema12[t] - 1.0,
            c[t] / ema26[t] - 1.0,
            m.macd[t] / c[t],
            m.signal[t] / c[t],
            m.hist[t] / c[t],
            if up == down {
                0.5
            } else {
                (c[t] - down) / (up - down)
            },
            (up - down) / mid,
            atr14[t] / c[t],
            if vsum == 0.0 {
                0.0
            } else {
                (obv[t] - obv[t - 20]) / vsum
            },
            hv20[t],
            if vsma20[t] == 0.0 {
                0.0
            } else {
                v[t] / vsma20[t] - 1.0
            },
        ];
    }
    FeatureMatrix { rows }
}

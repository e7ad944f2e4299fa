//! The protocol's 19 causal features (see the crate docs): row `s` uses rows `0..=s` only.

use crate::Ohlcv;

/// Number of feature columns.
pub const N_FEATURES: usize = 19;

/// Rows `0..WARMUP` are indicator warm-up and never used for training or prediction.
pub const WARMUP: usize = 60;

/// Column names, in order (identical to the reference CSV header).
pub const FEATURE_NAMES: [&str; N_FEATURES] = [
    "ret_l0", "ret_l1", "ret_l2", "ret_l3", "ret_l4", "ret_5", "ret_20", "rsi14", "ema12_rel",
    "ema26_rel", "macd_rel", "macdsig_rel", "macdhist_rel", "bb_pctb", "bb_width", "atr14_rel",
    "obv_slope20", "hv20", "vol_ratio20",
];

/// Feature rows for every row of a history; entries that are not yet defined (warm-up) are NaN.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMatrix {
    /// One row per history row.
    pub rows: Vec<[f64; N_FEATURES]>,
}

/// Computes all features for every row of `history`.
pub fn compute(history: &Ohlcv) -> FeatureMatrix {
    let _ = history;
    unimplemented!("features are being written")
}

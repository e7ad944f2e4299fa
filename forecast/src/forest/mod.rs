//! Random forest, one model per horizon (the protocol's `rf`), on smartcore's
//! `RandomForestRegressor`: [`RandomForest`] is the direct multi-horizon model of [`crate::direct`]
//! over the forest regressor [`ForestParams`].
//!
//! The reference is scikit-learn `RandomForestRegressor(n_estimators=100, min_samples_leaf=5,
//! max_features=0.33, random_state=0)`. smartcore 0.7 maps it as follows:
//!
//! | scikit-learn | smartcore | here |
//! |---|---|---|
//! | `n_estimators=100` | `n_trees` | [`ForestParams::n_trees`] = 100 |
//! | `min_samples_leaf=5` | `min_samples_leaf` | 5 |
//! | `max_features=0.33` (share, per split) | `m` (count, per split) | `max(1, ⌊0.33 · 19⌋)` = 6, as scikit-learn rounds |
//! | `bootstrap=True`, `min_samples_split=2`, `max_depth=None`, MSE | same | same |
//! | `random_state=0` | `seed` | [`ForestParams::seed`] = 0 |
//!
//! What differs: the random streams (so individual trees differ; only the ensemble's behaviour is
//! comparable), and when none of the `m` sampled features gives a valid split scikit-learn keeps
//! drawing further features while smartcore makes the node a leaf.
//!
//! **Intervals.** smartcore keeps the trees private, so tree-quantile intervals are not available; the
//! intervals are split-conformal on a temporal calibration tail, scaled by local volatility (see
//! [`crate::direct`]).
//!
//! # Measured (walk-forward of the protocol, `tests/gbm_eval.rs`; coverage with the earlier 20-day-sd
//! scaling — current figures in `evaluation/README.md`)
//!
//! | series | MAE/naive h1 / h2 / h5 | scikit-learn `rf` (reference) | cov95 % h1 / h2 / h5 |
//! |---|---|---|---|
//! | goog_2004_2013 | 1.0493 / 1.0207 / 0.9856 | 1.0406 / 1.0131 / 0.9667 | 95.6 / 96.0 / 96.4 |
//! | sp500_1999_2018 | 1.0322 / 1.0207 / 1.0520 | 1.0284 / 1.0259 / 1.0478 | 96.0 / 95.2 / 93.6 |
//! | msft_1986_2017 | 1.0407 / 1.0025 / 1.0130 | 1.0334 / 0.9807 / 1.0135 | 96.4 / 97.2 / 97.2 |
//! | nasdaq_1999_2018 | 1.0314 / 1.0027 / 0.9848 | 1.0415 / 1.0103 / 0.9814 | 92.4 / 94.0 / 92.0 |
//!
//! Like the reference, the forest does not beat the random walk; the differences to scikit-learn are
//! of the size that different random streams give. One fit (h = 1, 2519 rows × 19, one thread) took
//! 0.2–0.4 s on a busy 2-vCPU machine, where scikit-learn took 1.15 s idle (2.5 s busy). The cost is
//! the size: a fitted forest of the defaults is about 34 MB as JSON for three horizons (about
//! 100 000 nodes per horizon, stored by smartcore with every split statistic); the binary artifact
//! (format 2) takes 3.7–4.5 MB.

use serde::{Deserialize, Serialize};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;

use crate::direct::{Direct, FittedDirect, Regressor, RegressorModel, Table};
use crate::features::N_FEATURES;
use crate::{Error, Result};

/// smartcore's random forest over `f64` rows and targets.
pub type ForestRegressor = RandomForestRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>>;

/// The random-forest forecaster: one forest per horizon.
pub type RandomForest = Direct<ForestParams>;

/// A fitted [`RandomForest`]: one forest per horizon.
pub type FittedRandomForest = FittedDirect<ForestRegressor>;

/// Hyper-parameters of one forest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForestParams {
    /// Number of trees.
    pub n_trees: usize,
    /// Fewest rows in a leaf.
    pub min_samples_leaf: usize,
    /// Share of the features tried at each split, in (0, 1].
    pub max_features: f64,
    /// Depth limit; `None` grows until `min_samples_leaf` stops it.
    pub max_depth: Option<u16>,
    /// Seed of the bootstrap samples and feature draws.
    pub seed: u64,
}

impl Default for ForestParams {
    fn default() -> Self {
        Self {
            n_trees: 100,
            min_samples_leaf: 5,
            max_features: 0.33,
            max_depth: None,
            seed: 0,
        }
    }
}

fn invalid(name: &'static str, value: impl ToString, reason: &'static str) -> Error {
    Error::InvalidParameter {
        name,
        value: value.to_string(),
        reason,
    }
}

impl ForestParams {
    /// Features tried per split, rounded as scikit-learn does: `max(1, ⌊share · 19⌋)`.
    pub fn features_per_split(&self) -> usize {
        ((self.max_features * N_FEATURES as f64) as usize).max(1)
    }

    fn smartcore_params(&self) -> RandomForestRegressorParameters {
        let p = RandomForestRegressorParameters::default()
            .with_n_trees(self.n_trees)
            .with_min_samples_leaf(self.min_samples_leaf)
            .with_min_samples_split(2)
            .with_m(self.features_per_split())
            .with_seed(self.seed);
        match self.max_depth {
            Some(d) => p.with_max_depth(d),
            None => p,
        }
    }
}

fn smartcore_error(e: smartcore::error::Failed) -> Error {
    Error::Numerical {
        context: "random forest (smartcore)",
        detail: e.to_string(),
    }
}

impl Regressor for ForestParams {
    type Model = ForestRegressor;

    fn check(&self) -> Result<()> {
        if self.n_trees == 0 {
            return Err(invalid("n_trees", 0, "must be at least 1"));
        }
        if self.min_samples_leaf == 0 {
            return Err(invalid("min_samples_leaf", 0, "must be at least 1"));
        }
        if !(self.max_features > 0.0 && self.max_features <= 1.0) {
            return Err(invalid(
                "max_features",
                self.max_features,
                "must lie in (0, 1]",
            ));
        }
        if self.max_depth == Some(0) {
            return Err(invalid("max_depth", 0, "must be at least 1 when set"));
        }
        Ok(())
    }

    fn fit_table(
        &self,
        train: &Table,
        _valid: Option<&Table>,
        _previous: Option<&ForestRegressor>,
    ) -> Result<ForestRegressor> {
        let x = DenseMatrix::new(train.len(), N_FEATURES, train.x.clone(), false)
            .map_err(smartcore_error)?;
        ForestRegressor::fit(&x, &train.y, self.smartcore_params()).map_err(smartcore_error)
    }
}

impl RegressorModel for ForestRegressor {
    fn predict_row(&self, row: &[f64]) -> Result<f64> {
        let x = DenseMatrix::new(1, row.len(), row.to_vec(), false).map_err(smartcore_error)?;
        let y = self.predict(&x).map_err(smartcore_error)?;
        y.first().copied().ok_or_else(|| Error::Numerical {
            context: "random forest",
            detail: "empty prediction".into(),
        })
    }
}

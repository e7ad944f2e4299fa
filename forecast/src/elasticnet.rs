//! A regularised linear model of the 19 features (the protocol's `elasticnet`): the direct
//! multi-horizon model of [`crate::direct`] over an elastic-net regressor from linfa
//! (`linfa-elasticnet`, coordinate descent).
//!
//! For each horizon it fits `y_h[s] = ln(C[s+h]/C[s]) ≈ b + Σ_j w_j·x̃_j[s]` minimising
//! `1/(2n)·‖y − b − X̃w‖² + α·ρ·‖w‖₁ + α·(1 − ρ)/2·‖w‖²` (scikit-learn's `ElasticNet` objective),
//! with `x̃` the features standardised by the training rows' mean and sd (the penalty would
//! otherwise fall on the columns with the smallest scale: returns of 0.01 beside an RSI of 50).
//!
//! **The penalty α is chosen on the calibration tail.** With the tail held out (the direct model's
//! `calibration` share), the model is fitted on the rows before it for each α on a grid from
//! `α_max` (the smallest α that sets every weight to zero, `max_j |x̃_jᵀ(y − ȳ)|/(n·ρ)`) down by
//! factors of √10, and the α with the lowest tail MSE is kept for the final fit on all rows. On
//! daily returns the winner is often `α_max` itself — the training mean and nothing else — which is
//! the honest answer when the features carry no linear signal.

use linfa::prelude::*;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::direct::{Direct, FittedDirect, Regressor, RegressorModel, Table};
use crate::features::N_FEATURES;
use crate::{Error, Result};

/// The elastic-net forecaster: one linear model per horizon.
pub type ElasticNet = Direct<ElasticNetParams>;

/// A fitted [`ElasticNet`].
pub type FittedElasticNet = FittedDirect<LinearModel>;

/// Hyper-parameters of one elastic net.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElasticNetParams {
    /// Share of the penalty on the L1 norm, ρ in (0, 1] (0.5).
    pub l1_ratio: f64,
    /// Penalties tried on the calibration tail, as `α_max·10^(−k/2)`, k = 0..n (8: down to
    /// `α_max/5000`).
    pub n_alphas: usize,
    /// The penalty when there is no calibration tail to choose it, as a share of `α_max` (0.1).
    pub default_alpha_share: f64,
    /// Coordinate-descent sweeps at most (1000).
    pub max_iterations: u32,
    /// Convergence tolerance of the coordinate descent (1e-4, linfa's and scikit-learn's).
    pub tolerance: f64,
}

impl Default for ElasticNetParams {
    fn default() -> Self {
        Self {
            l1_ratio: 0.5,
            n_alphas: 8,
            default_alpha_share: 0.1,
            max_iterations: 1000,
            tolerance: 1e-4,
        }
    }
}

/// A fitted linear model on standardised features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearModel {
    /// Column means of the training rows.
    pub mean: Vec<f64>,
    /// Column sds of the training rows (1 for a constant column).
    pub scale: Vec<f64>,
    /// Weights on the standardised columns.
    pub weights: Vec<f64>,
    /// Intercept.
    pub intercept: f64,
    /// The penalty α it was fitted with.
    pub alpha: f64,
}

impl RegressorModel for LinearModel {
    fn predict_row(&self, row: &[f64]) -> Result<f64> {
        Ok(self.intercept
            + row
                .iter()
                .zip(&self.mean)
                .zip(&self.scale)
                .zip(&self.weights)
                .map(|(((x, m), s), w)| w * (x - m) / s)
                .sum::<f64>())
    }
}

/// Column means and sds (population, as scikit-learn's `StandardScaler`) of a row-major table.
fn standardiser(t: &Table) -> (Vec<f64>, Vec<f64>) {
    let n = t.len() as f64;
    let mut mean = vec![0.0; N_FEATURES];
    for i in 0..t.len() {
        for (m, x) in mean.iter_mut().zip(t.row(i)) {
            *m += x / n;
        }
    }
    let mut var = [0.0; N_FEATURES];
    for i in 0..t.len() {
        for ((v, x), m) in var.iter_mut().zip(t.row(i)).zip(&mean) {
            *v += (x - m).powi(2) / n;
        }
    }
    let scale = var
        .iter()
        .map(|v| if *v > 1e-24 { v.sqrt() } else { 1.0 })
        .collect();
    (mean, scale)
}

fn design(t: &Table, mean: &[f64], scale: &[f64]) -> Array2<f64> {
    Array2::from_shape_fn((t.len(), N_FEATURES), |(i, j)| {
        (t.row(i)[j] - mean[j]) / scale[j]
    })
}

impl ElasticNetParams {
    /// The smallest α that sets every weight to zero on the standardised table.
    fn alpha_max(&self, x: &Array2<f64>, y: &[f64]) -> f64 {
        let n = y.len() as f64;
        let ybar = y.iter().sum::<f64>() / n;
        (0..N_FEATURES)
            .map(|j| {
                x.column(j)
                    .iter()
                    .zip(y)
                    .map(|(a, b)| a * (b - ybar))
                    .sum::<f64>()
                    .abs()
            })
            .fold(0.0, f64::max)
            / (n * self.l1_ratio)
    }

    /// `α_max` of a table: the smallest penalty that sets every weight to zero once the table is
    /// standardised by its own columns.
    pub fn alpha_max_of(&self, t: &Table) -> f64 {
        let (mean, scale) = standardiser(t);
        self.alpha_max(&design(t, &mean, &scale), &t.y)
    }

    /// Fits with penalty `alpha` on a table standardised by its own columns.
    ///
    /// # Errors
    /// [`Error::NotConverged`] when the coordinate descent fails.
    pub fn fit_with_alpha(&self, t: &Table, alpha: f64) -> Result<LinearModel> {
        let (mean, scale) = standardiser(t);
        self.fit_alpha(t, mean, scale, alpha)
    }

    /// Fits with penalty `alpha` on a table standardised by `mean`/`scale`.
    fn fit_alpha(
        &self,
        t: &Table,
        mean: Vec<f64>,
        scale: Vec<f64>,
        alpha: f64,
    ) -> Result<LinearModel> {
        let x = design(t, &mean, &scale);
        let y = Array1::from_vec(t.y.clone());
        let model = linfa_elasticnet::ElasticNet::params()
            .penalty(alpha.max(1e-300))
            .l1_ratio(self.l1_ratio)
            .max_iterations(self.max_iterations)
            .tolerance(self.tolerance)
            .fit(&Dataset::new(x, y))
            .map_err(|e| Error::NotConverged {
                model: "elastic net (linfa)",
                detail: e.to_string(),
            })?;
        Ok(LinearModel {
            mean,
            scale,
            weights: model.hyperplane().to_vec(),
            intercept: model.intercept(),
            alpha,
        })
    }
}

impl Regressor for ElasticNetParams {
    type Model = LinearModel;

    fn check(&self) -> Result<()> {
        let bad = |name, value: String, reason| {
            Err(Error::InvalidParameter {
                name,
                value,
                reason,
            })
        };
        if !(self.l1_ratio > 0.0 && self.l1_ratio <= 1.0) {
            return bad("l1_ratio", self.l1_ratio.to_string(), "must lie in (0, 1]");
        }
        if self.n_alphas == 0 {
            return bad("n_alphas", "0".into(), "at least one penalty must be tried");
        }
        if !(self.default_alpha_share > 0.0 && self.default_alpha_share <= 1.0) {
            return bad(
                "default_alpha_share",
                self.default_alpha_share.to_string(),
                "must lie in (0, 1]",
            );
        }
        if self.tolerance.is_nan() || self.tolerance <= 0.0 || self.max_iterations == 0 {
            return bad(
                "tolerance",
                format!("{} ({} sweeps)", self.tolerance, self.max_iterations),
                "needs a positive tolerance and at least one sweep",
            );
        }
        Ok(())
    }

    fn fit_table(
        &self,
        train: &Table,
        valid: Option<&Table>,
        previous: Option<&LinearModel>,
    ) -> Result<LinearModel> {
        let (mean, scale) = standardiser(train);
        let x = design(train, &mean, &scale);
        let alpha_max = self.alpha_max(&x, &train.y);
        let alpha = match (previous, valid) {
            // The final fit on all rows keeps the penalty the tail chose, relative to its α_max.
            (Some(prev), _) => prev.alpha,
            (None, Some(tail)) => {
                let mut best = (f64::INFINITY, alpha_max);
                for k in 0..self.n_alphas {
                    let alpha = alpha_max * 10f64.powf(-(k as f64) / 2.0);
                    let m = self.fit_alpha(train, mean.clone(), scale.clone(), alpha)?;
                    let mse = (0..tail.len())
                        .map(|i| {
                            (m.predict_row(tail.row(i)).unwrap_or(f64::NAN) - tail.y[i]).powi(2)
                        })
                        .sum::<f64>()
                        / tail.len() as f64;
                    if mse < best.0 {
                        best = (mse, alpha);
                    }
                }
                best.1
            }
            (None, None) => alpha_max * self.default_alpha_share,
        };
        self.fit_alpha(train, mean, scale, alpha)
    }
}

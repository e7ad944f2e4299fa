//! A second-order gradient-boosted tree regressor in the style of XGBoost's `hist` method.
//!
//! Squared-error loss (gradient `ŷ − y`, hessian 1), depth-wise trees on pre-binned features,
//! shrinkage, L2-regularised leaf weights `−G/(H + λ)`, `min_child_weight` on the hessian sums, per-round
//! Bernoulli row subsampling, per-tree column subsampling and optional early stopping on a validation
//! set. Split gain and the minimum gain follow XGBoost: `G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)` must
//! exceed `1e-6` (XGBoost's `kRtEps`), which matters at the scale of daily log returns.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// XGBoost's minimum loss change for a split (`kRtEps`).
const MIN_GAIN: f64 = 1e-6;

/// Hyper-parameters of [`Booster`]; the defaults are the protocol's XGBoost settings
/// (`n_estimators=300, learning_rate=0.03, max_depth=3, subsample=0.8, colsample_bytree=0.8,
/// min_child_weight=5, reg_lambda=1`, 256 bins) without early stopping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoosterParams {
    /// Boosting rounds (trees), the maximum when early stopping is on.
    pub n_estimators: usize,
    /// Shrinkage applied to every tree's leaf weights, in (0, 1].
    pub learning_rate: f64,
    /// Depth of every tree, 1..=16.
    pub max_depth: usize,
    /// Share of rows each round samples (Bernoulli per row), in (0, 1].
    pub subsample: f64,
    /// Share of features each tree may split on, in (0, 1].
    pub colsample_bytree: f64,
    /// Smallest hessian sum (here: row count) allowed in a child, ≥ 0.
    pub min_child_weight: f64,
    /// L2 penalty on leaf weights, ≥ 0.
    pub lambda: f64,
    /// Histogram bins per feature, 2..=256 (quantile cut points on the training rows).
    pub max_bin: usize,
    /// Stop after this many rounds without a better validation RMSE and keep the best round. Only
    /// used when a validation set is given.
    pub early_stopping_rounds: Option<usize>,
    /// Seed of the row and column sampling.
    pub seed: u64,
}

impl Default for BoosterParams {
    fn default() -> Self {
        Self {
            n_estimators: 300,
            learning_rate: 0.03,
            max_depth: 3,
            subsample: 0.8,
            colsample_bytree: 0.8,
            min_child_weight: 5.0,
            lambda: 1.0,
            max_bin: 256,
            early_stopping_rounds: None,
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

impl BoosterParams {
    /// Checks every hyper-parameter.
    pub fn check(&self) -> Result<()> {
        let unit = |v: f64| v > 0.0 && v <= 1.0;
        if self.n_estimators == 0 {
            return Err(invalid("n_estimators", 0, "must be at least 1"));
        }
        if !unit(self.learning_rate) {
            return Err(invalid(
                "learning_rate",
                self.learning_rate,
                "must lie in (0, 1]",
            ));
        }
        if !(1..=16).contains(&self.max_depth) {
            return Err(invalid("max_depth", self.max_depth, "must lie in 1..=16"));
        }
        if !unit(self.subsample) {
            return Err(invalid("subsample", self.subsample, "must lie in (0, 1]"));
        }
        if !unit(self.colsample_bytree) {
            return Err(invalid(
                "colsample_bytree",
                self.colsample_bytree,
                "must lie in (0, 1]",
            ));
        }
        if !(self.min_child_weight.is_finite() && self.min_child_weight >= 0.0) {
            return Err(invalid(
                "min_child_weight",
                self.min_child_weight,
                "must be finite and ≥ 0",
            ));
        }
        if !(self.lambda.is_finite() && self.lambda >= 0.0) {
            return Err(invalid("lambda", self.lambda, "must be finite and ≥ 0"));
        }
        if !(2..=256).contains(&self.max_bin) {
            return Err(invalid("max_bin", self.max_bin, "must lie in 2..=256"));
        }
        if self.early_stopping_rounds == Some(0) {
            return Err(invalid(
                "early_stopping_rounds",
                0,
                "must be at least 1 when set",
            ));
        }
        Ok(())
    }

    /// Fits on row-major `x` (`y.len()` rows of `n_cols` values). With `valid = Some((x, y))` the
    /// validation RMSE is tracked each round and, when `early_stopping_rounds` is set, boosting stops
    /// once it has not improved for that many rounds and the model is cut back to its best round.
    pub fn fit(
        &self,
        x: &[f64],
        n_cols: usize,
        y: &[f64],
        valid: Option<(&[f64], &[f64])>,
    ) -> Result<Booster> {
        self.check()?;
        let n = y.len();
        check_shape(x, n_cols, n)?;
        if let Some((vx, vy)) = valid {
            check_shape(vx, n_cols, vy.len())?;
        }

        let cuts: Vec<Vec<f64>> = (0..n_cols)
            .map(|j| bin_cuts((0..n).map(|i| x[i * n_cols + j]).collect(), self.max_bin))
            .collect();
        // Column-major bin indices: histogram building walks one feature at a time.
        let mut bins = vec![0u8; n * n_cols];
        for (j, c) in cuts.iter().enumerate() {
            for i in 0..n {
                bins[j * n + i] = bin_of(c, x[i * n_cols + j]) as u8;
            }
        }

        let base_score = y.iter().sum::<f64>() / n as f64;
        let mut pred = vec![base_score; n];
        let mut vpred = valid.map(|(_, vy)| vec![base_score; vy.len()]);
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let k_cols = ((self.colsample_bytree * n_cols as f64) as usize).clamp(1, n_cols);
        let mut grad = vec![0.0; n];
        let mut trees = Vec::with_capacity(self.n_estimators);
        let mut valid_rmse = Vec::new();
        let mut best = (f64::INFINITY, 0usize);

        for round in 0..self.n_estimators {
            for i in 0..n {
                grad[i] = pred[i] - y[i];
            }
            let mut rows: Vec<u32> = if self.subsample < 1.0 {
                (0..n as u32)
                    .filter(|_| rng.gen::<f64>() < self.subsample)
                    .collect()
            } else {
                (0..n as u32).collect()
            };
            if rows.is_empty() {
                rows = (0..n as u32).collect();
            }
            let mut cols: Vec<usize> = (0..n_cols).collect();
            for k in 0..k_cols {
                let pick = rng.gen_range(k..n_cols);
                cols.swap(k, pick);
            }
            cols.truncate(k_cols);
            cols.sort_unstable();

            let grown = self.grow(&bins, n, &cuts, &grad, rows, &cols);
            for (i, p) in pred.iter_mut().enumerate() {
                *p += grown.leaf_of_binned(&bins, n, i);
            }
            let tree = grown.tree;
            if let (Some((vx, vy)), Some(vp)) = (valid, vpred.as_mut()) {
                let mut sse = 0.0;
                for (i, p) in vp.iter_mut().enumerate() {
                    *p += tree.predict(&vx[i * n_cols..(i + 1) * n_cols]);
                    sse += (*p - vy[i]).powi(2);
                }
                let rmse = (sse / vy.len().max(1) as f64).sqrt();
                valid_rmse.push(rmse);
                if rmse < best.0 {
                    best = (rmse, round);
                }
            }
            trees.push(tree);
            if let (Some(patience), true) = (self.early_stopping_rounds, valid.is_some()) {
                if round >= best.1 + patience {
                    break;
                }
            }
        }
        if self.early_stopping_rounds.is_some() && valid.is_some() {
            trees.truncate(best.1 + 1);
        }
        Ok(Booster {
            n_features: n_cols,
            base_score,
            trees,
            valid_rmse,
        })
    }

    fn grow(
        &self,
        bins: &[u8],
        n: usize,
        cuts: &[Vec<f64>],
        grad: &[f64],
        rows: Vec<u32>,
        cols: &[usize],
    ) -> Grown {
        struct Pending {
            node: usize,
            rows: Vec<u32>,
            g: f64,
            h: f64,
            depth: usize,
        }
        let lambda = self.lambda;
        let leaf = |g: f64, h: f64| -g / (h + lambda) * self.learning_rate;
        let mut nodes = Vec::new();
        let mut split_bins = Vec::new();
        let g0: f64 = rows.iter().map(|&i| grad[i as usize]).sum();
        let h0 = rows.len() as f64;
        nodes.push(Node::Leaf {
            value: leaf(g0, h0),
        });
        split_bins.push(0u8);
        let mut stack = vec![Pending {
            node: 0,
            rows,
            g: g0,
            h: h0,
            depth: 0,
        }];
        // The candidate column's histogram: gradient sums and row counts side by side.
        let mut hist: Vec<(f64, u32)> = Vec::new();
        let mut node_grad: Vec<f64> = Vec::new();

        while let Some(p) = stack.pop() {
            if p.depth >= self.max_depth || p.h < 2.0 * self.min_child_weight.max(0.5) {
                continue;
            }
            let parent_score = p.g * p.g / (p.h + lambda);
            // The node's gradients gathered once, in row order: each bin still sums its rows'
            // gradients in the same order as a pass over `grad` would.
            node_grad.clear();
            node_grad.extend(p.rows.iter().map(|&i| grad[i as usize]));
            // (gain, feature, bin, g_left, h_left)
            let mut best: Option<(f64, usize, usize, f64, f64)> = None;
            for &j in cols {
                let nb = cuts[j].len() + 1;
                hist.clear();
                hist.resize(nb, (0.0, 0));
                let col = &bins[j * n..(j + 1) * n];
                for (&i, &g) in p.rows.iter().zip(&node_grad) {
                    let cell = &mut hist[col[i as usize] as usize];
                    cell.0 += g;
                    cell.1 += 1;
                }
                let (mut gl, mut hl) = (0.0, 0.0);
                for (b, &(g, count)) in hist[..nb - 1].iter().enumerate() {
                    gl += g;
                    hl += f64::from(count);
                    let (gr, hr) = (p.g - gl, p.h - hl);
                    if hl < self.min_child_weight || hr < self.min_child_weight || count == 0 {
                        continue;
                    }
                    let gain = gl * gl / (hl + lambda) + gr * gr / (hr + lambda) - parent_score;
                    if gain > MIN_GAIN && best.is_none_or(|bst| gain > bst.0) {
                        best = Some((gain, j, b, gl, hl));
                    }
                }
            }
            let Some((_, feature, bin, gl, hl)) = best else {
                continue;
            };
            let col = &bins[feature * n..(feature + 1) * n];
            let (left_rows, right_rows): (Vec<u32>, Vec<u32>) = p
                .rows
                .iter()
                .partition(|&&i| (col[i as usize] as usize) <= bin);
            let (gr, hr) = (p.g - gl, p.h - hl);
            let left = nodes.len();
            nodes.push(Node::Leaf {
                value: leaf(gl, hl),
            });
            nodes.push(Node::Leaf {
                value: leaf(gr, hr),
            });
            split_bins.extend([0, 0]);
            nodes[p.node] = Node::Split {
                feature: feature as u32,
                threshold: cuts[feature][bin],
                left: left as u32,
                right: left as u32 + 1,
            };
            split_bins[p.node] = bin as u8;
            let depth = p.depth + 1;
            stack.push(Pending {
                node: left,
                rows: left_rows,
                g: gl,
                h: hl,
                depth,
            });
            stack.push(Pending {
                node: left + 1,
                rows: right_rows,
                g: gr,
                h: hr,
                depth,
            });
        }
        Grown {
            tree: Tree { nodes },
            split_bins,
        }
    }
}

fn check_shape(x: &[f64], n_cols: usize, n: usize) -> Result<()> {
    if n == 0 || n_cols == 0 || x.len() != n * n_cols {
        return Err(Error::InvalidInput(format!(
            "feature table of {} values does not hold {n} rows × {n_cols} columns (both > 0)",
            x.len()
        )));
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err(Error::InvalidInput("non-finite feature value".into()));
    }
    Ok(())
}

/// Cut points of one feature: midpoints between distinct values when there are few, else midpoints at
/// evenly spaced ranks (an exact-quantile stand-in for XGBoost's sketch). Bin `k` holds
/// `cuts[k−1] ≤ x < cuts[k]`.
fn bin_cuts(mut v: Vec<f64>, max_bin: usize) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    let mut distinct = v.clone();
    distinct.dedup();
    let mut cuts: Vec<f64> = if distinct.len() <= max_bin {
        distinct.windows(2).map(|w| 0.5 * (w[0] + w[1])).collect()
    } else {
        let n = v.len();
        (1..max_bin)
            .filter_map(|k| {
                let r = k * n / max_bin;
                (r > 0 && v[r - 1] < v[r]).then(|| 0.5 * (v[r - 1] + v[r]))
            })
            .collect()
    };
    cuts.dedup();
    cuts
}

fn bin_of(cuts: &[f64], x: f64) -> usize {
    cuts.partition_point(|&c| c <= x)
}

struct Grown {
    tree: Tree,
    /// Per node, the bin index of its split (training rows are routed in bin space).
    split_bins: Vec<u8>,
}

impl Grown {
    fn leaf_of_binned(&self, bins: &[u8], n: usize, i: usize) -> f64 {
        let mut k = 0;
        loop {
            match self.tree.nodes[k] {
                Node::Leaf { value } => return value,
                Node::Split {
                    feature,
                    left,
                    right,
                    ..
                } => {
                    let b = bins[feature as usize * n + i];
                    k = if b <= self.split_bins[k] { left } else { right } as usize;
                }
            }
        }
    }
}

/// A tree node; the root is node 0.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Node {
    /// Internal node: rows with `x[feature] < threshold` go left.
    Split {
        /// Feature index.
        feature: u32,
        /// Split value.
        threshold: f64,
        /// Left child index.
        left: u32,
        /// Right child index.
        right: u32,
    },
    /// Leaf with its (shrunk) weight.
    Leaf {
        /// Contribution to the prediction.
        value: f64,
    },
}

/// One regression tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// Nodes, root first.
    pub nodes: Vec<Node>,
}

impl Tree {
    /// The leaf weight for one row.
    pub fn predict(&self, row: &[f64]) -> f64 {
        let mut k = 0;
        loop {
            match self.nodes[k] {
                Node::Leaf { value } => return value,
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    // NaN compares false and goes right.
                    k = if row[feature as usize] < threshold {
                        left
                    } else {
                        right
                    } as usize;
                }
            }
        }
    }
}

/// A fitted boosted-tree regressor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Booster {
    n_features: usize,
    /// Initial prediction: the training mean.
    pub base_score: f64,
    /// The trees, in boosting order (cut back to the best round under early stopping).
    pub trees: Vec<Tree>,
    /// Validation RMSE after each round (empty without a validation set).
    pub valid_rmse: Vec<f64>,
}

impl Booster {
    /// Number of features the model expects.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Predicts one row of `n_features` values.
    pub fn predict_row(&self, row: &[f64]) -> Result<f64> {
        if row.len() != self.n_features {
            return Err(Error::InvalidInput(format!(
                "row has {} features, the model {}",
                row.len(),
                self.n_features
            )));
        }
        Ok(self.base_score + self.trees.iter().map(|t| t.predict(row)).sum::<f64>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_separate_distinct_values_and_cap_the_bin_count() {
        assert_eq!(bin_cuts(vec![3.0, 1.0, 2.0, 1.0], 256), vec![1.5, 2.5]);
        assert_eq!(bin_of(&[1.5, 2.5], 1.0), 0);
        assert_eq!(bin_of(&[1.5, 2.5], 1.5), 1);
        assert_eq!(bin_of(&[1.5, 2.5], 9.0), 2);
        let many: Vec<f64> = (0..10_000).map(|i| (i as f64).sin()).collect();
        let c = bin_cuts(many, 256);
        assert!(c.len() <= 255 && c.len() > 200, "{}", c.len());
        assert!(c.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn a_single_stump_finds_the_step() {
        // y = 1 for x ≥ 5, else 0: one split at 4.5 recovers it (λ = 0, learning rate 1).
        let x: Vec<f64> = (0..10).map(f64::from).collect();
        let y: Vec<f64> = x
            .iter()
            .map(|&v| if v >= 5.0 { 1.0 } else { 0.0 })
            .collect();
        let p = BoosterParams {
            n_estimators: 1,
            learning_rate: 1.0,
            max_depth: 1,
            subsample: 1.0,
            colsample_bytree: 1.0,
            min_child_weight: 1.0,
            lambda: 0.0,
            ..BoosterParams::default()
        };
        let b = p.fit(&x, 1, &y, None).unwrap();
        assert_eq!(b.trees[0].nodes.len(), 3);
        assert!((b.predict_row(&[2.0]).unwrap() - 0.0).abs() < 1e-12);
        assert!((b.predict_row(&[7.0]).unwrap() - 1.0).abs() < 1e-12);
    }
}

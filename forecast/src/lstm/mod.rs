//! A one-layer LSTM on the 19 causal features, forecasting the log returns of all horizons jointly,
//! trained with [dfdx](https://docs.rs/dfdx/0.13).
//!
//! # Model
//! `LSTM(19 → hidden, 1 layer)` → last hidden state → `Linear(hidden → #horizons)`, PyTorch's
//! `nn.LSTM` cell (gates in the order input, forget, cell, output; two bias vectors) and
//! initialisation. dfdx 0.13 has no recurrent layer, so the network is assembled from dfdx tensors
//! and unrolled over the window: one matmul gives the input projection of every step (the four
//! gates side by side, `inputs × 4·hidden`), each step slices its rows and adds one
//! `hidden × 4·hidden` recurrent matmul, and dfdx's tape does the backpropagation through time.
//! The element-wise part of the cell (sigmoid/tanh gates, cell and hidden update) is one op that
//! records its own derivative on the same tape: built from separate dfdx element-wise ops it took
//! most of the training time (see `net.rs`); it is tested against that composition and against
//! finite differences.
//!
//! # Speed
//! One protocol fit at the S&P 500's last refit (2520-row window, 1964 training sequences of 60
//! steps, early stopping after 8 epochs) takes about 4 s of CPU in release, against PyTorch's
//! 0.54 s with its fused LSTM kernels. The remaining cost is spread over dfdx's per-op overhead
//! (a tape entry, buffer allocation and zeroed gradient per op, two matmuls and a slice per step),
//! small matmuls and `exp`.
//!
//! # Data, at origin `t` (the last row of the history)
//! * Training window: rows `a..=t` with `a = max(WARMUP, t + 1 − window)` (indicator warm-up rows
//!   are never used).
//! * Input of sample `s`: the `seq_len` feature rows ending at `s`, MinMax-scaled with the per-column
//!   min/max of rows `a..=t` (never later rows). The scaler is stored and reused between refits, so
//!   newer rows may fall outside `[0, 1]`, as with scikit-learn's `MinMaxScaler`.
//! * Targets: `y_h[s] = ln(C[s+h]/C[s])` for each horizon, z-scored with the training split's mean and
//!   population sd (ddof 0, as `StandardScaler`).
//! * Samples: `s ∈ [a + seq_len − 1, t − max_h]`, so every target is known at `t`. The last
//!   `val_fraction` of them, in time order, are the validation split.
//!
//! # Training
//! Adam (lr `learning_rate`, β = (0.9, 0.999), ε = 1e-8), MSE loss, shuffled mini-batches from a
//! ChaCha8 generator seeded with `seed`, gradients clipped to global norm `clip_norm`, at most
//! `max_epochs` epochs, early stopping after `patience` epochs without a lower validation MSE, and
//! the weights of the best epoch are the ones kept. The initial weights come from dfdx's CPU device
//! seeded with `seed` as well, so a fit is a deterministic function of its data and parameters.
//!
//! # Forecast and intervals
//! `Ĉ[t+h] = C[t]·exp(ŷ_h)` with `ŷ_h` the un-z-scored network output. Intervals are normalised
//! split-conformal (Lei et al., 2018, §5.2) on the log-return scale: the score of validation sample
//! `s` is `|y_h[s] − ŷ_h[s]| / σ[s]`, with `σ[s]` the EWMA volatility of one-day log returns up to
//! `s` ([`crate::volatility`]); with `n` scores, `q` is the score at rank `⌈(n + 1)·level⌉`, and the
//! interval is `C[t]·exp(ŷ_h ± q·σ[t])`. Scaling by the recent volatility matters: the validation
//! split is the last ~two years of the window, and plain residuals from a calm stretch gave 95%
//! intervals that covered only about 83% of the S&P 500's volatile 2018. Caveats: the validation
//! split also chose the stopping epoch, which makes `q` slightly optimistic, and the residuals of
//! consecutive days overlap for `h > 1`, so they are not exchangeable in the strict sense. A level
//! whose rank exceeds `n` is refused rather than silently under-covered.
//!
//! # Example
//! ```no_run
//! use forecast::{lstm::Lstm, Fit, Horizon, Level, Ohlcv, Predict};
//! let history = Ohlcv::from_csv(&std::fs::read_to_string("goog_2004_2013.csv").unwrap())?;
//! let fitted = Lstm::default().fit(&history)?;
//! println!("stopped after {} epochs", fitted.report().epochs_run);
//! let forecast = fitted.predict(&history, &Horizon::standard(), &Level::standard())?;
//! # Ok::<(), forecast::Error>(())
//! ```

mod net;

use dfdx::prelude::{Cpu, TensorFromVec};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::features::{self, FeatureMatrix, N_FEATURES, WARMUP};
use crate::{Error, Fit, Forecast, Horizon, Interval, Level, Ohlcv, Predict, Result, StepForecast};

use net::{Mat, Net, NetWeights, Trainer};

/// One-day log returns the volatility needs before a row can be scored (about a month).
pub const VOL_WINDOW: usize = 20;

/// The EWMA volatility of one-day log returns at row `s` ([`crate::volatility::ewma_at`]), from
/// rows `≤ s` only.
fn recent_vol(close: &[f64], s: usize) -> f64 {
    crate::volatility::ewma_at(&close[..=s])
}

/// Rows per forward pass when evaluating many sequences without a tape (validation, residuals):
/// large enough to amortise the per-op overhead, small enough to keep memory flat.
const EVAL_CHUNK: usize = 512;

/// Unfitted LSTM parameters. [`Default`] is the evaluation protocol's setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lstm {
    /// Rolling training window in rows, counted back from the origin (2520, about ten years).
    pub window: usize,
    /// Feature rows per input sequence (60).
    pub seq_len: usize,
    /// LSTM hidden units (32).
    pub hidden: usize,
    /// Horizons forecast jointly by the output layer (1, 2 and 5 trading days).
    pub horizons: Vec<Horizon>,
    /// Share of the samples, the most recent ones, held out for early stopping and the interval
    /// calibration (0.2).
    pub val_fraction: f64,
    /// Adam learning rate (1e-3).
    pub learning_rate: f64,
    /// Mini-batch size (64).
    pub batch_size: usize,
    /// Upper bound on training epochs (60).
    pub max_epochs: usize,
    /// Epochs without a lower validation MSE before stopping (6).
    pub patience: usize,
    /// Gradients are rescaled to at most this global L2 norm (1.0); `f64::INFINITY` disables it.
    pub clip_norm: f64,
    /// Seed for the weight initialisation and the mini-batch shuffling (0).
    pub seed: u64,
}

impl Default for Lstm {
    fn default() -> Self {
        Lstm {
            window: crate::baseline::DEFAULT_WINDOW,
            seq_len: 60,
            hidden: 32,
            horizons: Horizon::standard().to_vec(),
            val_fraction: 0.2,
            learning_rate: 1e-3,
            batch_size: 64,
            max_epochs: 60,
            patience: 6,
            clip_norm: 1.0,
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

impl Lstm {
    /// Checks every hyper-parameter; [`Fit::fit`] calls it first.
    pub fn check(&self) -> Result<()> {
        if self.seq_len < 1 {
            return Err(invalid("seq_len", self.seq_len, "must be at least 1 row"));
        }
        if self.window < self.seq_len + 1 {
            return Err(invalid(
                "window",
                self.window,
                "must be longer than seq_len",
            ));
        }
        if !(1..=4096).contains(&self.hidden) {
            return Err(invalid(
                "hidden",
                self.hidden,
                "must be between 1 and 4096 units",
            ));
        }
        if self.horizons.is_empty() {
            return Err(invalid("horizons", "[]", "at least one horizon is needed"));
        }
        let mut hs: Vec<usize> = self.horizons.iter().map(|h| h.get()).collect();
        hs.sort_unstable();
        hs.dedup();
        if hs.len() != self.horizons.len() {
            return Err(invalid(
                "horizons",
                format!("{hs:?}"),
                "horizons must be distinct",
            ));
        }
        if !(self.val_fraction > 0.0 && self.val_fraction < 1.0) {
            return Err(invalid(
                "val_fraction",
                self.val_fraction,
                "must lie strictly between 0 and 1",
            ));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(invalid(
                "learning_rate",
                self.learning_rate,
                "must be a positive finite number",
            ));
        }
        if self.batch_size < 1 {
            return Err(invalid("batch_size", self.batch_size, "must be at least 1"));
        }
        if self.max_epochs < 1 {
            return Err(invalid("max_epochs", self.max_epochs, "must be at least 1"));
        }
        if self.patience < 1 {
            return Err(invalid(
                "patience",
                self.patience,
                "must be at least 1 epoch",
            ));
        }
        if self.clip_norm.is_nan() || self.clip_norm <= 0.0 {
            return Err(invalid(
                "clip_norm",
                self.clip_norm,
                "must be positive (infinity disables clipping)",
            ));
        }
        Ok(())
    }

    fn max_horizon(&self) -> usize {
        self.horizons.iter().map(|h| h.get()).max().unwrap_or(1)
    }

    /// Fits on precomputed features: `features.rows[i]` must describe row `i` of `close` using rows
    /// `0..=i` only, and the origin is the last row. [`Fit::fit`] is this with
    /// [`features::compute`]; it is public so that the model can be trained and tested on any
    /// causal feature matrix.
    #[tracing::instrument(name = "lstm_fit", skip_all, fields(rows = close.len(), hidden = self.hidden))]
    pub fn fit_features(&self, features: &FeatureMatrix, close: &[f64]) -> Result<FittedLstm> {
        self.check()?;
        if features.rows.len() != close.len() {
            return Err(Error::InvalidInput(format!(
                "{} feature rows for {} closes",
                features.rows.len(),
                close.len()
            )));
        }
        let max_h = self.max_horizon();
        let t = close
            .len()
            .checked_sub(1)
            .ok_or(Error::NotEnoughData { needed: 1, got: 0 })?;
        let a = WARMUP.max((t + 1).saturating_sub(self.window));
        // At least two training and one validation sample.
        let needed = WARMUP + self.seq_len + max_h + 3;
        if close.len() < needed || t < a + self.seq_len - 1 + max_h {
            return Err(Error::NotEnoughData {
                needed,
                got: close.len(),
            });
        }
        let first = a + self.seq_len - 1;
        let last = t - max_h;
        let n = last - first + 1;
        let n_train = ((n as f64) * (1.0 - self.val_fraction)).floor() as usize;
        if n_train < 2 || n_train >= n {
            return Err(Error::NotEnoughData {
                needed: needed + 2,
                got: close.len(),
            });
        }

        let scaler = MinMax::fit(&features.rows[a..=t])?;
        let scaled = scaler.transform(&features.rows[a..=t]);
        let window = ScaledWindow {
            start: a,
            rows: scaled,
        };

        // Raw log-return targets, one row per sample end s = first..=last.
        let raw: Vec<Vec<f64>> = (first..=last)
            .map(|s| {
                self.horizons
                    .iter()
                    .map(|h| (close[s + h.get()] / close[s]).ln())
                    .collect()
            })
            .collect();
        let k = self.horizons.len();
        let (mean, sd) = column_mean_sd(&raw[..n_train], k);
        if sd.iter().any(|&v| !(v > 0.0 && v.is_finite())) {
            return Err(Error::Numerical {
                context: "lstm targets",
                detail: format!("training targets have zero or non-finite spread (sd {sd:?})"),
            });
        }
        let z: Vec<Vec<f32>> = raw
            .iter()
            .map(|r| (0..k).map(|j| ((r[j] - mean[j]) / sd[j]) as f32).collect())
            .collect();
        let ends: Vec<usize> = (first..=last).collect();
        let (train_ends, val_ends) = ends.split_at(n_train);
        let (train_z, val_z) = z.split_at(n_train);

        let dev = Cpu::seed_from_u64(self.seed);
        let mut net = Net::init(&dev, N_FEATURES, self.hidden, k);
        let mut trainer = Trainer::new(self.learning_rate, self.clip_norm);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(self.seed);
        let mut order: Vec<usize> = (0..n_train).collect();

        let mut report = TrainingReport {
            epochs_run: 0,
            best_epoch: 0,
            train_loss: Vec::new(),
            val_loss: Vec::new(),
            n_train,
            n_val: n - n_train,
        };
        let mut best = (f64::INFINITY, net.clone());
        let mut since_best = 0;
        for epoch in 0..self.max_epochs {
            order.shuffle(&mut rng);
            let mut total = 0.0;
            for batch in order.chunks(self.batch_size) {
                let b_ends: Vec<usize> = batch.iter().map(|&i| train_ends[i]).collect();
                let x = window.batch(&dev, &b_ends, self.seq_len);
                let y: Vec<f32> = batch
                    .iter()
                    .flat_map(|&i| train_z[i].iter().copied())
                    .collect();
                let y = dev.tensor_from_vec(y, (batch.len(), k));
                total +=
                    trainer.step(&mut net, x, y, self.seq_len, batch.len())? * batch.len() as f64;
            }
            let train_loss = total / n_train as f64;
            let val_loss = mse(
                &predict_z(&net, &dev, &window, val_ends, self.seq_len, k),
                val_z,
            );
            tracing::debug!(epoch, train_loss, val_loss, "lstm epoch");
            report.train_loss.push(train_loss);
            report.val_loss.push(val_loss);
            report.epochs_run = epoch + 1;
            if val_loss < best.0 {
                best = (val_loss, net.clone());
                report.best_epoch = epoch + 1;
                since_best = 0;
            } else {
                since_best += 1;
                if since_best >= self.patience {
                    break;
                }
            }
        }
        let net = best.1;

        // Conformal scores: validation residuals on the log-return scale, with the kept weights,
        // over the volatility known at each sample's end.
        let val_pred = predict_z(&net, &dev, &window, val_ends, self.seq_len, k);
        let mut residuals = vec![Vec::with_capacity(val_ends.len()); k];
        for (p, &s) in val_pred.iter().zip(val_ends) {
            let r = &raw[s - first];
            let vol = recent_vol(close, s);
            for j in 0..k {
                let yhat = f64::from(p[j]) * sd[j] + mean[j];
                residuals[j].push((r[j] - yhat).abs() / vol);
            }
        }
        for r in &mut residuals {
            r.sort_by(f64::total_cmp);
        }

        Ok(FittedLstm {
            params: self.clone(),
            origin: t,
            weights: net.weights(),
            scaler,
            target_mean: mean,
            target_sd: sd,
            abs_residuals: residuals,
            report,
        })
    }
}

impl Fit for Lstm {
    type Fitted = FittedLstm;

    fn fit(&self, history: &Ohlcv) -> Result<FittedLstm> {
        self.check()?;
        self.fit_features(&features::compute(history), history.close())
    }
}

/// What happened during training: per-epoch losses (z-scored MSE) and the stopping point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingReport {
    /// Epochs trained before early stopping (or `max_epochs`).
    pub epochs_run: usize,
    /// The epoch (1-based) whose weights were kept: the one with the lowest validation MSE.
    pub best_epoch: usize,
    /// Mean training MSE of each epoch, over its mini-batches (weights changing within the epoch).
    pub train_loss: Vec<f64>,
    /// Validation MSE after each epoch.
    pub val_loss: Vec<f64>,
    /// Training samples.
    pub n_train: usize,
    /// Validation samples.
    pub n_val: usize,
}

impl TrainingReport {
    /// The lowest validation MSE, the one of the kept weights.
    pub fn best_val_loss(&self) -> f64 {
        self.val_loss.iter().copied().fold(f64::INFINITY, f64::min)
    }
}

/// Per-column min/max over the training window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinMax {
    /// Column minima.
    pub min: Vec<f64>,
    /// Column maxima.
    pub max: Vec<f64>,
}

impl MinMax {
    fn fit(rows: &[[f64; N_FEATURES]]) -> Result<Self> {
        let mut min = vec![f64::INFINITY; N_FEATURES];
        let mut max = vec![f64::NEG_INFINITY; N_FEATURES];
        for (i, row) in rows.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                if !v.is_finite() {
                    return Err(Error::InvalidInput(format!(
                        "feature `{}` is {v} at training row {i}",
                        features::FEATURE_NAMES[j]
                    )));
                }
                min[j] = min[j].min(v);
                max[j] = max[j].max(v);
            }
        }
        Ok(MinMax { min, max })
    }

    /// `(x − min)/(max − min)`, as f32 rows; a constant column maps to 0 (scikit-learn's convention).
    fn transform(&self, rows: &[[f64; N_FEATURES]]) -> Vec<f32> {
        let mut out = Vec::with_capacity(rows.len() * N_FEATURES);
        for row in rows {
            for (j, &v) in row.iter().enumerate() {
                let range = self.max[j] - self.min[j];
                let range = if range > 0.0 { range } else { 1.0 };
                out.push(((v - self.min[j]) / range) as f32);
            }
        }
        out
    }
}

/// Scaled feature rows `start..start + rows.len()/N_FEATURES` of a history, for cutting sequences.
struct ScaledWindow {
    start: usize,
    rows: Vec<f32>,
}

impl ScaledWindow {
    /// The sequences ending at `ends`, time-major: row `k·B + j` is step `k` of sequence `j`.
    fn batch(&self, dev: &Cpu, ends: &[usize], seq_len: usize) -> Mat {
        let b = ends.len();
        let mut x = Vec::with_capacity(seq_len * b * N_FEATURES);
        for k in 0..seq_len {
            for &s in ends {
                let r = s + 1 + k - seq_len - self.start;
                x.extend_from_slice(&self.rows[r * N_FEATURES..(r + 1) * N_FEATURES]);
            }
        }
        dev.tensor_from_vec(x, (seq_len * b, N_FEATURES))
    }
}

/// Network outputs (z-scale) for the sequences ending at `ends`, in chunks.
fn predict_z(
    net: &Net,
    dev: &Cpu,
    window: &ScaledWindow,
    ends: &[usize],
    seq_len: usize,
    k: usize,
) -> Vec<Vec<f32>> {
    let mut out = Vec::with_capacity(ends.len());
    for chunk in ends.chunks(EVAL_CHUNK) {
        let x = window.batch(dev, chunk, seq_len);
        let y = net.predict(x, seq_len, chunk.len());
        out.extend(y.chunks(k).map(<[f32]>::to_vec));
    }
    out
}

fn mse(pred: &[Vec<f32>], target: &[Vec<f32>]) -> f64 {
    let mut sum = 0.0;
    let mut n = 0usize;
    for (p, t) in pred.iter().zip(target) {
        for (a, b) in p.iter().zip(t) {
            sum += (f64::from(*a) - f64::from(*b)).powi(2);
            n += 1;
        }
    }
    sum / n as f64
}

/// Column means and population sds (ddof 0) of `rows` (each of length `k`).
fn column_mean_sd(rows: &[Vec<f64>], k: usize) -> (Vec<f64>, Vec<f64>) {
    let n = rows.len() as f64;
    let mean: Vec<f64> = (0..k)
        .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n)
        .collect();
    let sd = (0..k)
        .map(|j| (rows.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / n).sqrt())
        .collect();
    (mean, sd)
}

/// A fitted [`Lstm`]: weights, the training window's scaler and target standardisation, and the
/// calibration residuals. Serialisable; a reloaded model predicts exactly as the original.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedLstm {
    params: Lstm,
    origin: usize,
    weights: NetWeights,
    scaler: MinMax,
    target_mean: Vec<f64>,
    target_sd: Vec<f64>,
    /// Sorted conformal scores (absolute validation residuals on the log-return scale over the
    /// recent volatility), one vector per horizon.
    abs_residuals: Vec<Vec<f64>>,
    report: TrainingReport,
}

impl FittedLstm {
    /// The parameters it was fitted with.
    pub fn params(&self) -> &Lstm {
        &self.params
    }

    /// The row index of the origin it was fitted at (the last training row).
    pub fn origin(&self) -> usize {
        self.origin
    }

    /// Training losses and the stopping point.
    pub fn report(&self) -> &TrainingReport {
        &self.report
    }

    /// The feature scaler fitted on the training window.
    pub fn scaler(&self) -> &MinMax {
        &self.scaler
    }

    /// Mean and population sd of each horizon's training-split log-return target.
    pub fn target_scaling(&self) -> (&[f64], &[f64]) {
        (&self.target_mean, &self.target_sd)
    }

    /// The split-conformal score quantile for horizon index `j` at `level` (multiply by the
    /// recent volatility for the half-width on the log-return scale).
    fn conformal_q(&self, j: usize, level: Level) -> Result<f64> {
        let r = &self.abs_residuals[j];
        let n = r.len();
        let rank = ((n + 1) as f64 * level.get()).ceil() as usize;
        if rank > n {
            return Err(Error::NotEnoughData {
                needed: (level.get() / (1.0 - level.get())).ceil() as usize,
                got: n,
            });
        }
        Ok(r[rank.max(1) - 1])
    }

    /// Log-return forecasts (un-z-scored), one per trained horizon, from the `seq_len` feature rows
    /// ending at the last row of `features`, scaled with the stored training min/max.
    pub fn predict_log_returns(&self, features: &FeatureMatrix) -> Result<Vec<f64>> {
        let seq_len = self.params.seq_len;
        let len = features.rows.len();
        if len < WARMUP + seq_len {
            return Err(Error::NotEnoughData {
                needed: WARMUP + seq_len,
                got: len,
            });
        }
        let rows = &features.rows[len - seq_len..];
        if let Some((i, j)) = rows
            .iter()
            .enumerate()
            .find_map(|(i, r)| r.iter().position(|v| !v.is_finite()).map(|j| (i, j)))
        {
            return Err(Error::InvalidInput(format!(
                "feature `{}` is not finite at row {}",
                features::FEATURE_NAMES[j],
                len - seq_len + i
            )));
        }
        let window = ScaledWindow {
            start: len - seq_len,
            rows: self.scaler.transform(rows),
        };
        let dev = Cpu::default();
        let net = Net::from_weights(&dev, &self.weights)?;
        let z = predict_z(
            &net,
            &dev,
            &window,
            &[len - 1],
            seq_len,
            self.params.horizons.len(),
        );
        Ok(z[0]
            .iter()
            .enumerate()
            .map(|(j, &v)| f64::from(v) * self.target_sd[j] + self.target_mean[j])
            .collect())
    }

    /// [`Predict::predict`] on precomputed features (`features.rows[i]` for row `i` of `close`).
    pub fn predict_features(
        &self,
        features: &FeatureMatrix,
        close: &[f64],
        horizons: &[Horizon],
        levels: &[Level],
    ) -> Result<Forecast> {
        if features.rows.len() != close.len() {
            return Err(Error::InvalidInput(format!(
                "{} feature rows for {} closes",
                features.rows.len(),
                close.len()
            )));
        }
        let idx: Vec<usize> = horizons
            .iter()
            .map(|h| {
                self.params
                    .horizons
                    .iter()
                    .position(|p| p == h)
                    .ok_or_else(|| {
                        invalid(
                            "horizon",
                            h.get(),
                            "the LSTM forecasts only the horizons it was trained on",
                        )
                    })
            })
            .collect::<Result<_>>()?;
        let last = *close
            .last()
            .ok_or(Error::NotEnoughData { needed: 1, got: 0 })?;
        let yhat = self.predict_log_returns(features)?;
        let vol = recent_vol(close, close.len() - 1);
        let steps = horizons
            .iter()
            .zip(&idx)
            .map(|(&h, &j)| {
                let intervals = levels
                    .iter()
                    .map(|&l| {
                        let q = self.conformal_q(j, l)? * vol;
                        Ok(Interval {
                            level: l.get(),
                            lower: last * (yhat[j] - q).exp(),
                            upper: last * (yhat[j] + q).exp(),
                        })
                    })
                    .collect::<Result<_>>()?;
                Ok(StepForecast {
                    horizon: h,
                    point: last * yhat[j].exp(),
                    intervals,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Forecast { steps })
    }

    /// Recomputes the validation MSE (z-scale) of the stored weights from the training data, i.e.
    /// `history` cut at the fitted origin. It equals [`TrainingReport::best_val_loss`] when the
    /// best weights were kept; exposed so that this can be checked.
    pub fn validation_mse(&self, features: &FeatureMatrix, close: &[f64]) -> Result<f64> {
        let t = self.origin;
        if close.len() <= t || features.rows.len() <= t {
            return Err(Error::NotEnoughData {
                needed: t + 1,
                got: close.len().min(features.rows.len()),
            });
        }
        let p = &self.params;
        let a = WARMUP.max((t + 1).saturating_sub(p.window));
        let first = a + p.seq_len - 1;
        let last = t - p.max_horizon();
        let val_ends: Vec<usize> = (first + self.report.n_train..=last).collect();
        let window = ScaledWindow {
            start: a,
            rows: self.scaler.transform(&features.rows[a..=t]),
        };
        let k = p.horizons.len();
        let target: Vec<Vec<f32>> = val_ends
            .iter()
            .map(|&s| {
                (0..k)
                    .map(|j| {
                        let y = (close[s + p.horizons[j].get()] / close[s]).ln();
                        ((y - self.target_mean[j]) / self.target_sd[j]) as f32
                    })
                    .collect()
            })
            .collect();
        let dev = Cpu::default();
        let net = Net::from_weights(&dev, &self.weights)?;
        Ok(mse(
            &predict_z(&net, &dev, &window, &val_ends, p.seq_len, k),
            &target,
        ))
    }
}

impl Predict for FittedLstm {
    fn predict(&self, history: &Ohlcv, horizons: &[Horizon], levels: &[Level]) -> Result<Forecast> {
        self.predict_features(
            &features::compute(history),
            history.close(),
            horizons,
            levels,
        )
    }
}

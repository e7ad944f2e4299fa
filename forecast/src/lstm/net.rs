//! The network itself, on dfdx tensors: one LSTM layer unrolled over the window, then a linear
//! head on the last hidden state. Also the training step (backprop through time by dfdx's tape,
//! global-norm gradient clipping, dfdx's Adam kernel).
//!
//! Profile of the protocol fit (perf, release) when the cell was composed from dfdx ops: the
//! generic strided element-wise kernels (forward + backward ≈ 25%), libm `tanhf` (≈ 14%), column
//! slices of the gate matrix (≈ 17%), matmuls (≈ 12%). Fusing the element-wise cell into one op,
//! computing tanh through `exp` and reading buffers with a plain copy took an epoch from ≈ 1.0 s to
//! ≈ 0.5 s of CPU.
//!
//! dfdx 0.13's modules (`Linear<I, O>`) fix their sizes at compile time, while the hidden size here
//! is a run-time hyper-parameter, so the weights are plain run-time-shaped tensors and the optimiser
//! is driven tensor by tensor through [`AdamConfig::try_update`] (the kernel dfdx's own `Adam`
//! calls), not through dfdx's `TensorCollection` walker, which only builds compile-time shapes.

use dfdx::prelude::*;
use rand::distributions::Uniform;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A matrix with run-time dimensions.
pub(super) type Mat<T = NoneTape> = Tensor<(usize, usize), f32, Cpu, T>;
/// A vector with a run-time length.
type Vector<T = NoneTape> = Tensor<(usize,), f32, Cpu, T>;

fn device_error(e: CpuError) -> Error {
    Error::Numerical {
        context: "lstm",
        detail: format!("dfdx: {e:?}"),
    }
}

/// The weights as plain vectors (row-major), which is how a fitted model is stored and serialised.
///
/// Gate blocks are laid out in PyTorch's order (input, forget, cell, output) along the `4·hidden`
/// axis. `w_ih` is `inputs × 4·hidden` (PyTorch's `weight_ih_l0` transposed), `w_hh` is
/// `hidden × 4·hidden` and `w_out` is `hidden × outputs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct NetWeights {
    pub(super) inputs: usize,
    pub(super) hidden: usize,
    pub(super) outputs: usize,
    pub(super) w_ih: Vec<f32>,
    pub(super) w_hh: Vec<f32>,
    pub(super) b_ih: Vec<f32>,
    pub(super) b_hh: Vec<f32>,
    pub(super) w_out: Vec<f32>,
    pub(super) b_out: Vec<f32>,
}

/// The LSTM and its head as dfdx tensors.
#[derive(Debug, Clone)]
pub(super) struct Net {
    inputs: usize,
    hidden: usize,
    outputs: usize,
    w_ih: Mat,
    w_hh: Mat,
    // Two biases, as in PyTorch's `nn.LSTM`: their sum is what the cell sees, but each gets the
    // full gradient, so keeping both reproduces PyTorch's optimisation dynamics.
    b_ih: Vector,
    b_hh: Vector,
    w_out: Mat,
    b_out: Vector,
}

impl Net {
    /// PyTorch's initialisation: every LSTM weight and bias `U(−1/√hidden, 1/√hidden)`, and the
    /// head `U(−1/√hidden, 1/√hidden)` (what `nn.Linear(hidden, ·)` draws), from the device's
    /// seeded generator.
    pub(super) fn init(dev: &Cpu, inputs: usize, hidden: usize, outputs: usize) -> Self {
        let k = 1.0 / (hidden as f32).sqrt();
        let u = Uniform::new_inclusive(-k, k);
        let g = 4 * hidden;
        Net {
            inputs,
            hidden,
            outputs,
            w_ih: dev.sample_like(&(inputs, g), u),
            w_hh: dev.sample_like(&(hidden, g), u),
            b_ih: dev.sample_like(&(g,), u),
            b_hh: dev.sample_like(&(g,), u),
            w_out: dev.sample_like(&(hidden, outputs), u),
            b_out: dev.sample_like(&(outputs,), u),
        }
    }

    /// Reads the weights out of the tensors.
    pub(super) fn weights(&self) -> NetWeights {
        NetWeights {
            inputs: self.inputs,
            hidden: self.hidden,
            outputs: self.outputs,
            w_ih: self.w_ih.as_vec(),
            w_hh: self.w_hh.as_vec(),
            b_ih: self.b_ih.as_vec(),
            b_hh: self.b_hh.as_vec(),
            w_out: self.w_out.as_vec(),
            b_out: self.b_out.as_vec(),
        }
    }

    /// Rebuilds the tensors from stored weights, checking every length (a stored model may have
    /// been edited or truncated).
    pub(super) fn from_weights(dev: &Cpu, w: &NetWeights) -> Result<Self> {
        let (i, h, o) = (w.inputs, w.hidden, w.outputs);
        let g = 4 * h;
        let check = |name: &str, v: &[f32], len: usize| {
            if v.len() != len {
                return Err(Error::Artifact(format!(
                    "lstm weight `{name}` has {} values, expected {len}",
                    v.len()
                )));
            }
            if v.iter().any(|x| !x.is_finite()) {
                return Err(Error::Artifact(format!(
                    "lstm weight `{name}` is not finite"
                )));
            }
            Ok(())
        };
        check("w_ih", &w.w_ih, i * g)?;
        check("w_hh", &w.w_hh, h * g)?;
        check("b_ih", &w.b_ih, g)?;
        check("b_hh", &w.b_hh, g)?;
        check("w_out", &w.w_out, h * o)?;
        check("b_out", &w.b_out, o)?;
        Ok(Net {
            inputs: i,
            hidden: h,
            outputs: o,
            w_ih: dev.tensor_from_vec(w.w_ih.clone(), (i, g)),
            w_hh: dev.tensor_from_vec(w.w_hh.clone(), (h, g)),
            b_ih: dev.tensor_from_vec(w.b_ih.clone(), (g,)),
            b_hh: dev.tensor_from_vec(w.b_hh.clone(), (g,)),
            w_out: dev.tensor_from_vec(w.w_out.clone(), (h, o)),
            b_out: dev.tensor_from_vec(w.b_out.clone(), (o,)),
        })
    }

    /// Runs the network over a batch of `batch` sequences of `steps` rows each.
    ///
    /// `x` is time-major, `(steps·batch) × inputs`: row `k·batch + j` is step `k` of sequence `j`.
    /// Returns `batch × outputs`. Generic over the tape so that training (`OwnedTape`) and
    /// prediction (`NoneTape`) run the very same arithmetic.
    pub(super) fn forward<T: Tape<f32, Cpu>>(
        &self,
        x: Mat<T>,
        steps: usize,
        batch: usize,
    ) -> Mat<T> {
        let hd = self.hidden;
        let g4 = 4 * hd;
        let n = steps * batch;
        // The input projection of every step in one matmul; only the recurrent part is sequential.
        let bias = self.b_ih.retaped::<T>() + self.b_hh.retaped::<T>();
        let xp = x.matmul(self.w_ih.retaped::<T>()) + bias.broadcast_like::<_, Axis<0>>(&(n, g4));

        // dfdx records backward ops on a tape that moves with the tensor. A tensor used several
        // times gives its tape to exactly one use and empty tapes to the others; the tapes merge
        // again downstream and the ops run in creation order, so every gradient still arrives.
        let (xp, xp_tape) = xp.split_tape();
        let mut xp_tape = Some(xp_tape);
        let mut h: Option<Mat<T>> = None;
        let mut c: Option<Mat<T>> = None;
        for k in 0..steps {
            let tape = xp_tape.take().unwrap_or_default();
            let xk = xp
                .clone()
                .put_tape(tape)
                .slice((k * batch..(k + 1) * batch, ..));
            // h₀ = c₀ = 0, so the first step has no recurrent term.
            let hh = h.take().map(|h| h.matmul(self.w_hh.retaped::<T>()));
            let (h_new, c_new) = lstm_cell(xk, hh, c.take(), hd);
            h = Some(h_new);
            c = Some(c_new);
        }
        let h = h.expect("steps >= 1 is checked by the parameters");
        h.matmul(self.w_out.retaped::<T>())
            + self
                .b_out
                .retaped::<T>()
                .broadcast_like::<_, Axis<0>>(&(batch, self.outputs))
    }

    /// Forward pass without a tape, returned as a row-major `batch × outputs` vector.
    pub(super) fn predict(&self, x: Mat, steps: usize, batch: usize) -> Vec<f32> {
        self.forward(x, steps, batch).as_vec()
    }
}

/// The values of a matrix this module produced (a slice, matmul or cell output, all freshly
/// allocated and contiguous) by a plain copy of its buffer; `as_vec` walks a strided index and
/// showed up at 13% of the training profile.
fn read(t: &Mat) -> Vec<f32> {
    let (r, c) = *t.shape();
    let mut v = vec![0.0; r * c];
    t.copy_into(&mut v);
    v
}

/// `tanh(x) = 1 − 2/(e^{2x} + 1)`: one `exp` instead of libm's `tanhf`, whose `expm1f` path was the
/// largest single cost in the profile. Saturates correctly (`e^{2x}` = ∞ gives 1, 0 gives −1); the
/// absolute error stays at the f32 rounding level.
fn tanh(x: f32) -> f32 {
    1.0 - 2.0 / ((2.0 * x).exp() + 1.0)
}

fn sigmoid(x: f32) -> f32 {
    // The same expression as dfdx's sigmoid kernel.
    1.0 / (1.0 + (-x).exp())
}

/// One LSTM cell step as a single dfdx op: from the pre-activation gates `B × 4H` (blocks i, f, g,
/// o) and the previous cell state, the new hidden and cell states.
///
/// Written out as dfdx element-wise ops the cell is 4 column slices, 4 activations and 5 binary
/// ops per step, each a separate pass with its own buffers and tape entry; profiling the protocol fit
/// showed those passes taking most of the time. Here the forward pass is one loop and the backward
/// pass is recorded on the same dfdx tape with the cell's textbook derivatives, so matmuls, slicing
/// and the backpropagation through time stay dfdx's. The unit tests check it against the composed
/// dfdx ops and against finite differences.
fn lstm_cell<T: Tape<f32, Cpu>>(
    x_part: Mat<T>,
    h_part: Option<Mat<T>>,
    c_prev: Option<Mat<T>>,
    hd: usize,
) -> (Mat<T>, Mat<T>) {
    let (g, mut tape) = x_part.split_tape();
    let h_part = h_part.map(|p| {
        let (p, p_tape) = p.split_tape();
        tape = std::mem::take(&mut tape).merge(p_tape);
        p
    });
    let c_prev = c_prev.map(|c| {
        let (c, c_tape) = c.split_tape();
        tape = std::mem::take(&mut tape).merge(c_tape);
        c
    });
    let b = g.shape().0;
    let mut gv = read(&g);
    if let Some(p) = &h_part {
        gv.iter_mut().zip(read(p)).for_each(|(a, b)| *a += b);
    }
    let cp = c_prev.as_ref().map(read);
    let n = b * hd;
    // Saved activations for the backward pass: i, f, g, o, tanh(c), each B × H.
    let mut act = vec![0f32; 5 * n];
    let mut h = vec![0f32; n];
    let mut c = vec![0f32; n];
    for r in 0..b {
        let row = &gv[r * 4 * hd..(r + 1) * 4 * hd];
        for j in 0..hd {
            let e = r * hd + j;
            let i = sigmoid(row[j]);
            let f = sigmoid(row[hd + j]);
            let gg = tanh(row[2 * hd + j]);
            let o = sigmoid(row[3 * hd + j]);
            let c_old = cp.as_ref().map_or(0.0, |v| v[e]);
            let c_new = f * c_old + i * gg;
            let th = tanh(c_new);
            c[e] = c_new;
            h[e] = o * th;
            act[e] = i;
            act[n + e] = f;
            act[2 * n + e] = gg;
            act[3 * n + e] = o;
            act[4 * n + e] = th;
        }
    }
    let dev = g.device().clone();
    let h = dev.tensor_from_vec(h, (b, hd));
    let c = dev.tensor_from_vec(c, (b, hd));
    if T::OWNS_TAPE {
        let (h_out, c_out) = (h.clone(), c.clone());
        tape.add_backward_op(move |grads| {
            // Gradients reaching h and c from later steps and the head (zero if unused, e.g. the
            // last cell state).
            let dh = grads.get_or_alloc_mut(&h_out)?.to_vec();
            let dc = grads.get_or_alloc_mut(&c_out)?.to_vec();
            let mut dgates = vec![0f32; 4 * n];
            let mut dc_prev = vec![0f32; n];
            for r in 0..b {
                for j in 0..hd {
                    let e = r * hd + j;
                    let (i, f, gg, o, th) = (
                        act[e],
                        act[n + e],
                        act[2 * n + e],
                        act[3 * n + e],
                        act[4 * n + e],
                    );
                    let c_old = cp.as_ref().map_or(0.0, |v| v[e]);
                    let dct = dc[e] + dh[e] * o * (1.0 - th * th);
                    let base = r * 4 * hd;
                    dgates[base + j] = dct * gg * i * (1.0 - i);
                    dgates[base + hd + j] = dct * c_old * f * (1.0 - f);
                    dgates[base + 2 * hd + j] = dct * i * (1.0 - gg * gg);
                    dgates[base + 3 * hd + j] = dh[e] * th * o * (1.0 - o);
                    dc_prev[e] = dct * f;
                }
            }
            // The gates are the sum of the two projections, so both receive the same gradient.
            let gx = grads.get_or_alloc_mut(&g)?;
            gx.iter_mut().zip(&dgates).for_each(|(a, d)| *a += d);
            if let Some(p) = &h_part {
                let gp = grads.get_or_alloc_mut(p)?;
                gp.iter_mut().zip(&dgates).for_each(|(a, d)| *a += d);
            }
            if let Some(c_prev) = &c_prev {
                let gc = grads.get_or_alloc_mut(c_prev)?;
                gc.iter_mut().zip(&dc_prev).for_each(|(a, d)| *a += d);
            }
            Ok(())
        });
    }
    (h.put_tape(tape), c.put_tape(T::default()))
}

/// Adam state, one pair of moment buffers per weight tensor.
#[derive(Debug)]
pub(super) struct Trainer {
    cfg: AdamConfig,
    t: i32,
    m: Gradients<f32, Cpu>,
    v: Gradients<f32, Cpu>,
    clip_norm: f64,
}

impl Trainer {
    /// Adam with PyTorch's defaults (β = (0.9, 0.999), ε = 1e-8, no weight decay) and learning rate `lr`.
    pub(super) fn new(lr: f64, clip_norm: f64) -> Self {
        Trainer {
            cfg: AdamConfig {
                lr,
                betas: [0.9, 0.999],
                eps: 1e-8,
                weight_decay: None,
            },
            t: 0,
            m: Gradients::leaky(),
            v: Gradients::leaky(),
            clip_norm,
        }
    }

    /// One optimisation step on a batch: MSE loss, backprop through time, gradient clipping by the
    /// global norm (as `torch.nn.utils.clip_grad_norm_`), Adam update. Returns the batch loss.
    pub(super) fn step(
        &mut self,
        net: &mut Net,
        x: Mat,
        y: Mat,
        steps: usize,
        batch: usize,
    ) -> Result<f64> {
        let pred = net.forward(x.traced(Gradients::leaky()), steps, batch);
        let loss = mse_loss(pred, y);
        let value = f64::from(loss.array());
        if !value.is_finite() {
            return Err(Error::Numerical {
                context: "lstm training",
                detail: format!("loss is {value}"),
            });
        }
        let mut grads = loss.try_backward().map_err(device_error)?;

        let mut sq = 0.0f64;
        sq += sum_sq(grads.get_or_alloc_mut(&net.w_ih).map_err(device_error)?);
        sq += sum_sq(grads.get_or_alloc_mut(&net.w_hh).map_err(device_error)?);
        sq += sum_sq(grads.get_or_alloc_mut(&net.b_ih).map_err(device_error)?);
        sq += sum_sq(grads.get_or_alloc_mut(&net.b_hh).map_err(device_error)?);
        sq += sum_sq(grads.get_or_alloc_mut(&net.w_out).map_err(device_error)?);
        sq += sum_sq(grads.get_or_alloc_mut(&net.b_out).map_err(device_error)?);
        let norm = sq.sqrt();
        // PyTorch's rule: scale by max_norm / (norm + 1e-6) when that is below one.
        let scale = (self.clip_norm / (norm + 1e-6)).min(1.0) as f32;

        self.t += 1;
        self.update(&mut net.w_ih, &mut grads, scale)?;
        self.update(&mut net.w_hh, &mut grads, scale)?;
        self.update(&mut net.b_ih, &mut grads, scale)?;
        self.update(&mut net.b_hh, &mut grads, scale)?;
        self.update(&mut net.w_out, &mut grads, scale)?;
        self.update(&mut net.b_out, &mut grads, scale)?;
        Ok(value)
    }

    fn update<S: Shape>(
        &mut self,
        p: &mut Tensor<S, f32, Cpu>,
        grads: &mut Gradients<f32, Cpu>,
        scale: f32,
    ) -> Result<()> {
        let g = grads.get_or_alloc_mut(p).map_err(device_error)?;
        if scale < 1.0 {
            g.iter_mut().for_each(|x| *x *= scale);
        }
        let m = self.m.get_or_alloc_mut(p).map_err(device_error)?;
        let v = self.v.get_or_alloc_mut(p).map_err(device_error)?;
        self.cfg
            .try_update(self.t, p, m, v, g)
            .map_err(device_error)
    }
}

fn sum_sq(g: &[f32]) -> f64 {
    g.iter().map(|&x| f64::from(x) * f64::from(x)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    type Taped = OwnedTape<f32, Cpu>;

    /// Loss of the tape-free forward pass, in f64, for finite differences.
    fn loss(net: &Net, x: &[f32], y: &[f32], steps: usize, batch: usize) -> f64 {
        let dev = Cpu::default();
        let xt = dev.tensor_from_vec(x.to_vec(), (steps * batch, net.inputs));
        let p = net.predict(xt, steps, batch);
        p.iter()
            .zip(y)
            .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
            .sum::<f64>()
            / y.len() as f64
    }

    /// The cell written out from dfdx ops (column slices of the gate matrix, sigmoid/tanh, products),
    /// the reference the fused [`lstm_cell`] must reproduce.
    fn composed_cell(
        gates: Mat<Taped>,
        c: Option<Mat<Taped>>,
        hd: usize,
    ) -> (Mat<Taped>, Mat<Taped>) {
        let (g, g_tape) = gates.split_tape();
        let i = g.clone().put_tape(g_tape).slice((.., 0..hd)).sigmoid();
        let cand = g
            .clone()
            .put_tape(Taped::default())
            .slice((.., 2 * hd..3 * hd))
            .tanh();
        let o = g
            .clone()
            .put_tape(Taped::default())
            .slice((.., 3 * hd..4 * hd))
            .sigmoid();
        let c_new = match c {
            None => i * cand,
            Some(c) => {
                let f = g
                    .put_tape(Taped::default())
                    .slice((.., hd..2 * hd))
                    .sigmoid();
                f * c + i * cand
            }
        };
        let (c_new, c_tape) = c_new.split_tape();
        let h = o * c_new.clone().put_tape(c_tape).tanh();
        (h, c_new.put_tape(Taped::default()))
    }

    #[test]
    fn fused_cell_matches_the_cell_built_from_dfdx_ops() {
        let dev = Cpu::seed_from_u64(5);
        let (b, hd) = (3, 4);
        let u = Uniform::new(-2.0f32, 2.0);
        let gates1: Mat = dev.sample_like(&(b, 4 * hd), u);
        // Step 2's gates come in two parts, the input and the recurrent projection.
        let gates2x: Mat = dev.sample_like(&(b, 4 * hd), u);
        let gates2h: Mat = dev.sample_like(&(b, 4 * hd), u);
        let target: Mat = dev.sample_like(&(b, hd), u);
        // Two steps, so that the previous-cell-state path is exercised; the loss reads both h and the
        // last c (the tape of step 1 travels with h1).
        let run = |fused: bool| {
            let (h1, h2, c2) = if fused {
                let (h1, c1) = lstm_cell(gates1.trace(Gradients::leaky()), None, None, hd);
                let (h2, c2) = lstm_cell(gates2x.retaped(), Some(gates2h.retaped()), Some(c1), hd);
                (h1, h2, c2)
            } else {
                let (h1, c1) = composed_cell(gates1.trace(Gradients::leaky()), None, hd);
                let gates2 = gates2x.retaped::<Taped>() + gates2h.retaped::<Taped>();
                let (h2, c2) = composed_cell(gates2, Some(c1), hd);
                (h1, h2, c2)
            };
            let (h2v, c2v) = (
                h2.retaped::<NoneTape>().as_vec(),
                c2.retaped::<NoneTape>().as_vec(),
            );
            let loss = mse_loss(h1 + h2 + c2, target.clone());
            let grads = loss.backward();
            (
                h2v,
                c2v,
                grads.get(&gates1).as_vec(),
                grads.get(&gates2x).as_vec(),
                grads.get(&gates2h).as_vec(),
            )
        };
        let (a, b) = (run(true), run(false));
        let close = |x: &[f32], y: &[f32], what: &str| {
            for (u, v) in x.iter().zip(y) {
                assert!(
                    (u - v).abs() <= 1e-6 * (1.0 + v.abs()),
                    "{what}: fused {u} vs composed {v}"
                );
            }
        };
        close(&a.0, &b.0, "h");
        close(&a.1, &b.1, "c");
        close(&a.2, &b.2, "d gates step 1");
        close(&a.3, &b.3, "d input part step 2");
        close(&a.4, &b.4, "d recurrent part step 2");
    }

    #[test]
    fn backprop_through_time_matches_finite_differences() {
        let dev = Cpu::seed_from_u64(3);
        let (inputs, hidden, outputs, steps, batch) = (3, 4, 2, 5, 3);
        let net = Net::init(&dev, inputs, hidden, outputs);
        let x: Vec<f32> = dev
            .sample_like(&(steps * batch, inputs), Uniform::new(-1.0f32, 1.0))
            .as_vec();
        let y: Vec<f32> = dev
            .sample_like(&(batch, outputs), Uniform::new(-1.0f32, 1.0))
            .as_vec();

        let xt = dev.tensor_from_vec(x.clone(), (steps * batch, inputs));
        let yt = dev.tensor_from_vec(y.clone(), (batch, outputs));
        let pred = net.forward(xt.traced(Gradients::leaky()), steps, batch);
        let grads = mse_loss(pred, yt).backward();

        let w = net.weights();
        let analytic = [
            ("w_ih", grads.get(&net.w_ih).as_vec()),
            ("w_hh", grads.get(&net.w_hh).as_vec()),
            ("b_ih", grads.get(&net.b_ih).as_vec()),
            ("b_hh", grads.get(&net.b_hh).as_vec()),
            ("w_out", grads.get(&net.w_out).as_vec()),
            ("b_out", grads.get(&net.b_out).as_vec()),
        ];
        let eps = 1e-2f32;
        for (name, g) in analytic {
            for (idx, &ga) in g.iter().enumerate() {
                let perturbed = |delta: f32| {
                    let mut w2 = w.clone();
                    let v = match name {
                        "w_ih" => &mut w2.w_ih,
                        "w_hh" => &mut w2.w_hh,
                        "b_ih" => &mut w2.b_ih,
                        "b_hh" => &mut w2.b_hh,
                        "w_out" => &mut w2.w_out,
                        _ => &mut w2.b_out,
                    };
                    v[idx] += delta;
                    loss(
                        &Net::from_weights(&Cpu::default(), &w2).unwrap(),
                        &x,
                        &y,
                        steps,
                        batch,
                    )
                };
                let numeric = (perturbed(eps) - perturbed(-eps)) / (2.0 * f64::from(eps));
                assert!(
                    (numeric - f64::from(ga)).abs() < 2e-3 + 2e-2 * numeric.abs(),
                    "{name}[{idx}]: backprop {ga} vs finite difference {numeric}"
                );
            }
        }
    }
}

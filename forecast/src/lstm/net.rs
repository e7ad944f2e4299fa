//! The network itself: one LSTM layer unrolled over the window, then a linear head on the last
//! hidden state. The forward pass, the backpropagation through time, global-norm gradient clipping
//! and Adam are written out on plain `f32` buffers, with the matrix products done by
//! `matrixmultiply` (through ndarray). The initial weights are drawn as dfdx 0.13 draws them, and
//! dfdx, a dev-dependency now, is the reference the tests check the gradients and Adam against.
//!
//! Why by hand: the network used to be dfdx tensor ops recorded on dfdx's tape (with the cell
//! fused into one op). Profiling the protocol fit showed most of the time outside arithmetic:
//! dfdx allocates and zeroes a fresh buffer and a tape entry for every op, and a 60-step window
//! is a few hundred small ops per batch. Written out, one batch reuses the same buffers, the input
//! projection of every step and the weight gradients over every step are one matrix product each,
//! and only the `batch × hidden` by `hidden × 4·hidden` recurrent products stay sequential. The
//! arithmetic is the same (f32, the same cell, loss, clipping and Adam update, the same initial
//! weights), so a fit differs from the dfdx one only by the order of floating-point sums.

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2, ShapeBuilder};
use rand::distributions::Uniform;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The weights as plain vectors (row-major), which is how the network is trained, stored and
/// serialised.
///
/// Gate blocks are laid out in PyTorch's order (input, forget, cell, output) along the `4·hidden`
/// axis. `w_ih` is `inputs × 4·hidden` (PyTorch's `weight_ih_l0` transposed), `w_hh` is
/// `hidden × 4·hidden` and `w_out` is `hidden × outputs`. Two bias vectors, as in PyTorch's
/// `nn.LSTM`: their sum is what the cell sees, but each gets the full gradient, so keeping both
/// reproduces PyTorch's optimisation dynamics.
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

impl NetWeights {
    /// PyTorch's initialisation: every LSTM weight and bias `U(−1/√hidden, 1/√hidden)`, and the
    /// head `U(−1/√hidden, 1/√hidden)` (what `nn.Linear(hidden, ·)` draws), drawn in turn from
    /// rand's `StdRng` seeded with `seed` — exactly what dfdx's seeded CPU device gave when the
    /// network was built with it (tested), so a seed keeps its weights.
    pub(super) fn init(seed: u64, inputs: usize, hidden: usize, outputs: usize) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let k = 1.0 / (hidden as f32).sqrt();
        let u = Uniform::new_inclusive(-k, k);
        let g = 4 * hidden;
        let mut draw = |len: usize| -> Vec<f32> { (0..len).map(|_| rng.sample(u)).collect() };
        // The order of the draws fixes the weights a seed gives.
        let w_ih = draw(inputs * g);
        let w_hh = draw(hidden * g);
        let b_ih = draw(g);
        let b_hh = draw(g);
        let w_out = draw(hidden * outputs);
        let b_out = draw(outputs);
        NetWeights {
            inputs,
            hidden,
            outputs,
            w_ih,
            w_hh,
            b_ih,
            b_hh,
            w_out,
            b_out,
        }
    }

    /// Checks every length and value (a stored model may have been edited or truncated).
    pub(super) fn check(&self) -> Result<()> {
        let (i, h, o) = (self.inputs, self.hidden, self.outputs);
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
        if h == 0 || i == 0 || o == 0 {
            return Err(Error::Artifact(format!(
                "lstm sizes {i} × {h} × {o} must all be positive"
            )));
        }
        check("w_ih", &self.w_ih, i * g)?;
        check("w_hh", &self.w_hh, h * g)?;
        check("b_ih", &self.b_ih, g)?;
        check("b_hh", &self.b_hh, g)?;
        check("w_out", &self.w_out, h * o)?;
        check("b_out", &self.b_out, o)
    }

    /// Runs the network over `batch` sequences of `steps` rows without keeping anything for a
    /// backward pass. `x` is time-major, `(steps·batch) × inputs`: row `k·batch + j` is step `k` of
    /// sequence `j`. Returns `batch × outputs`, row-major.
    pub(super) fn predict(&self, x: &[f32], steps: usize, batch: usize) -> Vec<f32> {
        let (hd, g4, ni) = (self.hidden, 4 * self.hidden, self.inputs);
        let mut gates = vec![0f32; batch * g4];
        let mut h = vec![0f32; batch * hd];
        let mut c = vec![0f32; batch * hd];
        let mut c_next = vec![0f32; batch * hd];
        let mut tc = vec![0f32; batch * hd];
        for k in 0..steps {
            let xk = &x[k * batch * ni..(k + 1) * batch * ni];
            gemm(batch, ni, g4, xk, false, &self.w_ih, false, 0.0, &mut gates);
            add_bias(&mut gates, &self.b_ih, &self.b_hh);
            // h₀ = c₀ = 0, so the first step has no recurrent term.
            if k > 0 {
                gemm(batch, hd, g4, &h, false, &self.w_hh, false, 1.0, &mut gates);
            }
            let prev = (k > 0).then_some(&c[..]);
            cell_forward(&mut gates, prev, &mut c_next, &mut tc, &mut h, hd);
            std::mem::swap(&mut c, &mut c_next);
        }
        self.head(&h, batch)
    }

    /// `h·w_out + b_out` for the last hidden states.
    fn head(&self, h: &[f32], batch: usize) -> Vec<f32> {
        let o = self.outputs;
        let mut y = vec![0f32; batch * o];
        gemm(
            batch,
            self.hidden,
            o,
            h,
            false,
            &self.w_out,
            false,
            0.0,
            &mut y,
        );
        for row in y.chunks_mut(o) {
            row.iter_mut().zip(&self.b_out).for_each(|(v, b)| *v += b);
        }
        y
    }
}

/// `c ← a·b + beta·c`, all row-major: `a` is `m × k` (stored as its `k × m` transpose when `ta`),
/// `b` is `k × n` (stored `n × k` when `tb`), `c` is `m × n`.
#[allow(clippy::too_many_arguments)]
fn gemm(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    ta: bool,
    b: &[f32],
    tb: bool,
    beta: f32,
    c: &mut [f32],
) {
    let a = view(a, m, k, ta);
    let b = view(b, k, n, tb);
    let mut c = ArrayViewMut2::from_shape((m, n), &mut c[..m * n]).expect("the buffer holds C");
    general_mat_mul(1.0, &a, &b, beta, &mut c);
}

/// A row-major `r × s` matrix over the start of `v`, or the transpose of one stored `s × r`.
fn view(v: &[f32], r: usize, s: usize, transposed: bool) -> ArrayView2<'_, f32> {
    let v = &v[..r * s];
    if transposed {
        ArrayView2::from_shape((r, s).f(), v)
    } else {
        ArrayView2::from_shape((r, s), v)
    }
    .expect("the buffer holds the matrix")
}

fn add_bias(gates: &mut [f32], b_ih: &[f32], b_hh: &[f32]) {
    for row in gates.chunks_mut(b_ih.len()) {
        for ((v, a), b) in row.iter_mut().zip(b_ih).zip(b_hh) {
            *v += a + b;
        }
    }
}

/// `e^x` in f32 without a libm call, so that the loops over a gate block vectorise: `x = n·ln 2 + r`
/// with `n` rounded by the 1.5·2²³ trick, `e^r` by Cephes' `expf` polynomial on `|r| ≤ ln 2 / 2`,
/// and `2^n` put into the exponent bits. Relative error ≤ 2 ulp for `x` in [−87, 88] (tested
/// against `f32::exp`); arguments are clamped to that range, which the sigmoid and tanh below
/// saturate on anyway.
#[inline(always)]
fn exp(x: f32) -> f32 {
    const SHIFT: f32 = 12_582_912.0; // 1.5·2²³
    let x = x.clamp(-87.0, 88.0);
    let shifted = x * std::f32::consts::LOG2_E + SHIFT;
    let n = shifted - SHIFT;
    // ln 2 in two parts, so that n·ln2_hi is exact.
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let p = 1.987_569_1e-4_f32;
    let p = p * r + 1.398_2e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 0.166_666_65;
    let p = p * r + 0.5;
    let er = p * r * r + r + 1.0;
    // The low bits of `shifted` hold n + 2²²; n + 127 in the exponent field is 2ⁿ.
    let bits = (shifted.to_bits() as i32 - 0x4B40_0000 + 127) << 23;
    er * f32::from_bits(bits as u32)
}

/// `tanh(x) = 1 − 2/(e^{2x} + 1)`: one `exp`. Saturates correctly (a huge `e^{2x}` gives 1, 0 gives
/// −1); the absolute error stays at the f32 rounding level.
#[inline(always)]
fn tanh(x: f32) -> f32 {
    1.0 - 2.0 / (exp(2.0 * x) + 1.0)
}

#[inline(always)]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// The element-wise part of one step: the pre-activation gates `B × 4H` (blocks i, f, g, o) are
/// replaced by their activations, and the new cell state, its tanh and the hidden state are
/// written. `c_prev` is `None` at the first step (c₀ = 0). Each loop runs over contiguous slices,
/// so the compiler vectorises it (with AVX2 where the CPU has it: [`cell_forward`]).
#[inline(always)]
fn cell_forward_body(
    gates: &mut [f32],
    c_prev: Option<&[f32]>,
    c: &mut [f32],
    tc: &mut [f32],
    h: &mut [f32],
    hd: usize,
) {
    for (r, row) in gates.chunks_exact_mut(4 * hd).enumerate() {
        let (ifg, rest) = row.split_at_mut(2 * hd);
        let (gg, og) = rest.split_at_mut(hd);
        ifg.iter_mut().for_each(|v| *v = sigmoid(*v));
        gg.iter_mut().for_each(|v| *v = tanh(*v));
        og.iter_mut().for_each(|v| *v = sigmoid(*v));
        let (ig, fg) = ifg.split_at(hd);
        let span = r * hd..(r + 1) * hd;
        let (c, tc, h) = (
            &mut c[span.clone()],
            &mut tc[span.clone()],
            &mut h[span.clone()],
        );
        match c_prev {
            Some(p) => {
                let p = &p[span];
                for j in 0..hd {
                    c[j] = fg[j] * p[j] + ig[j] * gg[j];
                }
            }
            None => {
                for j in 0..hd {
                    c[j] = ig[j] * gg[j];
                }
            }
        }
        for j in 0..hd {
            tc[j] = tanh(c[j]);
            h[j] = og[j] * tc[j];
        }
    }
}

/// [`cell_forward_body`], compiled for AVX2 when the CPU has it. The arithmetic is the same
/// (element-wise IEEE operations, no fused multiply-add), so both paths give identical results.
fn cell_forward(
    gates: &mut [f32],
    c_prev: Option<&[f32]>,
    c: &mut [f32],
    tc: &mut [f32],
    h: &mut [f32],
    hd: usize,
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { avx2::cell_forward(gates, c_prev, c, tc, h, hd) };
    }
    cell_forward_body(gates, c_prev, c, tc, h, hd)
}

/// The element-wise part of one step backwards: from the gate activations, `tanh(c)` and the
/// previous cell state of the step, and the gradients `dh`, `dc` reaching its hidden and cell
/// states, the gradient of its pre-activation gates; `dc` becomes the gradient of the previous
/// cell state.
#[inline(always)]
fn cell_backward_body(
    gates: &[f32],
    tc: &[f32],
    c_prev: Option<&[f32]>,
    dh: &[f32],
    dc: &mut [f32],
    d_gates: &mut [f32],
    hd: usize,
) {
    for (r, (row, d_row)) in gates
        .chunks_exact(4 * hd)
        .zip(d_gates.chunks_exact_mut(4 * hd))
        .enumerate()
    {
        let span = r * hd..(r + 1) * hd;
        let (tc, dh, dc) = (&tc[span.clone()], &dh[span.clone()], &mut dc[span.clone()]);
        let (ig, rest) = row.split_at(hd);
        let (fg, rest) = rest.split_at(hd);
        let (gg, og) = rest.split_at(hd);
        let (di, rest) = d_row.split_at_mut(hd);
        let (df, rest) = rest.split_at_mut(hd);
        let (dg, d_o) = rest.split_at_mut(hd);
        let cp = c_prev.map(|p| &p[span]);
        for j in 0..hd {
            let (i, f, g, o, th) = (ig[j], fg[j], gg[j], og[j], tc[j]);
            let c_old = cp.map_or(0.0, |p| p[j]);
            let dct = dc[j] + dh[j] * o * (1.0 - th * th);
            di[j] = dct * g * i * (1.0 - i);
            df[j] = dct * c_old * f * (1.0 - f);
            dg[j] = dct * i * (1.0 - g * g);
            d_o[j] = dh[j] * th * o * (1.0 - o);
            dc[j] = dct * f;
        }
    }
}

/// [`cell_backward_body`], compiled for AVX2 when the CPU has it (identical results).
fn cell_backward(
    gates: &[f32],
    tc: &[f32],
    c_prev: Option<&[f32]>,
    dh: &[f32],
    dc: &mut [f32],
    d_gates: &mut [f32],
    hd: usize,
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { avx2::cell_backward(gates, tc, c_prev, dh, dc, d_gates, hd) };
    }
    cell_backward_body(gates, tc, c_prev, dh, dc, d_gates, hd)
}

/// The element-wise loops compiled with AVX2 enabled (eight f32 lanes instead of SSE's four).
#[cfg(target_arch = "x86_64")]
mod avx2 {
    #[target_feature(enable = "avx2")]
    pub(super) fn cell_forward(
        gates: &mut [f32],
        c_prev: Option<&[f32]>,
        c: &mut [f32],
        tc: &mut [f32],
        h: &mut [f32],
        hd: usize,
    ) {
        super::cell_forward_body(gates, c_prev, c, tc, h, hd)
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn cell_backward(
        gates: &[f32],
        tc: &[f32],
        c_prev: Option<&[f32]>,
        dh: &[f32],
        dc: &mut [f32],
        d_gates: &mut [f32],
        hd: usize,
    ) {
        super::cell_backward_body(gates, tc, c_prev, dh, dc, d_gates, hd)
    }
}

/// What the forward pass keeps for the backward pass, for every step: the gate activations, the
/// cell states and their tanh, the hidden states. Reused from batch to batch.
#[derive(Debug, Default)]
struct Tape {
    gates: Vec<f32>,
    c: Vec<f32>,
    tc: Vec<f32>,
    h: Vec<f32>,
    /// Gradient of the pre-activation gates, every step.
    d_gates: Vec<f32>,
    dh: Vec<f32>,
    dc: Vec<f32>,
}

impl Tape {
    fn resize(&mut self, steps: usize, batch: usize, hd: usize) {
        let n = steps * batch;
        self.gates.resize(n * 4 * hd, 0.0);
        self.d_gates.resize(n * 4 * hd, 0.0);
        self.c.resize(n * hd, 0.0);
        self.tc.resize(n * hd, 0.0);
        self.h.resize(n * hd, 0.0);
        self.dh.resize(batch * hd, 0.0);
        self.dc.resize(batch * hd, 0.0);
    }
}

/// Gradients of the loss, laid out as the weights (`b` is the gradient of both bias vectors).
#[derive(Debug, Default)]
struct Grads {
    w_ih: Vec<f32>,
    w_hh: Vec<f32>,
    b: Vec<f32>,
    w_out: Vec<f32>,
    b_out: Vec<f32>,
}

/// Adam moments of one weight tensor.
#[derive(Debug, Default)]
struct Moments {
    m: Vec<f32>,
    v: Vec<f32>,
}

/// The optimiser: Adam state per weight tensor and the buffers one batch needs.
#[derive(Debug)]
pub(super) struct Trainer {
    lr: f32,
    betas: [f32; 2],
    eps: f32,
    t: i32,
    clip_norm: f64,
    moments: [Moments; 6],
    tape: Tape,
    grads: Grads,
}

impl Trainer {
    /// Adam with PyTorch's defaults (β = (0.9, 0.999), ε = 1e-8, no weight decay) and learning rate `lr`.
    pub(super) fn new(lr: f64, clip_norm: f64) -> Self {
        Trainer {
            lr: lr as f32,
            betas: [0.9, 0.999],
            eps: 1e-8,
            t: 0,
            clip_norm,
            moments: Default::default(),
            tape: Tape::default(),
            grads: Grads::default(),
        }
    }

    /// One optimisation step on a batch: MSE loss, backprop through time, gradient clipping by the
    /// global norm (as `torch.nn.utils.clip_grad_norm_`), Adam update. `x` is time-major as in
    /// [`NetWeights::predict`], `y` is `batch × outputs`. Returns the batch loss.
    pub(super) fn step(
        &mut self,
        net: &mut NetWeights,
        x: &[f32],
        y: &[f32],
        steps: usize,
        batch: usize,
    ) -> Result<f64> {
        let pred = self.forward(net, x, steps, batch);
        let n = pred.len() as f32;
        let loss = pred
            .iter()
            .zip(y)
            .map(|(p, t)| (p - t) * (p - t))
            .sum::<f32>()
            / n;
        let value = f64::from(loss);
        if !value.is_finite() {
            return Err(Error::Numerical {
                context: "lstm training",
                detail: format!("loss is {value}"),
            });
        }
        let dy: Vec<f32> = pred.iter().zip(y).map(|(p, t)| 2.0 * (p - t) / n).collect();
        self.backward(net, x, &dy, steps, batch);

        let g = &mut self.grads;
        let sq: f64 = [&g.w_ih, &g.w_hh, &g.b, &g.b, &g.w_out, &g.b_out]
            .iter()
            .map(|v| sum_sq(v))
            .sum();
        let norm = sq.sqrt();
        // PyTorch's rule: scale by max_norm / (norm + 1e-6) when that is below one.
        let scale = (self.clip_norm / (norm + 1e-6)).min(1.0) as f32;
        if scale < 1.0 {
            for v in [
                &mut g.w_ih,
                &mut g.w_hh,
                &mut g.b,
                &mut g.w_out,
                &mut g.b_out,
            ] {
                v.iter_mut().for_each(|x| *x *= scale);
            }
        }

        self.t += 1;
        let (lr, [b1, b2], eps, t) = (self.lr, self.betas, self.eps, self.t);
        let params: [(&mut Vec<f32>, &Vec<f32>); 6] = [
            (&mut net.w_ih, &g.w_ih),
            (&mut net.w_hh, &g.w_hh),
            (&mut net.b_ih, &g.b),
            (&mut net.b_hh, &g.b),
            (&mut net.w_out, &g.w_out),
            (&mut net.b_out, &g.b_out),
        ];
        for ((p, g), mo) in params.into_iter().zip(self.moments.iter_mut()) {
            adam(p, g, mo, t, lr, b1, b2, eps);
        }
        Ok(value)
    }

    /// Forward pass keeping every step on the tape; returns `batch × outputs`.
    fn forward(&mut self, w: &NetWeights, x: &[f32], steps: usize, batch: usize) -> Vec<f32> {
        let (hd, g4, ni) = (w.hidden, 4 * w.hidden, w.inputs);
        let tp = &mut self.tape;
        tp.resize(steps, batch, hd);
        let n = steps * batch;
        // The input projection of every step in one product; only the recurrent part is sequential.
        gemm(
            n,
            ni,
            g4,
            x,
            false,
            &w.w_ih,
            false,
            0.0,
            &mut tp.gates[..n * g4],
        );
        add_bias(&mut tp.gates[..n * g4], &w.b_ih, &w.b_hh);
        let (bh, bg) = (batch * hd, batch * g4);
        for k in 0..steps {
            let (done_h, rest_h) = tp.h.split_at_mut(k * bh);
            let gates = &mut tp.gates[k * bg..(k + 1) * bg];
            if k > 0 {
                let h_prev = &done_h[(k - 1) * bh..];
                gemm(batch, hd, g4, h_prev, false, &w.w_hh, false, 1.0, gates);
            }
            let (done_c, rest_c) = tp.c.split_at_mut(k * bh);
            let prev = (k > 0).then(|| &done_c[(k - 1) * bh..]);
            cell_forward(
                gates,
                prev,
                &mut rest_c[..bh],
                &mut tp.tc[k * bh..(k + 1) * bh],
                &mut rest_h[..bh],
                hd,
            );
        }
        w.head(&tp.h[(steps - 1) * bh..steps * bh], batch)
    }

    /// Backpropagation through time from `dy` (the loss gradient of the outputs) into `self.grads`.
    fn backward(&mut self, w: &NetWeights, x: &[f32], dy: &[f32], steps: usize, batch: usize) {
        let (hd, g4, ni, o) = (w.hidden, 4 * w.hidden, w.inputs, w.outputs);
        let (bh, bg) = (batch * hd, batch * g4);
        let n = steps * batch;
        let tp = &mut self.tape;
        let gr = &mut self.grads;
        gr.w_ih.resize(ni * g4, 0.0);
        gr.w_hh.resize(hd * g4, 0.0);
        gr.b.resize(g4, 0.0);
        gr.w_out.resize(hd * o, 0.0);
        gr.b_out.resize(o, 0.0);

        // The head.
        let h_last = &tp.h[(steps - 1) * bh..steps * bh];
        gemm(hd, batch, o, h_last, true, dy, false, 0.0, &mut gr.w_out);
        gr.b_out.iter_mut().for_each(|v| *v = 0.0);
        for row in dy.chunks(o) {
            gr.b_out.iter_mut().zip(row).for_each(|(a, d)| *a += d);
        }
        gemm(batch, o, hd, dy, false, &w.w_out, true, 0.0, &mut tp.dh);
        tp.dc.iter_mut().for_each(|v| *v = 0.0);

        for k in (0..steps).rev() {
            let gates = &tp.gates[k * bg..(k + 1) * bg];
            let tc = &tp.tc[k * bh..(k + 1) * bh];
            let d_gates = &mut tp.d_gates[k * bg..(k + 1) * bg];
            let c_prev = (k > 0).then(|| &tp.c[(k - 1) * bh..k * bh]);
            cell_backward(gates, tc, c_prev, &tp.dh, &mut tp.dc, d_gates, hd);
            if k > 0 {
                gemm(
                    batch, g4, hd, d_gates, false, &w.w_hh, true, 0.0, &mut tp.dh,
                );
            }
        }
        // Weight gradients summed over every step in one product each: the recurrent weights see
        // h_{k−1} against the gates of step k (k ≥ 1), the input weights every input row.
        let d_all = &tp.d_gates[..n * g4];
        if steps > 1 {
            let m = (steps - 1) * batch;
            gemm(
                hd,
                m,
                g4,
                &tp.h[..m * hd],
                true,
                &d_all[bg..],
                false,
                0.0,
                &mut gr.w_hh,
            );
        } else {
            gr.w_hh.iter_mut().for_each(|v| *v = 0.0);
        }
        gemm(ni, n, g4, x, true, d_all, false, 0.0, &mut gr.w_ih);
        gr.b.iter_mut().for_each(|v| *v = 0.0);
        for row in d_all.chunks(g4) {
            gr.b.iter_mut().zip(row).for_each(|(a, d)| *a += d);
        }
    }
}

/// dfdx's Adam kernel (`AdamConfig::try_update` on the CPU), element by element in f32.
#[allow(clippy::too_many_arguments)]
fn adam(p: &mut [f32], g: &[f32], mo: &mut Moments, t: i32, lr: f32, b1: f32, b2: f32, eps: f32) {
    mo.m.resize(p.len(), 0.0);
    mo.v.resize(p.len(), 0.0);
    let c1 = (1.0 - b1.powi(t)).recip();
    let c2 = (1.0 - b2.powi(t)).recip();
    for (((p, &g), m), v) in p.iter_mut().zip(g).zip(&mut mo.m).zip(&mut mo.v) {
        *m = *m * b1 + g * (1.0 - b1);
        *v = *v * b2 + g.powi(2) * (1.0 - b2);
        let m_hat = *m * c1;
        let v_hat = *v * c2;
        *p -= lr * m_hat / (v_hat.sqrt() + eps);
    }
}

fn sum_sq(g: &[f32]) -> f64 {
    g.iter().map(|&x| f64::from(x) * f64::from(x)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    // dfdx's prelude has functions of the same names.
    use super::{exp, sigmoid, tanh};
    use dfdx::prelude::*;

    #[test]
    fn the_initial_weights_are_the_ones_dfdx_drew() {
        let (inputs, hidden, outputs) = (19, 32, 3);
        let w = NetWeights::init(7, inputs, hidden, outputs);
        let dev = Cpu::seed_from_u64(7);
        let k = 1.0 / (hidden as f32).sqrt();
        let u = Uniform::new_inclusive(-k, k);
        let g = 4 * hidden;
        let draw = |rows: usize, cols: usize| -> Vec<f32> {
            let t: Tensor<(usize, usize), f32, Cpu> = dev.sample_like(&(rows, cols), u);
            t.as_vec()
        };
        assert_eq!(w.w_ih, draw(inputs, g));
        assert_eq!(w.w_hh, draw(hidden, g));
        assert_eq!(w.b_ih, draw(1, g));
        assert_eq!(w.b_hh, draw(1, g));
        assert_eq!(w.w_out, draw(hidden, outputs));
        assert_eq!(w.b_out, draw(1, outputs));
    }

    type Taped = OwnedTape<f32, Cpu>;
    type Mat<T = NoneTape> = Tensor<(usize, usize), f32, Cpu, T>;

    /// The same network written with dfdx tensor ops (column slices of the gate matrix,
    /// sigmoid/tanh, products), recorded on dfdx's tape: the reference for the hand-written
    /// forward and backward passes. Returns the loss and dfdx's gradients of the six weights.
    fn dfdx_reference(
        w: &NetWeights,
        x: &[f32],
        y: &[f32],
        steps: usize,
        batch: usize,
    ) -> (f32, [Vec<f32>; 6]) {
        let dev = Cpu::default();
        let (i, hd, o) = (w.inputs, w.hidden, w.outputs);
        let g4 = 4 * hd;
        let n = steps * batch;
        let w_ih: Mat = dev.tensor_from_vec(w.w_ih.clone(), (i, g4));
        let w_hh: Mat = dev.tensor_from_vec(w.w_hh.clone(), (hd, g4));
        let b_ih: Tensor<(usize,), f32, Cpu> = dev.tensor_from_vec(w.b_ih.clone(), (g4,));
        let b_hh: Tensor<(usize,), f32, Cpu> = dev.tensor_from_vec(w.b_hh.clone(), (g4,));
        let w_out: Mat = dev.tensor_from_vec(w.w_out.clone(), (hd, o));
        let b_out: Tensor<(usize,), f32, Cpu> = dev.tensor_from_vec(w.b_out.clone(), (o,));
        let xt: Mat = dev.tensor_from_vec(x.to_vec(), (n, i));
        let yt: Mat = dev.tensor_from_vec(y.to_vec(), (batch, o));
        // dfdx records backward ops on a tape that moves with the tensor: a tensor used several
        // times gives its tape to one use and empty tapes to the others, and the tapes merge again
        // downstream.
        let bias = b_ih.retaped::<Taped>() + b_hh.retaped::<Taped>();
        let xp = xt
            .traced(Gradients::leaky())
            .matmul(w_ih.retaped::<Taped>())
            + bias.broadcast_like::<_, Axis<0>>(&(n, g4));
        let (xp, xp_tape) = xp.split_tape();
        let mut xp_tape = Some(xp_tape);
        let mut h: Option<Mat<Taped>> = None;
        let mut c: Option<Mat<Taped>> = None;
        for k in 0..steps {
            let xk = xp
                .clone()
                .put_tape(xp_tape.take().unwrap_or_default())
                .slice((k * batch..(k + 1) * batch, ..));
            let gates = match h.take() {
                None => xk,
                Some(hp) => xk + hp.matmul(w_hh.retaped::<Taped>()),
            };
            let (g, g_tape) = gates.split_tape();
            let ig = g.clone().put_tape(g_tape).slice((.., 0..hd)).sigmoid();
            let cand = g
                .clone()
                .put_tape(Taped::default())
                .slice((.., 2 * hd..3 * hd))
                .tanh();
            let og = g
                .clone()
                .put_tape(Taped::default())
                .slice((.., 3 * hd..4 * hd))
                .sigmoid();
            let c_new = match c.take() {
                None => ig * cand,
                Some(cp) => {
                    let fg = g
                        .put_tape(Taped::default())
                        .slice((.., hd..2 * hd))
                        .sigmoid();
                    fg * cp + ig * cand
                }
            };
            let (c_new, c_tape) = c_new.split_tape();
            h = Some(og * c_new.clone().put_tape(c_tape).tanh());
            c = Some(c_new.put_tape(Taped::default()));
        }
        let pred = h.expect("steps ≥ 1").matmul(w_out.retaped::<Taped>())
            + b_out
                .retaped::<Taped>()
                .broadcast_like::<_, Axis<0>>(&(batch, o));
        let loss = mse_loss(pred, yt);
        let value = loss.array();
        let grads = loss.backward();
        (
            value,
            [
                grads.get(&w_ih).as_vec(),
                grads.get(&w_hh).as_vec(),
                grads.get(&b_ih).as_vec(),
                grads.get(&b_hh).as_vec(),
                grads.get(&w_out).as_vec(),
                grads.get(&b_out).as_vec(),
            ],
        )
    }

    fn sample(seed: u64, len: usize) -> Vec<f32> {
        let dev = Cpu::seed_from_u64(seed);
        let t: Tensor<(usize,), f32, Cpu> = dev.sample_like(&(len,), Uniform::new(-1.0f32, 1.0));
        t.as_vec()
    }

    fn close(a: &[f32], b: &[f32], tol: f32, what: &str) {
        assert_eq!(a.len(), b.len(), "{what}: lengths");
        for (k, (u, v)) in a.iter().zip(b).enumerate() {
            assert!(
                (u - v).abs() <= tol * (1.0 + v.abs()),
                "{what}[{k}]: by hand {u} vs dfdx {v}"
            );
        }
    }

    /// The loss's gradients of the six weights from the hand-written passes.
    fn by_hand(w: &NetWeights, x: &[f32], y: &[f32], steps: usize, batch: usize) -> [Vec<f32>; 6] {
        let mut tr = Trainer::new(1e-3, f64::INFINITY);
        let pred = tr.forward(w, x, steps, batch);
        let n = pred.len() as f32;
        let dy: Vec<f32> = pred.iter().zip(y).map(|(p, t)| 2.0 * (p - t) / n).collect();
        tr.backward(w, x, &dy, steps, batch);
        let g = tr.grads;
        [g.w_ih, g.w_hh, g.b.clone(), g.b, g.w_out, g.b_out]
    }

    #[test]
    fn forward_and_gradients_match_dfdx_autodiff() {
        let (inputs, hidden, outputs, steps, batch) = (5, 6, 3, 7, 4);
        let w = NetWeights::init(3, inputs, hidden, outputs);
        let x = sample(1, steps * batch * inputs);
        let y = sample(2, batch * outputs);
        let (loss, reference) = dfdx_reference(&w, &x, &y, steps, batch);
        let pred = w.predict(&x, steps, batch);
        let own_loss = pred
            .iter()
            .zip(&y)
            .map(|(p, t)| (p - t).powi(2))
            .sum::<f32>()
            / pred.len() as f32;
        assert!(
            (own_loss - loss).abs() <= 1e-5 * (1.0 + loss.abs()),
            "{own_loss} vs {loss}"
        );
        let names = ["w_ih", "w_hh", "b_ih", "b_hh", "w_out", "b_out"];
        for ((own, r), name) in by_hand(&w, &x, &y, steps, batch)
            .iter()
            .zip(&reference)
            .zip(names)
        {
            close(own, r, 1e-4, name);
        }
    }

    #[test]
    fn training_forward_equals_the_prediction_pass() {
        let (inputs, hidden, outputs, steps, batch) = (4, 5, 2, 6, 3);
        let w = NetWeights::init(8, inputs, hidden, outputs);
        let x = sample(4, steps * batch * inputs);
        let mut tr = Trainer::new(1e-3, 1.0);
        close(
            &tr.forward(&w, &x, steps, batch),
            &w.predict(&x, steps, batch),
            1e-6,
            "outputs",
        );
    }

    #[test]
    fn backprop_through_time_matches_finite_differences() {
        let (inputs, hidden, outputs, steps, batch) = (3, 4, 2, 5, 3);
        let w = NetWeights::init(3, inputs, hidden, outputs);
        let x = sample(5, steps * batch * inputs);
        let y = sample(6, batch * outputs);
        let analytic = by_hand(&w, &x, &y, steps, batch);
        let loss = |w: &NetWeights| -> f64 {
            let p = w.predict(&x, steps, batch);
            p.iter()
                .zip(&y)
                .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
                .sum::<f64>()
                / y.len() as f64
        };
        let eps = 1e-2f32;
        let names = ["w_ih", "w_hh", "b_ih", "b_hh", "w_out", "b_out"];
        for (name, g) in names.iter().zip(&analytic) {
            for (idx, &ga) in g.iter().enumerate() {
                let perturbed = |delta: f32| {
                    let mut w2 = w.clone();
                    let v = match *name {
                        "w_ih" => &mut w2.w_ih,
                        "w_hh" => &mut w2.w_hh,
                        "b_ih" => &mut w2.b_ih,
                        "b_hh" => &mut w2.b_hh,
                        "w_out" => &mut w2.w_out,
                        _ => &mut w2.b_out,
                    };
                    v[idx] += delta;
                    loss(&w2)
                };
                let numeric = (perturbed(eps) - perturbed(-eps)) / (2.0 * f64::from(eps));
                assert!(
                    (numeric - f64::from(ga)).abs() < 2e-3 + 2e-2 * numeric.abs(),
                    "{name}[{idx}]: backprop {ga} vs finite difference {numeric}"
                );
            }
        }
    }

    #[test]
    fn exp_is_within_two_ulp_of_the_library_exp() {
        let mut worst = 0f32;
        for k in -870_000..=880_000 {
            let x = k as f32 * 1e-4;
            let (own, lib) = (exp(x), x.exp());
            worst = worst.max((own - lib).abs() / lib);
        }
        assert!(
            worst <= 2.0 * f32::EPSILON,
            "largest relative error {worst}"
        );
        assert_eq!(tanh(100.0), 1.0);
        assert_eq!(tanh(-100.0), -1.0);
        assert!(sigmoid(-200.0) < 1e-37 && sigmoid(200.0) == 1.0);
    }

    #[test]
    fn the_avx2_and_the_generic_element_wise_loops_agree_to_the_bit() {
        let (b, hd) = (3, 9);
        let gates0 = sample(11, b * 4 * hd)
            .iter()
            .map(|v| 4.0 * v)
            .collect::<Vec<_>>();
        let c_prev = sample(12, b * hd);
        let run = |dispatch: bool| {
            let mut gates = gates0.clone();
            let (mut c, mut tc, mut h) = (vec![0.0; b * hd], vec![0.0; b * hd], vec![0.0; b * hd]);
            let (dh, mut dc) = (sample(13, b * hd), sample(14, b * hd));
            let mut d_gates = vec![0.0; b * 4 * hd];
            if dispatch {
                cell_forward(&mut gates, Some(&c_prev), &mut c, &mut tc, &mut h, hd);
                cell_backward(&gates, &tc, Some(&c_prev), &dh, &mut dc, &mut d_gates, hd);
            } else {
                cell_forward_body(&mut gates, Some(&c_prev), &mut c, &mut tc, &mut h, hd);
                cell_backward_body(&gates, &tc, Some(&c_prev), &dh, &mut dc, &mut d_gates, hd);
            }
            [gates, c, tc, h, dc, d_gates]
                .concat()
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(true), run(false));
    }

    #[test]
    fn adam_matches_dfdx() {
        let dev = Cpu::default();
        let p0 = sample(7, 12);
        let grads: Vec<Vec<f32>> = (0..3).map(|s| sample(20 + s, 12)).collect();
        let cfg = AdamConfig {
            lr: 1e-3,
            betas: [0.9, 0.999],
            eps: 1e-8,
            weight_decay: None,
        };
        let mut p: Tensor<(usize,), f32, Cpu> = dev.tensor_from_vec(p0.clone(), (12,));
        let (mut gm, mut gv, mut gg) = (
            Gradients::<f32, Cpu>::leaky(),
            Gradients::<f32, Cpu>::leaky(),
            Gradients::<f32, Cpu>::leaky(),
        );
        let mut own = p0;
        let mut mo = Moments::default();
        for (t, g) in grads.iter().enumerate() {
            let gt = gg.get_or_alloc_mut(&p).unwrap();
            gt.copy_from_slice(g);
            let (m, v) = (
                gm.get_or_alloc_mut(&p).unwrap(),
                gv.get_or_alloc_mut(&p).unwrap(),
            );
            cfg.try_update(t as i32 + 1, &mut p, m, v, gt).unwrap();
            adam(&mut own, g, &mut mo, t as i32 + 1, 1e-3, 0.9, 0.999, 1e-8);
        }
        close(&own, &p.as_vec(), 1e-7, "parameters");
    }
}

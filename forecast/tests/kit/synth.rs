//! Synthetic, seeded series for tests that need a known signal or pure noise.

use chrono::NaiveDate;
use forecast::features::{FeatureMatrix, N_FEATURES};
use forecast::series::Bar;
use forecast::Ohlcv;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Standard normal draw (Box–Muller), so the tests need no distribution crate.
pub fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let (u1, u2): (f64, f64) = (rng.gen_range(f64::EPSILON..1.0), rng.gen());
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Random feature rows (uniform in [−1, 1)) and closes whose next log return is
/// `signal · x0[s] + noise · ε`.
pub fn features_with_signal(
    n: usize,
    signal: f64,
    noise: f64,
    seed: u64,
) -> (FeatureMatrix, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let rows: Vec<[f64; N_FEATURES]> = (0..n)
        .map(|_| std::array::from_fn(|_| rng.gen_range(-1.0..1.0)))
        .collect();
    let mut closes = vec![100.0];
    for s in 0..n - 1 {
        let r = signal * rows[s][0] + noise * normal(&mut rng);
        closes.push(closes[s] * r.exp());
    }
    (FeatureMatrix { rows }, closes)
}

/// The first `n` feature rows.
pub fn prefix(f: &FeatureMatrix, n: usize) -> FeatureMatrix {
    FeatureMatrix {
        rows: f.rows[..n].to_vec(),
    }
}

/// An OHLCV history around `closes` with finite features everywhere past the warm-up: open = the
/// previous close, high/low ±1%, random volume.
pub fn ohlcv(closes: &[f64], seed: u64) -> Ohlcv {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let start = NaiveDate::from_ymd_opt(2001, 1, 1).unwrap();
    let bars: Vec<Bar> = closes
        .iter()
        .enumerate()
        .map(|(i, &c)| Bar {
            date: start + chrono::Days::new(i as u64),
            open: if i == 0 { c } else { closes[i - 1] },
            high: c * 1.01,
            low: c * 0.99,
            close: c,
            volume: rng.gen_range(1e5..2e5),
        })
        .collect();
    Ohlcv::from_bars(&bars).unwrap()
}

/// A random-walk OHLCV history (daily log return 0.0005 + 0.012·ε) with positive prices and
/// volume.
pub fn random_walk(rows: usize, seed: u64) -> Ohlcv {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let start = NaiveDate::from_ymd_opt(2001, 1, 1).unwrap();
    let mut c = 100.0f64;
    let bars: Vec<Bar> = (0..rows)
        .map(|i| {
            let open = c;
            c *= (0.0005 + 0.012 * normal(&mut rng)).exp();
            let high = open.max(c) * (1.0 + 0.004 * rng.gen::<f64>());
            let low = open.min(c) * (1.0 - 0.004 * rng.gen::<f64>());
            Bar {
                date: start + chrono::Days::new(i as u64),
                open,
                high,
                low,
                close: c,
                volume: 1e6 * (1.0 + rng.gen::<f64>()),
            }
        })
        .collect();
    Ohlcv::from_bars(&bars).unwrap()
}

/// Closes of an AR(1) in log returns: `r[t] = phi·r[t−1] + sigma·ε`, starting at 100.
pub fn ar1_closes(n: usize, phi: f64, sigma: f64, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut closes = vec![100.0];
    let mut r = 0.0;
    for _ in 1..n {
        r = phi * r + sigma * normal(&mut rng);
        let last = *closes.last().unwrap();
        closes.push(last * f64::exp(r));
    }
    closes
}

//! Times one protocol-sized LSTM fit (the default [`Lstm`]: 2520-row window, 60-step sequences,
//! 32 hidden units, early stopping) at the last origin of a series, and one forecast.
//!
//! This is a command, not a CI test (a fit takes seconds in release):
//!
//! ```text
//! cargo test -p forecast --release --test lstm_timing -- --ignored --nocapture
//! FORECAST_EVAL_CSV=path/to/series.csv cargo test -p forecast --release --test lstm_timing -- --ignored --nocapture
//! ```
//!
//! Without `FORECAST_EVAL_CSV` it runs on `tests/data/goog_2004_2013.csv`. The origin is the
//! protocol's last refit, row `N − 15` (origins `N − 255 + 20k`, k = 0..12). Beside the timing it
//! prints the validation MSE of predicting the training mean, which the fitted model should be
//! close to on real prices (the reference run saw 0.516 against 0.517 there on the S&P 500).

mod kit;

use std::time::Instant;

use forecast::features::WARMUP;
use forecast::lstm::{FittedLstm, Lstm};
use forecast::{Fit, Horizon, Level, Predict};

#[test]
#[ignore = "seconds of training in release; run by hand to time the protocol fit"]
fn time_one_protocol_fit() {
    let (name, series) = kit::data::series_from_env();
    let t = series.len() - 15;
    let history = series.prefix(t + 1);
    let params = Lstm::default();
    for run in 0..3 {
        let start = Instant::now();
        let fitted = params.fit(&history).unwrap();
        let fit_s = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let f = fitted
            .predict(&history, &Horizon::standard(), &Level::standard())
            .unwrap();
        let predict_s = start.elapsed().as_secs_f64();
        let r = fitted.report();
        println!(
            "{name} origin {t} run {run}: fit {fit_s:.3} s, {} epochs (best {}), {:.1} ms/epoch, \
             {} train + {} val samples, best val MSE {:.4} (mean predictor {:.4}), forecast {:.2} ms, \
             h=1 point {:.2}",
            r.epochs_run,
            r.best_epoch,
            1e3 * fit_s / r.epochs_run as f64,
            r.n_train,
            r.n_val,
            r.best_val_loss(),
            mean_predictor_val_mse(&fitted, history.close()),
            1e3 * predict_s,
            f.steps[0].point
        );
        assert!(f.steps.iter().all(|s| s.point.is_finite()));
    }
}

/// Validation MSE (z-scale) of always predicting the training-split mean.
fn mean_predictor_val_mse(fitted: &FittedLstm, close: &[f64]) -> f64 {
    let p = fitted.params();
    let t = fitted.origin();
    let a = WARMUP.max((t + 1).saturating_sub(p.window));
    let max_h = p.horizons.iter().map(|h| h.get()).max().unwrap();
    let (mean, sd) = fitted.target_scaling();
    let mut sum = 0.0;
    let mut n = 0;
    for s in a + p.seq_len - 1 + fitted.report().n_train..=t - max_h {
        for (j, h) in p.horizons.iter().enumerate() {
            let z = ((close[s + h.get()] / close[s]).ln() - mean[j]) / sd[j];
            sum += z * z;
            n += 1;
        }
    }
    sum / n as f64
}

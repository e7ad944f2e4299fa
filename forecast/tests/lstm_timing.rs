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
//! Without `FORECAST_EVAL_CSV` it runs on `tests/data/goog_2004_2013.csv`. The protocol's origin is
//! the last walk-forward origin, row `N − 6`.

use std::time::Instant;

use forecast::lstm::Lstm;
use forecast::{Fit, Horizon, Level, Ohlcv, Predict};

#[test]
#[ignore = "seconds of training in release; run by hand to time the protocol fit"]
fn time_one_protocol_fit() {
    let (name, series) = match std::env::var("FORECAST_EVAL_CSV") {
        Ok(path) => {
            let text = std::fs::read_to_string(&path).expect("readable FORECAST_EVAL_CSV");
            (path, Ohlcv::from_csv(&text).unwrap())
        }
        Err(_) => (
            "goog_2004_2013".to_string(),
            Ohlcv::from_csv(include_str!("data/goog_2004_2013.csv")).unwrap(),
        ),
    };
    let t = series.len() - 6;
    let history = series.prefix(t + 1);
    let params = Lstm::default();
    for run in 0..3 {
        let start = Instant::now();
        let fitted = params.fit(&history).unwrap();
        let fit_s = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let f = fitted.predict(&history, &Horizon::standard(), &Level::standard()).unwrap();
        let predict_s = start.elapsed().as_secs_f64();
        let r = fitted.report();
        println!(
            "{name} origin {t} run {run}: fit {fit_s:.3} s, {} epochs (best {}), {:.1} ms/epoch, \
             {} train + {} val samples, best val MSE {:.4}, forecast {:.2} ms, h=1 point {:.2}",
            r.epochs_run,
            r.best_epoch,
            1e3 * fit_s / r.epochs_run as f64,
            r.n_train,
            r.n_val,
            r.best_val_loss(),
            1e3 * predict_s,
            f.steps[0].point
        );
        assert!(f.steps.iter().all(|s| s.point.is_finite()));
    }
}

//! Walk-forward evaluation of the tree models under the reference protocol: 250 origins
//! `t = N−255 … N−6`, a refit every 20 origins, the fitted model applied to the newest feature row in
//! between, MAE relative to the naive random walk for h = 1, 2, 5, and 95% interval coverage.
//!
//! This is a command, not a CI test (it fits 13 × 3 × 2 models):
//!
//! ```text
//! cargo test -p forecast --release --test gbm_eval -- --ignored --nocapture
//! FORECAST_EVAL_CSV=path/to/series.csv cargo test -p forecast --release --test gbm_eval -- --ignored --nocapture
//! ```
//!
//! Without `FORECAST_EVAL_CSV` it runs on `tests/data/goog_2004_2013.csv`.

use std::time::Instant;

mod kit;

use forecast::features::{self, FeatureMatrix};
use forecast::forest::RandomForest;
use forecast::gbm::booster::BoosterParams;
use forecast::gbm::Gbm;
use forecast::{Forecast, Horizon, Level, Ohlcv, Result};
use kit::data::series_from_env as series;
use kit::synth::prefix;

type Predictor = Box<dyn Fn(&FeatureMatrix, &[f64]) -> Result<Forecast>>;

/// Runs the protocol; `fit` returns a predictor closure for one refit.
fn walk_forward(
    name: &str,
    s: &Ohlcv,
    feats: &FeatureMatrix,
    fit: &dyn Fn(&FeatureMatrix, &[f64]) -> Result<Predictor>,
) {
    let n = s.len();
    let c = s.close();
    let hs = Horizon::standard();
    let mut abs_err = [0.0f64; 3];
    let mut abs_naive = [0.0f64; 3];
    let mut covered = [0usize; 3];
    let mut width = [0.0f64; 3];
    let mut fit_secs = Vec::new();
    let mut predictor: Option<Predictor> = None;
    for (k, t) in (n - 255..=n - 6).enumerate() {
        let fp = prefix(feats, t + 1);
        if k % 20 == 0 {
            let start = Instant::now();
            predictor = Some(fit(&fp, &c[..=t]).unwrap());
            fit_secs.push(start.elapsed().as_secs_f64());
        }
        let f = predictor.as_ref().unwrap()(&fp, &c[..=t]).unwrap();
        for (i, h) in hs.iter().enumerate() {
            let step = f.step(*h).unwrap();
            let actual = c[t + h.get()];
            abs_err[i] += (step.point - actual).abs();
            abs_naive[i] += (c[t] - actual).abs();
            if let Some(iv) = step.interval(0.95) {
                covered[i] += usize::from(iv.lower <= actual && actual <= iv.upper);
                width[i] += (iv.upper - iv.lower) / c[t] * 100.0 / 250.0;
            }
        }
    }
    fit_secs.sort_by(f64::total_cmp);
    println!(
        "{name:>28}: MAE/naive h1 {:.4} h2 {:.4} h5 {:.4} | cov95 % {:.1} {:.1} {:.1} | width95 % {:.1} {:.1} {:.1} | refit (3 horizons) median {:.3} s",
        abs_err[0] / abs_naive[0],
        abs_err[1] / abs_naive[1],
        abs_err[2] / abs_naive[2],
        covered[0] as f64 / 2.5,
        covered[1] as f64 / 2.5,
        covered[2] as f64 / 2.5,
        width[0],
        width[1],
        width[2],
        fit_secs[fit_secs.len() / 2],
    );
}

/// Median of three single fits (one horizon, no calibration) on the last window: the protocol's
/// timing setting (2519 training rows × 19 features for h = 1 on a long series).
fn single_fit_ms(fit: &dyn Fn(&FeatureMatrix, &[f64])) -> f64 {
    let (_, s) = series();
    let feats = features::compute(&s);
    let t = s.len() - 6;
    let mut ms: Vec<f64> = (0..3)
        .map(|_| {
            let start = Instant::now();
            fit(&prefix(&feats, t + 1), &s.close()[..=t]);
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    ms[1]
}

#[test]
#[ignore = "full walk-forward evaluation (minutes); run with --release -- --ignored --nocapture"]
fn walk_forward_tree_models() {
    let (name, s) = series();
    let feats = features::compute(&s);
    println!("series {name}, {} rows", s.len());

    let gbm_variants: Vec<(&str, Gbm)> = vec![
        ("gbm (xgb settings, 300 rounds)", Gbm::default()),
        (
            "gbm early stopping 50",
            Gbm {
                regressor: BoosterParams {
                    early_stopping_rounds: Some(50),
                    ..Default::default()
                },
                ..Default::default()
            },
        ),
    ];
    for (label, g) in gbm_variants {
        walk_forward(label, &s, &feats, &|f, c| {
            let m = g.fit_features(f, c)?;
            Ok(Box::new(move |f: &FeatureMatrix, c: &[f64]| {
                m.predict_features(f, c, &Horizon::standard(), &[Level::new(0.95).unwrap()])
            }))
        });
    }
    let one = vec![Horizon::new(1).unwrap()];
    let g = Gbm {
        calibration: 0.0,
        horizons: one.clone(),
        ..Default::default()
    };
    let rf = RandomForest {
        calibration: 0.0,
        horizons: one,
        ..Default::default()
    };
    println!(
        "single fit, h = 1, last window: gbm {:.1} ms, rf {:.1} ms",
        single_fit_ms(&|f, c| drop(g.fit_features(f, c).unwrap())),
        single_fit_ms(&|f, c| drop(rf.fit_features(f, c).unwrap())),
    );
    let t = s.len() - 6;
    let (f, c) = (prefix(&feats, t + 1), &s.close()[..=t]);
    let gbm_json = serde_json::to_vec(&Gbm::default().fit_features(&f, c).unwrap()).unwrap();
    let rf_json =
        serde_json::to_vec(&RandomForest::default().fit_features(&f, c).unwrap()).unwrap();
    println!(
        "fitted model as JSON (3 horizons, defaults): gbm {} kB, rf {} kB",
        gbm_json.len() / 1000,
        rf_json.len() / 1000
    );
    if std::env::var("FORECAST_EVAL_SKIP_RF").is_err() {
        let rf = RandomForest::default();
        walk_forward("rf (sklearn settings)", &s, &feats, &|f, c| {
            let m = rf.fit_features(f, c)?;
            Ok(Box::new(move |f: &FeatureMatrix, c: &[f64]| {
                m.predict_features(f, c, &Horizon::standard(), &[Level::new(0.95).unwrap()])
            }))
        });
    }
}

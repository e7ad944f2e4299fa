//! Behaviour of the LSTM: it learns, it is deterministic, early stopping keeps the best weights, it
//! never reads past the origin, it round-trips through serde and it refuses bad parameters.
//!
//! Every fit here is tiny (a few hidden units, short sequences, few epochs) so the file runs in
//! seconds; the protocol-sized fit is timed by `tests/lstm_timing.rs`, which is not part of CI.

mod kit;

use forecast::features::{self, FeatureMatrix, N_FEATURES, WARMUP};
use forecast::lstm::{FittedLstm, Lstm};
use forecast::series::Bar;
use forecast::{Error, Fit, Horizon, Level, Ohlcv, Predict};
use kit::h;
use kit::synth::{normal, random_walk};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Small, fast parameters; each test changes what it needs.
fn tiny() -> Lstm {
    Lstm {
        window: 400,
        seq_len: 8,
        hidden: 8,
        batch_size: 32,
        max_epochs: 8,
        patience: 3,
        learning_rate: 1e-2,
        ..Lstm::default()
    }
}

/// A feature matrix whose column 0 drives future returns with a lag the network has to remember:
/// `ln(C[s]/C[s−1]) = 0.01·z[s−3] + 0.001·noise`. The target `y_1[s] = r[s+1]` therefore depends on
/// `z[s−2]`, two steps back inside the window; `y_5` depends on `z[s−2..=s+2]`, of which three
/// terms are known at `s`. The other 18 columns are noise.
fn lagged_signal(rows: usize, seed: u64) -> (FeatureMatrix, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut feats = Vec::with_capacity(rows);
    let mut z = Vec::with_capacity(rows);
    for _ in 0..rows {
        let mut row = [0.0; N_FEATURES];
        for v in row.iter_mut() {
            *v = normal(&mut rng);
        }
        z.push(row[0]);
        feats.push(row);
    }
    let mut close = vec![100.0];
    for s in 1..rows {
        let signal = if s >= 3 { z[s - 3] } else { 0.0 };
        let r = 0.01 * signal + 0.001 * normal(&mut rng);
        close.push(close[s - 1] * r.exp());
    }
    (FeatureMatrix { rows: feats }, close)
}

/// Validation MSE (z-scale) of always predicting the training mean, the bar a useless model meets.
fn mean_predictor_val_mse(fitted: &FittedLstm, close: &[f64]) -> f64 {
    let p = fitted.params();
    let t = fitted.origin();
    let a = WARMUP.max(t + 1 - p.window.min(t + 1));
    let max_h = p.horizons.iter().map(|h| h.get()).max().unwrap();
    let first = a + p.seq_len - 1 + fitted.report().n_train;
    let (mean, sd) = fitted.target_scaling();
    let mut sum = 0.0;
    let mut n = 0;
    for s in first..=t - max_h {
        for (j, hz) in p.horizons.iter().enumerate() {
            let z = ((close[s + hz.get()] / close[s]).ln() - mean[j]) / sd[j];
            sum += z * z;
            n += 1;
        }
    }
    sum / n as f64
}

#[test]
fn learns_a_lagged_signal_far_better_than_the_mean() {
    let (feats, close) = lagged_signal(WARMUP + 460, 1);
    // Recurrent nets sit on a plateau for a few epochs before they find a lag, hence the patience.
    let params = Lstm {
        learning_rate: 3e-2,
        max_epochs: 30,
        patience: 15,
        ..tiny()
    };
    let fitted = params.fit_features(&feats, &close).unwrap();
    let report = fitted.report();
    let model = report.best_val_loss();
    let baseline = mean_predictor_val_mse(&fitted, &close);
    // y_1 and y_2 are almost noise-free functions of the window and y_5 is 3/5 predictable, so the
    // attainable z-MSE is about (0 + 0 + 0.4)/3 ≈ 0.14 against ≈ 1 for the mean.
    assert!(
        model < 0.5 * baseline,
        "val MSE {model:.3} vs mean predictor {baseline:.3} (epochs {:?})",
        report.val_loss
    );
    assert!(report.train_loss.last().unwrap() < &report.train_loss[0]);
}

#[test]
fn point_forecast_follows_the_signal_direction() {
    // With the lagged signal, the sign of the one-day forecast should match the sign of the
    // return the planted signal implies (z[t−2]) at the origin.
    let (feats, close) = lagged_signal(WARMUP + 460, 2);
    let params = Lstm {
        learning_rate: 3e-2,
        max_epochs: 30,
        patience: 15,
        ..tiny()
    };
    let fitted = params.fit_features(&feats, &close).unwrap();
    let mut hits = 0;
    let trials = 20;
    for k in 0..trials {
        let n = close.len() - k;
        let rows = FeatureMatrix {
            rows: feats.rows[..n].to_vec(),
        };
        let y = fitted.predict_log_returns(&rows).unwrap();
        let implied = feats.rows[n - 1 - 2][0];
        if y[0].signum() == implied.signum() {
            hits += 1;
        }
    }
    assert!(hits >= 16, "sign agreement {hits}/{trials}");
}

#[test]
fn same_seed_gives_identical_forecasts_and_another_seed_differs() {
    let (feats, close) = lagged_signal(WARMUP + 200, 3);
    let params = Lstm {
        max_epochs: 3,
        ..tiny()
    };
    let a = params.fit_features(&feats, &close).unwrap();
    let b = params.fit_features(&feats, &close).unwrap();
    let c = Lstm { seed: 7, ..params }
        .fit_features(&feats, &close)
        .unwrap();
    let ya = a.predict_log_returns(&feats).unwrap();
    let yb = b.predict_log_returns(&feats).unwrap();
    let yc = c.predict_log_returns(&feats).unwrap();
    assert_eq!(ya, yb, "same seed must reproduce the forecast bit for bit");
    assert_eq!(a, b);
    assert_eq!(a.report().val_loss, b.report().val_loss);
    assert!(
        ya.iter().zip(&yc).any(|(x, y)| (x - y).abs() > 1e-6),
        "seed 0 {ya:?} and seed 7 {yc:?} should differ"
    );
}

#[test]
fn early_stopping_keeps_the_weights_of_the_best_epoch() {
    // Pure noise and a large learning rate: validation loss soon rises, so training stops early
    // and the best epoch is not the last one.
    let (feats, mut close) = lagged_signal(WARMUP + 300, 4);
    let mut rng = ChaCha8Rng::seed_from_u64(40);
    for s in 1..close.len() {
        close[s] = close[s - 1] * (0.01 * normal(&mut rng)).exp();
    }
    let params = Lstm {
        hidden: 16,
        learning_rate: 3e-2,
        max_epochs: 40,
        patience: 3,
        ..tiny()
    };
    let fitted = params.fit_features(&feats, &close).unwrap();
    let r = fitted.report();
    assert!(
        r.epochs_run < params.max_epochs,
        "never stopped: {:?}",
        r.val_loss
    );
    assert_eq!(
        r.epochs_run,
        r.best_epoch + params.patience,
        "stops `patience` epochs after the best"
    );
    let best = r.best_val_loss();
    assert_eq!(r.val_loss[r.best_epoch - 1], best);
    assert!(
        best < *r.val_loss.last().unwrap(),
        "the last epoch must be worse: {:?}",
        r.val_loss
    );
    // The returned weights reproduce the best validation loss, not the last one.
    let again = fitted.validation_mse(&feats, &close).unwrap();
    assert!(
        (again - best).abs() <= 1e-9 * best,
        "recomputed {again} vs best {best} ({:?})",
        r.val_loss
    );
}

#[test]
fn training_uses_only_rows_up_to_the_origin() {
    let full = random_walk(WARMUP + 420, 5);
    let t = WARMUP + 380;
    // A second series equal up to t and wildly different after it.
    let mut bars: Vec<Bar> = (0..full.len()).map(|i| full.bar(i)).collect();
    for b in bars.iter_mut().skip(t + 1) {
        b.close *= 3.0;
        b.high *= 3.0;
        b.open *= 3.0;
        b.low *= 3.0;
        b.volume *= 50.0;
    }
    let altered = Ohlcv::from_bars(&bars).unwrap();
    let params = Lstm {
        window: 250,
        max_epochs: 2,
        ..tiny()
    };

    let fitted = params.fit(&full.prefix(t + 1)).unwrap();
    let fitted_alt = params.fit(&altered.prefix(t + 1)).unwrap();
    assert_eq!(fitted, fitted_alt);

    // The scaler is the min/max of the training window a..=t, and the rows after t (which the
    // features of the full series do contain) would have changed it.
    let a = t + 1 - params.window;
    let feats = features::compute(&altered);
    let rows = &feats.rows;
    for (j, name) in features::FEATURE_NAMES.iter().enumerate() {
        let col = |r: std::ops::RangeInclusive<usize>| r.map(move |i| rows[i][j]);
        let min = col(a..=t).fold(f64::INFINITY, f64::min);
        let max = col(a..=t).fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(fitted.scaler().min[j], min, "min of {name}");
        assert_eq!(fitted.scaler().max[j], max, "max of {name}");
    }
    let later_max = (a..=t + 30)
        .map(|i| feats.rows[i][5])
        .fold(f64::NEG_INFINITY, f64::max);
    assert!(
        later_max > fitted.scaler().max[5],
        "the test's spike must matter to ret_5"
    );

    // The last training sample ends at t − 5, so its 5-day target is C[t]: every target is known.
    let r = fitted.report();
    assert_eq!(r.n_train + r.n_val, (t - 5) - (a + params.seq_len - 1) + 1);

    // Forecast at t: same with either future. (48 validation residuals calibrate 95% but not 99%.)
    let std = Horizon::standard();
    let lv = [Level::new(0.95).unwrap()];
    assert_eq!(
        fitted.predict(&full.prefix(t + 1), &std, &lv).unwrap(),
        fitted.predict(&altered.prefix(t + 1), &std, &lv).unwrap()
    );
    // Between refits the fitted model is applied to the newer rows it is given.
    let later = fitted.predict(&altered.prefix(t + 11), &std, &lv).unwrap();
    assert_ne!(
        later,
        fitted.predict(&full.prefix(t + 11), &std, &lv).unwrap()
    );
}

#[test]
fn fitted_model_round_trips_through_json_and_predicts_identically() {
    let history = random_walk(WARMUP + 300, 6);
    let fitted = Lstm {
        window: 250,
        max_epochs: 2,
        ..tiny()
    }
    .fit(&history)
    .unwrap();
    let json = serde_json::to_string(&fitted).unwrap();
    let back: FittedLstm = serde_json::from_str(&json).unwrap();
    assert_eq!(back, fitted);
    let std = Horizon::standard();
    let lv = [Level::new(0.95).unwrap()];
    assert_eq!(
        back.predict(&history, &std, &lv).unwrap(),
        fitted.predict(&history, &std, &lv).unwrap()
    );
}

#[test]
fn a_truncated_artifact_is_refused() {
    let history = random_walk(WARMUP + 300, 6);
    let fitted = Lstm {
        window: 250,
        max_epochs: 1,
        ..tiny()
    }
    .fit(&history)
    .unwrap();
    let mut json: serde_json::Value = serde_json::to_value(&fitted).unwrap();
    json["weights"]["w_hh"].as_array_mut().unwrap().pop();
    let broken: FittedLstm = serde_json::from_value(json).unwrap();
    let err = broken.predict(&history, &[h(1)], &[]).unwrap_err();
    assert!(matches!(err, Error::Artifact(_)), "{err}");
}

#[test]
fn intervals_are_conformal_on_the_log_scale_and_widen_with_level() {
    let history = random_walk(WARMUP + 300, 8);
    let fitted = Lstm {
        window: 250,
        max_epochs: 2,
        ..tiny()
    }
    .fit(&history)
    .unwrap();
    let last = history.last_close().unwrap();
    let f = fitted
        .predict(
            &history,
            &[h(5), h(1)],
            &[Level::new(0.8).unwrap(), Level::new(0.95).unwrap()],
        )
        .unwrap();
    assert_eq!(
        f.steps[0].horizon,
        h(5),
        "steps come in the order asked for"
    );
    for step in &f.steps {
        let (i80, i95) = (step.intervals[0], step.intervals[1]);
        assert!(i80.lower < step.point && step.point < i80.upper);
        assert!(i95.lower < i80.lower && i80.upper < i95.upper);
        // Symmetric around the point in log-return space.
        let up = (i95.upper / step.point).ln();
        let down = (step.point / i95.lower).ln();
        assert!((up - down).abs() < 1e-12, "{up} vs {down}");
        assert!(step.point > 0.5 * last && step.point < 2.0 * last);
    }
    // The 5-day band is wider than the 1-day band on a random walk.
    let w = |i: usize| f.steps[i].intervals[1].upper / f.steps[i].intervals[1].lower;
    assert!(w(0) > w(1));
    // A level the calibration set is too small for is refused, not silently narrowed.
    let n_val = fitted.report().n_val;
    let too_high = 1.0 - 0.5 / (n_val as f64 + 1.0);
    assert!(fitted
        .predict(&history, &[h(1)], &[Level::new(too_high).unwrap()])
        .is_err());
}

#[test]
fn untrained_horizon_is_rejected() {
    let history = random_walk(WARMUP + 300, 9);
    let fitted = Lstm {
        window: 250,
        max_epochs: 1,
        ..tiny()
    }
    .fit(&history)
    .unwrap();
    let err = fitted.predict(&history, &[h(3)], &[]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidParameter {
                name: "horizon",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn too_short_history_is_rejected() {
    let history = random_walk(WARMUP + 10, 10);
    let err = tiny().fit(&history).unwrap_err();
    assert!(matches!(err, Error::NotEnoughData { .. }), "{err}");
}

#[test]
fn invalid_parameters_are_rejected() {
    let history = random_walk(WARMUP + 200, 11);
    let cases: Vec<(&str, Lstm)> = vec![
        (
            "seq_len",
            Lstm {
                seq_len: 0,
                ..tiny()
            },
        ),
        (
            "window",
            Lstm {
                window: 8,
                ..tiny()
            },
        ),
        (
            "hidden",
            Lstm {
                hidden: 0,
                ..tiny()
            },
        ),
        (
            "horizons",
            Lstm {
                horizons: vec![],
                ..tiny()
            },
        ),
        (
            "horizons",
            Lstm {
                horizons: vec![h(1), h(1)],
                ..tiny()
            },
        ),
        (
            "val_fraction",
            Lstm {
                val_fraction: 0.0,
                ..tiny()
            },
        ),
        (
            "val_fraction",
            Lstm {
                val_fraction: 1.0,
                ..tiny()
            },
        ),
        (
            "learning_rate",
            Lstm {
                learning_rate: -1e-3,
                ..tiny()
            },
        ),
        (
            "learning_rate",
            Lstm {
                learning_rate: f64::NAN,
                ..tiny()
            },
        ),
        (
            "batch_size",
            Lstm {
                batch_size: 0,
                ..tiny()
            },
        ),
        (
            "max_epochs",
            Lstm {
                max_epochs: 0,
                ..tiny()
            },
        ),
        (
            "patience",
            Lstm {
                patience: 0,
                ..tiny()
            },
        ),
        (
            "clip_norm",
            Lstm {
                clip_norm: 0.0,
                ..tiny()
            },
        ),
    ];
    for (name, params) in cases {
        match params.fit(&history) {
            Err(Error::InvalidParameter { name: got, .. }) => assert_eq!(got, name),
            other => panic!("{name}: expected InvalidParameter, got {other:?}"),
        }
    }
    assert!(Lstm::default().check().is_ok());
}

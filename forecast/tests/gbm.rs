//! Gradient-boosted trees: agreement with XGBoost on an exactly binned problem, learning a known
//! signal, determinism, parameter checks, no look-ahead, serde, interval coverage.

mod kit;

use forecast::features::{self, N_FEATURES, WARMUP};
use forecast::gbm::booster::BoosterParams;
use forecast::gbm::{FittedGbm, Gbm};
use forecast::{Error, Fit, Horizon, Level, Predict};
use kit::h;
use kit::synth::{features_with_signal as synthetic, ohlcv, prefix};

fn small(seed: u64) -> Gbm {
    Gbm {
        regressor: BoosterParams {
            n_estimators: 60,
            learning_rate: 0.1,
            seed,
            ..Default::default()
        },
        calibration: 0.0,
        horizons: vec![h(1), h(2)],
        ..Default::default()
    }
}

// Reference: xgboost 3.2.0, `XGBRegressor(tree_method="hist", n_estimators=5, learning_rate=0.3,
// max_depth=2, subsample=1, colsample_bytree=1, min_child_weight=1, reg_lambda=1, max_bin=256,
// random_state=0, n_jobs=1)`, fitted on the 40 rows below (numpy default_rng(7):
// X = integers(0, 10, (40, 3)); y = round(0.3·x0 − 0.2·[x1 > 4] + N(0, 0.1), 4)), predictions on the
// training rows with `output_margin=True` and on three new rows. With ≤ 256 distinct values per
// feature the bins are exact, so the trees must coincide (up to XGBoost's float32 output).
#[test]
fn booster_matches_xgboost_on_exact_bins() {
    #[rustfmt::skip]
    let x: [[f64; 3]; 40] = [[9.0, 6.0, 6.0], [8.0, 5.0, 7.0], [8.0, 2.0, 0.0], [3.0, 2.0, 8.0], [9.0, 0.0, 4.0], [8.0, 1.0, 7.0], [1.0, 4.0, 8.0], [3.0, 3.0, 2.0], [7.0, 2.0, 9.0], [4.0, 4.0, 5.0], [5.0, 5.0, 5.0], [9.0, 8.0, 7.0], [7.0, 6.0, 3.0], [9.0, 4.0, 2.0], [8.0, 1.0, 8.0], [6.0, 1.0, 0.0], [4.0, 0.0, 1.0], [5.0, 9.0, 4.0], [8.0, 9.0, 8.0], [6.0, 4.0, 5.0], [2.0, 4.0, 3.0], [2.0, 9.0, 0.0], [0.0, 1.0, 9.0], [6.0, 8.0, 2.0], [7.0, 3.0, 4.0], [0.0, 6.0, 8.0], [6.0, 1.0, 5.0], [2.0, 9.0, 8.0], [1.0, 5.0, 9.0], [8.0, 7.0, 6.0], [0.0, 7.0, 4.0], [0.0, 2.0, 5.0], [7.0, 5.0, 6.0], [8.0, 6.0, 3.0], [6.0, 5.0, 1.0], [0.0, 6.0, 3.0], [5.0, 3.0, 2.0], [1.0, 3.0, 8.0], [4.0, 3.0, 5.0], [9.0, 3.0, 5.0]];
    #[rustfmt::skip]
    let y = [2.4324, 2.2203, 2.3537, 0.9127, 2.5813, 2.3421, 0.2804, 0.9899, 2.2145, 1.0676, 1.2205, 2.5647, 1.7008, 2.6537, 2.3903, 1.9257, 1.2689, 1.2673, 2.1631, 1.775, 0.7524, 0.3572, -0.0304, 1.6353, 2.0879, -0.2197, 1.6886, 0.3988, 0.0556, 2.3166, -0.1347, -0.0024, 1.9668, 2.166, 1.7052, -0.2005, 1.5583, 0.1709, 1.2347, 2.5312];
    #[rustfmt::skip]
    let expected = [2.217237, 2.145138, 2.145138, 1.083981, 2.217237, 2.145138, 0.360787, 1.083981, 1.910560, 1.247216, 1.375905, 2.217237, 1.910560, 2.217237, 2.145138, 1.647160, 1.247216, 1.375905, 2.145138, 1.647160, 0.678543, 0.678543, 0.287844, 1.647160, 1.910560, 0.287844, 1.647160, 0.678543, 0.360787, 2.145138, 0.287844, 0.287844, 1.910560, 2.145138, 1.647160, 0.287844, 1.375905, 0.360787, 1.247216, 2.217237];
    let params = BoosterParams {
        n_estimators: 5,
        learning_rate: 0.3,
        max_depth: 2,
        subsample: 1.0,
        colsample_bytree: 1.0,
        min_child_weight: 1.0,
        lambda: 1.0,
        ..Default::default()
    };
    let flat: Vec<f64> = x.iter().flatten().copied().collect();
    let b = params.fit(&flat, 3, &y, None).unwrap();
    for (row, want) in x.iter().zip(expected) {
        let got = b.predict_row(row).unwrap();
        assert!(
            (got - want).abs() < 2e-6,
            "row {row:?}: {got} vs xgboost {want}"
        );
    }
    for (row, want) in [[0.3, 2.0, 3.0], [8.0, 7.0, 1.0], [4.0, 4.2, 9.0]]
        .iter()
        .zip([0.287844, 2.145138, 1.247216])
    {
        assert!((b.predict_row(row).unwrap() - want).abs() < 2e-6);
    }
}

#[test]
fn early_stopping_keeps_the_best_validation_round() {
    let (f, c) = synthetic(400, 0.0, 0.01, 3);
    let x: Vec<f64> = f.rows.iter().flatten().copied().collect();
    let y: Vec<f64> = c.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    let (tx, vx) = x[..399 * N_FEATURES].split_at(300 * N_FEATURES);
    let (ty, vy) = y.split_at(300);
    let params = BoosterParams {
        early_stopping_rounds: Some(10),
        ..Default::default()
    };
    let b = params.fit(tx, N_FEATURES, ty, Some((vx, vy))).unwrap();
    // Pure noise: the validation error stops improving long before 300 rounds.
    assert!(b.trees.len() < 300, "{} trees", b.trees.len());
    let best = b.valid_rmse.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(b.valid_rmse[b.trees.len() - 1], best);
    assert_eq!(b.valid_rmse.len(), b.trees.len() + 10);
}

#[test]
fn learns_a_known_function_of_a_feature() {
    let (f, c) = synthetic(700, 0.01, 0.002, 1);
    let t0 = 499;
    let fitted = small(0)
        .fit_features(&prefix(&f, t0 + 1), &c[..=t0])
        .unwrap();
    let train_mean = {
        let s = fitted.models[0].span;
        (s.first..=s.last)
            .map(|i| (c[i + 1] / c[i]).ln())
            .sum::<f64>()
            / s.rows as f64
    };
    let (mut err_model, mut err_mean) = (0.0, 0.0);
    for t in t0 + 1..690 {
        let fc = fitted
            .predict_features(&prefix(&f, t + 1), &c[..=t], &[h(1)], &[])
            .unwrap();
        let actual = (c[t + 1] / c[t]).ln();
        err_model += ((fc.steps[0].point / c[t]).ln() - actual).abs();
        err_mean += (train_mean - actual).abs();
    }
    assert!(
        err_model < 0.5 * err_mean,
        "model {err_model} vs mean {err_mean}"
    );
}

#[test]
fn same_seed_same_model_other_seed_other_model() {
    let (f, c) = synthetic(300, 0.01, 0.005, 2);
    let a = small(7).fit_features(&f, &c).unwrap();
    let b = small(7).fit_features(&f, &c).unwrap();
    let other = small(8).fit_features(&f, &c).unwrap();
    assert_eq!(a, b);
    let pa = a.predict_features(&f, &c, &[h(1)], &[]).unwrap();
    let po = other.predict_features(&f, &c, &[h(1)], &[]).unwrap();
    assert_ne!(pa.steps[0].point, po.steps[0].point);
}

#[test]
fn invalid_parameters_are_rejected() {
    let (f, c) = synthetic(200, 0.0, 0.01, 4);
    let bad_booster = [
        BoosterParams {
            n_estimators: 0,
            ..Default::default()
        },
        BoosterParams {
            learning_rate: 0.0,
            ..Default::default()
        },
        BoosterParams {
            max_depth: 0,
            ..Default::default()
        },
        BoosterParams {
            subsample: 1.5,
            ..Default::default()
        },
        BoosterParams {
            colsample_bytree: 0.0,
            ..Default::default()
        },
        BoosterParams {
            min_child_weight: -1.0,
            ..Default::default()
        },
        BoosterParams {
            lambda: f64::NAN,
            ..Default::default()
        },
        BoosterParams {
            max_bin: 1,
            ..Default::default()
        },
        BoosterParams {
            early_stopping_rounds: Some(0),
            ..Default::default()
        },
    ];
    for booster in bad_booster {
        let g = Gbm {
            regressor: booster.clone(),
            ..Default::default()
        };
        assert!(
            matches!(g.fit_features(&f, &c), Err(Error::InvalidParameter { .. })),
            "{booster:?} accepted"
        );
    }
    for g in [
        Gbm {
            window: 5,
            ..Default::default()
        },
        Gbm {
            calibration: 0.8,
            ..Default::default()
        },
        Gbm {
            horizons: vec![],
            ..Default::default()
        },
    ] {
        assert!(matches!(
            g.fit_features(&f, &c),
            Err(Error::InvalidParameter { .. })
        ));
    }
}

#[test]
fn unfitted_horizon_and_short_history_are_errors() {
    let (f, c) = synthetic(300, 0.0, 0.01, 5);
    let fitted = small(0).fit_features(&f, &c).unwrap();
    assert!(fitted.predict_features(&f, &c, &[h(5)], &[]).is_err());
    assert!(matches!(
        small(0).fit_features(&prefix(&f, WARMUP + 10), &c[..WARMUP + 10]),
        Err(Error::NotEnoughData { .. })
    ));
}

#[test]
fn no_look_ahead_in_training_rows_or_forecasts() {
    let (_, c) = synthetic(400, 0.0, 0.01, 6);
    let series = ohlcv(&c, 1);
    let t = 300;
    // The same history up to t, then garbage.
    let mut garbage = c[..=t].to_vec();
    garbage.extend((t + 1..400).map(|i| 1000.0 + (i % 7) as f64 * 50.0));
    let poisoned = ohlcv(&garbage, 1);
    assert_eq!(series.prefix(t + 1), poisoned.prefix(t + 1));

    let params = Gbm {
        window: 150,
        calibration: 0.2,
        ..small(0)
    };
    let fitted = params.fit(&series.prefix(t + 1)).unwrap();
    assert_eq!(fitted, params.fit(&poisoned.prefix(t + 1)).unwrap());
    for m in &fitted.models {
        // The newest training target is C[t] itself, never later; the window starts at t + 1 − 150.
        assert_eq!(m.span.last + m.horizon.get(), t);
        assert_eq!(m.span.first, t + 1 - 150);
    }
    // Between refits the model reads only the newest row of the history it is given.
    let later = t + 20;
    let levels = [Level::new(0.95).unwrap()];
    let a = fitted
        .predict(&series.prefix(later + 1), &[h(1), h(2)], &levels)
        .unwrap();
    let mut garbage_later = c[..=later].to_vec();
    garbage_later.extend((later + 1..400).map(|i| 5.0 + i as f64));
    let b = fitted
        .predict(
            &ohlcv(&garbage_later, 1).prefix(later + 1),
            &[h(1), h(2)],
            &levels,
        )
        .unwrap();
    assert_eq!(a, b);
    // Features computed once over the whole series give the same forecast as on the prefix.
    let all = features::compute(&series);
    let via_features = fitted
        .predict_features(
            &prefix(&all, later + 1),
            &c[..=later],
            &[h(1), h(2)],
            &levels,
        )
        .unwrap();
    assert_eq!(a, via_features);
    // The warm-up row itself is never used for training.
    assert!(fitted.models.iter().all(|m| m.span.first >= WARMUP));
}

#[test]
fn serde_round_trip_gives_identical_forecasts() {
    let (f, c) = synthetic(300, 0.01, 0.005, 8);
    let fitted = Gbm {
        calibration: 0.2,
        ..small(3)
    }
    .fit_features(&f, &c)
    .unwrap();
    let json = serde_json::to_string(&fitted).unwrap();
    let back: FittedGbm = serde_json::from_str(&json).unwrap();
    let levels = Level::standard();
    assert_eq!(
        fitted
            .predict_features(&f, &c, &[h(1), h(2)], &levels)
            .unwrap(),
        back.predict_features(&f, &c, &[h(1), h(2)], &levels)
            .unwrap()
    );
}

#[test]
fn conformal_intervals_cover_pure_noise_at_about_the_nominal_rate() {
    // Returns are N(0, 0.01²) and the features carry no information.
    let (f, c) = synthetic(1100, 0.0, 0.01, 9);
    let t0 = 699;
    let params = Gbm {
        calibration: 0.25,
        horizons: vec![h(1)],
        ..small(1)
    };
    let fitted = params.fit_features(&prefix(&f, t0 + 1), &c[..=t0]).unwrap();
    let levels = Level::standard();
    let (mut in95, mut in99, mut n) = (0, 0, 0);
    let mut half_width = 0.0;
    for t in t0 + 1..c.len() - 1 {
        let fc = fitted
            .predict_features(&prefix(&f, t + 1), &c[..=t], &[h(1)], &levels)
            .unwrap();
        let s = &fc.steps[0];
        let (i95, i99) = (s.interval(0.95).unwrap(), s.interval(0.99).unwrap());
        assert!(i99.lower <= i95.lower && i95.upper <= i99.upper);
        in95 += usize::from(i95.lower <= c[t + 1] && c[t + 1] <= i95.upper);
        in99 += usize::from(i99.lower <= c[t + 1] && c[t + 1] <= i99.upper);
        half_width += 0.5 * (i95.upper / i95.lower).ln();
        n += 1;
    }
    let (cov95, cov99) = (in95 as f64 / n as f64, in99 as f64 / n as f64);
    assert!((0.90..=0.99).contains(&cov95), "cov95 {cov95}");
    assert!(cov99 >= 0.96, "cov99 {cov99}");
    // About 1.96 σ for a model that predicts close to zero.
    let hw = half_width / n as f64;
    assert!((0.015..0.026).contains(&hw), "half width {hw}");
}

#[test]
fn registry_id_gbm_fits_and_round_trips_as_an_artifact() {
    use forecast::registry::{Artifact, ModelId, ModelSpec};
    let (_, c) = synthetic(260, 0.0, 0.01, 10);
    let series = ohlcv(&c, 2);
    let spec = ModelSpec::default_for(ModelId::Gbm, 0).unwrap();
    assert_eq!(spec.id(), ModelId::Gbm);
    let artifact = Artifact::new(ModelId::Gbm, spec.fit(&series).unwrap());
    let back = Artifact::from_bytes(&artifact.to_bytes().unwrap()).unwrap();
    let levels = Level::standard();
    let f = back
        .fitted
        .predict(&series, &Horizon::standard(), &levels)
        .unwrap();
    assert_eq!(
        f,
        artifact
            .fitted
            .predict(&series, &Horizon::standard(), &levels)
            .unwrap()
    );
    assert!(f
        .steps
        .iter()
        .all(|s| s.intervals.len() == 2 && s.point > 0.0));
}

//! Random forest: learning a known signal, determinism, parameter checks, no look-ahead, serde,
//! interval coverage.

mod kit;

use forecast::features::WARMUP;
use forecast::forest::{FittedRandomForest, ForestParams, RandomForest};
use forecast::{Error, Fit, Horizon, Level, Predict};
use kit::h;
use kit::synth::{features_with_signal as synthetic, ohlcv, prefix};

fn small(seed: u64) -> RandomForest {
    RandomForest {
        regressor: ForestParams {
            n_trees: 20,
            seed,
            ..Default::default()
        },
        calibration: 0.0,
        horizons: vec![h(1), h(2)],
        ..Default::default()
    }
}

#[test]
fn defaults_map_the_scikit_learn_settings() {
    let rf = RandomForest::default().regressor;
    assert_eq!((rf.n_trees, rf.min_samples_leaf, rf.seed), (100, 5, 0));
    // scikit-learn: max(1, int(0.33 · 19)) = 6 features per split.
    assert_eq!(rf.features_per_split(), 6);
}

#[test]
fn learns_a_known_function_of_a_feature() {
    let (f, c) = synthetic(700, 0.01, 0.002, 1);
    let t0 = 499;
    let fitted = small(0)
        .fit_features(&prefix(&f, t0 + 1), &c[..=t0])
        .unwrap();
    let s = fitted.models[0].span;
    let train_mean = (s.first..=s.last)
        .map(|i| (c[i + 1] / c[i]).ln())
        .sum::<f64>()
        / s.rows as f64;
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
        err_model < 0.6 * err_mean,
        "model {err_model} vs mean {err_mean}"
    );
}

#[test]
fn same_seed_same_model_other_seed_other_model() {
    let (f, c) = synthetic(300, 0.01, 0.005, 2);
    let a = small(7).fit_features(&f, &c).unwrap();
    let b = small(7).fit_features(&f, &c).unwrap();
    let other = small(8).fit_features(&f, &c).unwrap();
    let pa = a.predict_features(&f, &c, &[h(1), h(2)], &[]).unwrap();
    assert_eq!(pa, b.predict_features(&f, &c, &[h(1), h(2)], &[]).unwrap());
    let po = other.predict_features(&f, &c, &[h(1), h(2)], &[]).unwrap();
    assert_ne!(pa.steps[0].point, po.steps[0].point);
}

#[test]
fn invalid_parameters_are_rejected() {
    let (f, c) = synthetic(200, 0.0, 0.01, 4);
    for rf in [
        RandomForest {
            regressor: ForestParams {
                n_trees: 0,
                ..Default::default()
            },
            ..Default::default()
        },
        RandomForest {
            regressor: ForestParams {
                min_samples_leaf: 0,
                ..Default::default()
            },
            ..Default::default()
        },
        RandomForest {
            regressor: ForestParams {
                max_features: 0.0,
                ..Default::default()
            },
            ..Default::default()
        },
        RandomForest {
            regressor: ForestParams {
                max_features: 1.2,
                ..Default::default()
            },
            ..Default::default()
        },
        RandomForest {
            regressor: ForestParams {
                max_depth: Some(0),
                ..Default::default()
            },
            ..Default::default()
        },
        RandomForest {
            window: 3,
            ..Default::default()
        },
        RandomForest {
            calibration: -0.1,
            ..Default::default()
        },
        RandomForest {
            horizons: vec![],
            ..Default::default()
        },
    ] {
        assert!(
            matches!(rf.fit_features(&f, &c), Err(Error::InvalidParameter { .. })),
            "{rf:?} accepted"
        );
    }
    assert!(matches!(
        small(0).fit_features(&prefix(&f, WARMUP + 5), &c[..WARMUP + 5]),
        Err(Error::NotEnoughData { .. })
    ));
}

#[test]
fn no_look_ahead_in_training_rows_or_forecasts() {
    let (_, c) = synthetic(400, 0.0, 0.01, 6);
    let series = ohlcv(&c, 1);
    let t = 300;
    let mut garbage = c[..=t].to_vec();
    garbage.extend((t + 1..400).map(|i| 1000.0 + (i % 7) as f64 * 50.0));
    let poisoned = ohlcv(&garbage, 1);

    let params = RandomForest {
        window: 200,
        calibration: 0.2,
        ..small(0)
    };
    let fitted = params.fit(&series.prefix(t + 1)).unwrap();
    assert_eq!(fitted, params.fit(&poisoned.prefix(t + 1)).unwrap());
    for m in &fitted.models {
        assert_eq!(m.span.last + m.horizon.get(), t);
        assert_eq!(m.span.first, t + 1 - 200);
    }
    let later = t + 15;
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
}

#[test]
fn serde_round_trip_gives_identical_forecasts() {
    let (f, c) = synthetic(250, 0.01, 0.005, 8);
    let mut params = RandomForest {
        calibration: 0.2,
        ..small(3)
    };
    params.regressor.n_trees = 5;
    let fitted = params.fit_features(&f, &c).unwrap();
    let json = serde_json::to_string(&fitted).unwrap();
    let back: FittedRandomForest = serde_json::from_str(&json).unwrap();
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
    let (f, c) = synthetic(1100, 0.0, 0.01, 9);
    let t0 = 699;
    let params = RandomForest {
        calibration: 0.25,
        horizons: vec![h(1)],
        ..small(1)
    };
    let fitted = params.fit_features(&prefix(&f, t0 + 1), &c[..=t0]).unwrap();
    let levels = Level::standard();
    let (mut in95, mut in99, mut n) = (0, 0, 0);
    for t in t0 + 1..c.len() - 1 {
        let fc = fitted
            .predict_features(&prefix(&f, t + 1), &c[..=t], &[h(1)], &levels)
            .unwrap();
        let s = &fc.steps[0];
        let (i95, i99) = (s.interval(0.95).unwrap(), s.interval(0.99).unwrap());
        in95 += usize::from(i95.lower <= c[t + 1] && c[t + 1] <= i95.upper);
        in99 += usize::from(i99.lower <= c[t + 1] && c[t + 1] <= i99.upper);
        n += 1;
    }
    let (cov95, cov99) = (in95 as f64 / n as f64, in99 as f64 / n as f64);
    assert!((0.90..=0.99).contains(&cov95), "cov95 {cov95}");
    assert!(cov99 >= 0.96, "cov99 {cov99}");
}

#[test]
fn registry_id_rf_fits_and_round_trips_as_an_artifact() {
    use forecast::registry::{Artifact, ModelId, ModelSpec};
    let (_, c) = synthetic(260, 0.0, 0.01, 10);
    let series = ohlcv(&c, 2);
    let spec = ModelSpec::default_for(ModelId::Rf, 0).unwrap();
    assert_eq!(spec.id(), ModelId::Rf);
    let artifact = Artifact::new(ModelId::Rf, spec.fit(&series).unwrap());
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

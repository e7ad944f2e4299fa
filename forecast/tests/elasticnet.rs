//! The elastic net: agreement with scikit-learn on the same design matrix, learning a linear signal,
//! choosing the penalty on the calibration tail, and the registry round trip.

mod kit;

use forecast::direct::Table;
use forecast::elasticnet::{ElasticNet, ElasticNetParams, FittedElasticNet};
use forecast::features::N_FEATURES;
use forecast::registry::{Artifact, ModelId, ModelSpec};
use forecast::{Fit, Horizon, Level, Predict};
use kit::synth::{features_with_signal, ohlcv, prefix};
use kit::{assert_all_close, h};

/// Rows 1500..2000 of the reference feature table of GOOG with their one-day log returns.
fn goog_table() -> Table {
    let text = include_str!("data/features_goog_2004_2013.csv");
    let closes = kit::data::goog().close().to_vec();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .skip(1)
                .map(|v| v.parse().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let mut t = Table::default();
    for s in 1500..2000 {
        assert_eq!(rows[s].len(), N_FEATURES);
        t.x.extend_from_slice(&rows[s]);
        t.y.push((closes[s + 1] / closes[s]).ln());
        t.rows.push(s);
    }
    t
}

// Reference: scikit-learn 1.9.1 (numpy 2.4.6), `ElasticNet(alpha, l1_ratio=0.5, fit_intercept=True,
// tol=1e-12, max_iter=1000000)` on the same 500 rows of `features_goog_2004_2013.csv`, each column
// standardised by its mean and population sd, target `ln(C[s+1]/C[s])` of `goog_2004_2013.csv`;
// alpha = share · α_max with α_max = max_j |x̃_jᵀ(y − ȳ)| / (n · 0.5) = 0.0027533344650018725.
#[test]
fn elastic_net_matches_scikit_learn_on_the_goog_design_matrix() {
    let t = goog_table();
    let params = ElasticNetParams {
        tolerance: 1e-12,
        max_iterations: 1_000_000,
        ..ElasticNetParams::default()
    };
    kit::assert_close(params.alpha_max_of(&t), 0.0027533344650018725, 1e-9);
    #[rustfmt::skip]
    let cases: [(f64, [f64; N_FEATURES]); 2] = [
        (0.00027533344650018725, [-0.0007465020901874, 0.0, -0.0007864605569437, 0.0005524661837458, -0.0007252533658407, 0.0, 0.0003989241602959, 0.0, 0.0, 0.0, 0.0, -0.001125604040141, 0.0, 0.001940657090717, 0.00330729553063, 0.000827848190323, -0.001800814557168, -0.002434478656277, -6.840686589249e-05]),
        (2.7533344650018725e-05, [-0.0005018546107076, 0.0003948003648972, -0.0006133050935821, 0.00092738847499, -0.0006242811356219, 0.0, 0.003560486362931, 0.002854465138211, 0.0, -0.005394740385597, 0.0, -0.001486631461756, 0.0, 0.002436516312097, 0.004142477635579, 0.001359897445899, -0.003166542152424, -0.003149363794009, -0.0001510115095709]),
    ];
    for (alpha, want) in cases {
        let m = params.fit_with_alpha(&t, alpha).unwrap();
        assert_all_close(&m.weights, &want, 1e-5, 1e-9);
        kit::assert_close(m.intercept, 0.00045278624863113965, 1e-9);
    }
}

#[test]
fn learns_a_linear_signal_and_keeps_the_penalty_the_tail_chose() {
    let (f, c) = features_with_signal(800, 0.01, 0.004, 3);
    let t0 = 599;
    let model = ElasticNet {
        horizons: vec![h(1)],
        ..ElasticNet::default()
    };
    let fitted: FittedElasticNet = model.fit_features(&prefix(&f, t0 + 1), &c[..=t0]).unwrap();
    let lin = &fitted.models[0].model;
    // Feature 0 drives the next return: by far the largest weight.
    let (j, _) = lin
        .weights
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .unwrap();
    assert_eq!(j, 0, "{:?}", lin.weights);
    let (mut err, mut err_mean) = (0.0, 0.0);
    for t in t0 + 1..790 {
        let fc = fitted
            .predict_features(&prefix(&f, t + 1), &c[..=t], &[h(1)], &[])
            .unwrap();
        let actual = (c[t + 1] / c[t]).ln();
        err += ((fc.steps[0].point / c[t]).ln() - actual).abs();
        err_mean += actual.abs();
    }
    assert!(err < 0.6 * err_mean, "model {err} vs zero {err_mean}");
}

#[test]
fn registry_id_elasticnet_fits_passes_the_lookahead_harness_and_round_trips() {
    let (_, c) = features_with_signal(400, 0.0, 0.01, 10);
    let series = ohlcv(&c, 2);
    let spec = ModelSpec::default_for(ModelId::Elasticnet, 0).unwrap();
    assert_eq!(spec.id(), ModelId::Elasticnet);
    forecast::eval::assert_no_lookahead(&spec, &series, 380);
    let artifact = Artifact::new(ModelId::Elasticnet, spec.fit(&series).unwrap());
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
    assert!(f.steps.iter().all(|s| s.intervals.len() == 2));
}

//! The walk-forward evaluator reproduces the reference results for the baselines, and the
//! look-ahead harness catches a model that peeks.
//!
//! Reference: `tests/data/reference_results.json` (see `tests/data/README.md`). Naive and drift are
//! exact formulas, so the whole pipeline (origins, windows, refits, metrics) must agree to ~1e-9.

mod kit;

use forecast::baseline::{Drift, Intervals, Naive};
use forecast::eval::{
    assert_no_lookahead, assert_no_lookahead_with, assert_training_before_targets, walk_forward,
    Protocol,
};
use forecast::registry::{ModelId, ModelSpec};
use forecast::{Fit, Forecast, Horizon, Level, Ohlcv, Predict, Result, StepForecast};
use kit::data::{goog, reference_results, sp500};

fn check_against_reference(name: &str, series: &Ohlcv) {
    let reference = reference_results();
    let r = &reference["series"][name];
    for id in [ModelId::Naive, ModelId::Drift] {
        // The reference evaluation's baselines: fixed-volatility Gaussian intervals.
        let spec = match id {
            ModelId::Naive => ModelSpec::Naive(Naive::gaussian()),
            _ => ModelSpec::Drift(Drift {
                intervals: Intervals::Gaussian,
                ..Drift::default()
            }),
        };
        let protocol = Protocol::default().for_model(id);
        let bt = walk_forward(&spec, series, &protocol, &|_, _| {}).unwrap();
        assert_eq!(bt.dates[0].to_string(), r["first_origin"].as_str().unwrap());
        assert_eq!(
            bt.dates.last().unwrap().to_string(),
            r["last_origin"].as_str().unwrap()
        );
        assert!((bt.mase_scale - r["mase_scale"].as_f64().unwrap()).abs() < 1e-12);
        assert_training_before_targets(&bt);
        for (h, m) in bt.metrics().unwrap() {
            let want = &r["models"][id.as_str()][h.get().to_string()];
            let got = serde_json::to_value(m).unwrap();
            for (key, ref_key) in [
                ("MAE", "MAE"),
                ("RMSE", "RMSE"),
                ("MAPE_pct", "MAPE_pct"),
                ("MASE", "MASE"),
                ("MAE_rel_naive", "MAE_rel_naive"),
                ("DM_p", "DM_p"),
                ("DA_pct", "DA_pct"),
                ("DA_p", "DA_p_vs_50"),
                ("cov95_pct", "cov95_pct"),
                ("pi_width_pct", "pi_width_pct"),
            ] {
                let (g, w) = (got[key].as_f64(), want[ref_key].as_f64());
                match (g, w) {
                    (Some(g), Some(w)) => assert!(
                        (g - w).abs() <= 1e-9 * w.abs().max(1e-3),
                        "{name} {id} h{} {key}: {g} vs {w}",
                        h.get()
                    ),
                    (None, None) => {}
                    // The reference leaves out what is undefined; only naive's interval is scored.
                    (g, None) if id == ModelId::Drift && key.starts_with(['c', 'p']) => {
                        assert!(g.is_some(), "drift has an interval")
                    }
                    other => panic!("{name} {id} h{} {key}: {other:?}", h.get()),
                }
            }
        }
    }
}

#[test]
fn baselines_reproduce_the_reference_results_on_goog_expanding_window() {
    check_against_reference("goog_2004_2013", &goog());
}

#[test]
fn baselines_reproduce_the_reference_results_on_sp500_rolling_window() {
    check_against_reference("sp500_1999_2018", &sp500());
}

#[test]
fn baselines_pass_the_lookahead_harness_on_real_data() {
    let s = goog();
    for t in [100, 1500, s.len() - 6] {
        assert_no_lookahead(&Naive::default(), &s, t);
        assert_no_lookahead(&Drift::default(), &s, t);
        assert_no_lookahead(&ModelSpec::default_for(ModelId::Naive, 0).unwrap(), &s, t);
    }
}

/// A deliberately leaky model: its parameters are prepared from the whole series (like a scaler or
/// feature cache computed once up front), and it forecasts the true future close from them.
#[derive(Debug)]
struct Peeking {
    future: Vec<f64>,
}

impl Fit for Peeking {
    type Fitted = PeekingFitted;
    fn fit(&self, _history: &Ohlcv) -> Result<PeekingFitted> {
        Ok(PeekingFitted {
            future: self.future.clone(),
        })
    }
}

#[derive(Debug)]
struct PeekingFitted {
    future: Vec<f64>,
}

impl Predict for PeekingFitted {
    fn predict(&self, history: &Ohlcv, horizons: &[Horizon], _: &[Level]) -> Result<Forecast> {
        let t = history.len() - 1;
        Ok(Forecast {
            steps: horizons
                .iter()
                .map(|&h| StepForecast {
                    horizon: h,
                    point: self.future[t + h.get()],
                    intervals: vec![],
                })
                .collect(),
        })
    }
}

#[test]
#[should_panic(expected = "look-ahead")]
fn the_harness_catches_a_model_prepared_on_the_whole_series() {
    let s = goog();
    assert_no_lookahead_with(
        |s: &Ohlcv| Peeking {
            future: s.close().to_vec(),
        },
        &s,
        1000,
    );
}

#[test]
fn the_peeking_model_would_look_far_better_than_naive() {
    // Why the harness matters: the leak shows up as impossible skill in the metrics.
    let s = goog();
    let p = kit::protocol(40, Protocol::default().refit_every);
    let bt = walk_forward(
        &Peeking {
            future: s.close().to_vec(),
        },
        &s,
        &p,
        &|_, _| {},
    )
    .unwrap();
    let m = bt.metrics().unwrap();
    assert_eq!(m[0].1.mae, 0.0);
    assert_eq!(m[0].1.da_pct, Some(100.0));
}

/// A small but complete version of each registry model: same code paths, fewer trees, epochs and
/// units, so the look-ahead check of every model fits in a unit-test budget.
fn small_spec(id: ModelId) -> ModelSpec {
    let spec = ModelSpec::default_for(id, 7).unwrap();
    match spec {
        ModelSpec::Forest(mut m) => {
            m.regressor.n_trees = 8;
            ModelSpec::Forest(m)
        }
        ModelSpec::Gbm(mut m) => {
            m.regressor.n_estimators = 20;
            ModelSpec::Gbm(m)
        }
        ModelSpec::Lstm(mut m) => {
            m.hidden = 4;
            m.seq_len = 10;
            m.max_epochs = 2;
            ModelSpec::Lstm(m)
        }
        ModelSpec::Ensemble(mut m) => {
            m.members = [ModelId::Drift, ModelId::Arima111]
                .into_iter()
                .map(small_spec)
                .collect();
            ModelSpec::Ensemble(m)
        }
        other => other,
    }
}

#[test]
fn every_registry_model_passes_the_lookahead_harness() {
    let s = goog().prefix(700);
    let ids = ModelSpec::available();
    assert_eq!(
        ids.len(),
        ModelId::all().len(),
        "every model id should be available"
    );
    for id in ids {
        assert_no_lookahead(&small_spec(id), &s, 690);
    }
}

#[test]
fn a_short_history_is_still_evaluated_leaving_out_the_intervals_it_cannot_give() {
    // 400 rows: enough for 20 origins, too few residuals for some models' 99% interval at first.
    let series = goog().prefix(400);
    let protocol = Protocol {
        origins: 20,
        refit_every: 20,
        ..Protocol::default()
    };
    for &id in ModelId::all() {
        if id == ModelId::Ensemble {
            continue; // Combined from its members' records, not refitted.
        }
        let spec = ModelSpec::default_for(id, 0).unwrap();
        let bt = walk_forward(&spec, &series, &protocol.for_model(id), &|_, _| {})
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(bt.origins.len(), 20, "{id}");
        for hb in &bt.horizons {
            // A bound is either there at every origin or left out, never partly made up.
            assert_eq!(hb.lo99.is_some(), hb.hi99.is_some(), "{id}");
            assert!(
                hb.lo95.is_some(),
                "{id}: a 95% interval needs fewer residuals"
            );
        }
    }
}

//! The ensemble never does much worse than the random walk it is measured against, and captures a
//! member's real skill: walk-forward runs over 250 origins on synthetic series, and the look-ahead
//! checks of both ways to run it (from history, from the members' records).

mod kit;

use forecast::arima::{Arima, ArimaOrder};
use forecast::baseline::{Drift, FittedDrift};
use forecast::ensemble::{Ensemble, FittedEnsemble, Regime};
use forecast::eval::{assert_no_lookahead, walk_forward, with_garbage_after, Backtest, Protocol};
use forecast::registry::{FittedModel, ModelSpec};
use forecast::{Fit, Forecast, Horizon, Level, Ohlcv, Predict, Result, StepForecast};
use kit::synth::{ar1_closes, ohlcv};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// A deliberately bad forecaster: it extrapolates the mean log return of the last `lookback` days
/// `h` days ahead, amplified by `gain`, plus noise of `noise` daily volatilities (seeded by the
/// origin, so it is reproducible and reads nothing past the origin).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TrendFollower {
    lookback: usize,
    gain: f64,
    noise: f64,
    seed: u64,
}

impl Predict for TrendFollower {
    fn predict(&self, history: &Ohlcv, horizons: &[Horizon], _: &[Level]) -> Result<Forecast> {
        let c = history.close();
        let t = c.len() - 1;
        let k = self.lookback.min(t).max(1);
        let trend = (c[t] / c[t - k]).ln() / k as f64;
        let r: Vec<f64> = c[t.saturating_sub(20)..=t]
            .windows(2)
            .map(|w| (w[1] / w[0]).ln())
            .collect();
        let vol = (r.iter().map(|x| x * x).sum::<f64>() / r.len().max(1) as f64).sqrt();
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ (t as u64).wrapping_mul(0x9E37));
        Ok(Forecast {
            steps: horizons
                .iter()
                .map(|&h| {
                    let hf = h.get() as f64;
                    let eps: f64 = rng.gen_range(-1.0..1.0) * 3f64.sqrt();
                    let log_ret = self.gain * trend * hf + self.noise * vol * hf.sqrt() * eps;
                    StepForecast {
                        horizon: h,
                        point: c[t] * log_ret.exp(),
                        intervals: vec![],
                    }
                })
                .collect(),
        })
    }
}

/// The members of these tests: the registry's models and the bad forecaster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Member {
    Spec(ModelSpec),
    Trend(TrendFollower),
}

#[derive(Debug, PartialEq)]
enum FittedMember {
    Model(Box<FittedModel>),
    Trend(TrendFollower),
}

impl Fit for Member {
    type Fitted = FittedMember;
    fn fit(&self, history: &Ohlcv) -> Result<FittedMember> {
        Ok(match self {
            Member::Spec(s) => FittedMember::Model(Box::new(s.fit(history)?)),
            Member::Trend(t) => FittedMember::Trend(t.clone()),
        })
    }
}

impl Predict for FittedMember {
    fn predict(&self, h: &Ohlcv, hs: &[Horizon], ls: &[Level]) -> Result<Forecast> {
        match self {
            FittedMember::Model(m) => m.predict(h, hs, ls),
            FittedMember::Trend(t) => t.predict(h, hs, ls),
        }
    }
}

fn trend(gain: f64, noise: f64, seed: u64) -> Member {
    Member::Trend(TrendFollower {
        lookback: 5,
        gain,
        noise,
        seed,
    })
}

fn drift() -> Member {
    Member::Spec(ModelSpec::Drift(Drift::default()))
}

/// MAE relative to the random walk per protocol horizon.
fn mae_rel(bt: &Backtest) -> Vec<f64> {
    bt.metrics()
        .unwrap()
        .iter()
        .map(|(_, m)| m.mae_rel_naive.unwrap())
        .collect()
}

/// Closes of a driftless random walk with 1% daily volatility.
fn random_walk_closes(n: usize, seed: u64) -> Vec<f64> {
    ar1_closes(n, 0.0, 0.01, seed)
}

#[test]
fn an_ensemble_of_bad_members_stays_within_half_a_percent_of_the_random_walk() {
    let series = ohlcv(&random_walk_closes(700, 11), 1);
    let protocol = Protocol::default();
    // Every member is deliberately bad: trend-followers and a contrarian, each with noise.
    let members = vec![trend(1.0, 0.5, 1), trend(2.0, 1.0, 2), trend(-1.0, 0.8, 3)];
    for m in &members {
        let bt = walk_forward(m, &series, &protocol, &|_, _| {}).unwrap();
        assert!(mae_rel(&bt).iter().all(|&r| r > 1.02), "{:?}", mae_rel(&bt));
    }
    let ensemble = Ensemble::new(members, 250, Horizon::standard().to_vec()).unwrap();
    let bt = walk_forward(&ensemble, &series, &protocol, &|_, _| {}).unwrap();
    assert_eq!(bt.origins.len(), 250);
    for (h, r) in Horizon::standard().iter().zip(mae_rel(&bt)) {
        assert!(r <= 1.005, "h{}: ensemble MAE/naive {r}", h.get());
    }
}

#[test]
fn an_ensemble_with_one_skilful_member_captures_most_of_its_skill() {
    // Log returns follow an AR(1) with coefficient 0.5: ARIMA(1,1,0) on log closes is the true model.
    let series = ohlcv(&ar1_closes(900, 0.5, 0.01, 5), 2);
    let protocol = Protocol::default();
    let ar = Member::Spec(ModelSpec::Arima(Arima::new(
        ArimaOrder::new(1, 1, 0).unwrap(),
    )));
    let skilful = walk_forward(&ar, &series, &protocol, &|_, _| {}).unwrap();
    let members = vec![drift(), ar, trend(1.0, 0.5, 4)];
    let ensemble = Ensemble::new(members, 250, Horizon::standard().to_vec()).unwrap();
    let bt = walk_forward(&ensemble, &series, &protocol, &|_, _| {}).unwrap();
    let (own, member) = (mae_rel(&bt), mae_rel(&skilful));
    assert!(
        member[0] < 0.9,
        "the AR member should have real skill: {member:?}"
    );
    for ((h, e), m) in Horizon::standard().iter().zip(&own).zip(&member) {
        assert!(e - m <= 0.01, "h{}: ensemble {e} vs AR member {m}", h.get());
    }
}

#[test]
fn the_ensemble_passes_the_lookahead_harness() {
    let series = ohlcv(&ar1_closes(400, 0.3, 0.01, 9), 3);
    let members = vec![drift(), trend(1.0, 0.5, 1)];
    let ensemble = Ensemble::new(members, 40, Horizon::standard().to_vec()).unwrap();
    assert_no_lookahead(&ensemble, &series, 300);
    assert_no_lookahead(&ensemble, &series, 390);
}

/// The members' records of a short protocol ending at `last`.
fn records(series: &Ohlcv, members: &[Member], last: usize) -> Vec<Backtest> {
    let protocol = Protocol {
        origins: 120,
        last_origin: Some(last),
        ..Protocol::default()
    };
    members
        .iter()
        .map(|m| walk_forward(m, series, &protocol, &|_, _| {}).unwrap())
        .collect()
}

#[test]
fn the_ensemble_from_records_reads_nothing_past_each_origin() {
    let series = ohlcv(&ar1_closes(500, 0.5, 0.01, 21), 4);
    let members = vec![
        drift(),
        Member::Spec(ModelSpec::Arima(Arima::new(
            ArimaOrder::new(1, 1, 0).unwrap(),
        ))),
    ];
    let ensemble = Ensemble::new(members.clone(), 250, Horizon::standard().to_vec()).unwrap();
    let t = 430;
    let run = |s: &Ohlcv| {
        let recs = records(s, &members, 490);
        let refs: Vec<&Backtest> = recs.iter().collect();
        ensemble.backtest_from_members(s, &refs).unwrap()
    };
    let (a, b) = (run(&series), run(&with_garbage_after(&series, t)));
    for (x, y) in a.backtest.horizons.iter().zip(&b.backtest.horizons) {
        for (i, &origin) in a.backtest.origins.iter().enumerate() {
            if origin > t {
                break;
            }
            assert_eq!(
                x.point[i].to_bits(),
                y.point[i].to_bits(),
                "origin {origin}"
            );
        }
    }
    // The AR member shows its skill: by the end, the weights are in the skill regime.
    let last = a.weights[0].path.last().unwrap();
    assert_eq!(last.regime, Regime::Skill, "{last:?}");
    assert!(last.weights[2] > 0.8, "{:?}", last.weights);
    // The first origins have no known errors: the random walk alone.
    assert_eq!(a.weights[0].path[0].regime, Regime::TooFewErrors);
    assert_eq!(a.backtest.horizons[0].point[0], a.backtest.last_close[0]);
}

#[test]
fn the_final_fit_from_records_reuses_the_fitted_members() {
    let series = ohlcv(&ar1_closes(500, 0.5, 0.01, 22), 5);
    let members = vec![
        drift(),
        Member::Spec(ModelSpec::Arima(Arima::new(
            ArimaOrder::new(1, 1, 0).unwrap(),
        ))),
    ];
    let ensemble = Ensemble::new(members.clone(), 250, Horizon::standard().to_vec()).unwrap();
    let recs = records(&series, &members, 494);
    let refs: Vec<&Backtest> = recs.iter().collect();
    let fitted: Vec<FittedMember> = members.iter().map(|m| m.fit(&series).unwrap()).collect();
    let f: FittedEnsemble<FittedMember> =
        ensemble.fit_from_members(&series, fitted, &refs).unwrap();
    assert_eq!(f.weights.len(), 3);
    assert!(f
        .weights
        .iter()
        .all(|w| (w.iter().sum::<f64>() - 1.0).abs() < 1e-9));
    // At one day the true model has the largest weight.
    let h1 = &f.weights[0];
    assert!(h1[2] > h1[0] && h1[2] > h1[1], "{:?}", f.weights);
    let fc = f
        .predict(&series, &Horizon::standard(), &Level::standard())
        .unwrap();
    assert!(fc.steps.iter().all(|s| s.intervals.len() == 2));
    // Wrong member count is refused.
    assert!(ensemble
        .fit_from_members(&series, Vec::<FittedDrift>::new(), &refs)
        .is_err());
}

#[test]
fn a_burn_in_keeps_the_scored_member_records_and_informs_the_first_weights() {
    let series = ohlcv(&ar1_closes(700, 0.5, 0.01, 23), 6);
    let members = vec![
        drift(),
        Member::Spec(ModelSpec::Arima(Arima::new(
            ArimaOrder::new(1, 1, 0).unwrap(),
        ))),
    ];
    let ensemble = Ensemble::new(members.clone(), 250, Horizon::standard().to_vec()).unwrap();
    let scored = Protocol {
        origins: 100,
        ..Protocol::default()
    };
    let long = scored.extended(200);
    let run = |s: &Ohlcv, p: &Protocol| -> Vec<Backtest> {
        members
            .iter()
            .map(|m| walk_forward(m, s, p, &|_, _| {}).unwrap())
            .collect()
    };
    let (full, short) = (run(&series, &long), run(&series, &scored));
    // The burn-in is whole refit blocks: over the scored origins each member's record is the one
    // of a run without it.
    for (f, s) in full.iter().zip(&short) {
        let mut t = f.tail(scored.origins, series.close(), scored.window);
        t.wall_s = s.wall_s;
        assert_eq!(&t, s);
    }
    let scored_run = |s: &Ohlcv| {
        let recs = run(s, &long);
        let refs: Vec<&Backtest> = recs.iter().collect();
        ensemble
            .backtest_from_members_scored(s, &refs, scored.origins, scored.window)
            .unwrap()
    };
    let a = scored_run(&series);
    assert_eq!(a.backtest.origins, short[0].origins);
    assert_eq!(a.weights[0].path.len(), scored.origins);
    // Without the burn-in the first origin has no known error; with it the weights there already
    // lean on the AR member, the true model.
    let first = &a.weights[0].path[0];
    assert_ne!(first.regime, Regime::TooFewErrors);
    assert!(first.weights[2] > 0.5, "{first:?}");
    // Nothing past an origin reaches its forecast.
    let t = a.backtest.origins[40];
    let b = scored_run(&with_garbage_after(&series, t));
    for (x, y) in a.backtest.horizons.iter().zip(&b.backtest.horizons) {
        for (i, &origin) in a.backtest.origins.iter().enumerate() {
            if origin > t {
                break;
            }
            assert_eq!(
                x.point[i].to_bits(),
                y.point[i].to_bits(),
                "origin {origin}"
            );
        }
    }
    // Asking to score more origins than the records hold is refused.
    let refs: Vec<&Backtest> = full.iter().collect();
    assert!(ensemble
        .backtest_from_members_scored(&series, &refs, 301, scored.window)
        .is_err());
}

/// The ensemble as `forecast-eval` and the app run it: from the members' records with the burn-in,
/// scored on the protocol's 250 origins.
fn scored_from_records(
    members: &[Member],
    series: &Ohlcv,
) -> (forecast::ensemble::EnsembleBacktest, Vec<Backtest>) {
    let protocol = Protocol::default();
    let long = protocol.extended(forecast::ensemble::BURN_IN);
    let records: Vec<Backtest> = members
        .iter()
        .map(|m| walk_forward(m, series, &long, &|_, _| {}).unwrap())
        .collect();
    let refs: Vec<&Backtest> = records.iter().collect();
    let ensemble = Ensemble::new(members.to_vec(), 250, Horizon::standard().to_vec()).unwrap();
    let eb = ensemble
        .backtest_from_members_scored(series, &refs, protocol.origins, protocol.window)
        .unwrap();
    let scored = records
        .iter()
        .map(|r| r.tail(protocol.origins, series.close(), protocol.window))
        .collect();
    (eb, scored)
}

#[test]
fn from_records_with_the_burn_in_bad_members_stay_within_half_a_percent_of_the_random_walk() {
    let series = ohlcv(&random_walk_closes(700, 11), 1);
    let members = vec![trend(1.0, 0.5, 1), trend(2.0, 1.0, 2), trend(-1.0, 0.8, 3)];
    let (eb, scored) = scored_from_records(&members, &series);
    assert_eq!(eb.backtest.origins.len(), 250);
    for r in &scored {
        assert!(mae_rel(r).iter().all(|&v| v > 1.02), "{:?}", mae_rel(r));
    }
    for (h, r) in Horizon::standard().iter().zip(mae_rel(&eb.backtest)) {
        assert!(r <= 1.005, "h{}: ensemble MAE/naive {r}", h.get());
    }
}

#[test]
fn from_records_with_the_burn_in_a_skilful_member_is_captured() {
    let series = ohlcv(&ar1_closes(900, 0.5, 0.01, 5), 2);
    let ar = Member::Spec(ModelSpec::Arima(Arima::new(
        ArimaOrder::new(1, 1, 0).unwrap(),
    )));
    let members = vec![drift(), ar, trend(1.0, 0.5, 4)];
    let (eb, scored) = scored_from_records(&members, &series);
    let (own, member) = (mae_rel(&eb.backtest), mae_rel(&scored[1]));
    assert!(
        member[0] < 0.9,
        "the AR member should have real skill: {member:?}"
    );
    for ((h, e), m) in Horizon::standard().iter().zip(&own).zip(&member) {
        assert!(e - m <= 0.01, "h{}: ensemble {e} vs AR member {m}", h.get());
    }
}

//! ARIMA and AutoARIMA against statsmodels and statsforecast.
//!
//! Reference values were computed with Python 3.11, statsmodels 0.15.0 and statsforecast 2.1.1 on
//! `tests/data/goog_2004_2013.csv` (log closes), e.g.
//! `ARIMA(np.log(close[:1000]), order=(1, 1, 1)).fit()` and
//! `statsforecast.arima.Arima(np.log(close[:1000]), order=(2, 1, 1), include_drift=True, method="CSS-ML")`.
//! `reference_forecasts_goog_2004_2013.csv` holds the walk-forward forecasts of the reference run
//! (2520-row window, refit every 20 origins, coefficients kept and the filter re-run in between).

mod kit;

use forecast::arima::{
    kpss_statistic, ndiffs, Arima, ArimaOrder, AutoArima, Estimator, VarianceEstimator,
};
use forecast::{Fit, Horizon, Level, Ohlcv, Predict};
use kit::assert_close;
use kit::data::goog;

fn log_closes(h: &Ohlcv) -> Vec<f64> {
    h.close().iter().map(|c| c.ln()).collect()
}

// statsmodels 0.15.0: ARIMA(np.log(close[:1000]), order=(1,1,1)).fit()
// params [0.41433890811169355, -0.37095556177074535, 0.0005106852631056886], llf 2368.409919214835,
// get_forecast(5): mean and se below.
#[test]
fn arima111_matches_statsmodels_on_a_fixed_window() {
    let y = &log_closes(&goog())[..1000];
    let fit = Arima::new(ArimaOrder::new(1, 1, 1).unwrap())
        .fit_series(y)
        .unwrap();
    assert!(
        (fit.ar[0] - 0.41433890811169355).abs() < 2e-3,
        "ar {:?}",
        fit.ar
    );
    assert!(
        (fit.ma[0] + 0.37095556177074535).abs() < 2e-3,
        "ma {:?}",
        fit.ma
    );
    assert_close(fit.sigma2, 0.0005106852631056886, 1e-3);
    assert!(
        (fit.loglik - 2368.409919214835).abs() < 1e-2,
        "loglik {}",
        fit.loglik
    );
    let (mean, se) = fit.forecast_series(y, 5).unwrap();
    let sm_mean = [
        6.17169281245913,
        6.171585798871679,
        6.171541458978702,
        6.17152308723586,
        6.171515475107991,
    ];
    let sm_se = [
        0.022598347731881057,
        0.03265948989167463,
        0.0405206154121028,
        0.04717308996189422,
        0.05302880533921143,
    ];
    for i in 0..5 {
        // Prices are exp(mean): 1e-5 in logs is 0.001% in price.
        assert!(
            (mean[i] - sm_mean[i]).abs() < 1e-5,
            "step {i}: {} vs {}",
            mean[i],
            sm_mean[i]
        );
        assert_close(se[i], sm_se[i], 1e-3);
    }
}

#[test]
fn exact_estimator_reaches_at_least_the_statsmodels_likelihood() {
    let y = &log_closes(&goog())[..1000];
    let spec = Arima {
        estimator: Estimator::Exact,
        ..Arima::new(ArimaOrder::new(1, 1, 1).unwrap())
    };
    let fit = spec.fit_series(y).unwrap();
    assert!(
        fit.loglik >= 2368.409919214835 - 1e-6,
        "loglik {}",
        fit.loglik
    );
}

// statsforecast 2.1.1: Arima(np.log(close[:1000]), order=(2,1,1), include_drift=True, method="CSS-ML")
// coef ar1 -0.8316279107260045, ar2 0.04771333686925027, ma1 0.8655886600742304,
// drift 0.0014383945984559937; loglik 2371.127707194497; aicc -4732.194991428269;
// sigma2 0.0005101356973142082.
#[test]
fn arima211_with_drift_matches_statsforecast() {
    let y = &log_closes(&goog())[..1000];
    let spec = Arima {
        constant: true,
        variance: VarianceEstimator::DegreesOfFreedom,
        estimator: Estimator::Statsforecast,
        ..Arima::new(ArimaOrder::new(2, 1, 1).unwrap())
    };
    let fit = spec.fit_series(y).unwrap();
    for (got, want) in fit.ar.iter().chain(&fit.ma).zip([
        -0.8316279107260045,
        0.04771333686925027,
        0.8655886600742304,
    ]) {
        assert!((got - want).abs() < 1e-4, "{got} vs {want}");
    }
    assert_close(fit.mean, 0.0014383945984559937, 1e-4);
    assert!(
        // The coefficients agree to 1e-6 but statsforecast's log-likelihood is 0.009 lower and its σ²
        // 0.14% higher with an MA term (with none they agree to 1e-9); the likelihood is computed
        // through R's kappa = 1e6 diffuse prior there, not on the differences. Not yet explained.
        (fit.loglik - 2371.127707194497).abs() < 2e-2,
        "loglik {}",
        fit.loglik
    );
    assert!(
        (fit.aicc + 4732.194991428269).abs() < 4e-2,
        "aicc {}",
        fit.aicc
    );
    assert_close(fit.sigma2, 0.0005101356973142082, 2e-3);
}

// statsmodels 0.15.0: kpss(np.log(close[:1000]), "c", nlags=7) -> 10.144139228118476;
// kpss(np.diff(np.log(close[:1000])), "c", nlags=7) -> 0.5767476487638461 (p = 0.02475);
// statsforecast.arima.ndiffs(np.log(close[:1000])) -> 2.
#[test]
fn kpss_and_ndiffs_match_statsmodels_and_statsforecast() {
    let y = &log_closes(&goog())[..1000];
    assert_close(kpss_statistic(y, 7), 10.144139228118476, 1e-10);
    let d: Vec<f64> = y.windows(2).map(|w| w[1] - w[0]).collect();
    assert_close(kpss_statistic(&d, 7), 0.5767476487638461, 1e-10);
    assert_eq!(ndiffs(y, 0.05, 2), 2);
    assert_eq!(ndiffs(y, 0.05, 1), 1);
}

struct RefRow {
    origin: usize,
    h: usize,
    cols: Vec<f64>,
}

/// (origin, h, [arima111_sm, lo95, hi95, autoarima_sf, lo95, hi95]).
fn reference() -> Vec<RefRow> {
    let table = kit::data::reference_forecasts_goog();
    let want = [
        "arima111_sm",
        "arima111_sm_lo95",
        "arima111_sm_hi95",
        "autoarima_sf",
        "autoarima_sf_lo95",
        "autoarima_sf_hi95",
    ];
    let (o, h) = (table.index("origin_idx"), table.index("h"));
    let cols: Vec<usize> = want.iter().map(|w| table.index(w)).collect();
    table
        .rows
        .iter()
        .map(|f| RefRow {
            origin: f[o].parse().unwrap(),
            h: f[h].parse().unwrap(),
            cols: cols.iter().map(|&j| f[j].parse().unwrap()).collect(),
        })
        .collect()
}

/// Walk-forward at every refit origin (every 20th) plus the origin just before the next refit, which
/// exercises the between-refit path (old coefficients, filter re-run on the new window).
#[test]
fn walk_forward_forecasts_match_the_references_within_a_hundredth_of_a_percent() {
    let hist = goog();
    let refs = reference();
    let t0 = hist.len() - 255;
    let horizons = Horizon::standard();
    let levels = [Level::new(0.95).unwrap()];
    let arima = Arima::new(ArimaOrder::new(1, 1, 1).unwrap());
    let auto = AutoArima::default();
    let mut checked_auto = 0;
    for k in 0..13 {
        let refit = t0 + 20 * k;
        let fitted = arima.fit(&hist.prefix(refit + 1)).unwrap();
        let fitted_auto = auto.fit(&hist.prefix(refit + 1)).unwrap();
        let m = &fitted_auto.model;
        // statsforecast chose ARIMA(0,1,0) with drift at every goog refit.
        let same_order = (m.order.p(), m.order.d(), m.order.q(), m.constant) == (0, 1, 0, true);
        assert!(same_order, "refit {k}: {} constant {}", m.order, m.constant);
        for t in [refit, (refit + 19).min(t0 + 249)] {
            let h = hist.prefix(t + 1);
            let f = fitted.predict(&h, &horizons, &levels).unwrap();
            let fa = fitted_auto.predict(&h, &horizons, &levels).unwrap();
            for (step, stepa) in f.steps.iter().zip(&fa.steps) {
                let r = refs
                    .iter()
                    .find(|r| r.origin == t && r.h == step.horizon.get())
                    .unwrap();
                let iv = step.intervals[0];
                for (got, want) in [
                    (step.point, r.cols[0]),
                    (iv.lower, r.cols[1]),
                    (iv.upper, r.cols[2]),
                ] {
                    assert_close(got, want, 1e-4);
                }
                if same_order {
                    let iv = stepa.intervals[0];
                    for (got, want) in [
                        (stepa.point, r.cols[3]),
                        (iv.lower, r.cols[4]),
                        (iv.upper, r.cols[5]),
                    ] {
                        assert_close(got, want, 1e-4);
                    }
                    checked_auto += 1;
                }
            }
        }
    }
    assert!(
        checked_auto >= 60,
        "AutoARIMA compared at only {checked_auto} points"
    );
}

#[test]
fn forecast_at_t_ignores_rows_after_t() {
    let hist = goog();
    let t = 1500;
    let mut closes = hist.close().to_vec();
    for c in closes.iter_mut().skip(t + 1) {
        *c *= 3.0;
    }
    let altered = Ohlcv::from_closes(&closes).unwrap();
    let horizons = Horizon::standard();
    let model = Arima::new(ArimaOrder::new(1, 1, 1).unwrap());
    let a = model.fit(&hist.prefix(t + 1)).unwrap();
    let b = model.fit(&altered.prefix(t + 1)).unwrap();
    assert_eq!(a, b);
    let fa = a.predict(&hist.prefix(t + 1), &horizons, &[]).unwrap();
    let fb = b.predict(&altered.prefix(t + 1), &horizons, &[]).unwrap();
    assert_eq!(fa, fb);
    // And the forecast does depend on the rows it may see.
    let fc = a.predict(&altered.prefix(t + 2), &horizons, &[]).unwrap();
    assert_ne!(fa, fc);
    let a = AutoArima::default().fit(&hist.prefix(t + 1)).unwrap();
    let b = AutoArima::default().fit(&altered.prefix(t + 1)).unwrap();
    assert_eq!(a, b);
}

#[test]
fn invalid_parameters_are_rejected() {
    assert!(ArimaOrder::new(11, 1, 1).is_err());
    assert!(ArimaOrder::new(1, 3, 1).is_err());
    let y = log_closes(&goog());
    let drift_d2 = Arima {
        constant: true,
        ..Arima::new(ArimaOrder::new(1, 2, 1).unwrap())
    };
    assert!(drift_d2.fit_series(&y).is_err());
    let tiny = Arima {
        window: 3,
        ..Arima::new(ArimaOrder::new(2, 1, 2).unwrap())
    };
    assert!(tiny.fit(&goog()).is_err());
    assert!(Arima::new(ArimaOrder::new(1, 1, 1).unwrap())
        .fit_series(&y[..4])
        .is_err());
    assert!(AutoArima {
        max_d: 3,
        ..AutoArima::default()
    }
    .fit(&goog())
    .is_err());
    assert!(serde_json::from_str::<ArimaOrder>("[1, 5, 1]").is_err());
}

#[test]
fn fitted_models_round_trip_through_serde() {
    let h = goog().prefix(800);
    let fitted = AutoArima::default().fit(&h).unwrap();
    let back: forecast::arima::FittedAutoArima =
        serde_json::from_str(&serde_json::to_string(&fitted).unwrap()).unwrap();
    assert_eq!(back, fitted);
}

#[test]
fn autoarima_names_the_order_it_chose() {
    use forecast::registry::{ModelId, ModelSpec};
    // statsforecast chose ARIMA(0,1,0) with drift at every GOOG refit of the reference run.
    let history = goog().prefix(goog().len() - 5);
    let fitted = AutoArima::default().fit(&history).unwrap();
    assert_eq!(fitted.label(), "ARIMA(0,1,0) with drift");
    let served = ModelSpec::default_for(ModelId::Autoarima, 0)
        .unwrap()
        .fit(&history)
        .unwrap();
    assert_eq!(served.label(), "ARIMA(0,1,0) with drift");
    assert_eq!(served.id(), ModelId::Autoarima);
}

//! Metric functions on the reference per-origin forecasts reproduce the reference metrics.
//!
//! Fixtures (see `tests/data/README.md`): the reference evaluation's per-origin forecasts
//! (`reference_forecasts_<series>.csv`, 6 decimals) and its metrics (`reference_results.json`).
//! The naive forecast equals the last close, which the CSV holds exactly, so naive's metrics must
//! agree to 1e-9. The other models' forecasts are rounded to 6 decimals in the CSV, which moves
//! their MAE by up to 5e-7 price units; their tolerances are set from that rounding.

mod kit;

use forecast::metrics::{diebold_mariano, directional_accuracy, mase_scale, Metrics, Scored};
use forecast::Ohlcv;
use kit::data::{reference_results as reference, CsvTable as Table};

fn check_series(name: &str, csv: &str, forecasts: &str, models: &[&str]) {
    let series = Ohlcv::from_csv(csv).unwrap();
    let table = Table::parse(forecasts);
    let reference = reference();
    let refs = &reference["series"][name];
    let first_origin = table.col("origin_idx", 1)[0] as usize;
    let scale = mase_scale(series.close(), first_origin, 2520);
    let want_scale = refs["mase_scale"].as_f64().unwrap();
    assert!(
        (scale - want_scale).abs() < 1e-12 * want_scale,
        "{scale} vs {want_scale}"
    );

    for &model in models {
        let exact = model == "naive";
        for h in [1usize, 2, 5] {
            let last = table.col("last_close", h);
            let actual = table.col("actual", h);
            let point = table.col(model, h);
            let (lo, hi) = (format!("{model}_lo95"), format!("{model}_hi95"));
            let (lo, hi) = if table.has(&lo) {
                (table.col(&lo, h), table.col(&hi, h))
            } else {
                (vec![], vec![])
            };
            let s = Scored {
                horizon: h,
                last_close: &last,
                actual: &actual,
                point: &point,
                interval95: (!lo.is_empty()).then_some((lo.as_slice(), hi.as_slice())),
                interval99: None,
            };
            let m = Metrics::compute(&s, scale).unwrap();
            let r = &refs["models"][model][h.to_string()];
            let get = |k: &str| r[k].as_f64();
            let ctx = format!("{name} {model} h{h}");
            let rel = if exact { 1e-9 } else { 2e-9 };
            // 6-decimal rounding moves each error by <= 5e-7: bound the absolute change of MAE/RMSE.
            let abs = if exact { 0.0 } else { 5e-7 };
            let near = |got: f64, want: f64, rel: f64, abs: f64, what: &str| {
                kit::assert_near(got, want, rel, abs, &format!("{ctx} {what}"));
            };
            near(m.mae, get("MAE").unwrap(), rel, abs, "MAE");
            near(m.rmse, get("RMSE").unwrap(), rel, abs, "RMSE");
            near(m.mape_pct, get("MAPE_pct").unwrap(), rel, abs, "MAPE");
            near(
                m.mase.unwrap(),
                get("MASE").unwrap(),
                rel,
                abs / scale,
                "MASE",
            );
            near(
                m.mae_rel_naive.unwrap(),
                get("MAE_rel_naive").unwrap(),
                rel,
                abs,
                "MAE_rel_naive",
            );
            // Directional accuracy only depends on signs, which the rounding does not flip here.
            assert_eq!(
                m.da_pct.is_some(),
                get("DA_pct").is_some(),
                "{ctx} DA presence"
            );
            if let (Some(a), Some(b)) = (m.da_pct, get("DA_pct")) {
                near(a, b, 1e-12, 0.0, "DA");
            }
            assert_eq!(
                m.da_p.is_some(),
                get("DA_p_vs_50").is_some(),
                "{ctx} DA_p presence"
            );
            if let (Some(a), Some(b)) = (m.da_p, get("DA_p_vs_50")) {
                near(a, b, 1e-12, 0.0, "DA_p");
            }
            assert_eq!(
                m.dm_p.is_some(),
                get("DM_p").is_some(),
                "{ctx} DM_p presence"
            );
            if let (Some(a), Some(b)) = (m.dm_p, get("DM_p")) {
                // The DM statistic divides small error differences by their sd: the 6-decimal
                // rounding moves the p-value by up to ~2e-6 on these series.
                near(a, b, 0.0, 1e-5, "DM_p");
            }
            match (m.cov95_pct, get("cov95_pct")) {
                (Some(a), Some(b)) => near(a, b, 1e-12, 0.0, "cov95"),
                (None, None) => {}
                other => panic!("{ctx} cov95 {other:?}"),
            }
            if let (Some(a), Some(b)) = (m.pi_width_pct, get("pi_width_pct")) {
                near(a, b, rel, 1e-7, "pi_width");
            }
        }
    }
}

#[test]
fn metrics_of_the_reference_forecasts_equal_the_reference_numbers_goog() {
    check_series(
        "goog_2004_2013",
        include_str!("data/goog_2004_2013.csv"),
        include_str!("data/reference_forecasts_goog_2004_2013.csv"),
        &[
            "naive",
            "drift",
            "arima111_sm",
            "autoarima_sf",
            "rf",
            "xgb",
            "lgbm",
            "lstm",
        ],
    );
}

#[test]
fn metrics_of_the_reference_forecasts_equal_the_reference_numbers_sp500() {
    check_series(
        "sp500_1999_2018",
        include_str!("data/sp500_1999_2018.csv"),
        include_str!("data/reference_forecasts_sp500_1999_2018.csv"),
        &[
            "naive",
            "drift",
            "arima111_sm",
            "autoarima_pm",
            "xgb",
            "lstm",
        ],
    );
}

#[test]
fn diebold_mariano_statistic_has_the_reference_sign_and_size() {
    // results.json: goog drift h=5 DM_vs_naive = 2.0300006841951013 (model better -> positive).
    let table = Table::parse(include_str!("data/reference_forecasts_goog_2004_2013.csv"));
    let y = table.col("actual", 5);
    let e: Vec<f64> = table
        .col("drift", 5)
        .iter()
        .zip(&y)
        .map(|(p, y)| p - y)
        .collect();
    let en: Vec<f64> = table
        .col("naive", 5)
        .iter()
        .zip(&y)
        .map(|(p, y)| p - y)
        .collect();
    let dm = diebold_mariano(&e, &en, 5).unwrap();
    assert!(
        (dm.statistic - 2.0300006841951013).abs() < 1e-5,
        "{}",
        dm.statistic
    );
    assert!(
        (dm.p_value - 0.04341969188934815).abs() < 1e-6,
        "{}",
        dm.p_value
    );
    let da = directional_accuracy(&table.col("last_close", 5), &y, &table.col("drift", 5)).unwrap();
    assert_eq!((da.hits, da.trials), (159, 250));
}

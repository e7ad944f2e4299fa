//! Full walk-forward comparison of ARIMA(1,1,1) and AutoARIMA with the recorded forecasts of
//! statsmodels 0.14/0.15 and statsforecast 2.x (all 250 origins of every series).
//!
//! Slow (13 AutoARIMA searches and 13 ARIMA fits per series) and it reads the reference tree outside
//! the crate, so it is ignored by default. Run it with
//! `FORECAST_REFERENCE_DIR=<dir with data/ and reference/forecasts/> cargo test -p forecast --release
//! --test arima_reference -- --ignored --nocapture`.

use std::collections::HashMap;
use std::time::Instant;

use forecast::arima::{Arima, ArimaOrder, AutoArima};
use forecast::{Fit, Horizon, Level, Ohlcv, Predict};

struct RefRow {
    origin: usize,
    h: usize,
    actual: f64,
    cols: HashMap<String, f64>,
}

fn read_reference(text: &str) -> Vec<RefRow> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let get = |name: &str| f[header.iter().position(|h| *h == name).unwrap()];
            let cols = header
                .iter()
                .zip(&f)
                .filter_map(|(h, v)| v.parse::<f64>().ok().map(|x| (h.to_string(), x)))
                .collect();
            RefRow {
                origin: get("origin_idx").parse().unwrap(),
                h: get("h").parse().unwrap(),
                actual: get("actual").parse().unwrap(),
                cols,
            }
        })
        .collect()
}

#[test]
#[ignore = "slow full walk-forward; needs FORECAST_REFERENCE_DIR"]
fn walk_forward_matches_the_python_references() {
    let dir = std::env::var("FORECAST_REFERENCE_DIR").expect("set FORECAST_REFERENCE_DIR");
    let only = std::env::var("FORECAST_SERIES").ok();
    let series = [
        "goog_2004_2013",
        "msft_1986_2017",
        "nasdaq_1999_2018",
        "sp500_1999_2018",
    ];
    let horizons = Horizon::standard();
    let levels = [Level::new(0.95).unwrap()];
    for name in series {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let hist =
            Ohlcv::from_csv(&std::fs::read_to_string(format!("{dir}/data/{name}.csv")).unwrap())
                .unwrap();
        let refs = read_reference(
            &std::fs::read_to_string(format!("{dir}/reference/forecasts/{name}.csv")).unwrap(),
        );
        let n = hist.len();
        let t0 = n - 255;
        let arima = Arima::new(ArimaOrder::new(1, 1, 1).unwrap());
        let auto = AutoArima::default();
        let (mut fa, mut fb) = (None, None);
        let mut max_dev = [0.0f64; 3];
        let mut abs_err: HashMap<(&str, usize), f64> = HashMap::new();
        let mut orders = Vec::new();
        let (mut t_arima, mut t_auto) = (Vec::new(), Vec::new());
        for t in t0..t0 + 250 {
            let h = hist.prefix(t + 1);
            if (t - t0).is_multiple_of(20) {
                let s = Instant::now();
                fa = Some(arima.fit(&h).unwrap());
                t_arima.push(s.elapsed().as_secs_f64());
                let s = Instant::now();
                let m = auto.fit(&h).unwrap();
                t_auto.push(s.elapsed().as_secs_f64());
                let o = m.model.order;
                orders.push(format!(
                    "{}{}{}{}",
                    o.p(),
                    o.d(),
                    o.q(),
                    if m.model.constant { "c" } else { "" }
                ));
                fb = Some(m);
            }
            let a = fa
                .as_ref()
                .unwrap()
                .predict(&h, &horizons, &levels)
                .unwrap();
            let b = fb
                .as_ref()
                .unwrap()
                .predict(&h, &horizons, &levels)
                .unwrap();
            for (i, step) in a.steps.iter().enumerate() {
                let r = refs
                    .iter()
                    .find(|r| r.origin == t && r.h == step.horizon.get())
                    .unwrap();
                let iv = step.intervals[0];
                for (mine, theirs) in [
                    (step.point, r.cols["arima111_sm"]),
                    (iv.lower, r.cols["arima111_sm_lo95"]),
                    (iv.upper, r.cols["arima111_sm_hi95"]),
                ] {
                    max_dev[i] = max_dev[i].max((mine / theirs - 1.0).abs());
                }
                let bs = &b.steps[i];
                *abs_err.entry(("auto", r.h)).or_default() += (bs.point - r.actual).abs();
                *abs_err.entry(("sf", r.h)).or_default() +=
                    (r.cols["autoarima_sf"] - r.actual).abs();
            }
        }
        let med = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        println!("{name}: orders {}", orders.join(" "));
        println!(
            "  arima111 max rel dev vs statsmodels (point & 95% bounds) h1 {:.2e} h2 {:.2e} h5 {:.2e}; fit median {:.1} ms",
            max_dev[0],
            max_dev[1],
            max_dev[2],
            med(&mut t_arima) * 1e3
        );
        for hz in [1, 2, 5] {
            let (mine, sf) = (abs_err[&("auto", hz)] / 250.0, abs_err[&("sf", hz)] / 250.0);
            println!(
                "  autoarima MAE h{hz}: {mine:.6} vs statsforecast {sf:.6} ({:+.3}%)",
                100.0 * (mine / sf - 1.0)
            );
        }
        println!("  autoarima fit median {:.1} ms", med(&mut t_auto) * 1e3);
    }
}

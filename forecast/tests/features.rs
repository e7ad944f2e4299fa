//! Features against the reference computation, value by value, and causality.
//!
//! `tests/data/features_goog_2004_2013.csv` is the reference feature table for
//! `tests/data/goog_2004_2013.csv`, computed with Python loops and pandas following the formulas
//! in the crate docs (TA-Lib conventions); see `tests/data/README.md`.

mod kit;

use forecast::features::{compute, FEATURE_NAMES, N_FEATURES, WARMUP};
use forecast::Ohlcv;
use kit::data::goog;

#[test]
fn features_equal_the_reference_table_value_by_value() {
    let series = goog();
    let fm = compute(&series);
    let text = include_str!("data/features_goog_2004_2013.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[0], "date");
    assert_eq!(&header[1..], &FEATURE_NAMES[..]);
    let mut n = 0;
    for (t, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), N_FEATURES + 1);
        assert_eq!(f[0], series.dates()[t].to_string());
        for j in 0..N_FEATURES {
            let got = fm.rows[t][j];
            if f[j + 1].is_empty() {
                assert!(
                    got.is_nan(),
                    "row {t} {}: expected NaN, got {got}",
                    FEATURE_NAMES[j]
                );
            } else {
                let want: f64 = f[j + 1].parse().unwrap();
                // The reference CSV is written with 10 significant digits, so the tolerance is
                // relative to that precision as well as absolute 1e-9.
                let tol = 1e-9_f64.max(want.abs() * 1e-9);
                assert!(
                    (got - want).abs() <= tol,
                    "row {t} {}: got {got}, want {want}",
                    FEATURE_NAMES[j]
                );
            }
        }
        n += 1;
    }
    assert_eq!(n, series.len());
    assert_eq!(fm.rows.len(), series.len());
}

#[test]
fn features_of_a_prefix_equal_the_first_rows_of_the_full_features() {
    let series = goog();
    let full = compute(&series);
    for k in [1, WARMUP, WARMUP + 1, 500, 1234] {
        let part = compute(&series.prefix(k));
        assert_eq!(part.rows.len(), k);
        for t in 0..k {
            for j in 0..N_FEATURES {
                let (a, b) = (part.rows[t][j], full.rows[t][j]);
                assert!(
                    a.to_bits() == b.to_bits(),
                    "k {k} row {t} col {j}: {a} vs {b}"
                );
            }
        }
    }
}

#[test]
fn warm_up_rows_are_nan_and_later_rows_finite() {
    let fm = compute(&goog());
    assert!(fm.rows[..WARMUP]
        .iter()
        .all(|r| r.iter().all(|v| v.is_nan())));
    assert!(fm.rows[WARMUP..]
        .iter()
        .all(|r| r.iter().all(|v| v.is_finite())));
}

#[test]
fn a_history_without_volume_gets_zero_volume_features() {
    let closes: Vec<f64> = (0..80).map(|i| 100.0 + (i as f64 * 0.3).sin()).collect();
    let fm = compute(&Ohlcv::from_closes(&closes).unwrap());
    let last = fm.rows[79];
    assert!(last.iter().all(|v| v.is_finite()));
    assert_eq!(last[16], 0.0);
    assert_eq!(last[18], 0.0);
}

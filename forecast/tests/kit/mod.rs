//! The shared kit of the integration tests: assertions, fixture loading, synthetic series and the
//! protocol set-ups the tests have in common. Each test file includes it with `mod kit;`.
//!
//! Not every test file uses every helper, so unused ones are allowed here rather than in each file.
#![allow(dead_code, unreachable_pub)]

pub mod data;
pub mod synth;

use forecast::eval::Protocol;
use forecast::Horizon;

/// `|got − want| ≤ rel·|want|`.
#[track_caller]
pub fn assert_close(got: f64, want: f64, rel: f64) {
    assert!(
        (got - want).abs() <= rel * want.abs(),
        "got {got}, want {want} (rel tol {rel})"
    );
}

/// `|got − want| ≤ rel·|want| + abs`, with `what` naming the value in the message.
#[track_caller]
pub fn assert_near(got: f64, want: f64, rel: f64, abs: f64, what: &str) {
    assert!(
        (got - want).abs() <= rel * want.abs() + abs,
        "{what}: {got} vs {want} (rel {rel}, abs {abs})"
    );
}

/// Element-wise [`assert_near`] over two equally long slices. NaN-aware: a NaN matches only a NaN
/// at the same position. The message names the first position that differs.
#[track_caller]
pub fn assert_all_close(got: &[f64], want: &[f64], rel: f64, abs: f64) {
    assert_eq!(
        got.len(),
        want.len(),
        "lengths differ: got {}, want {}",
        got.len(),
        want.len()
    );
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        if g.is_nan() || w.is_nan() {
            assert!(
                g.is_nan() && w.is_nan(),
                "position {i}: got {g}, want {w} (NaN only matches NaN)"
            );
            continue;
        }
        assert!(
            (g - w).abs() <= rel * w.abs() + abs,
            "position {i}: got {g}, want {w} (rel {rel}, abs {abs})"
        );
    }
}

/// `assert_within_pct!(got, want, pct)`: `got` lies within `pct` percent of `want`.
#[macro_export]
macro_rules! assert_within_pct {
    ($got:expr, $want:expr, $pct:expr) => {{
        let (got, want, pct): (f64, f64, f64) = ($got, $want, $pct);
        assert!(
            (got - want).abs() <= pct / 100.0 * want.abs(),
            "{} = {got} is not within {pct}% of {want}",
            stringify!($got)
        );
    }};
}

/// A horizon of `d` trading days.
pub fn h(d: usize) -> Horizon {
    Horizon::new(d).unwrap()
}

/// The reference protocol with `origins` origins refitted every `refit_every`.
pub fn protocol(origins: usize, refit_every: usize) -> Protocol {
    Protocol {
        origins,
        refit_every,
        ..Protocol::default()
    }
}

//! Walk-forward evaluation: the reference protocol, out-of-sample forecasts at every origin, the
//! metrics per horizon, and a look-ahead harness every model can be checked with.
//!
//! At each origin `t` the model sees `series.prefix(t + 1)` and nothing else. It is refitted at the
//! first origin and every `refit_every` origins after it; between refits the last fitted model is
//! applied to the longer prefix (see [`Predict`]). Refit blocks are independent, so they are spread
//! over two threads; [`walk_forward_and_fit`] adds the final fit on the whole series to the same
//! two threads.
//!
//! ```
//! use forecast::eval::{walk_forward, Protocol};
//! use forecast::{baseline::Naive, Horizon, Ohlcv};
//!
//! let closes: Vec<f64> = (0..120).map(|i| 100.0 + (i as f64 * 0.3).sin()).collect();
//! let series = Ohlcv::from_closes(&closes).unwrap();
//! let protocol = Protocol { origins: 20, refit_every: 5, ..Protocol::default() };
//! let bt = walk_forward(&Naive::default(), &series, &protocol, &|_, _| {}).unwrap();
//! let metrics = bt.metrics().unwrap();
//! assert_eq!(metrics[0].1.mae_rel_naive, Some(1.0));
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use crate::backtest::{Backtest, HorizonBacktest, Refit};
use crate::metrics::mase_scale;
use crate::registry::ModelId;
use crate::{Error, Fit, Forecast, Horizon, Level, Ohlcv, Predict, Result};

/// The walk-forward protocol. [`Protocol::default`] is the reference protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    /// Number of forecast origins (250).
    pub origins: usize,
    /// Horizons scored at every origin (1, 2, 5).
    pub horizons: Vec<Horizon>,
    /// Training-window length the MASE scale is measured over (2520). Models apply their own window.
    pub window: usize,
    /// Refit at the first origin and every this many origins after it (20).
    pub refit_every: usize,
    /// Indicator warm-up rows (60); the first origin must come after them.
    pub warmup: usize,
    /// The last origin; `None` = `N − 1 − max horizon`, so the last target is the last row.
    pub last_origin: Option<usize>,
}

impl Default for Protocol {
    fn default() -> Self {
        Self {
            origins: 250,
            horizons: Horizon::standard().to_vec(),
            window: 2520,
            refit_every: 20,
            warmup: 60,
            last_origin: None,
        }
    }
}

impl Protocol {
    /// The protocol as applied to model `id`: the baselines are recomputed at every origin (their
    /// fit is a mean and an sd, and the reference protocol refits them daily); every other model
    /// keeps the refit cadence.
    pub fn for_model(&self, id: ModelId) -> Protocol {
        if id.is_baseline() {
            Protocol {
                refit_every: 1,
                ..self.clone()
            }
        } else {
            self.clone()
        }
    }

    /// The same protocol with `extra` more origins before the first one (the last stays where it
    /// is): the longer record an ensemble member is run over, so that the ensemble's weights start
    /// from errors known before the scored origins (see [`crate::ensemble::BURN_IN`]).
    pub fn extended(&self, extra: usize) -> Protocol {
        Protocol {
            origins: self.origins + extra,
            ..self.clone()
        }
    }

    /// The largest burn-in up to `wanted` origins that `n` rows can hold before this protocol's
    /// origins, in whole refit blocks (so the scored origins keep their refits).
    pub fn burn_in_for(&self, n: usize, wanted: usize) -> usize {
        let block = self.refit_every.max(1);
        let mut extra = wanted / block * block;
        while extra > 0 && self.extended(extra).origin_range(n).is_err() {
            extra -= block;
        }
        extra
    }

    /// The fewest rows a walk-forward evaluation under this protocol can run on: the warm-up, the
    /// origins and the longest horizon after the last one. A model is trained only on a series at
    /// least this long, since its record is what every claim about it rests on.
    pub fn rows_needed(&self) -> usize {
        let max_h = self.horizons.iter().map(|h| h.get()).max().unwrap_or(1);
        self.warmup.max(1) + self.origins + max_h
    }

    /// The origins `first..=last` for a series of `n` rows.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for zero origins/refit cadence or no horizons;
    /// [`Error::NotEnoughData`] when the series cannot hold the origins after the warm-up.
    pub fn origin_range(&self, n: usize) -> Result<(usize, usize)> {
        let bad = |name, value: usize, reason| Error::InvalidParameter {
            name,
            value: value.to_string(),
            reason,
        };
        if self.origins == 0 {
            return Err(bad("origins", 0, "must be at least 1"));
        }
        if self.refit_every == 0 {
            return Err(bad("refit_every", 0, "must be at least 1"));
        }
        let max_h = self
            .horizons
            .iter()
            .map(|h| h.get())
            .max()
            .ok_or_else(|| bad("horizons", 0, "need at least one horizon"))?;
        let needed = self.rows_needed();
        let last = match self.last_origin {
            Some(l) if l + max_h < n => l,
            Some(l) => {
                return Err(Error::NotEnoughData {
                    needed: l + max_h + 1,
                    got: n,
                })
            }
            None if n >= needed => n - 1 - max_h,
            None => return Err(Error::NotEnoughData { needed, got: n }),
        };
        if last + 1 < self.origins + self.warmup.max(1) {
            return Err(Error::NotEnoughData { needed, got: n });
        }
        Ok((last + 1 - self.origins, last))
    }
}

/// Runs `spec` over the protocol's origins on `series`. `progress(done, total)` is called after each
/// origin (from worker threads).
///
/// # Errors
/// Protocol errors from [`Protocol::origin_range`], and the first fit or predict error of the model
/// (with its origin).
#[tracing::instrument(skip_all, fields(rows = series.len()))]
pub fn walk_forward<F>(
    spec: &F,
    series: &Ohlcv,
    protocol: &Protocol,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Backtest>
where
    F: Fit + Sync,
{
    run(spec, series, protocol, progress, None)
}

/// [`walk_forward`] and the final fit on the whole series together, which is what training a model
/// for serving needs: the final fit is one more job for the same two worker threads, started first
/// (it is the largest), so it runs beside the refit blocks instead of after them. The record is the
/// one [`walk_forward`] gives, its `wall_s` includes the final fit.
///
/// # Errors
/// As [`walk_forward`]; the final fit's error.
#[tracing::instrument(skip_all, fields(rows = series.len()))]
pub fn walk_forward_and_fit<F>(
    spec: &F,
    series: &Ohlcv,
    protocol: &Protocol,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(Backtest, F::Fitted)>
where
    F: Fit + Sync,
    F::Fitted: Send,
{
    let fitted: Mutex<Option<Result<F::Fitted>>> = Mutex::new(None);
    let final_fit = || *fitted.lock().unwrap_or_else(|e| e.into_inner()) = Some(spec.fit(series));
    let bt = run(spec, series, protocol, progress, Some(&final_fit))?;
    let fitted = fitted.into_inner().unwrap_or_else(|e| e.into_inner());
    Ok((bt, fitted.expect("the final fit ran")?))
}

/// The walk-forward run; `extra_job`, when given, runs on one of the worker threads before the refit
/// blocks (it is not generic over the fitted model, so that [`walk_forward`] needs no `Send` bound
/// on it).
fn run<F>(
    spec: &F,
    series: &Ohlcv,
    protocol: &Protocol,
    progress: &(dyn Fn(usize, usize) + Sync),
    extra_job: Option<&(dyn Fn() + Sync)>,
) -> Result<Backtest>
where
    F: Fit + Sync,
{
    let start = Instant::now();
    let (first, last) = protocol.origin_range(series.len())?;
    let origins: Vec<usize> = (first..=last).collect();
    let blocks: Vec<&[usize]> = origins.chunks(protocol.refit_every).collect();
    let levels = Level::standard();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Vec<Forecast>>>>> =
        Mutex::new((0..blocks.len()).map(|_| None).collect());
    let extra = usize::from(extra_job.is_some());

    let work = || loop {
        let j = next.fetch_add(1, Ordering::Relaxed);
        if j < extra {
            if let Some(job) = extra_job {
                job();
            }
            continue;
        }
        let b = j - extra;
        let Some(block) = blocks.get(b) else { break };
        let out = run_block(spec, series, block, &protocol.horizons, &levels, || {
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, origins.len());
        });
        results.lock().unwrap_or_else(|e| e.into_inner())[b] = Some(out);
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(2)
        .min(blocks.len() + extra);
    std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(work);
        }
        work();
    });

    let mut forecasts = Vec::with_capacity(origins.len());
    for r in results.into_inner().unwrap_or_else(|e| e.into_inner()) {
        forecasts.extend(r.expect("every block ran")?);
    }
    let close = series.close();
    let horizons = protocol
        .horizons
        .iter()
        .map(|&h| {
            let steps: Vec<_> = forecasts
                .iter()
                .zip(&origins)
                .map(|(f, &t)| {
                    f.step(h).ok_or_else(|| Error::Numerical {
                        context: "walk_forward",
                        detail: format!(
                            "model returned no forecast for horizon {} at origin {t}",
                            h.get()
                        ),
                    })
                })
                .collect::<Result<_>>()?;
            let bound = |level: f64, upper: bool| -> Option<Vec<f64>> {
                steps
                    .iter()
                    .map(|s| {
                        s.interval(level)
                            .map(|i| if upper { i.upper } else { i.lower })
                    })
                    .collect()
            };
            Ok(HorizonBacktest {
                horizon: h,
                point: steps.iter().map(|s| s.point).collect(),
                lo95: bound(0.95, false),
                hi95: bound(0.95, true),
                lo99: bound(0.99, false),
                hi99: bound(0.99, true),
                actual: origins.iter().map(|&t| close[t + h.get()]).collect(),
            })
        })
        .collect::<Result<_>>()?;
    Ok(Backtest {
        dates: origins.iter().map(|&t| series.dates()[t]).collect(),
        last_close: origins.iter().map(|&t| close[t]).collect(),
        refits: blocks
            .iter()
            .map(|b| Refit {
                origin: b[0],
                rows: b[0] + 1,
            })
            .collect(),
        origins,
        horizons,
        mase_scale: mase_scale(close, first, protocol.window),
        wall_s: start.elapsed().as_secs_f64(),
    })
}

/// One refit block: fit at its first origin, predict at each of its origins. Only prefixes of the
/// series ever reach the model.
fn run_block<F: Fit>(
    spec: &F,
    series: &Ohlcv,
    block: &[usize],
    horizons: &[Horizon],
    levels: &[Level],
    tick: impl Fn(),
) -> Result<Vec<Forecast>> {
    let at = |t: usize, e: Error| {
        Error::InvalidInput(format!("origin {t} ({}): {e}", series.dates()[t]))
    };
    let t0 = block[0];
    let fitted = spec.fit(&series.prefix(t0 + 1)).map_err(|e| at(t0, e))?;
    block
        .iter()
        .map(|&t| {
            let f = predict_with_what_it_can(&fitted, &series.prefix(t + 1), horizons, levels)
                .map_err(|e| at(t, e))?;
            tick();
            Ok(f)
        })
        .collect()
}

/// The forecast with every interval of `levels`, or with fewer when the model cannot give them yet
/// (an interval from residual quantiles needs enough residuals: a short history has too few for a
/// 99% one). A missing interval is absent from the record, so its coverage is not scored; it is
/// never made up.
fn predict_with_what_it_can<P: Predict>(
    fitted: &P,
    history: &Ohlcv,
    horizons: &[Horizon],
    levels: &[Level],
) -> Result<Forecast> {
    let mut levels = levels;
    loop {
        match fitted.predict(history, horizons, levels) {
            Err(Error::NotEnoughData { .. }) if !levels.is_empty() => {
                levels = &levels[..levels.len() - 1];
            }
            other => return other,
        }
    }
}

/// Replaces every row after `t` with garbage that is still a valid history: prices multiplied by
/// factors between 2 and 4 that change every row, volume multiplied by 7.
pub fn with_garbage_after(series: &Ohlcv, t: usize) -> Ohlcv {
    let bars: Vec<_> = (0..series.len())
        .map(|i| {
            let mut b = series.bar(i);
            if i > t {
                let k = 3.0 + (i as f64 * 1.7).sin();
                b.open *= k;
                b.high *= k;
                b.low *= k;
                b.close *= k;
                b.volume *= 7.0;
            }
            b
        })
        .collect();
    Ohlcv::from_bars(&bars).expect("scaling a valid history keeps it valid")
}

/// Look-ahead harness: forecasts at origins `t − 2`, `t − 1` and `t` (a refit at `t − 2` applied to
/// the next origin, and a refit at `t`) must be bit-identical whether the rows after `t` are the
/// true ones or garbage ([`with_garbage_after`]). Runs through [`walk_forward`], so it checks the
/// evaluator's slicing and the model together. Needs `t ≥ 62` and `t + 5 < series.len()`.
///
/// # Panics
/// When a forecast differs (look-ahead), or the model fails on either series.
#[track_caller]
pub fn assert_no_lookahead<F: Fit + Sync>(spec: &F, series: &Ohlcv, t: usize) {
    lookahead_check(|s, p| walk_forward(spec, s, p, &|_, _| {}), series, t);
}

/// Like [`assert_no_lookahead`], but the model parameters are built from the series under test by
/// `make_spec`, so a model whose construction reads the data (a scaler or feature cache prepared on
/// the whole series) is checked too.
///
/// # Panics
/// When a forecast differs (look-ahead), or the model fails on either series.
#[track_caller]
pub fn assert_no_lookahead_with<F, M>(make_spec: M, series: &Ohlcv, t: usize)
where
    F: Fit + Sync,
    M: Fn(&Ohlcv) -> F,
{
    lookahead_check(
        |s, p| walk_forward(&make_spec(s), s, p, &|_, _| {}),
        series,
        t,
    );
}

#[track_caller]
fn lookahead_check(run: impl Fn(&Ohlcv, &Protocol) -> Result<Backtest>, series: &Ohlcv, t: usize) {
    let protocol = Protocol {
        origins: 3,
        horizons: Horizon::standard().to_vec(),
        window: 2520,
        refit_every: 2,
        warmup: 60,
        last_origin: Some(t),
    };
    let garbage = with_garbage_after(series, t);
    let run =
        |s: &Ohlcv| run(s, &protocol).unwrap_or_else(|e| panic!("model failed at origin {t}: {e}"));
    let (a, b) = (run(series), run(&garbage));
    for (x, y) in a.horizons.iter().zip(&b.horizons) {
        let h = x.horizon.get();
        for (i, &origin) in a.origins.iter().enumerate() {
            let same = |u: f64, v: f64| u.to_bits() == v.to_bits();
            assert!(
                same(x.point[i], y.point[i]),
                "look-ahead: forecast at origin {origin} for h={h} changed from {} to {} when rows after {t} were replaced",
                x.point[i],
                y.point[i]
            );
            for (lo, hi) in [(&x.lo95, &y.lo95), (&x.hi95, &y.hi95)] {
                if let (Some(u), Some(v)) = (lo, hi) {
                    assert!(
                        same(u[i], v[i]),
                        "look-ahead: 95% bound at origin {origin} for h={h} changed"
                    );
                }
            }
        }
    }
    assert_training_before_targets(&a);
}

/// Checks that every refit saw only rows up to its origin and that every scored target lies after
/// the last row the forecasting model could see.
///
/// # Panics
/// When a refit was given rows past its origin.
#[track_caller]
pub fn assert_training_before_targets(bt: &Backtest) {
    for r in &bt.refits {
        assert!(
            r.rows <= r.origin + 1,
            "refit at origin {} was given {} rows",
            r.origin,
            r.rows
        );
    }
    for hb in &bt.horizons {
        for &t in &bt.origins {
            let last_fit_row = bt
                .refits
                .iter()
                .filter(|r| r.origin <= t)
                .map(|r| r.rows - 1)
                .max();
            assert!(
                matches!(last_fit_row, Some(l) if l < t + hb.horizon.get()),
                "origin {t}: no earlier refit or target inside training rows"
            );
        }
    }
}

/// For models that know their training rows: asserts that each training row `s` for horizon `h`
/// has its target `s + h` at or before the origin `t`.
///
/// # Panics
/// On the first row whose target is not yet known at `t`.
#[track_caller]
pub fn assert_training_targets_known(rows: impl IntoIterator<Item = usize>, h: usize, t: usize) {
    for s in rows {
        assert!(
            s + h <= t,
            "training row {s} for h={h} needs C[{}], unknown at origin {t}",
            s + h
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::{Drift, Naive};

    fn series(n: usize) -> Ohlcv {
        let closes: Vec<f64> = (0..n)
            .map(|i| 100.0 + i as f64 * 0.05 + (i as f64 * 0.4).sin() * 2.0)
            .collect();
        Ohlcv::from_closes(&closes).unwrap()
    }

    #[test]
    fn default_protocol_is_the_reference_one() {
        let p = Protocol::default();
        assert_eq!(
            (p.origins, p.window, p.refit_every, p.warmup),
            (250, 2520, 20, 60)
        );
        // 250 origins t = N-255..=N-6.
        assert_eq!(p.origin_range(2148).unwrap(), (2148 - 255, 2148 - 6));
    }

    #[test]
    fn the_burn_in_is_whole_refit_blocks_that_fit_in_the_series() {
        let p = Protocol::default();
        assert_eq!(p.burn_in_for(5000, 260), 260);
        // Rounded down to whole blocks of 20.
        assert_eq!(p.burn_in_for(5000, 270), 260);
        // 600 rows hold 600 − 6 − 60 = 534 origins after the warm-up: 280 of burn-in at most.
        assert_eq!(p.burn_in_for(600, 1000), 280);
        assert_eq!(p.burn_in_for(300, 260), 0);
        let e = p.extended(260);
        assert_eq!(e.origins, 510);
        assert_eq!(
            e.origin_range(5000).unwrap().1,
            p.origin_range(5000).unwrap().1
        );
    }

    #[test]
    fn too_short_series_and_zero_cadence_are_rejected() {
        let p = Protocol::default();
        assert!(matches!(
            p.origin_range(300),
            Err(Error::NotEnoughData { .. })
        ));
        // The fewest rows that hold the protocol: 60 of warm-up, 250 origins, 5 days after the last.
        assert_eq!(p.rows_needed(), 315);
        assert!(p.origin_range(p.rows_needed()).is_ok());
        assert!(p.origin_range(p.rows_needed() - 1).is_err());
        let p = Protocol {
            refit_every: 0,
            ..Protocol::default()
        };
        assert!(p.origin_range(5000).is_err());
    }

    #[test]
    fn naive_backtest_forecasts_the_last_close_and_refits_on_schedule() {
        let s = series(150);
        let p = Protocol {
            origins: 30,
            refit_every: 7,
            ..Protocol::default()
        };
        let bt = walk_forward(&Naive::default(), &s, &p, &|_, _| {}).unwrap();
        assert_eq!(bt.origins.len(), 30);
        assert_eq!(*bt.origins.last().unwrap(), 150 - 6);
        assert_eq!(
            bt.refits.iter().map(|r| r.origin).collect::<Vec<_>>(),
            vec![115, 122, 129, 136, 143]
        );
        for hb in &bt.horizons {
            assert_eq!(hb.point, bt.last_close);
            assert!(hb.lo95.is_some());
            for (i, &t) in bt.origins.iter().enumerate() {
                assert_eq!(hb.actual[i], s.close()[t + hb.horizon.get()]);
            }
        }
        assert_training_before_targets(&bt);
    }

    #[test]
    fn walk_forward_and_fit_gives_the_record_and_the_final_fit() {
        let s = series(150);
        let p = Protocol {
            origins: 30,
            refit_every: 7,
            ..Protocol::default()
        };
        let (bt, fitted) = walk_forward_and_fit(&Drift::default(), &s, &p, &|_, _| {}).unwrap();
        let mut alone = walk_forward(&Drift::default(), &s, &p, &|_, _| {}).unwrap();
        alone.wall_s = bt.wall_s;
        assert_eq!(bt, alone);
        assert_eq!(fitted, Drift::default().fit(&s).unwrap());
    }

    #[test]
    fn progress_reaches_the_total() {
        let s = series(150);
        let p = Protocol {
            origins: 25,
            refit_every: 4,
            ..Protocol::default()
        };
        let max = AtomicUsize::new(0);
        walk_forward(&Drift::default(), &s, &p, &|d, n| {
            assert_eq!(n, 25);
            max.fetch_max(d, Ordering::Relaxed);
        })
        .unwrap();
        assert_eq!(max.load(Ordering::Relaxed), 25);
    }

    #[test]
    fn baselines_pass_the_lookahead_harness() {
        let s = series(200);
        assert_no_lookahead(&Naive::default(), &s, 150);
        assert_no_lookahead(&Drift::default(), &s, 120);
    }

    #[test]
    #[should_panic(expected = "unknown at origin")]
    fn training_target_check_catches_a_target_past_the_origin() {
        assert_training_targets_known(90..=96, 5, 100);
    }
}

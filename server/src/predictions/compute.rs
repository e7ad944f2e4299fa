//! Turning fitted model versions into served predictions: h = 1, 2, 5 trading days with 95% and
//! 99% intervals, NYSE target dates, and a signal that stays HOLD unless the model's record passes
//! the significance gate across every model and horizon shown together, with a calibrated
//! probability that the call is right.

use std::sync::Arc;

use app::model::{
    HorizonSkill, ModelMetrics, ModelPrediction, ModelState, PredictedStep, TradeSignal, Training,
};
use chrono::NaiveDate;
use forecast::eval::{walk_forward, Backtest, Protocol};
use forecast::metrics::Metrics;
use forecast::registry::{FittedModel, ModelId, ModelSpec};
use forecast::series::Bar;
use forecast::signal::{signal, significance_gate, Action, Cell, Verdict};
use forecast::{Fit, Horizon, Level, Ohlcv, Predict};

use crate::market::calendar;
use crate::registry::{calibrate, HorizonCalibration};

/// A model's walk-forward record: the full metric set per horizon and the origins it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Skill {
    /// Metrics per horizon (trading days ahead).
    pub per_horizon: Vec<(usize, Metrics)>,
    /// First and last forecast origin.
    pub window: (NaiveDate, NaiveDate),
    /// Number of origins.
    pub origins: usize,
}

impl Skill {
    /// The record of a walk-forward run.
    pub fn from_backtest(bt: &Backtest) -> forecast::Result<Self> {
        let (Some(&first), Some(&last)) = (bt.dates.first(), bt.dates.last()) else {
            return Err(forecast::Error::InvalidInput(
                "a walk-forward run without origins".into(),
            ));
        };
        Ok(Skill {
            per_horizon: bt
                .metrics()?
                .into_iter()
                .map(|(h, m)| (h.get(), m))
                .collect(),
            window: (first, last),
            origins: bt.dates.len(),
        })
    }

    /// The metrics at horizon `h`, if it was evaluated.
    pub fn at(&self, h: usize) -> Option<&Metrics> {
        self.per_horizon
            .iter()
            .find(|(hh, _)| *hh == h)
            .map(|(_, m)| m)
    }

    /// The API's view of the record, with the gate's verdicts on it.
    pub fn to_wire(&self, model: ModelId, verdicts: &[Verdict]) -> ModelMetrics {
        ModelMetrics {
            window_from: self.window.0,
            window_to: self.window.1,
            origins: self.origins,
            horizons: self
                .per_horizon
                .iter()
                .map(|(h, m)| {
                    let v = verdict(verdicts, model, *h);
                    HorizonSkill {
                        h: *h,
                        mae: m.mae,
                        mae_rel_naive: m.mae_rel_naive,
                        dm_p: m.dm_p,
                        dm_p_better: m.dm_p_better,
                        dm_p_holm: v.and_then(|v| v.dm_p_holm),
                        da_pct: m.da_pct,
                        da_p: m.da_p,
                        up_pct: m.up_pct,
                        da_p_vs_up: m.da_p_vs_up,
                        cov95_pct: m.cov95_pct,
                        cov99_pct: m.cov99_pct,
                        skilful: v.is_some_and(|v| v.skilful),
                    }
                })
                .collect(),
        }
    }
}

/// A fitted model ready to predict: a registry version, or a baseline fitted just now (version 0).
#[derive(Debug, Clone)]
pub struct ServableModel {
    /// Which model.
    pub model: ModelId,
    /// Registry version; 0 for a baseline fitted on the spot.
    pub version: i32,
    /// Its walk-forward record, when it has one.
    pub skill: Option<Skill>,
    /// Calibrated confidence of its calls per horizon.
    pub calibration: Vec<HorizonCalibration>,
    /// The fitted model's own name, when it has one.
    pub label: Option<String>,
    /// When and on what it was trained (registry versions).
    pub trained: Option<Training>,
    /// The fitted state (shared with the in-process model cache).
    pub fitted: Arc<FittedModel>,
}

/// The gate's verdicts on every model and horizon of `models` with a record: the family shown
/// together, corrected for its size (see `forecast::signal`).
pub fn verdicts(models: &[ServableModel]) -> Vec<Verdict> {
    verdicts_of(
        models
            .iter()
            .filter_map(|m| m.skill.as_ref().map(|s| (m.model, s))),
    )
}

/// The same for any set of records.
pub fn verdicts_of<'a>(records: impl IntoIterator<Item = (ModelId, &'a Skill)>) -> Vec<Verdict> {
    let cells: Vec<Cell<'a>> = records
        .into_iter()
        .flat_map(|(model, s)| {
            s.per_horizon.iter().map(move |(h, metrics)| Cell {
                model,
                horizon: *h,
                metrics,
            })
        })
        .collect();
    significance_gate(&cells)
}

fn verdict(verdicts: &[Verdict], model: ModelId, h: usize) -> Option<&Verdict> {
    verdicts.iter().find(|v| v.model == model && v.horizon == h)
}

/// Fits a baseline on `history` and measures it walk-forward under `protocol` (the baselines are
/// refitted at every origin, as the reference protocol does). A history too short for the
/// protocol still gets a forecast, without a record, so its signal is HOLD.
pub fn fit_baseline(
    id: ModelId,
    history: &Ohlcv,
    protocol: &Protocol,
) -> forecast::Result<ServableModel> {
    let spec = ModelSpec::default_for(id, 0)?;
    let fitted = spec.fit(history)?;
    let (skill, calibration) = match walk_forward(
        &spec,
        history,
        &protocol.for_model(id),
        &|_, _| {},
    ) {
        Ok(bt) => (Some(Skill::from_backtest(&bt)?), calibrate(&bt, history)),
        Err(forecast::Error::NotEnoughData { needed, got }) => {
            tracing::info!(model = %id, needed, got, "history too short to evaluate the baseline");
            (None, Vec::new())
        }
        Err(e) => return Err(e),
    };
    Ok(ServableModel {
        model: id,
        version: 0,
        skill,
        calibration,
        label: None,
        trained: None,
        fitted: Arc::new(fitted),
    })
}

/// Why a prediction could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ComputeError {
    /// The model failed.
    #[error(transparent)]
    Model(#[from] forecast::Error),
    /// A target date fell outside the calendar.
    #[error(transparent)]
    Calendar(#[from] calendar::CalendarError),
    /// No bars to predict from.
    #[error("no stored bars")]
    NoData,
}

/// The prediction of `m` from the last of `bars` for h = 1, 2, 5, its signals judged by
/// `verdicts` (the gate's, over every model shown with it).
pub fn predict(
    bars: &[Bar],
    history: &Ohlcv,
    m: &ServableModel,
    verdicts: &[Verdict],
) -> Result<ModelPrediction, ComputeError> {
    let last = bars.last().ok_or(ComputeError::NoData)?;
    let f = predict_with_intervals(m, history)?;
    let daily_vol = forecast::volatility::ewma_at(history.close());
    let mut horizons = Vec::with_capacity(f.steps.len());
    for step in &f.steps {
        let h = step.horizon.get();
        if !step.point.is_finite() {
            return Err(forecast::Error::InvalidInput(format!(
                "{} predicted a non-finite close at h = {h}",
                m.model
            ))
            .into());
        }
        let calibration = m
            .calibration
            .iter()
            .find(|c| c.h == h)
            .map(|c| (&c.calibration, daily_vol));
        let s = signal(last.close, step, verdict(verdicts, m.model, h), calibration);
        let (lo95, hi95) = bounds(step, 0.95);
        let (lo99, hi99) = bounds(step, 0.99);
        horizons.push(PredictedStep {
            h,
            target_date: calendar::add_trading_days(last.date, h as i64)?,
            point: step.point,
            lo95,
            hi95,
            lo99,
            hi99,
            signal: match s.action {
                Action::Buy => TradeSignal::Buy,
                Action::Sell => TradeSignal::Sell,
                Action::Hold => TradeSignal::Hold,
            },
            confidence: s.confidence,
            confidence_label: s.label.map(|l| l.as_str().to_string()),
        });
    }
    Ok(ModelPrediction {
        model: m.model,
        version: Some(m.version),
        label: m.label.clone(),
        trained: m.trained.clone(),
        status: ModelState::Ready,
        message: None,
        metrics: m.skill.as_ref().map(|s| s.to_wire(m.model, verdicts)),
        horizons,
    })
}

/// The forecast with 95% and 99% intervals, or with fewer levels when the model cannot give them:
/// an interval from empirical residual quantiles needs enough residuals (a 99% one at least 99),
/// and a short history has too few. The missing bounds are then absent, never made up.
fn predict_with_intervals(
    m: &ServableModel,
    history: &Ohlcv,
) -> forecast::Result<forecast::Forecast> {
    let horizons = Horizon::standard();
    let both = Level::standard();
    match m.fitted.predict(history, &horizons, &both) {
        Err(forecast::Error::NotEnoughData { needed, got }) => {
            tracing::info!(model = %m.model, needed, got, "too few residuals for a 99% interval");
            match m.fitted.predict(history, &horizons, &both[..1]) {
                Err(forecast::Error::NotEnoughData { .. }) => {
                    m.fitted.predict(history, &horizons, &[])
                }
                other => other,
            }
        }
        other => other,
    }
}

/// The `level` interval of `step`, or neither bound: a bound that is not finite, or an interval of
/// no width (a history of one or two days has no spread to measure), is absent, never shown.
fn bounds(step: &forecast::StepForecast, level: f64) -> (Option<f64>, Option<f64>) {
    match step.interval(level) {
        Some(iv) if iv.lower.is_finite() && iv.upper.is_finite() && iv.upper > iv.lower => {
            (Some(iv.lower), Some(iv.upper))
        }
        _ => (None, None),
    }
}

/// A model listed without predictions, saying why.
pub fn unavailable(
    model: ModelId,
    status: ModelState,
    message: impl Into<String>,
) -> ModelPrediction {
    ModelPrediction {
        model,
        version: None,
        label: None,
        trained: None,
        status,
        message: Some(message.into()),
        metrics: None,
        horizons: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(n: usize) -> Vec<Bar> {
        let mut date = NaiveDate::from_ymd_opt(2012, 1, 3).unwrap();
        (0..n)
            .map(|i| {
                let close = 100.0 + (i as f64 * 0.7).sin() * 3.0 + i as f64 * 0.05;
                let bar = Bar {
                    date,
                    open: close,
                    high: close + 1.0,
                    low: close - 1.0,
                    close,
                    volume: 1000.0,
                };
                date = calendar::next_trading_day(date).unwrap();
                bar
            })
            .collect()
    }

    fn short_protocol() -> Protocol {
        Protocol {
            origins: 30,
            window: 100,
            warmup: 10,
            ..Protocol::default()
        }
    }

    #[test]
    fn target_dates_follow_the_nyse_calendar() {
        // 2012-11-21 is the Wednesday before Thanksgiving: h = 1 skips the holiday to Friday.
        let b = bars(300);
        let cut = b
            .iter()
            .position(|x| x.date.to_string() == "2012-11-21")
            .unwrap();
        let b = &b[..=cut];
        let history = Ohlcv::from_bars(b).unwrap();
        let m = fit_baseline(ModelId::Naive, &history, &short_protocol()).unwrap();
        let p = predict(b, &history, &m, &verdicts(std::slice::from_ref(&m))).unwrap();
        let dates: Vec<String> = p
            .horizons
            .iter()
            .map(|s| s.target_date.to_string())
            .collect();
        assert_eq!(dates, ["2012-11-23", "2012-11-26", "2012-11-29"]);
    }

    #[test]
    fn baselines_carry_both_intervals_and_an_out_of_sample_record() {
        let b = bars(200);
        let history = Ohlcv::from_bars(&b).unwrap();
        for id in [ModelId::Naive, ModelId::Drift] {
            let m = fit_baseline(id, &history, &short_protocol()).unwrap();
            let p = predict(&b, &history, &m, &verdicts(std::slice::from_ref(&m))).unwrap();
            assert_eq!(p.horizons.len(), 3);
            for s in &p.horizons {
                let (lo95, hi95) = (s.lo95.unwrap(), s.hi95.unwrap());
                let (lo99, hi99) = (s.lo99.unwrap(), s.hi99.unwrap());
                assert!(lo99 < lo95 && lo95 <= s.point && s.point <= hi95 && hi95 < hi99);
            }
            let metrics = p.metrics.expect("evaluated");
            assert_eq!(metrics.origins, 30);
            assert_eq!(metrics.horizons.len(), 3);
        }
    }

    #[test]
    fn a_model_without_demonstrated_skill_says_hold() {
        let b = bars(200);
        let history = Ohlcv::from_bars(&b).unwrap();
        let m = fit_baseline(ModelId::Drift, &history, &short_protocol()).unwrap();
        let m = ServableModel { skill: None, ..m };
        let p = predict(&b, &history, &m, &verdicts(std::slice::from_ref(&m))).unwrap();
        assert!(p
            .horizons
            .iter()
            .all(|s| s.signal == TradeSignal::Hold && s.confidence == 0.0));
    }

    /// A record at one horizon with the given one-sided DM p-value and hit rate, in a window where
    /// 52% of the moves were up.
    fn record(dm_p_better: f64, da_pct: f64, da_p_vs_up: f64) -> Metrics {
        Metrics {
            mae: 1.0,
            rmse: 1.2,
            mape_pct: 1.0,
            mase: Some(0.9),
            mae_rel_naive: Some(0.9),
            dm_p: Some(dm_p_better * 2.0),
            da_pct: Some(da_pct),
            da_p: Some(0.001),
            cov95_pct: Some(95.0),
            pi_width_pct: Some(5.0),
            cov99_pct: Some(99.0),
            pi99_width_pct: Some(7.0),
            dm_p_better: Some(dm_p_better),
            up_pct: Some(52.0),
            da_p_vs_up: Some(da_p_vs_up),
        }
    }

    fn with_record(m: ServableModel, metrics: Metrics) -> ServableModel {
        ServableModel {
            skill: Some(Skill {
                per_horizon: vec![(1, metrics), (2, metrics), (5, metrics)],
                window: (NaiveDate::MIN, NaiveDate::MIN),
                origins: 250,
            }),
            ..m
        }
    }

    #[test]
    fn only_a_record_that_passes_the_gate_calls_a_direction_and_the_words_say_so() {
        let b = bars(200);
        let history = Ohlcv::from_bars(&b).unwrap();
        let drift = fit_baseline(ModelId::Drift, &history, &short_protocol()).unwrap();
        // Beats the random walk beyond any correction, and the constant call too.
        let skilful = with_record(drift.clone(), record(1e-9, 70.0, 1e-6));
        let p = predict(
            &b,
            &history,
            &skilful,
            &verdicts(std::slice::from_ref(&skilful)),
        )
        .unwrap();
        assert!(p.horizons.iter().all(|s| s.signal != TradeSignal::Hold));
        assert!(p.horizons.iter().all(|s| s.confidence > 0.0));
        let words = p.metrics.unwrap().horizons[0].verdict();
        assert!(
            words.starts_with("Beats the random walk: 10.0% smaller errors"),
            "{words}"
        );

        // A hit rate of 60% in a window that was up 52% of the time, but a DM p of 0.2: no call.
        let lucky = with_record(drift.clone(), record(0.2, 60.0, 1e-4));
        let p = predict(
            &b,
            &history,
            &lucky,
            &verdicts(std::slice::from_ref(&lucky)),
        )
        .unwrap();
        assert!(p.horizons.iter().all(|s| s.signal == TradeSignal::Hold));
        let words = p.metrics.unwrap().horizons[0].verdict();
        assert!(
            words.starts_with("No better than a random walk (p = "),
            "{words}"
        );

        // Significant alone (p = 0.02), but not once nine cells are judged together (Holm).
        let borderline = with_record(drift.clone(), record(0.02, 70.0, 1e-6));
        let alone = verdicts(std::slice::from_ref(&borderline));
        assert!(
            alone.iter().all(|v| !v.skilful),
            "three horizons: 0.02 × 3 = 0.06"
        );
        let one_horizon = ServableModel {
            skill: Some(Skill {
                per_horizon: vec![(1, record(0.02, 70.0, 1e-6))],
                window: (NaiveDate::MIN, NaiveDate::MIN),
                origins: 250,
            }),
            ..drift
        };
        assert!(verdicts(std::slice::from_ref(&one_horizon))[0].skilful);
    }

    #[test]
    fn a_history_too_short_to_evaluate_is_still_predicted_without_a_record() {
        let b = bars(20);
        let history = Ohlcv::from_bars(&b).unwrap();
        let m = fit_baseline(ModelId::Naive, &history, &Protocol::default()).unwrap();
        assert!(m.skill.is_none());
        assert_eq!(predict(&b, &history, &m, &[]).unwrap().horizons.len(), 3);
    }
}

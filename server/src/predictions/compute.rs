//! Turning fitted model versions into served predictions: h = 1, 2, 5 trading days with 95% and
//! 99% intervals, NYSE target dates, and a signal that stays HOLD unless the version showed skill.

use app::model::{
    HorizonSkill, ModelMetrics, ModelPrediction, ModelState, PredictedStep, TradeSignal,
};
use chrono::NaiveDate;
use forecast::eval::{walk_forward, Backtest, Protocol};
use forecast::metrics::Metrics;
use forecast::registry::{FittedModel, ModelId, ModelSpec};
use forecast::series::Bar;
use forecast::signal::{signal, Action};
use forecast::{Fit, Horizon, Level, Ohlcv, Predict};

use crate::market::calendar;

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

    /// The API's view of the record.
    pub fn to_wire(&self) -> ModelMetrics {
        ModelMetrics {
            window_from: self.window.0,
            window_to: self.window.1,
            origins: self.origins,
            horizons: self
                .per_horizon
                .iter()
                .map(|(h, m)| HorizonSkill {
                    h: *h,
                    mae: m.mae,
                    mae_rel_naive: m.mae_rel_naive,
                    dm_p: m.dm_p,
                    da_pct: m.da_pct,
                    da_p: m.da_p,
                    cov95_pct: m.cov95_pct,
                })
                .collect(),
        }
    }
}

/// A fitted model ready to predict: a registry version, or a baseline fitted just now (version 0).
#[derive(Debug)]
pub struct ServableModel {
    /// Which model.
    pub model: ModelId,
    /// Registry version; 0 for a baseline fitted on the spot.
    pub version: i32,
    /// Its walk-forward record, when it has one.
    pub skill: Option<Skill>,
    /// The fitted state.
    pub fitted: FittedModel,
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
    let skill = match walk_forward(&spec, history, &protocol.for_model(id), &|_, _| {}) {
        Ok(bt) => Some(Skill::from_backtest(&bt)?),
        Err(forecast::Error::NotEnoughData { needed, got }) => {
            tracing::info!(model = %id, needed, got, "history too short to evaluate the baseline");
            None
        }
        Err(e) => return Err(e),
    };
    Ok(ServableModel {
        model: id,
        version: 0,
        skill,
        fitted,
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

/// The prediction of `m` from the last of `bars` for h = 1, 2, 5.
pub fn predict(
    bars: &[Bar],
    history: &Ohlcv,
    m: &ServableModel,
) -> Result<ModelPrediction, ComputeError> {
    let last = bars.last().ok_or(ComputeError::NoData)?;
    let f = predict_with_intervals(m, history)?;
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
        let s = signal(last.close, step, m.skill.as_ref().and_then(|sk| sk.at(h)));
        let bound = |level: f64, upper: bool| {
            step.interval(level)
                .map(|iv| if upper { iv.upper } else { iv.lower })
                .filter(|v| v.is_finite())
        };
        horizons.push(PredictedStep {
            h,
            target_date: calendar::add_trading_days(last.date, h as i64)?,
            point: step.point,
            lo95: bound(0.95, false),
            hi95: bound(0.95, true),
            lo99: bound(0.99, false),
            hi99: bound(0.99, true),
            signal: match s.action {
                Action::Buy => TradeSignal::Buy,
                Action::Sell => TradeSignal::Sell,
                Action::Hold => TradeSignal::Hold,
            },
            confidence: s.confidence,
        });
    }
    Ok(ModelPrediction {
        model: m.model,
        version: Some(m.version),
        status: ModelState::Ready,
        message: None,
        metrics: m.skill.as_ref().map(Skill::to_wire),
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

/// A model listed without predictions, saying why.
pub fn unavailable(
    model: ModelId,
    status: ModelState,
    message: impl Into<String>,
) -> ModelPrediction {
    ModelPrediction {
        model,
        version: None,
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
        let p = predict(b, &history, &m).unwrap();
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
            let p = predict(&b, &history, &m).unwrap();
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
        let p = predict(&b, &history, &ServableModel { skill: None, ..m }).unwrap();
        assert!(p
            .horizons
            .iter()
            .all(|s| s.signal == TradeSignal::Hold && s.confidence == 0.0));
    }

    #[test]
    fn a_history_too_short_to_evaluate_is_still_predicted_without_a_record() {
        let b = bars(20);
        let history = Ohlcv::from_bars(&b).unwrap();
        let m = fit_baseline(ModelId::Naive, &history, &Protocol::default()).unwrap();
        assert!(m.skill.is_none());
        assert_eq!(predict(&b, &history, &m).unwrap().horizons.len(), 3);
    }
}

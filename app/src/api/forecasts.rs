//! Forecasts for the predict page. Today: the naive and drift baselines, fitted on the stored history
//! by the `forecast` crate. The other model families are listed as not served yet.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::Forecasts;

/// The model families the product serves once the prediction service runs them.
pub const PLANNED_MODELS: [&str; 5] = [
    "ARIMA",
    "LSTM",
    "Random forest",
    "Gradient-boosted trees",
    "Ensemble",
];

/// Baseline forecasts 1, 2 and 5 trading days after the last stored bar, with 95% intervals and
/// the date each horizon lands on.
#[server(endpoint = "baseline_forecasts")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn baseline_forecasts(symbol: String) -> Result<Forecasts, AppError> {
    use super::market::{not_found, parse_known_format};

    let symbol = parse_known_format(&symbol)?;
    let ctx = crate::ssr::ctx()?;
    let bars = crate::ssr::db::bars(&ctx.pool, &symbol).await?;
    if bars.is_empty() {
        return Err(not_found(&symbol));
    }
    // Fitting is arithmetic over at most 2520 rows, far below a millisecond: no blocking pool needed.
    let market = ctx.market.clone();
    compute(symbol.as_str(), &bars, |date, h| {
        market.trading_day_after(date, h)
    })
    .map_err(|e| {
        tracing::error!(error = %e, "baseline forecast failed");
        AppError::Internal
    })
}

/// Trading days of history drawn before the forecasts.
#[cfg(feature = "ssr")]
const RECENT_DAYS: usize = 60;

/// The forecasts from `bars`; `target_date(last, h)` names the trading day `h` sessions after the
/// last bar (the exchange calendar, passed in: this module knows no holidays).
#[cfg(feature = "ssr")]
fn compute(
    symbol: &str,
    bars: &[forecast::series::Bar],
    target_date: impl Fn(chrono::NaiveDate, usize) -> chrono::NaiveDate,
) -> forecast::Result<Forecasts> {
    use crate::model::{HorizonForecast, ModelForecast, PricePoint};
    use forecast::baseline::{Drift, Naive};
    use forecast::{Fit, Horizon, Level, Ohlcv, Predict};

    let history = Ohlcv::from_bars(bars)?;
    let horizons = Horizon::standard();
    let level = [Level::new(0.95)?];
    let last = bars[bars.len() - 1];
    let to_wire = |f: forecast::Forecast| -> Vec<HorizonForecast> {
        f.steps
            .iter()
            .map(|s| {
                let iv = s.interval(0.95);
                HorizonForecast {
                    h: s.horizon.get(),
                    target_date: target_date(last.date, s.horizon.get()).to_string(),
                    point: s.point,
                    lo95: iv.map_or(f64::NAN, |i| i.lower),
                    hi95: iv.map_or(f64::NAN, |i| i.upper),
                }
            })
            .collect()
    };
    let naive = Naive::default()
        .fit(&history)?
        .predict(&history, &horizons, &level)?;
    let drift = Drift::default()
        .fit(&history)?
        .predict(&history, &horizons, &level)?;
    Ok(Forecasts {
        symbol: symbol.to_string(),
        as_of: last.date.to_string(),
        last_close: last.close,
        recent: bars[bars.len().saturating_sub(RECENT_DAYS)..]
            .iter()
            .map(|b| PricePoint { date: b.date.to_string(), close: b.close })
            .collect(),
        models: vec![
            ModelForecast {
                model: "naive".into(),
                label: "Naive random walk".into(),
                description: "Tomorrow's close is today's close; the interval comes from the last ten years' daily volatility.".into(),
                horizons: to_wire(naive),
            },
            ModelForecast {
                model: "drift".into(),
                label: "Random walk with drift".into(),
                description: "Extends the average daily change of the last ten years.".into(),
                horizons: to_wire(drift),
            },
        ],
        not_yet_served: PLANNED_MODELS.iter().map(|m| m.to_string()).collect(),
    })
}

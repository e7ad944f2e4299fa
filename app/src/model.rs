//! Wire types: what server functions return to the pages (serialisable, no server-only fields).

use serde::{Deserialize, Serialize};

use crate::domain::ChartRange;

/// One ticker on the landing page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TickerSummary {
    /// Ticker symbol.
    pub symbol: String,
    /// Instrument name.
    pub name: String,
    /// Date of the last bar (ISO).
    pub last_date: String,
    /// Last close.
    pub last_close: f64,
    /// Change from the previous close (absent with a single bar).
    pub change: Option<f64>,
    /// Change in percent.
    pub change_pct: Option<f64>,
}

/// The header facts of a stock page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockOverview {
    /// The latest figures.
    pub summary: TickerSummary,
    /// Exchange, where known.
    pub exchange: Option<String>,
    /// Trading currency.
    pub currency: String,
    /// First date of the stored history.
    pub first_date: String,
    /// Number of daily bars stored.
    pub bars: i64,
    /// Where the data comes from.
    pub source: String,
}

/// One point of a price chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PricePoint {
    /// Trading day (ISO).
    pub date: String,
    /// Close.
    pub close: f64,
}

/// Where a response was served from; shown in the UI's fine print and used by tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServedFrom {
    /// The Redis cache.
    Cache,
    /// Postgres (cache miss, or the cache is unavailable).
    Database,
}

/// The closes of one ticker over a chart range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceSeries {
    /// Ticker symbol.
    pub symbol: String,
    /// The range asked for.
    pub range: ChartRange,
    /// Points, oldest first.
    pub points: Vec<PricePoint>,
    /// Cache or database.
    pub served_from: ServedFrom,
}

/// One horizon of a model's forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HorizonForecast {
    /// Trading days ahead of the last bar.
    pub h: usize,
    /// Point forecast of the close.
    pub point: f64,
    /// Lower bound of the 95% prediction interval.
    pub lo95: f64,
    /// Upper bound of the 95% prediction interval.
    pub hi95: f64,
}

/// One model's forecasts for the standard horizons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelForecast {
    /// Model id (`naive`, `drift`).
    pub model: String,
    /// Human name.
    pub label: String,
    /// What the model assumes, in one sentence.
    pub description: String,
    /// 1, 2 and 5 trading days ahead.
    pub horizons: Vec<HorizonForecast>,
}

/// The predict page's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecasts {
    /// Ticker symbol.
    pub symbol: String,
    /// Date of the last bar the forecasts start from.
    pub as_of: String,
    /// Close on that date.
    pub last_close: f64,
    /// The closes before the forecast origin, for the chart (the last 60 trading days).
    pub recent: Vec<PricePoint>,
    /// The models served.
    pub models: Vec<ModelForecast>,
    /// Models the product will serve that are not served yet, said plainly.
    pub not_yet_served: Vec<String>,
}

/// The logged-in user, as the header shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Username.
    pub username: String,
}

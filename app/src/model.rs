//! Wire types: what server functions return to the pages (serialisable, no server-only fields).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{ChartRange, JobId, JobState, PageNumber, Symbol};
pub use forecast::ModelId;

mod hooks;
mod live;
#[cfg(feature = "ssr")]
pub use hooks::KindName;
pub use hooks::{CreatedWebhook, DeliveryAttempt, NewWebhook, Webhook, WebhookDelivery};
pub use live::{Alert, LiveEvent, NewAlert, Notification, Notifications};

/// Timestamps on the wire as RFC 3339 with an explicit offset (`2013-03-01T21:00:00+00:00`).
mod rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }

    /// The same for an optional timestamp.
    pub mod option {
        use chrono::{DateTime, Utc};
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(
            t: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => super::serialize(t, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|text| {
                    DateTime::parse_from_rfc3339(&text)
                        .map(|t| t.with_timezone(&Utc))
                        .map_err(serde::de::Error::custom)
                })
                .transpose()
        }
    }
}

/// One ticker on the landing page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TickerSummary {
    /// Ticker symbol.
    pub symbol: Symbol,
    /// Instrument name.
    pub name: String,
    /// Date of the last bar.
    pub last_date: NaiveDate,
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
    pub first_date: NaiveDate,
    /// Number of daily bars stored.
    pub bars: i64,
    /// Where the data comes from.
    pub source: String,
}

/// One close of a price chart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PricePoint {
    /// Trading day.
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = Date))]
    pub date: NaiveDate,
    /// Split- and dividend-adjusted close.
    pub close: f64,
}

/// Where a response was served from; shown in the UI's fine print and used by tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum ServedFrom {
    /// The Redis cache.
    Cache,
    /// Postgres (cache miss, or the cache is unavailable).
    Database,
}

/// The logged-in user, as the header shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Username.
    pub username: String,
    /// Whether the account administers the site (shows the admin links).
    #[serde(default)]
    pub admin: bool,
}

/// The latest price of a ticker (`GET /api/v1/quote/{symbol}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Quote {
    /// Ticker symbol.
    pub symbol: Symbol,
    /// Last price.
    pub price: f64,
    /// Close of the previous trading day, when known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub previous_close: Option<f64>,
    /// `price - previous_close`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub change: Option<f64>,
    /// Change in percent of the previous close.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub change_pct: Option<f64>,
    /// When the price was current (RFC 3339; a daily close is stamped at 16:00 New York time).
    #[serde(with = "rfc3339")]
    pub as_of: DateTime<Utc>,
    /// Where it came from: a provider name, or `bundled` for the bundled history.
    pub source: String,
}

/// One OHLCV point of a chart: a day, or an aggregate of several days (or minutes, intraday).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OhlcvPoint {
    /// First day of the bucket (ISO date), or the bar's start time (RFC 3339) for intraday bars.
    pub date: String,
    /// Open of the first bar in the bucket.
    pub open: f64,
    /// Highest high in the bucket.
    pub high: f64,
    /// Lowest low in the bucket.
    pub low: f64,
    /// Close of the last bar in the bucket.
    pub close: f64,
    /// Sum of the volumes.
    pub volume: u64,
}

/// OHLCV points of one ticker over a chart range (`GET /api/v1/timeseries/{symbol}?range=R`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TimeSeries {
    /// Ticker symbol.
    pub symbol: Symbol,
    /// The range asked for.
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "1Y"))]
    pub range: ChartRange,
    /// Bucket width: `5min`, `1d`, `2d`, `1w`, or `Nd` for the longest ranges.
    pub interval: String,
    /// Points, oldest first.
    pub points: Vec<OhlcvPoint>,
    /// Why `points` is empty (no data in range, intraday needs a provider key), when it is.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    /// Where the bars come from: a provider name, or `bundled`.
    pub source: String,
    /// Cache or database.
    pub served_from: ServedFrom,
}

/// Technical indicators over the points of a daily-or-longer price chart
/// (`GET /api/v1/indicators/{symbol}?range=R`): one value per chart point, computed on the server
/// from the same adjusted buckets the chart draws, each from that point and the ones before it.
/// `null` where an indicator is still warming up (before 200 points of history, for SMA 200).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IndicatorSeries {
    /// Ticker symbol.
    pub symbol: Symbol,
    /// The range asked for.
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "1Y"))]
    pub range: ChartRange,
    /// Bucket width, as in the time series.
    pub interval: String,
    /// The chart points' dates, oldest first (the time series' `date`s).
    pub dates: Vec<String>,
    /// Simple moving averages of the close over 20, 50 and 200 points.
    pub sma20: Vec<Option<f64>>,
    pub sma50: Vec<Option<f64>>,
    pub sma200: Vec<Option<f64>>,
    /// Exponential moving averages over 12 and 26 points.
    pub ema12: Vec<Option<f64>>,
    pub ema26: Vec<Option<f64>>,
    /// Bollinger bands (20 points, 2 population standard deviations).
    pub bb_upper: Vec<Option<f64>>,
    pub bb_middle: Vec<Option<f64>>,
    pub bb_lower: Vec<Option<f64>>,
    /// Wilder's RSI over 14 points (0–100).
    pub rsi14: Vec<Option<f64>>,
    /// MACD 12/26/9: the line, its signal line and the histogram.
    pub macd: Vec<Option<f64>>,
    pub macd_signal: Vec<Option<f64>>,
    pub macd_hist: Vec<Option<f64>>,
    /// Why there are no points (an intraday range, no bars in range), when there are none.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
}

impl IndicatorSeries {
    /// The lines `indicator` draws, each with its readout name (volume has none here: it is
    /// part of the time series).
    pub fn lines(
        &self,
        indicator: crate::domain::Indicator,
    ) -> Vec<(&'static str, &[Option<f64>])> {
        use crate::domain::Indicator as I;
        match indicator {
            I::Sma20 => vec![("SMA 20", &self.sma20)],
            I::Sma50 => vec![("SMA 50", &self.sma50)],
            I::Sma200 => vec![("SMA 200", &self.sma200)],
            I::Ema12 => vec![("EMA 12", &self.ema12)],
            I::Ema26 => vec![("EMA 26", &self.ema26)],
            I::Bollinger => vec![
                ("BB upper", &self.bb_upper),
                ("BB middle", &self.bb_middle),
                ("BB lower", &self.bb_lower),
            ],
            I::Rsi => vec![("RSI 14", &self.rsi14)],
            I::Macd => vec![
                ("MACD", &self.macd),
                ("MACD signal", &self.macd_signal),
                ("MACD histogram", &self.macd_hist),
            ],
            I::Volume => vec![],
        }
    }
}

/// What is known about the company behind a ticker (`GET /api/v1/overview/{symbol}`). Unknown
/// fields are absent, never zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CompanyProfile {
    /// Ticker symbol.
    pub symbol: Symbol,
    /// Company or instrument name.
    pub name: String,
    /// Listing exchange.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub exchange: Option<String>,
    /// Trading currency.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub currency: Option<String>,
    /// Sector.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sector: Option<String>,
    /// Industry.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub industry: Option<String>,
    /// Market capitalisation in the trading currency.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub market_cap: Option<f64>,
    /// Trailing price/earnings ratio.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pe_ratio: Option<f64>,
    /// 52-week high.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub week52_high: Option<f64>,
    /// 52-week low.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub week52_low: Option<f64>,
    /// Dividend yield in percent.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub dividend_yield: Option<f64>,
    /// Short description.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    /// Where the figures come from (a provider name; `bundled` when only the stored history is known,
    /// in which case the 52-week range is computed from it).
    pub source: String,
}

impl CompanyProfile {
    /// A profile that knows only the name, everything else absent.
    pub fn named(symbol: Symbol, name: impl Into<String>, source: impl Into<String>) -> Self {
        CompanyProfile {
            symbol,
            name: name.into(),
            exchange: None,
            currency: None,
            sector: None,
            industry: None,
            market_cap: None,
            pe_ratio: None,
            week52_high: None,
            week52_low: None,
            dividend_yield: None,
            description: None,
            source: source.into(),
        }
    }
}

/// One news article, normalised across providers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewsItem {
    /// Headline.
    pub title: String,
    /// Publisher.
    pub source: String,
    /// Link to the article.
    pub url: String,
    /// Picture, when the provider gives one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub image: Option<String>,
    /// Publication time (RFC 3339).
    #[serde(with = "rfc3339")]
    pub published_at: DateTime<Utc>,
    /// Summary.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub summary: Option<String>,
    /// Sentiment score in [-1, 1], when the provider gives one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sentiment: Option<f64>,
}

/// The latest articles for the market or for one ticker (`GET /api/v1/news[?symbol=S]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewsFeed {
    /// The ticker, or none for market news.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub symbol: Option<Symbol>,
    /// Articles, newest first.
    pub articles: Vec<NewsItem>,
    /// The provider that answered.
    pub source: String,
    /// Why there are no articles when that is a normal state (no news provider configured); the
    /// pages show it as a sentence, the JSON API answers 503 instead.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub notice: Option<String>,
}

/// Whether the exchange is trading now (the badge on the stock page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketStatus {
    /// True during a regular session.
    pub open: bool,
    /// "Open", "Closed", "Closed for Thanksgiving Day", "Early close at 13:00" ….
    pub label: String,
    /// The next open or close (RFC 3339).
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        with = "rfc3339::option"
    )]
    pub next_change: Option<DateTime<Utc>>,
}

// Predictions: the JSON of `/api/v1/predictions`, `/api/v1/history`, `/api/v1/jobs` and
// `/api/v1/models`, and what the predict page's server functions return.

/// BUY / SELL / HOLD: a direction is only called by a model that showed skill out of sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum TradeSignal {
    /// Predicted rise from a model with demonstrated directional skill.
    Buy,
    /// Predicted fall from a model with demonstrated directional skill.
    Sell,
    /// No call (the usual answer: no model has shown skill on daily closes).
    Hold,
}

impl TradeSignal {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            TradeSignal::Buy => "BUY",
            TradeSignal::Sell => "SELL",
            TradeSignal::Hold => "HOLD",
        }
    }
}

#[cfg(feature = "ssr")]
crate::sql_text_type!(TradeSignal);

impl std::str::FromStr for TradeSignal {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [TradeSignal::Buy, TradeSignal::Sell, TradeSignal::Hold]
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown signal `{s}`"))
    }
}

/// A model's walk-forward record at one horizon (out of sample).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HorizonSkill {
    /// Trading days ahead.
    pub h: usize,
    /// Mean absolute error.
    pub mae: f64,
    /// MAE divided by the random walk's MAE on the same origins (below 1 beats naive).
    pub mae_rel_naive: Option<f64>,
    /// Diebold–Mariano p-value against the random walk (two-sided).
    pub dm_p: Option<f64>,
    /// One-sided Diebold–Mariano p-value of "smaller errors than the random walk".
    #[serde(default)]
    pub dm_p_better: Option<f64>,
    /// The same after Holm's correction across every model and horizon shown with it.
    #[serde(default)]
    pub dm_p_holm: Option<f64>,
    /// Directional accuracy, percent.
    pub da_pct: Option<f64>,
    /// Binomial p-value of the directional accuracy against a coin.
    pub da_p: Option<f64>,
    /// Share of up-moves in the evaluation window, percent: what "always up" would have scored.
    #[serde(default)]
    pub up_pct: Option<f64>,
    /// One-sided binomial p-value of the hit rate against the better constant call.
    #[serde(default)]
    pub da_p_vs_up: Option<f64>,
    /// Share of actuals inside the 95% interval, percent.
    pub cov95_pct: Option<f64>,
    /// Share of actuals inside the 99% interval, percent.
    #[serde(default)]
    pub cov99_pct: Option<f64>,
    /// Whether the record shows skill: it beats the random walk after the correction and calls the
    /// direction better than a constant call. Only then may the model say BUY or SELL.
    #[serde(default)]
    pub skilful: bool,
}

impl HorizonSkill {
    /// The record in words: by how much the model beat the random walk, or plainly that it did not.
    pub fn verdict(&self) -> String {
        let p = |v: Option<f64>| match v.filter(|v| v.is_finite()) {
            None => "—".to_string(),
            Some(p) if p < 0.001 => "< 0.001".to_string(),
            Some(p) => format!("{p:.3}"),
        };
        match (self.skilful, self.mae_rel_naive) {
            (true, Some(rel)) => format!(
                "Beats the random walk: {:.1}% smaller errors (p = {} after correction)",
                (1.0 - rel) * 100.0,
                p(self.dm_p_holm)
            ),
            _ => format!(
                "No better than a random walk (p = {})",
                p(self.dm_p_holm.or(self.dm_p_better))
            ),
        }
    }
}

/// The walk-forward evaluation behind a model version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ModelMetrics {
    /// First forecast origin.
    pub window_from: NaiveDate,
    /// Last forecast origin.
    pub window_to: NaiveDate,
    /// Number of forecast origins.
    pub origins: usize,
    /// One entry per evaluated horizon.
    pub horizons: Vec<HorizonSkill>,
}

/// One horizon of one model's prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PredictedStep {
    /// Trading days ahead of `as_of`.
    pub h: usize,
    /// The session whose close is predicted (NYSE calendar).
    pub target_date: NaiveDate,
    /// Predicted close.
    pub point: f64,
    /// 95% interval, when the model gives one.
    pub lo95: Option<f64>,
    /// Upper bound of the 95% interval.
    pub hi95: Option<f64>,
    /// 99% interval, when the model gives one.
    pub lo99: Option<f64>,
    /// Upper bound of the 99% interval.
    pub hi99: Option<f64>,
    /// The suggested action.
    pub signal: TradeSignal,
    /// Probability that the called direction is right, calibrated on the walk-forward record; 0 for
    /// HOLD.
    pub confidence: f64,
    /// That probability in words (`very low` … `very high`); absent for HOLD.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub confidence_label: Option<String>,
}

/// Whether a model has an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ModelState {
    /// Predictions below.
    Ready,
    /// A training job for this model is queued or running.
    Training,
    /// No version of this model has been trained for the symbol.
    NotTrainedYet,
    /// The model could not produce a forecast; `message` says why.
    Failed,
    /// The ticker's history is shorter than the model's walk-forward evaluation needs; `message`
    /// says how many trading days it needs and has. Nothing is queued for it.
    InsufficientHistory,
}

/// One model's predictions for every horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ModelPrediction {
    /// Model id (`naive`, `drift`, `arima111`, `lstm`, `rf`, `gbm`, `ensemble`, …).
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub model: ModelId,
    /// Registry version; 0 for the baselines, which are fitted on the spot.
    pub version: Option<i32>,
    /// The model's name as fitted, when it says more than the id's label ("ARIMA(2,1,0)").
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub label: Option<String>,
    /// When the version was trained and on which data; absent for the baselines.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trained: Option<Training>,
    /// Whether `horizons` holds an answer.
    pub status: ModelState,
    /// Why there is no answer, in plain words.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message: Option<String>,
    /// The version's walk-forward record; absent when it could not be evaluated.
    pub metrics: Option<ModelMetrics>,
    /// h = 1, 2, 5; empty unless `status` is `ready`.
    pub horizons: Vec<PredictedStep>,
}

/// When a model version was trained and on which bars.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Training {
    /// When the version was recorded.
    #[serde(with = "rfc3339")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub at: DateTime<Utc>,
    /// First bar of its training data.
    pub data_from: NaiveDate,
    /// Last bar of its training data.
    pub data_to: NaiveDate,
}

impl ModelPrediction {
    /// The name a person reads: the fitted model's own label, or the id's.
    pub fn display_name(&self) -> String {
        self.label
            .clone()
            .unwrap_or_else(|| self.model.label().to_string())
    }
}

/// Every model's predictions from the last stored bar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Predictions {
    /// The ticker.
    pub symbol: Symbol,
    /// Date of the last bar the predictions start from.
    pub as_of: NaiveDate,
    /// Its close.
    pub last_close: f64,
    /// The adjusted closes before the forecast origin, for the chart (the last 60 trading days).
    pub recent: Vec<PricePoint>,
    /// One entry per served model, in display order.
    pub models: Vec<ModelPrediction>,
    /// While models are being trained: the job to follow (`GET /api/v1/jobs/{job_id}`); the
    /// models above are what is ready so far.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = Uuid))]
    pub job_id: Option<JobId>,
}

impl Predictions {
    /// Whether every model has its answer (nothing is being trained for this answer).
    pub fn is_complete(&self) -> bool {
        self.job_id.is_none()
    }

    /// Whether some model has no answer only because it was not trained (yet): being trained, or
    /// not queued (an anonymous visitor, a used-up budget).
    pub fn lacks_trained_models(&self) -> bool {
        !self.is_complete()
            || self
                .models
                .iter()
                .any(|m| m.status == ModelState::NotTrainedYet)
    }
}

/// A background job as a user polls it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct JobStatus {
    /// Job id.
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = Uuid))]
    pub id: JobId,
    /// `queued`, `running`, `done` or `failed`.
    pub status: JobState,
    /// 0–100.
    pub progress: i16,
    /// What it is doing now.
    pub step: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

/// A symbol a search found: stored here already, or known to a market-data provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SymbolSuggestion {
    /// The ticker.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub symbol: Symbol,
    /// The instrument's name.
    pub name: String,
    /// Listing exchange, when known.
    pub exchange: Option<String>,
    /// "Equity", "ETF", "Index", … as the provider says.
    pub kind: Option<String>,
    /// Whether its history is stored here (charts and forecasts at once), or would be fetched
    /// on the first visit.
    pub stored: bool,
}

/// What a symbol search found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SearchResults {
    /// The text searched for, as understood.
    pub query: String,
    /// Stored tickers first, then the providers' matches.
    pub matches: Vec<SymbolSuggestion>,
    /// The provider that answered, when one was asked and answered.
    pub source: Option<String>,
    /// Why only stored tickers are listed (no provider configured, or none answering), if so.
    pub notice: Option<String>,
}

/// The first request for a symbol that is not stored yet, and a provider knows: its history is
/// being fetched by `job`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Onboarding {
    /// The ticker.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub symbol: Symbol,
    /// Its name, as the provider gave it.
    pub name: String,
    /// The providers the history is fetched from, in order ("yahoo").
    pub providers: String,
    /// How many years back the first fetch reaches.
    pub years: u32,
    /// The backfill job to follow (`GET /api/v1/jobs/{id}`).
    pub job: JobStatus,
}

/// The stock page's data: the stored ticker, or the backfill of one fetched for the first time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StockLookup {
    /// Stored: its overview.
    Stored(StockOverview),
    /// Being fetched.
    Onboarding(Onboarding),
}

/// One row of an imported file, as read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportedRow {
    /// Line in the file (the header is line 1).
    pub line: usize,
    /// Trading day.
    pub date: NaiveDate,
    /// Open.
    pub open: f64,
    /// High.
    pub high: f64,
    /// Low.
    pub low: f64,
    /// Close.
    pub close: f64,
    /// The file's adjusted close, when it has one.
    pub adj_close: Option<f64>,
    /// Shares traded.
    pub volume: u64,
}

/// A split or dividend an import records: derived from the file's adjusted closes, or a
/// suspected split the importer was asked to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportedAction {
    /// Ex-date.
    pub date: NaiveDate,
    /// `split` or `dividend`.
    pub kind: String,
    /// Split ratio (2 for 2-for-1) or cash per share.
    pub value: f64,
}

/// A one-day move over 50% in an imported file: likely a split the file does not record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SplitSuspect {
    /// Line of the day after the jump.
    pub line: usize,
    /// That day.
    pub date: NaiveDate,
    /// The close before.
    pub previous_close: f64,
    /// The close on `date`.
    pub close: f64,
    /// `previous_close / close` (2 for what looks like a 2-for-1 split).
    pub ratio: f64,
}

/// What an import of daily prices read, and (when committed) stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportReport {
    /// The ticker.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub symbol: Symbol,
    /// The file's layout as recognised ("Yahoo Finance download").
    pub format: String,
    /// Rows read.
    pub rows: usize,
    /// First and last day of the file.
    pub first_date: NaiveDate,
    /// Last day.
    pub last_date: NaiveDate,
    /// Whether anything was written (`false`: a preview).
    pub committed: bool,
    /// Bars that were new.
    pub inserted: u64,
    /// Stored bars the file gives differently, overwritten.
    pub updated: u64,
    /// Bars already stored exactly so: importing the same file twice adds nothing.
    pub unchanged: u64,
    /// Splits and dividends recorded with the bars.
    pub actions: Vec<ImportedAction>,
    /// What the importer did that the file did not say (sorted rows, a missing volume column).
    pub notes: Vec<String>,
    /// Likely unrecorded splits (recorded only when asked).
    pub suspected_splits: Vec<SplitSuspect>,
    /// The first rows, for a preview.
    pub preview: Vec<ImportedRow>,
    /// The stored history's length after the import, and what it allows.
    pub history_note: String,
}

/// One day of a price download: the raw bar and the same day adjusted for later splits and
/// dividends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PriceRow {
    /// Trading day.
    pub date: NaiveDate,
    /// Raw open.
    pub open: f64,
    /// Raw high.
    pub high: f64,
    /// Raw low.
    pub low: f64,
    /// Raw close.
    pub close: f64,
    /// Shares traded.
    pub volume: i64,
    /// Adjusted open.
    pub adj_open: f64,
    /// Adjusted high.
    pub adj_high: f64,
    /// Adjusted low.
    pub adj_low: f64,
    /// Adjusted close.
    pub adj_close: f64,
}

/// One recorded prediction in a download, with the close that happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PredictionRow {
    /// Model id.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub model: ModelId,
    /// Registry version (0 for the baselines).
    pub version: i32,
    /// The bar it started from.
    pub as_of: NaiveDate,
    /// Trading days ahead.
    pub horizon: i16,
    /// The predicted session.
    pub target_date: NaiveDate,
    /// The close it started from.
    pub last_close: f64,
    /// Predicted close.
    pub point: f64,
    /// Lower bound of the 95% interval.
    pub lo95: Option<f64>,
    /// Upper bound of the 95% interval.
    pub hi95: Option<f64>,
    /// The close that happened; empty until that bar is stored.
    pub actual: Option<f64>,
}

/// One model version's walk-forward record at one horizon, in a download.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EvaluationRow {
    /// Model id.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub model: ModelId,
    /// Registry version.
    pub version: i32,
    /// `current`, `candidate`, `retired`, …
    pub state: String,
    /// When it was trained (RFC 3339).
    pub trained: String,
    /// First bar of its training data.
    pub data_from: NaiveDate,
    /// Last bar of its training data.
    pub data_to: NaiveDate,
    /// First forecast origin of its walk-forward evaluation.
    pub window_from: NaiveDate,
    /// Last origin.
    pub window_to: NaiveDate,
    /// Origins evaluated.
    pub origins: i32,
    /// Trading days ahead.
    pub horizon: usize,
    /// MAE over the random walk's MAE on the same origins.
    pub mae_rel_naive: Option<f64>,
    /// Share of actuals inside the 95% interval, in %.
    pub cov95_pct: Option<f64>,
}

/// One recorded prediction beside what happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HistoryPoint {
    /// The bar the prediction started from.
    pub as_of: NaiveDate,
    /// Trading days ahead.
    pub h: usize,
    /// The predicted session.
    pub target_date: NaiveDate,
    /// Model version.
    pub version: i32,
    /// The close it started from (the random walk's forecast).
    pub last_close: f64,
    /// Predicted close.
    pub point: f64,
    /// 95% interval.
    pub lo95: Option<f64>,
    /// Upper bound of the 95% interval.
    pub hi95: Option<f64>,
    /// The close that happened; absent until that bar is stored.
    pub actual: Option<f64>,
    /// Mean absolute error of this model's filled predictions up to and including this one.
    pub running_mae: Option<f64>,
    /// That MAE over the random walk's MAE on the same predictions.
    pub running_mae_rel_naive: Option<f64>,
}

/// One model's record of served predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ModelHistory {
    /// Model id.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub model: ModelId,
    /// Predictions whose actual is known.
    pub filled: usize,
    /// MAE over them.
    pub mae: Option<f64>,
    /// MAE over the random walk's MAE on them.
    pub mae_rel_naive: Option<f64>,
    /// Oldest target first.
    pub points: Vec<HistoryPoint>,
}

/// Predicted against actual for the last `days` calendar days of target dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PredictionHistory {
    /// The ticker.
    pub symbol: Symbol,
    /// Calendar days looked back from the last stored bar.
    pub days: u32,
    /// One entry per model with recorded predictions.
    pub models: Vec<ModelHistory>,
}

/// Where a model version stands in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionState {
    /// Being recorded.
    Candidate,
    /// The version served.
    Current,
    /// Was current; replaced by a later promotion or a rollback.
    Retired,
    /// Scored worse than the current version when it was trained.
    Rejected,
}

impl VersionState {
    /// The word shown.
    pub fn as_str(self) -> &'static str {
        match self {
            VersionState::Candidate => "candidate",
            VersionState::Current => "current",
            VersionState::Retired => "retired",
            VersionState::Rejected => "rejected",
        }
    }
}

/// One trained version of a model: when and on what it was trained, and its walk-forward record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionRow {
    /// 1, 2, … per ticker and model.
    pub version: i32,
    /// Where it stands.
    pub state: VersionState,
    /// When it was trained.
    #[serde(with = "rfc3339")]
    pub trained: DateTime<Utc>,
    /// Its training data: first and last bar, and how many.
    pub data_from: NaiveDate,
    /// Last bar of its training data.
    pub data_to: NaiveDate,
    /// Bars trained on.
    pub rows: i32,
    /// Its walk-forward window: first and last origin, and how many.
    pub window_from: NaiveDate,
    /// Last origin.
    pub window_to: NaiveDate,
    /// Origins.
    pub origins: i32,
    /// Per horizon (1, 2, 5 trading days): MAE over the random walk's, and 95% coverage in %.
    pub horizons: Vec<VersionHorizon>,
}

/// A version's record at one horizon.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VersionHorizon {
    /// Trading days ahead.
    pub h: usize,
    /// MAE over the random walk's MAE.
    pub mae_rel_naive: Option<f64>,
    /// Share of actuals inside the 95% range, in %.
    pub cov95_pct: Option<f64>,
}

/// The calibrated confidence of one horizon's calls and how it held out of sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityTable {
    /// Trading days ahead.
    pub h: usize,
    /// Calls it was fitted on.
    pub calls: usize,
    /// Share of them that were right.
    pub base_rate: f64,
    /// Predicted against observed hit rate, by bins of predicted probability (cross-fitted).
    pub bins: Vec<forecast::signal::ReliabilityBin>,
}

/// One strategy's result over the walk-forward window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyRow {
    /// Total return (0.12 = +12%).
    pub total_return: f64,
    /// Annualised Sharpe ratio.
    pub sharpe: Option<f64>,
    /// Largest peak-to-trough fall (0.2 = −20%).
    pub max_drawdown: f64,
    /// Position changes per day.
    pub turnover: f64,
    /// Share of days with a position whose sign was right.
    pub hit_rate: Option<f64>,
    /// Annualised mean excess return over buy-and-hold (none for buy-and-hold itself).
    pub excess_return: Option<f64>,
    /// One-sided bootstrap p-value of "earns more than buy-and-hold".
    pub p_value: Option<f64>,
    /// Growth of 1 over the window, one value per day.
    pub equity: Vec<f64>,
}

/// Trading a version's one-day calls against buy-and-hold over its walk-forward window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategySummary {
    /// Cost charged per position change (0.001 = 0.1%).
    pub cost_per_trade: f64,
    /// The day of each equity value.
    pub dates: Vec<NaiveDate>,
    /// Buy-and-hold.
    pub buy_and_hold: StrategyRow,
    /// Long when the call is up, flat otherwise.
    pub long_flat: StrategyRow,
    /// Long when up, short when down.
    pub long_short: StrategyRow,
}

/// Every version of one model for a ticker, newest first, with the current one's reliability and
/// strategy backtest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRecord {
    /// Which model.
    pub model: ModelId,
    /// The current version's own name ("ARIMA(2,1,0)"), when it has one.
    pub label: Option<String>,
    /// Newest first.
    pub versions: Vec<VersionRow>,
    /// The current version's calibration per horizon.
    pub reliability: Vec<ReliabilityTable>,
    /// The current version's strategy backtest.
    pub strategy: Option<StrategySummary>,
}

impl ModelRecord {
    /// The name shown: the current version's own, else the model's.
    pub fn display_name(&self) -> String {
        self.label
            .clone()
            .unwrap_or_else(|| self.model.label().to_string())
    }
}

/// The model page of a ticker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelsOverview {
    /// The ticker.
    pub symbol: Symbol,
    /// Every trained model.
    pub models: Vec<ModelRecord>,
    /// Whether the viewer may roll a version back (an administrator).
    pub can_roll_back: bool,
}

/// A current model version and its walk-forward record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ModelVersionSummary {
    /// The ticker it was trained on.
    pub symbol: Symbol,
    /// Model id.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub model: ModelId,
    /// Registry version.
    pub version: i32,
    /// Last bar of its training data.
    pub as_of: NaiveDate,
    /// Its walk-forward record.
    pub metrics: Option<ModelMetrics>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_keep_their_offset_on_the_wire_and_text_that_is_not_one_is_refused() {
        let json = r#"{"open":false,"label":"Closed","next_change":"2013-03-04T14:30:00+00:00"}"#;
        let status: MarketStatus = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&status).unwrap(), json);
        let bad = r#"{"open":false,"label":"Closed","next_change":"yesterday"}"#;
        assert!(serde_json::from_str::<MarketStatus>(bad).is_err());
    }

    #[test]
    fn signals_round_trip_and_unknown_names_are_errors() {
        for s in [TradeSignal::Buy, TradeSignal::Sell, TradeSignal::Hold] {
            assert_eq!(s.as_str().parse::<TradeSignal>().unwrap(), s);
        }
        assert!("MAYBE".parse::<TradeSignal>().is_err());
    }
}

/// One of an account's API keys (never its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiKeyInfo {
    /// The key's public id.
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "k3x9p2m7q1ab"))]
    pub id: crate::domain::ApiKeyId,
    /// How it is shown: `tc_<id>_…`.
    pub display: String,
    /// Its owner's name for it.
    pub name: String,
    /// Its limits.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub tier: crate::domain::Tier,
    /// When it was made.
    #[serde(with = "rfc3339")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: DateTime<Utc>,
    /// When it was last used (counted in batches of a minute or so).
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        with = "rfc3339::option"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        with = "rfc3339::option"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    pub revoked_at: Option<DateTime<Utc>>,
    /// Requests made with it so far.
    pub requests: i64,
    /// Requests today (UTC), when the count is available.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub requests_today: Option<u64>,
}

/// A key just made: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewApiKey {
    /// The key.
    pub key: ApiKeyInfo,
    /// `tc_<id>_<secret>`: keep it now, it cannot be shown again.
    pub secret: String,
}

/// A caller's limits and what it used today (`GET /api/v1/usage`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Usage {
    /// `anonymous`, `free`, `pro` or `admin`.
    pub tier: String,
    /// Requests a minute.
    pub per_minute: u32,
    /// Requests a UTC day.
    pub per_day: u32,
    /// Requests counted today.
    pub used_today: u64,
    /// Requests that may be made right now before the per-minute limit refuses one.
    pub remaining_this_minute: u32,
    /// Symbols whose models may be trained a day (absent: none for anonymous callers).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub training_per_day: Option<u32>,
}

// The news desk: stored market and per-symbol news, page by page (`/news`, `/news/{symbol}`,
// `GET /api/v1/news?page=N`, `GET /api/v1/news/{symbol}?page=N`), and the landing page's headlines.

/// A story's or a ticker's news sentiment, in three: Alpha Vantage's five classes with "somewhat"
/// folded into its side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum SentimentBucket {
    /// Score ≤ -0.15 (bearish and somewhat bearish).
    Bearish,
    /// -0.15 < score < 0.15.
    Neutral,
    /// Score ≥ 0.15 (somewhat bullish and bullish).
    Bullish,
}

impl SentimentBucket {
    /// The bucket of a score in [-1, 1] on Alpha Vantage's published scale (≤ -0.35 bearish,
    /// ≤ -0.15 somewhat bearish, < 0.15 neutral, < 0.35 somewhat bullish, else bullish);
    /// `None` for a score that is not a number.
    pub fn of_score(score: f64) -> Option<Self> {
        match score {
            s if s.is_nan() => None,
            s if s <= -0.15 => Some(Self::Bearish),
            s if s < 0.15 => Some(Self::Neutral),
            _ => Some(Self::Bullish),
        }
    }

    /// The bucket of a provider's label (`Somewhat-Bullish`, `somewhat_bearish`, `Neutral`);
    /// `None` for a label it does not know.
    pub fn of_label(label: &str) -> Option<Self> {
        let l = label.trim().to_ascii_lowercase().replace('_', "-");
        match l.as_str() {
            "bearish" | "somewhat-bearish" => Some(Self::Bearish),
            "neutral" => Some(Self::Neutral),
            "bullish" | "somewhat-bullish" => Some(Self::Bullish),
            _ => None,
        }
    }

    /// An article's bucket: the provider's label when it gives one we know, else its score's.
    pub fn of_article(score: Option<f64>, label: Option<&str>) -> Option<Self> {
        label
            .and_then(Self::of_label)
            .or_else(|| score.and_then(Self::of_score))
    }

    /// The wire name: `bearish`, `neutral`, `bullish`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bearish => "bearish",
            Self::Neutral => "neutral",
            Self::Bullish => "bullish",
        }
    }

    /// The word on a badge: `Bearish`, `Neutral`, `Bullish`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Bearish => "Bearish",
            Self::Neutral => "Neutral",
            Self::Bullish => "Bullish",
        }
    }
}

/// One stored news story, as the news desk shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewsStory {
    /// Headline.
    pub title: String,
    /// Publisher.
    pub source: String,
    /// Link to the article; absent when the provider's link is not an `http(s)` address (a
    /// `javascript:` or `data:` link is never passed on).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub url: Option<String>,
    /// Picture, when the provider gives one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub image: Option<String>,
    /// Publication time (RFC 3339).
    #[serde(with = "rfc3339")]
    pub published_at: DateTime<Utc>,
    /// Summary.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub summary: Option<String>,
    /// Sentiment score in [-1, 1], when the provider scores it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sentiment_score: Option<f64>,
    /// Bullish, neutral or bearish: the provider's label in three, else the score's bucket.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sentiment: Option<SentimentBucket>,
}

impl NewsStory {
    /// `url` when it may be a link: an absolute `http` or `https` URL with a host after the
    /// scheme and no spaces or control characters. A `javascript:`, `data:` or relative link is
    /// not one.
    pub fn web_link(url: &str) -> Option<&str> {
        let url = url.trim();
        let rest = ["https://", "http://"].iter().find_map(|scheme| {
            url.get(..scheme.len())
                .filter(|head| head.eq_ignore_ascii_case(scheme))
                .map(|_| &url[scheme.len()..])
        })?;
        let host_starts = rest
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '[');
        (host_starts && !url.chars().any(|c| c.is_whitespace() || c.is_control())).then_some(url)
    }
}

/// A ticker's news sentiment over its newest stored stories (at most
/// [`SentimentSummary::WINDOW`]), from the providers' sentiment fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SentimentSummary {
    /// Stories looked at: the newest stored, at most [`SentimentSummary::WINDOW`].
    pub articles: u32,
    /// Of those, how many carry a sentiment score.
    pub scored: u32,
    /// Mean score of the scored stories; absent when none is scored.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mean: Option<f64>,
    /// Stories in the bullish bucket.
    pub bullish: u32,
    /// Stories in the neutral bucket.
    pub neutral: u32,
    /// Stories in the bearish bucket.
    pub bearish: u32,
}

impl SentimentSummary {
    /// How many of the newest stories the summary covers.
    pub const WINDOW: u32 = 50;

    /// The summary of stories given as (score, bucket), newest first; only the first
    /// [`SentimentSummary::WINDOW`] count.
    pub fn of(stories: impl IntoIterator<Item = (Option<f64>, Option<SentimentBucket>)>) -> Self {
        let mut s = SentimentSummary {
            articles: 0,
            scored: 0,
            mean: None,
            bullish: 0,
            neutral: 0,
            bearish: 0,
        };
        let mut sum = 0.0;
        for (score, bucket) in stories.into_iter().take(Self::WINDOW as usize) {
            s.articles += 1;
            if let Some(score) = score.filter(|x| x.is_finite()) {
                s.scored += 1;
                sum += score;
            }
            match bucket {
                Some(SentimentBucket::Bullish) => s.bullish += 1,
                Some(SentimentBucket::Neutral) => s.neutral += 1,
                Some(SentimentBucket::Bearish) => s.bearish += 1,
                None => {}
            }
        }
        s.mean = (s.scored > 0).then(|| sum / f64::from(s.scored));
        s
    }
}

/// One page of the news desk: market news (`symbol` absent) or one ticker's, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewsDeskPage {
    /// The ticker, or absent for market news.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub symbol: Option<Symbol>,
    /// The ticker's name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub name: Option<String>,
    /// This page.
    pub page: PageNumber,
    /// Stories per page.
    pub per_page: u32,
    /// Stories stored, over every page.
    pub total: u64,
    /// This page's stories, newest first.
    pub stories: Vec<NewsStory>,
    /// The ticker's sentiment over its newest stories (ticker pages with stories only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sentiment: Option<SentimentSummary>,
    /// Why nothing is stored when that needs saying (no news provider configured).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub notice: Option<String>,
    /// When the page was read from the store (RFC 3339); relative times count from it.
    #[serde(with = "rfc3339")]
    pub as_of: DateTime<Utc>,
}

impl NewsDeskPage {
    /// Stories per page.
    pub const PER_PAGE: u32 = 20;

    /// How many pages there are (one, even when empty).
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(u64::from(self.per_page.max(1))).max(1)
    }

    /// The page of newer stories, if this is not the first.
    pub fn newer(&self) -> Option<PageNumber> {
        self.page.previous()
    }

    /// The page of older stories, if there are more.
    pub fn older(&self) -> Option<PageNumber> {
        if u64::from(self.page.get()) < self.pages() {
            self.page.next()
        } else {
            None
        }
    }
}

/// The landing page's latest market stories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewsHeadlines {
    /// At most [`NewsHeadlines::COUNT`] stories, newest first.
    pub stories: Vec<NewsStory>,
    /// Why none is stored when that needs saying (no news provider configured).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub notice: Option<String>,
    /// When they were read from the store (RFC 3339).
    #[serde(with = "rfc3339")]
    pub as_of: DateTime<Utc>,
}

impl NewsHeadlines {
    /// How many stories the landing page shows.
    pub const COUNT: u32 = 6;
}

#[cfg(test)]
mod news_desk_tests {
    use super::*;

    #[test]
    fn sentiment_scores_fall_into_three_buckets_at_alpha_vantages_thresholds() {
        use SentimentBucket::*;
        let cases = [
            (-1.0, Bearish),
            (-0.35, Bearish),
            (-0.2, Bearish),
            (-0.15, Bearish),
            (-0.149, Neutral),
            (0.0, Neutral),
            (0.149, Neutral),
            (0.15, Bullish),
            (0.34, Bullish),
            (0.35, Bullish),
            (1.0, Bullish),
        ];
        for (score, bucket) in cases {
            assert_eq!(SentimentBucket::of_score(score), Some(bucket), "{score}");
        }
        assert_eq!(SentimentBucket::of_score(f64::NAN), None);
    }

    #[test]
    fn a_providers_label_wins_over_the_score_and_unknown_labels_fall_back_to_it() {
        use SentimentBucket::*;
        assert_eq!(SentimentBucket::of_label("Somewhat-Bullish"), Some(Bullish));
        assert_eq!(SentimentBucket::of_label("somewhat_bearish"), Some(Bearish));
        assert_eq!(SentimentBucket::of_label("Neutral"), Some(Neutral));
        assert_eq!(SentimentBucket::of_label("meh"), None);
        assert_eq!(
            SentimentBucket::of_article(Some(0.1), Some("Bullish")),
            Some(Bullish)
        );
        assert_eq!(
            SentimentBucket::of_article(Some(-0.4), Some("meh")),
            Some(Bearish)
        );
        assert_eq!(SentimentBucket::of_article(None, None), None);
    }

    #[test]
    fn a_sentiment_summary_counts_buckets_and_averages_only_scored_stories() {
        use SentimentBucket::*;
        let s = SentimentSummary::of([
            (Some(0.4), Some(Bullish)),
            (Some(0.2), Some(Bullish)),
            (None, None),
            (Some(-0.3), Some(Bearish)),
            (Some(0.0), Some(Neutral)),
        ]);
        assert_eq!((s.articles, s.scored), (5, 4));
        assert_eq!((s.bullish, s.neutral, s.bearish), (2, 1, 1));
        assert!((s.mean.unwrap() - 0.075).abs() < 1e-12);

        let none = SentimentSummary::of([(None, None), (None, None)]);
        assert_eq!((none.articles, none.scored, none.mean), (2, 0, None));

        let many = SentimentSummary::of((0..80).map(|_| (Some(0.5), Some(Bullish))));
        assert_eq!(
            (many.articles, many.bullish),
            (50, 50),
            "only the newest 50"
        );
    }

    #[test]
    fn a_desk_page_knows_its_neighbours() {
        let page = |n, total| NewsDeskPage {
            symbol: None,
            name: None,
            page: PageNumber::new(n).unwrap(),
            per_page: NewsDeskPage::PER_PAGE,
            total,
            stories: vec![],
            sentiment: None,
            notice: None,
            as_of: DateTime::<Utc>::UNIX_EPOCH,
        };
        assert_eq!(page(1, 0).pages(), 1);
        assert_eq!(page(1, 20).pages(), 1);
        assert_eq!(page(1, 21).pages(), 2);
        assert_eq!(page(1, 21).older().map(PageNumber::get), Some(2));
        assert_eq!(page(1, 21).newer(), None);
        assert_eq!(page(2, 21).older(), None);
        assert_eq!(page(2, 21).newer().map(PageNumber::get), Some(1));
    }
}

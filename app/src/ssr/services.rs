//! The services the server functions call, as traits: the UI layer says what it needs, the server
//! crate provides it (providers, Postgres, Redis, the trading calendar). The JSON API under
//! `/api/v1` calls the same implementations, so the pages and API users always see the same data.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{ChartRange, Symbol};
use crate::error::AppError;
use crate::model::{CompanyProfile, MarketStatus, NewsFeed, Quote, TimeSeries};

/// Market data: Postgres is the truth, Redis a cache, providers the upstream.
#[async_trait]
pub trait MarketData: Send + Sync + 'static {
    /// The latest price. Unknown symbol: `NotFound`.
    async fn quote(&self, symbol: &Symbol) -> Result<Quote, AppError>;

    /// OHLCV points over `range`, downsampled so long ranges stay light. Unknown symbol:
    /// `NotFound`; known symbol without data in range: an empty series with a reason.
    async fn timeseries(&self, symbol: &Symbol, range: ChartRange) -> Result<TimeSeries, AppError>;

    /// Company facts; unknown fields absent. Unknown symbol: `NotFound`.
    async fn overview(&self, symbol: &Symbol) -> Result<CompanyProfile, AppError>;

    /// Latest news for the market (`None`) or one ticker. No news provider configured:
    /// `Unavailable` saying so.
    async fn news(&self, symbol: Option<&Symbol>) -> Result<NewsFeed, AppError>;

    /// Whether the exchange is open at `now`.
    fn market_status(&self, now: DateTime<Utc>) -> MarketStatus;

    /// The trading day `n` sessions after `date` (n = 1: the next trading day).
    fn trading_day_after(&self, date: NaiveDate, n: usize) -> NaiveDate;
}

/// Model predictions, their recorded history and the jobs that train the models.
#[async_trait]
pub trait PredictionService: Send + Sync + 'static {
    /// Predictions from the last stored bar, or the job queued to train what is missing.
    /// Unknown symbol: `NotFound`.
    async fn predictions(
        &self,
        symbol: &Symbol,
    ) -> Result<crate::model::PredictionsReply, AppError>;

    /// Computes and records now what can be predicted (the baselines and every current version)
    /// and queues training for the models that have no version yet (admin precompute).
    async fn precompute(&self, symbol: &Symbol) -> Result<crate::model::Predictions, AppError>;

    /// A job's status. Unknown id: `NotFound`.
    async fn job(&self, id: &str) -> Result<crate::model::JobStatus, AppError>;

    /// Recorded predictions against actuals whose target date lies in the last `days` days.
    async fn history(
        &self,
        symbol: &Symbol,
        days: u32,
    ) -> Result<crate::model::PredictionHistory, AppError>;

    /// Every current model version with its walk-forward record.
    async fn models(&self) -> Result<Vec<crate::model::ModelVersionSummary>, AppError>;
}

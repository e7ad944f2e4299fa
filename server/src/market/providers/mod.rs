//! Market-data provider clients: Alpha Vantage, Finnhub, Polygon and Yahoo's chart API behind one
//! trait, [`MarketDataProvider`], and a [`ProviderChain`] that asks them in a configured order and falls
//! through to the next one when a provider fails.
//!
//! Each client takes its base URL and API key at construction (tests point them at a local server),
//! turns its provider's documented JSON into the provider-neutral types of [`types`], and turns every
//! failure into one [`ProviderError`], including the errors providers send inside a 200 (Alpha
//! Vantage's `Note`, Finnhub's `{"s":"no_data"}`, HTML pages, empty series). Transient failures (5xx,
//! 429, timeouts) are retried with exponential backoff and jitter, honouring `Retry-After`
//! ([`RetryPolicy`]). Every call runs in a tracing span carrying the provider and the symbol.

mod alphavantage;
mod chain;
mod config;
mod error;
mod finnhub;
mod http;
mod polygon;
pub mod types;
mod yahoo;

use std::fmt;
use std::str::FromStr;

use app::domain::Symbol;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::America::New_York;
use serde::{Deserialize, Serialize};

use crate::market::calendar;

pub use alphavantage::{AlphaVantage, ALPHA_VANTAGE_URL};
/// What a person typed to find a ticker, parsed once by the app's domain type.
pub use app::domain::SearchText;
pub use chain::{ChainError, ProviderChain, Sourced};
pub use config::{ApiKey, BaseUrls, ProvidersConfig, ProvidersConfigError};
pub use error::ProviderError;
pub use finnhub::{Finnhub, FINNHUB_URL};
pub use http::{HttpSettings, RetryPolicy};
pub use polygon::{Polygon, POLYGON_URL};
pub use types::{
    CompanyOverview, DailyBar, DateRange, Interval, IntradayBar, InvalidDateRange, InvalidInterval,
    NewsArticle, NewsQuery, Quote, Sentiment, SentimentLabel, SymbolMatch, MAX_SYMBOL_MATCHES,
};
pub use yahoo::{Yahoo, YAHOO_URL};

/// A market-data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// Alpha Vantage.
    AlphaVantage,
    /// Finnhub.
    Finnhub,
    /// Polygon.io.
    Polygon,
    /// Yahoo Finance's chart and search APIs (no key).
    Yahoo,
}

impl ProviderKind {
    /// Every provider, in the default order of preference.
    pub const ALL: [ProviderKind; 4] = [
        ProviderKind::Polygon,
        ProviderKind::AlphaVantage,
        ProviderKind::Finnhub,
        ProviderKind::Yahoo,
    ];

    /// The name used in configuration and logs (`alphavantage`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::AlphaVantage => "alphavantage",
            ProviderKind::Finnhub => "finnhub",
            ProviderKind::Polygon => "polygon",
            ProviderKind::Yahoo => "yahoo",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A provider name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown market-data provider `{0}` (expected alphavantage, finnhub, polygon or yahoo)")]
pub struct UnknownProvider(pub String);

impl FromStr for ProviderKind {
    type Err = UnknownProvider;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "alphavantage" | "alpha_vantage" | "alpha-vantage" => Ok(ProviderKind::AlphaVantage),
            "finnhub" => Ok(ProviderKind::Finnhub),
            "polygon" => Ok(ProviderKind::Polygon),
            "yahoo" => Ok(ProviderKind::Yahoo),
            _ => Err(UnknownProvider(s.trim().to_string())),
        }
    }
}

/// A kind of data a provider may be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// [`MarketDataProvider::daily_bars`].
    DailyBars,
    /// [`MarketDataProvider::intraday_bars`].
    IntradayBars,
    /// [`MarketDataProvider::quote`].
    Quote,
    /// [`MarketDataProvider::overview`].
    Overview,
    /// [`MarketDataProvider::news`].
    News,
    /// [`MarketDataProvider::search`].
    Search,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::DailyBars => "daily bars",
            Operation::IntradayBars => "intraday bars",
            Operation::Quote => "quotes",
            Operation::Overview => "company overviews",
            Operation::News => "news",
            Operation::Search => "symbol search",
        })
    }
}

/// One market-data provider. Trait objects so that a [`ProviderChain`] can hold any mix of them.
#[async_trait]
pub trait MarketDataProvider: Send + Sync + fmt::Debug {
    /// Which provider this is.
    fn kind(&self) -> ProviderKind;

    /// Daily bars of `symbol` within `range`, oldest first, at least one.
    async fn daily_bars(
        &self,
        symbol: &Symbol,
        range: DateRange,
    ) -> Result<Vec<DailyBar>, ProviderError>;

    /// Regular-session bars of `symbol` `interval` wide on the exchange days of `range`, oldest
    /// first, at least one.
    async fn intraday_bars(
        &self,
        _symbol: &Symbol,
        _range: DateRange,
        _interval: Interval,
    ) -> Result<Vec<IntradayBar>, ProviderError> {
        Err(ProviderError::Unsupported {
            provider: self.kind(),
            operation: Operation::IntradayBars,
        })
    }

    /// The latest price of `symbol`.
    async fn quote(&self, symbol: &Symbol) -> Result<Quote, ProviderError>;

    /// What is known about the company behind `symbol`.
    async fn overview(&self, _symbol: &Symbol) -> Result<CompanyOverview, ProviderError> {
        Err(ProviderError::Unsupported {
            provider: self.kind(),
            operation: Operation::Overview,
        })
    }

    /// News articles, newest first, at least one.
    async fn news(&self, _query: &NewsQuery) -> Result<Vec<NewsArticle>, ProviderError> {
        Err(ProviderError::Unsupported {
            provider: self.kind(),
            operation: Operation::News,
        })
    }

    /// Listings whose ticker or name matches `query`, best first, at most [`MAX_SYMBOL_MATCHES`],
    /// each ticker once. No match is `Ok(vec![])`, not an error: an answer, unlike a failure.
    async fn search(&self, _query: &SearchText) -> Result<Vec<SymbolMatch>, ProviderError> {
        Err(ProviderError::Unsupported {
            provider: self.kind(),
            operation: Operation::Search,
        })
    }
}

/// Keeps the bars inside `range`, sorts them by date, drops repeated days and refuses an empty result.
fn finish_bars(
    provider: ProviderKind,
    symbol: &Symbol,
    range: DateRange,
    mut bars: Vec<DailyBar>,
) -> Result<Vec<DailyBar>, ProviderError> {
    bars.retain(|b| range.contains(b.date));
    bars.sort_by_key(|b| b.date);
    bars.dedup_by_key(|b| b.date);
    if bars.is_empty() {
        return Err(ProviderError::no_data(
            provider,
            format!(
                "no daily bars for {symbol} from {} to {}",
                range.from(),
                range.to()
            ),
        ));
    }
    Ok(bars)
}

/// Keeps the bars whose exchange day (`local_day` of their start) lies in `range`, sorts them by
/// start, drops repeated starts and refuses an empty result.
fn finish_intraday(
    provider: ProviderKind,
    symbol: &Symbol,
    range: DateRange,
    interval: Interval,
    local_day: impl Fn(DateTime<Utc>) -> NaiveDate,
    mut bars: Vec<IntradayBar>,
) -> Result<Vec<IntradayBar>, ProviderError> {
    bars.retain(|b| range.contains(local_day(b.start)));
    bars.sort_by_key(|b| b.start);
    bars.dedup_by_key(|b| b.start);
    if bars.is_empty() {
        return Err(ProviderError::no_data(
            provider,
            format!(
                "no {interval} bars for {symbol} from {} to {}",
                range.from(),
                range.to()
            ),
        ));
    }
    Ok(bars)
}

/// The New York calendar day of an instant: the trading day of a US-listed bar.
fn new_york_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&New_York).date_naive()
}

/// Whether a bar starting at `start` lies in the NYSE regular session of its day (09:30 to 16:00, or
/// to 13:00 on an early-close day). Polygon and Finnhub send pre- and post-market bars with no way
/// to ask for the session alone; this drops them.
fn in_regular_session(start: DateTime<Utc>) -> bool {
    let day = new_york_day(start);
    calendar::is_trading_day(day)
        && calendar::session_open(day) <= start
        && start < calendar::session_close(day)
}

/// Sorts articles newest first, keeps `limit` and refuses an empty result.
fn finish_news(
    provider: ProviderKind,
    mut articles: Vec<NewsArticle>,
    query: &NewsQuery,
) -> Result<Vec<NewsArticle>, ProviderError> {
    articles.retain(|a| query.range.contains(a.published_at.date_naive()));
    articles.sort_by_key(|a| std::cmp::Reverse(a.published_at));
    articles.truncate(query.limit);
    if articles.is_empty() {
        let about = query
            .symbol
            .as_ref()
            .map_or_else(|| "the market".to_string(), |s| s.to_string());
        return Err(ProviderError::no_data(
            provider,
            format!(
                "no news about {about} from {} to {}",
                query.range.from(),
                query.range.to()
            ),
        ));
    }
    Ok(articles)
}

/// A finite, non-negative number, or `Malformed` naming the field.
fn price(provider: ProviderKind, field: &str, value: f64) -> Result<f64, ProviderError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(ProviderError::malformed(
            provider,
            format!("`{field}` is not a price: {value}"),
        ))
    }
}

/// A volume given as a float (Polygon writes `7.0790813e+07`), rounded to whole shares.
fn volume(provider: ProviderKind, value: f64) -> Result<u64, ProviderError> {
    if value.is_finite() && value >= 0.0 && value < u64::MAX as f64 {
        Ok(value.round() as u64)
    } else {
        Err(ProviderError::malformed(
            provider,
            format!("`volume` is not a share count: {value}"),
        ))
    }
}

/// Turns `""` into `None`: providers write empty strings for unknown text fields.
fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_names_round_trip_through_configuration() {
        for kind in ProviderKind::ALL {
            assert_eq!(kind.as_str().parse::<ProviderKind>().unwrap(), kind);
        }
        assert_eq!(
            " Alpha_Vantage ".parse::<ProviderKind>().unwrap(),
            ProviderKind::AlphaVantage
        );
        assert!("bloomberg".parse::<ProviderKind>().is_err());
    }

    #[test]
    fn negative_or_infinite_prices_are_malformed() {
        assert!(price(ProviderKind::Yahoo, "close", -1.0).is_err());
        assert!(price(ProviderKind::Yahoo, "close", f64::NAN).is_err());
        assert_eq!(price(ProviderKind::Yahoo, "close", 1.5).unwrap(), 1.5);
        assert_eq!(
            volume(ProviderKind::Polygon, 7.0790813e7).unwrap(),
            70_790_813
        );
        assert!(volume(ProviderKind::Polygon, -3.0).is_err());
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_regular_session_follows_new_york_daylight_saving_time() {
        // Friday 2024-03-08 is on EST (UTC-5), Monday 2024-03-11 on EDT (UTC-4).
        assert!(!in_regular_session(utc("2024-03-08T14:25:00Z")));
        assert!(in_regular_session(utc("2024-03-08T14:30:00Z")));
        assert!(in_regular_session(utc("2024-03-08T20:55:00Z")));
        assert!(!in_regular_session(utc("2024-03-08T21:00:00Z")));
        assert!(in_regular_session(utc("2024-03-11T13:30:00Z")));
        assert!(!in_regular_session(utc("2024-03-11T20:00:00Z")));
    }

    #[test]
    fn early_closes_and_holidays_have_no_afternoon_or_no_session() {
        // The day after Thanksgiving 2024 closes at 13:00; Christmas Day has no session.
        assert!(in_regular_session(utc("2024-11-29T17:55:00Z")));
        assert!(!in_regular_session(utc("2024-11-29T18:00:00Z")));
        assert!(!in_regular_session(utc("2024-12-25T15:00:00Z")));
    }

    #[test]
    fn intraday_bars_are_kept_by_their_exchange_day_sorted_and_unique() {
        let bar = |start: &str, close: f64| IntradayBar {
            start: utc(start),
            open: close,
            high: close,
            low: close,
            close,
            volume: 1,
        };
        let symbol = Symbol::parse("AAPL").unwrap();
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        let range = DateRange::new(day("2024-03-08"), day("2024-03-08")).unwrap();
        let bars = vec![
            // 19:30 in New York on the 8th, the 9th in UTC: kept.
            bar("2024-03-09T00:30:00Z", 3.0),
            bar("2024-03-08T14:35:00Z", 2.0),
            bar("2024-03-08T14:30:00Z", 1.0),
            bar("2024-03-08T14:30:00Z", 1.0),
            // The 7th in New York: dropped.
            bar("2024-03-08T04:30:00Z", 0.0),
        ];
        let kept = finish_intraday(
            ProviderKind::Polygon,
            &symbol,
            range,
            Interval::Min5,
            new_york_day,
            bars,
        )
        .unwrap();
        let closes: Vec<f64> = kept.iter().map(|b| b.close).collect();
        assert_eq!(closes, [1.0, 2.0, 3.0]);
        let err = finish_intraday(
            ProviderKind::Polygon,
            &symbol,
            range,
            Interval::Min5,
            new_york_day,
            vec![],
        )
        .unwrap_err();
        assert!(matches!(err, ProviderError::NoData { .. }), "{err}");
        assert!(err.to_string().contains("5min"), "{err}");
    }
}

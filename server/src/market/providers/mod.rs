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
use serde::{Deserialize, Serialize};

pub use alphavantage::{AlphaVantage, ALPHA_VANTAGE_URL};
pub use chain::{ChainError, ProviderChain, Sourced};
pub use config::{ApiKey, BaseUrls, ProvidersConfig, ProvidersConfigError};
pub use error::ProviderError;
pub use finnhub::{Finnhub, FINNHUB_URL};
pub use http::{HttpSettings, RetryPolicy};
pub use polygon::{Polygon, POLYGON_URL};
pub use types::{
    CompanyOverview, DailyBar, DateRange, InvalidDateRange, NewsArticle, NewsQuery, Quote,
    Sentiment, SentimentLabel,
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
    /// Yahoo Finance's chart API (no key).
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
    /// [`MarketDataProvider::quote`].
    Quote,
    /// [`MarketDataProvider::overview`].
    Overview,
    /// [`MarketDataProvider::news`].
    News,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::DailyBars => "daily bars",
            Operation::Quote => "quotes",
            Operation::Overview => "company overviews",
            Operation::News => "news",
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
}

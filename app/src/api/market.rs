//! Tickers, overviews and price series.

use leptos::prelude::*;

use crate::domain::ChartRange;
use crate::error::AppError;
use crate::model::{
    CompanyProfile, IndicatorSeries, MarketStatus, NewsFeed, Quote, StockOverview, TickerSummary,
    TimeSeries,
};

#[cfg(feature = "ssr")]
use crate::domain::Symbol;

/// Every ticker with data, with its last close and one-day change.
#[server(endpoint = "list_tickers")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn list_tickers() -> Result<Vec<TickerSummary>, AppError> {
    Ok(crate::ssr::ctx()?.market.tickers().await?)
}

/// The stock page's header facts. Unknown or malformed symbols are `NotFound`.
#[server(name = GetStockOverview, endpoint = "stock_overview")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn stock_overview(symbol: String) -> Result<StockOverview, AppError> {
    let symbol = parse_known_format(&symbol)?;
    Ok(crate::ssr::ctx()?.market.stock_overview(&symbol).await?)
}

/// OHLCV points over a chart range, downsampled on the server (see [`crate::ssr::MarketData`]).
#[server(name = GetPriceSeries, endpoint = "price_series")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn price_series(symbol: String, range: ChartRange) -> Result<TimeSeries, AppError> {
    let symbol = parse_known_format(&symbol)?;
    Ok(crate::ssr::ctx()?.market.timeseries(&symbol, range).await?)
}

/// Technical indicators over the points of the same chart (see [`crate::ssr::MarketData`]).
#[server(name = GetIndicators, endpoint = "indicators")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn indicator_series(
    symbol: String,
    range: ChartRange,
) -> Result<IndicatorSeries, AppError> {
    let symbol = parse_known_format(&symbol)?;
    Ok(crate::ssr::ctx()?.market.indicators(&symbol, range).await?)
}

/// The latest price, previous close and change.
#[server(name = GetQuote, endpoint = "quote")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn quote(symbol: String) -> Result<Quote, AppError> {
    let symbol = parse_known_format(&symbol)?;
    Ok(crate::ssr::ctx()?.market.quote(&symbol).await?)
}

/// Company facts (sector, market cap, P/E, 52-week range, dividend yield) where known.
#[server(name = GetCompanyProfile, endpoint = "company_profile")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn company_profile(symbol: String) -> Result<CompanyProfile, AppError> {
    let symbol = parse_known_format(&symbol)?;
    Ok(crate::ssr::ctx()?.market.overview(&symbol).await?)
}

/// Latest news for one ticker, or for the market when `symbol` is empty.
#[server(name = GetNews, endpoint = "news")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn news(symbol: Option<String>) -> Result<NewsFeed, AppError> {
    let symbol = match symbol.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(parse_known_format(raw)?),
    };
    match crate::ssr::ctx()?.market.news(symbol.as_ref()).await {
        // No news provider is a normal state of a fresh install: the page says so in a sentence
        // instead of logging a failed request.
        Err(crate::ssr::ServiceError::Unavailable(notice)) => Ok(NewsFeed {
            symbol,
            articles: vec![],
            source: "none".into(),
            notice: Some(notice),
        }),
        other => Ok(other?),
    }
}

/// Whether the exchange is trading right now.
#[server(name = GetMarketStatus, endpoint = "market_status")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn market_status() -> Result<MarketStatus, AppError> {
    Ok(crate::ssr::ctx()?.market.market_status(chrono::Utc::now()))
}

#[cfg(feature = "ssr")]
pub(crate) fn parse_known_format(raw: &str) -> Result<Symbol, AppError> {
    // A malformed symbol names no ticker: the person sees the same "not found" page.
    Symbol::parse(raw).map_err(AppError::NotFound)
}

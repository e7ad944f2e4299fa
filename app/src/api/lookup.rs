//! Ticker search, and opening a stock page for a symbol that may not be stored yet.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{SearchResults, StockLookup};

/// Stored tickers matching `q`, then the market-data providers' matches.
#[server(name = SearchSymbols, endpoint = "search_symbols")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn search_symbols(q: String) -> Result<SearchResults, AppError> {
    let text = crate::domain::SearchText::parse(&q).map_err(AppError::BadRequest)?;
    Ok(crate::ssr::ctx()?.lookup.search(&text).await?)
}

/// The stock page's data: the stored ticker's overview, or — on the first request for a symbol a
/// provider knows — the backfill job that is fetching its history.
#[server(name = OpenStock, endpoint = "open_stock")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn open_stock(symbol: String) -> Result<StockLookup, AppError> {
    let symbol = super::market::parse_known_format(&symbol)?;
    let ctx = crate::ssr::ctx()?;
    let (caller, client) = (
        crate::ssr::caller().await?,
        crate::ssr::client_addr().await?,
    );
    if let Some(onboarding) = ctx.lookup.onboard(&symbol, &caller, client).await? {
        return Ok(StockLookup::Onboarding(onboarding));
    }
    Ok(StockLookup::Stored(
        ctx.market.stock_overview(&symbol).await?,
    ))
}

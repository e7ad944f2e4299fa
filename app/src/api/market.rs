//! Tickers, overviews and price series.

use leptos::prelude::*;

use crate::domain::ChartRange;
use crate::error::AppError;
use crate::model::{PriceSeries, StockOverview, TickerSummary};

#[cfg(feature = "ssr")]
use crate::domain::Symbol;

/// Price series are cached this long; the bundled history never changes while the app runs, and
/// ingestion rewrites the key when new bars arrive.
#[cfg(feature = "ssr")]
const SERIES_TTL: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// Every ticker with data, with its last close and one-day change.
#[server(endpoint = "list_tickers")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn list_tickers() -> Result<Vec<TickerSummary>, AppError> {
    let ctx = crate::ssr::ctx()?;
    Ok(crate::ssr::db::ticker_summaries(&ctx.pool).await?)
}

/// The stock page's header facts. Unknown or malformed symbols are `NotFound`.
#[server(name = GetStockOverview, endpoint = "stock_overview")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn stock_overview(symbol: String) -> Result<StockOverview, AppError> {
    let symbol = parse_known_format(&symbol)?;
    let ctx = crate::ssr::ctx()?;
    crate::ssr::db::overview(&ctx.pool, &symbol)
        .await?
        .ok_or_else(|| not_found(&symbol))
}

/// Closes over a chart range, from Redis when cached, else from Postgres (and then cached).
#[server(name = GetPriceSeries, endpoint = "price_series")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn price_series(symbol: String, range: ChartRange) -> Result<PriceSeries, AppError> {
    use crate::model::{PricePoint, ServedFrom};

    let symbol = parse_known_format(&symbol)?;
    let ctx = crate::ssr::ctx()?;
    let key = format!("series:v1:{}:{}", symbol, range.as_str());
    if let Some(mut cached) = ctx.cache.get_json::<PriceSeries>(&key).await {
        cached.served_from = ServedFrom::Cache;
        return Ok(cached);
    }
    let Some(last) = crate::ssr::db::last_date(&ctx.pool, &symbol).await? else {
        if crate::ssr::db::ticker_exists(&ctx.pool, &symbol).await? {
            return Ok(PriceSeries {
                symbol: symbol.to_string(),
                range,
                points: vec![],
                served_from: ServedFrom::Database,
            });
        }
        return Err(not_found(&symbol));
    };
    let rows = crate::ssr::db::closes(&ctx.pool, &symbol, range.start(last)).await?;
    let series = PriceSeries {
        symbol: symbol.to_string(),
        range,
        points: rows
            .into_iter()
            .map(|(date, close)| PricePoint {
                date: date.to_string(),
                close,
            })
            .collect(),
        served_from: ServedFrom::Database,
    };
    ctx.cache.set_json(&key, &series, SERIES_TTL).await;
    Ok(series)
}

#[cfg(feature = "ssr")]
pub(crate) fn parse_known_format(raw: &str) -> Result<Symbol, AppError> {
    // A malformed symbol names no ticker: the person sees the same "not found" page.
    Symbol::parse(raw).map_err(AppError::NotFound)
}

#[cfg(feature = "ssr")]
pub(crate) fn not_found(symbol: &Symbol) -> AppError {
    AppError::NotFound(format!("We have no data for the ticker {symbol}."))
}

//! `GET /api/v1/quote/{symbol}`, `/timeseries/{symbol}?range=R`, `/overview/{symbol}` and
//! `/news[?symbol=S]`: input parsed once into domain types, answers straight from the market
//! service.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;

use app::domain::{ChartRange, Symbol};
use app::model::{CompanyProfile, NewsFeed, Quote, TimeSeries};

use super::error::ApiError;
use crate::routes::AppState;

/// `?range=`; absent means one year.
#[derive(Debug, Deserialize)]
pub struct RangeQuery {
    range: Option<String>,
}

/// `?symbol=`; absent or blank means market news.
#[derive(Debug, Deserialize)]
pub struct NewsParams {
    symbol: Option<String>,
}

fn symbol(raw: &str) -> Result<Symbol, ApiError> {
    Symbol::parse(raw).map_err(ApiError::invalid_symbol)
}

/// The path's symbol; a segment that is not even text (bad `%` escapes) is a malformed symbol too.
fn path_symbol(path: Result<Path<String>, PathRejection>) -> Result<Symbol, ApiError> {
    let Path(raw) = path.map_err(|e| ApiError::invalid_symbol(e.body_text()))?;
    symbol(&raw)
}

/// The latest price, previous close and change.
pub async fn quote(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Quote>, ApiError> {
    let symbol = path_symbol(path)?;
    Ok(Json(state.ctx.market.quote(&symbol).await?))
}

/// OHLCV points over a range, downsampled for the long ones.
pub async fn timeseries(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> Result<Json<TimeSeries>, ApiError> {
    let symbol = path_symbol(path)?;
    let Query(q) = query.map_err(|e| ApiError::invalid_range(e.body_text()))?;
    let range = match q.range.as_deref() {
        None => ChartRange::default(),
        Some(r) => ChartRange::parse(r).map_err(ApiError::invalid_range)?,
    };
    Ok(Json(state.ctx.market.timeseries(&symbol, range).await?))
}

/// Company facts; unknown fields absent.
pub async fn overview(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<CompanyProfile>, ApiError> {
    let symbol = path_symbol(path)?;
    Ok(Json(state.ctx.market.overview(&symbol).await?))
}

/// The latest articles for the market or one ticker.
pub async fn news(
    State(state): State<AppState>,
    query: Result<Query<NewsParams>, QueryRejection>,
) -> Result<Json<NewsFeed>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::invalid_symbol(e.body_text()))?;
    let symbol = match q.symbol.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(symbol(raw)?),
    };
    Ok(Json(state.ctx.market.news(symbol.as_ref()).await?))
}

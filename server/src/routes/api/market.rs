//! `GET /api/v1/quote/{symbol}`, `/timeseries/{symbol}?range=R`, `/indicators/{symbol}?range=R`,
//! and `/overview/{symbol}`: input parsed once into domain types, answers from
//! the market service; quotes, series and indicators kept encoded for the next callers
//! ([`super::encoded`]).

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use app::domain::ChartRange;
use app::model::{CompanyProfile, IndicatorSeries, Quote, ServedFrom, TimeSeries};

use super::error::{ApiError, ErrorBody};
use super::extract::path_symbol;
use super::lookup::{pending, Asker};
use crate::routes::AppState;

/// `?range=`; absent means one year.
#[derive(Debug, Deserialize)]
pub struct RangeQuery {
    range: Option<String>,
}

/// The latest price, previous close and change.
#[utoipa::path(
    get,
    path = "/api/v1/quote/{symbol}",
    tag = "market",
    params(("symbol" = app::domain::Symbol, Path, description = "Ticker symbol (`^` as `%5E`)")),
    responses(
        (status = 200, description = "The quote", body = Quote),
        (status = 400, description = "Malformed symbol", body = ErrorBody),
        (status = 202, description = "First request for a symbol a provider knows: its history is being fetched", body = app::model::Onboarding),
        (status = 404, description = "Unknown symbol", body = ErrorBody),
    )
)]
pub async fn quote(
    State(state): State<AppState>,
    asker: Asker,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let symbol = path_symbol(path)?;
    let key = format!("quote:{symbol}");
    if let Some(hit) = state.encoded.hit(&key, &headers) {
        return Ok(hit);
    }
    if let Some(pending) = pending(&state, &symbol, &asker).await? {
        return Ok(pending);
    }
    let quote = state.ctx.market.quote(&symbol).await?;
    Ok(state.encoded.keep(key, &symbol, &quote, &headers))
}

/// OHLCV points over a chart range, downsampled for the long ranges.
#[utoipa::path(
    get,
    path = "/api/v1/timeseries/{symbol}",
    tag = "market",
    params(
        ("symbol" = app::domain::Symbol, Path, description = "Ticker symbol (`^` as `%5E`)"),
        ("range" = Option<app::domain::ChartRange>, Query, description = "How far back from the last bar (default 1Y)", example = "5Y"),
    ),
    responses(
        (status = 200, description = "The series (empty with a reason when there is no data in range)", body = TimeSeries),
        (status = 400, description = "Malformed symbol or range", body = ErrorBody),
        (status = 202, description = "First request for a symbol a provider knows: its history is being fetched", body = app::model::Onboarding),
        (status = 404, description = "Unknown symbol", body = ErrorBody),
    )
)]
pub async fn timeseries(
    State(state): State<AppState>,
    asker: Asker,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let symbol = path_symbol(path)?;
    let range = chart_range(query)?;
    let key = format!("timeseries:{symbol}:{}", range.as_str());
    if let Some(hit) = state.encoded.hit(&key, &headers) {
        return Ok(hit);
    }
    if let Some(pending) = pending(&state, &symbol, &asker).await? {
        return Ok(pending);
    }
    let series = state.ctx.market.timeseries(&symbol, range).await?;
    // Kept as the next callers will get it: from a cache.
    let kept = TimeSeries {
        served_from: ServedFrom::Cache,
        ..series.clone()
    };
    state.encoded.put(key, &symbol, &kept);
    Ok(Json(series).into_response())
}

/// SMA 20/50/200, EMA 12/26, Bollinger 20/2, RSI 14 and MACD 12/26/9 over the points of the same
/// chart, one value per point (`null` while an indicator warms up).
#[utoipa::path(
    get,
    path = "/api/v1/indicators/{symbol}",
    tag = "market",
    params(
        ("symbol" = app::domain::Symbol, Path, description = "Ticker symbol (`^` as `%5E`)"),
        ("range" = Option<app::domain::ChartRange>, Query, description = "How far back from the last bar (default 1Y)", example = "5Y"),
    ),
    responses(
        (status = 200, description = "The indicators (empty with a reason for intraday ranges or no data in range)", body = IndicatorSeries),
        (status = 400, description = "Malformed symbol or range", body = ErrorBody),
        (status = 202, description = "First request for a symbol a provider knows: its history is being fetched", body = app::model::Onboarding),
        (status = 404, description = "Unknown symbol", body = ErrorBody),
    )
)]
pub async fn indicators(
    State(state): State<AppState>,
    asker: Asker,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<RangeQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let symbol = path_symbol(path)?;
    let range = chart_range(query)?;
    let key = format!("indicators:{symbol}:{}", range.as_str());
    if let Some(hit) = state.encoded.hit(&key, &headers) {
        return Ok(hit);
    }
    if let Some(pending) = pending(&state, &symbol, &asker).await? {
        return Ok(pending);
    }
    let series = state.ctx.market.indicators(&symbol, range).await?;
    Ok(state.encoded.keep(key, &symbol, &series, &headers))
}

/// `?range=` parsed once; absent means one year.
fn chart_range(query: Result<Query<RangeQuery>, QueryRejection>) -> Result<ChartRange, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::invalid_range(e.body_text()))?;
    match q.range.as_deref() {
        None => Ok(ChartRange::default()),
        Some(r) => ChartRange::parse(r).map_err(ApiError::invalid_range),
    }
}

/// Company facts; unknown fields are absent.
#[utoipa::path(
    get,
    path = "/api/v1/overview/{symbol}",
    tag = "market",
    params(("symbol" = app::domain::Symbol, Path, description = "Ticker symbol (`^` as `%5E`)")),
    responses(
        (status = 200, description = "The company profile", body = CompanyProfile),
        (status = 400, description = "Malformed symbol", body = ErrorBody),
        (status = 202, description = "First request for a symbol a provider knows: its history is being fetched", body = app::model::Onboarding),
        (status = 404, description = "Unknown symbol", body = ErrorBody),
    )
)]
pub async fn overview(
    State(state): State<AppState>,
    asker: Asker,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let symbol = path_symbol(path)?;
    if let Some(pending) = pending(&state, &symbol, &asker).await? {
        return Ok(pending);
    }
    Ok(Json(state.ctx.market.overview(&symbol).await?).into_response())
}

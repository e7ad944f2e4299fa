//! `GET /api/v1/news?page=N` and `GET /api/v1/news/{symbol}?page=N`: the news desk's pages as
//! JSON, from the same [`app::ssr::NewsDesk`] the `/news` pages read (the store through the cache;
//! no provider is asked; the scheduler keeps the store fresh).

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use app::domain::PageNumber;
use app::domain::Symbol;
use app::model::NewsDeskPage;

use super::error::{ApiError, ErrorBody};
use super::extract::{path_symbol, symbol};
use crate::routes::AppState;

/// `?page=` and, on the market route, `?symbol=`.
#[derive(Debug, Deserialize)]
pub struct DeskParams {
    page: Option<String>,
    symbol: Option<String>,
}

/// Market news (or, with `symbol`, one ticker's), page by page from the store.
#[utoipa::path(
    get,
    path = "/api/v1/news",
    tag = "market",
    params(
        ("page" = Option<u32>, Query, description = "Page, 1 to 1000 (default 1), newest first (20 a page)", minimum = 1, maximum = 1000),
        ("symbol" = Option<String>, Query, description = "Ticker symbol; absent or empty for market news", pattern = r"^[A-Za-z0-9.^-]{0,10}$"),
    ),
    responses(
        (status = 200, description = "A page of stored stories (with a notice when no news provider is configured and nothing is stored)", body = NewsDeskPage),
        (status = 400, description = "Malformed page or symbol", body = ErrorBody),
        (status = 404, description = "A page past the last, or an unknown symbol", body = ErrorBody),
    )
)]
pub async fn market_news(
    State(state): State<AppState>,
    params: Result<Query<DeskParams>, QueryRejection>,
) -> Result<Json<NewsDeskPage>, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let page = page(params.page.as_deref())?;
    match params.symbol.as_deref().map(str::trim) {
        None | Some("") => {
            let desk = state.ctx.news.market_news(page).await?;
            Ok(Json(found(desk, page, None)?))
        }
        Some(raw) => {
            let symbol = symbol(raw)?;
            let desk = state.ctx.news.symbol_news(&symbol, page).await?;
            Ok(Json(found(desk, page, Some(&symbol))?))
        }
    }
}

/// One ticker's stored news, page by page, with its sentiment over its newest 50 stories.
#[utoipa::path(
    get,
    path = "/api/v1/news/{symbol}",
    tag = "market",
    params(
        ("symbol" = Symbol, Path, description = "Ticker symbol (`^` as `%5E`)"),
        ("page" = Option<u32>, Query, description = "Page, 1 to 1000 (default 1), newest first (20 a page)", minimum = 1, maximum = 1000),
    ),
    responses(
        (status = 200, description = "A page of stored stories with the ticker's sentiment summary", body = NewsDeskPage),
        (status = 400, description = "Malformed symbol or page", body = ErrorBody),
        (status = 404, description = "Unknown symbol, or a page past the last", body = ErrorBody),
    )
)]
pub async fn symbol_news(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
    params: Result<Query<DeskParams>, QueryRejection>,
) -> Result<Json<NewsDeskPage>, ApiError> {
    let symbol = path_symbol(path)?;
    let Query(params) = params.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let page = page(params.page.as_deref())?;
    let desk = state.ctx.news.symbol_news(&symbol, page).await?;
    Ok(Json(found(desk, page, Some(&symbol))?))
}

fn page(raw: Option<&str>) -> Result<PageNumber, ApiError> {
    PageNumber::parse(raw).map_err(ApiError::bad_request)
}

/// The page, or 404 `not_found` for one past the last.
fn found(
    desk: Option<NewsDeskPage>,
    page: PageNumber,
    symbol: Option<&Symbol>,
) -> Result<NewsDeskPage, ApiError> {
    desk.ok_or_else(|| {
        let about = symbol.map_or_else(|| "market news".to_string(), |s| format!("news about {s}"));
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("There is no page {page} of {about}: it has fewer stories."),
        )
    })
}

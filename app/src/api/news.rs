//! The news desk: stored market news and one ticker's news, page by page, and the landing page's
//! headlines. Read from the store through the cache; no provider is asked on a page request.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{NewsDeskPage, NewsHeadlines};

#[cfg(feature = "ssr")]
use crate::domain::PageNumber;

/// A page of market news (`page`: `?page=` as given; absent is the first). A malformed page is
/// `BadRequest`; a page past the last is `NotFound`.
#[server(name = GetNewsDesk, endpoint = "news_desk")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn news_desk(page: Option<String>) -> Result<NewsDeskPage, AppError> {
    let page = PageNumber::parse(page.as_deref()).map_err(AppError::BadRequest)?;
    crate::ssr::ctx()?
        .news
        .market_news(page)
        .await?
        .ok_or_else(|| past_the_end(page, "market news"))
}

/// A page of one ticker's news with its sentiment summary. Unknown or malformed symbol:
/// `NotFound`; malformed page: `BadRequest`; a page past the last: `NotFound`.
#[server(name = GetSymbolNews, endpoint = "symbol_news")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn symbol_news(symbol: String, page: Option<String>) -> Result<NewsDeskPage, AppError> {
    let symbol = crate::api::market::parse_known_format(&symbol)?;
    let page = PageNumber::parse(page.as_deref()).map_err(AppError::BadRequest)?;
    crate::ssr::ctx()?
        .news
        .symbol_news(&symbol, page)
        .await?
        .ok_or_else(|| past_the_end(page, &format!("news about {symbol}")))
}

/// The latest market stories for the landing page.
#[server(name = GetNewsHeadlines, endpoint = "news_headlines")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn news_headlines() -> Result<NewsHeadlines, AppError> {
    Ok(crate::ssr::ctx()?.news.headlines().await?)
}

#[cfg(feature = "ssr")]
fn past_the_end(page: PageNumber, what: &str) -> AppError {
    AppError::NotFound(format!(
        "There is no page {page} of {what}: it has fewer stories."
    ))
}

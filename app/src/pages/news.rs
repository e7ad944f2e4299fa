//! `/news` and `/news/{symbol}`: the news desk. Rendered whole on the server (the routes are
//! `SsrMode::Async`), so it reads without JavaScript and answers real statuses: 400 for a
//! malformed `?page=`, 404 for a page past the last or an unknown ticker. Pages are plain links.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::error::ErrorView;
use crate::api::news::{news_desk, symbol_news};
use crate::components::news::{SentimentSummaryPanel, StoryCards};
use crate::domain::PageNumber;
use crate::error::AppError;
use crate::model::NewsDeskPage;

/// `/news?page=N`: market news, newest first.
#[component]
pub fn MarketNewsPage() -> impl IntoView {
    let query = use_query_map();
    let page = move || query.read().get("page");
    let desk = Resource::new(page, news_desk);
    view! { <DeskOf desk/> }
}

/// `/news/{symbol}?page=N`: one ticker's news with its sentiment summary.
#[component]
pub fn SymbolNewsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = move || {
        (
            params.read().get("symbol").unwrap_or_default(),
            query.read().get("page"),
        )
    };
    let desk = Resource::new(key, |(symbol, page)| symbol_news(symbol, page));
    view! { <DeskOf desk/> }
}

/// A desk page once it has loaded, or why it did not.
#[component]
fn DeskOf(desk: Resource<Result<NewsDeskPage, AppError>>) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading news…"</p> }>
            {move || Suspend::new(async move {
                match desk.await {
                    Ok(desk) => Either::Left(view! { <DeskView desk/> }),
                    Err(error) => Either::Right(view! { <ErrorView error/> }),
                }
            })}
        </Suspense>
    }
}

/// The address of page `page` of the desk at `base` (the first page has no `?page=`).
fn page_href(base: &str, page: PageNumber) -> String {
    if page == PageNumber::FIRST {
        base.to_string()
    } else {
        format!("{base}?page={page}")
    }
}

fn stories_stored(total: u64) -> String {
    match total {
        1 => "1 story stored".into(),
        n => format!("{n} stories stored"),
    }
}

#[component]
fn DeskView(desk: NewsDeskPage) -> impl IntoView {
    let base = desk.symbol.as_ref().map_or_else(
        || "/news".to_string(),
        |s| format!("/news/{}", s.url_segment()),
    );
    let (title, heading) = match &desk.symbol {
        Some(symbol) => (
            format!("{symbol} news"),
            Either::Left(view! {
                <h1>
                    "News about " {symbol.to_string()}
                    {desk.name.clone().map(|n| view! { " " <span class="name">{n}</span> })}
                </h1>
            }),
        ),
        None => (
            "Market news".to_string(),
            Either::Right(view! { <h1>"Market news"</h1> }),
        ),
    };
    let pages = desk.pages();
    let stock_link = desk.symbol.as_ref().map(|s| {
        view! {
            <a href=format!("/stock/{}", s.url_segment())>{format!("{s} chart and forecasts")}</a>
        }
    });
    let notice = desk.notice.clone().map(|n| {
        view! { <p class="notice" role="status" data-testid="news-notice">{n}</p> }
    });
    let sentiment = desk
        .sentiment
        .clone()
        .filter(|s| s.articles > 0)
        .map(|summary| view! { <SentimentSummaryPanel summary/> });
    let stories = if desk.stories.is_empty() {
        Either::Left(
            view! { <p class="empty" data-testid="news-empty">"No stories stored yet."</p> },
        )
    } else {
        Either::Right(view! {
            <h2 class="visually-hidden">"Stories"</h2>
            <StoryCards stories=desk.stories.clone() as_of=desk.as_of/>
        })
    };
    let pager = (pages > 1 || desk.page != PageNumber::FIRST).then(|| {
        let newer = desk.newer().map(|p| {
            view! { <a rel="prev" href=page_href(&base, p) data-testid="newer">"← Newer"</a> }
        });
        let older = desk.older().map(|p| {
            view! { <a rel="next" href=page_href(&base, p) data-testid="older">"Older →"</a> }
        });
        view! {
            <nav class="pager" aria-label="News pages" data-testid="pager">
                {newer}
                <span class="pager-at">{format!("Page {} of {pages}", desk.page)}</span>
                {older}
            </nav>
        }
    });
    view! {
        <Title text=title/>
        <section class="news-desk" data-testid="news-desk" data-page=desk.page.get()>
            <div class="desk-head">
                {heading}
                <p class="meta">
                    {stories_stored(desk.total)} " · " {format!("page {} of {pages}", desk.page)}
                    {stock_link.map(|a| view! { " · " {a} })}
                </p>
            </div>
            {notice}
            {sentiment}
            {stories}
            {pager}
            <p class="fineprint">
                "Stories are refreshed hourly while the market is open and every two hours otherwise; sentiment comes from the providers' scores."
            </p>
        </section>
    }
}

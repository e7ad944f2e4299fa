use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::error::ErrorView;
use super::not_found::NotFound;
use crate::api::market::{
    company_profile, market_status, news, price_series, quote, stock_overview,
};
use crate::api::watchlist::{is_watched, AddToWatchlist};
use crate::components::chart::PriceChart;
use crate::components::company::CompanyFacts;
use crate::components::header::AuthActions;
use crate::components::news::NewsPanel;
use crate::components::quote::{MarketBadge, QuoteBlock};
use crate::domain::{ChartRange, Symbol};
use crate::error::AppError;
use crate::model::{ServedFrom, StockOverview};

/// `/stock?symbol=…` (the search form): redirects to the stock page, or explains a malformed symbol.
#[component]
pub fn StockSearchRedirect() -> impl IntoView {
    let query = use_query_map();
    move || match Symbol::parse(&query.read().get("symbol").unwrap_or_default()) {
        Ok(symbol) => {
            Either::Left(view! { <Redirect path=format!("/stock/{}", symbol.url_segment())/> })
        }
        Err(message) => Either::Right(view! { <NotFound message/> }),
    }
}

/// `/stock/{symbol}`: quote and market status, candlestick chart with range buttons, company facts,
/// news, watchlist button.
#[component]
pub fn StockPage() -> impl IntoView {
    let params = use_params_map();
    let symbol = move || params.read().get("symbol").unwrap_or_default();
    let overview = Resource::new(symbol, stock_overview);

    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => Either::Left(view! { <StockView overview=o/> }),
                    Err(error) => Either::Right(view! { <ErrorView error/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn StockView(overview: StockOverview) -> impl IntoView {
    let segment = overview.summary.symbol.url_segment();
    let symbol = overview.summary.symbol.to_string();
    // `?range=5Y` picks the first range, so the buttons also work as a plain form without JavaScript.
    let initial = use_query_map()
        .read_untracked()
        .get("range")
        .and_then(|r| ChartRange::parse(&r).ok())
        .unwrap_or_default();
    let range = RwSignal::new(initial);
    let series = Resource::new(
        {
            let symbol = symbol.clone();
            move || (symbol.clone(), range.get())
        },
        |(s, r)| price_series(s, r),
    );
    let keyed = {
        let symbol = symbol.clone();
        move || symbol.clone()
    };
    let quote_r = Resource::new(keyed.clone(), quote);
    let profile = Resource::new(keyed.clone(), company_profile);
    let feed = Resource::new(keyed, |s| news(Some(s)));
    let status = Resource::new(|| (), |_| market_status());
    let s = &overview.summary;
    let title = format!("{} — {}", s.symbol, s.name);

    view! {
        <Title text=title/>
        <section class="stock-head">
            <div>
                <h1>{s.symbol.to_string()} <span class="name">{s.name.clone()}</span></h1>
                <p class="meta">
                    {overview.exchange.clone().unwrap_or_default()} " · " {overview.currency.clone()} " · "
                    {format!("{} daily bars from {} to {}", overview.bars, overview.first_date, s.last_date)}
                </p>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        status.await.ok().map(|status| view! { <MarketBadge status/> })
                    })}
                </Suspense>
            </div>
            <Suspense fallback=|| view! { <div class="quote loading">"Loading quote…"</div> }>
                {move || Suspend::new(async move {
                    match quote_r.await {
                        Ok(quote) => Either::Left(view! { <QuoteBlock quote/> }),
                        Err(e) => Either::Right(view! {
                            <p class="quote empty" role="status" data-testid="quote-error">{e.to_string()}</p>
                        }),
                    }
                })}
            </Suspense>
        </section>
        <form class="range-buttons" method="get" role="group" aria-label="Chart range">
            {ChartRange::ALL
                .into_iter()
                .map(|r| {
                    view! {
                        <button
                            type="submit"
                            name="range"
                            value=r.as_str()
                            data-range=r.as_str()
                            class:active=move || range.get() == r
                            aria-pressed=move || (range.get() == r).to_string()
                            on:click=move |ev| {
                                ev.prevent_default();
                                range.set(r);
                            }
                        >
                            {r.as_str()}
                        </button>
                    }
                })
                .collect_view()}
        </form>
        <Transition fallback=|| view! { <div class="chart loading-box">"Loading chart…"</div> }>
            {move || Suspend::new(async move {
                match series.await {
                    Ok(series) if series.points.is_empty() => Either::Left(view! {
                        <p class="chart-empty" role="status" data-testid="series-reason" data-range=series.range.as_str()>
                            {series.reason.unwrap_or_else(|| "No prices in this range.".into())}
                        </p>
                    }.into_any()),
                    Ok(series) => {
                        let from = match series.served_from {
                            ServedFrom::Cache => "cache",
                            ServedFrom::Database => "database",
                        };
                        let source = series.source.clone();
                        Either::Left(view! {
                            <PriceChart series/>
                            <p class="fineprint" data-testid="served-from">
                                "Bars from " {source} ", served from the " {from} "."
                            </p>
                        }.into_any())
                    }
                    Err(error) => Either::Right(view! { <ErrorView error/> }),
                }
            })}
        </Transition>
        <div class="stock-actions">
            <a class="button primary" href=format!("/predict/{segment}")>"Forecasts"</a>
            <WatchButton symbol=symbol.clone()/>
        </div>
        <div class="panels">
            <Suspense fallback=|| view! { <p class="loading">"Loading company facts…"</p> }>
                {move || Suspend::new(async move {
                    match profile.await {
                        Ok(profile) => Either::Left(view! { <CompanyFacts profile/> }),
                        Err(e) => Either::Right(view! {
                            <section class="panel company" data-testid="company">
                                <h2>"About the company"</h2>
                                <p class="empty" role="status">{e.to_string()}</p>
                            </section>
                        }),
                    }
                })}
            </Suspense>
            <Suspense fallback=|| view! { <p class="loading">"Loading news…"</p> }>
                {move || Suspend::new(async move { view! { <NewsPanel feed=feed.await/> } })}
            </Suspense>
        </div>
        <p class="fineprint">"History source: " {overview.source.clone()}</p>
    }
}

/// Adds the ticker to the watchlist; the server refuses when nobody is logged in.
#[component]
fn WatchButton(symbol: String) -> impl IntoView {
    let auth = expect_context::<AuthActions>();
    let add = ServerAction::<AddToWatchlist>::new();
    let watched = Resource::new(
        {
            let symbol = symbol.clone();
            move || (symbol.clone(), auth.version(), add.version().get())
        },
        |(s, _, _)| is_watched(s),
    );
    let error = move || match add.value().get() {
        Some(Err(AppError::Unauthorized(msg))) => Some(
            view! {
                <p class="form-error" role="alert" data-testid="watch-error">
                    {msg} " " <a href="/login">"Log in"</a>
                </p>
            }
            .into_any(),
        ),
        Some(Err(e)) => Some(
            view! {
                <p class="form-error" role="alert" data-testid="watch-error">{e.to_string()}</p>
            }
            .into_any(),
        ),
        _ => None,
    };
    view! {
        <Transition fallback=|| ()>
            {move || {
                let symbol = symbol.clone();
                Suspend::new(async move {
                    if matches!(watched.await, Ok(true)) {
                        Either::Left(view! { <span class="watched" data-testid="watched">"On your watchlist"</span> })
                    } else {
                        Either::Right(view! {
                            <ActionForm action=add attr:class="inline">
                                <input type="hidden" name="symbol" value=symbol/>
                                <button type="submit" data-testid="watch">"Add to watchlist"</button>
                            </ActionForm>
                        })
                    }
                })
            }}
        </Transition>
        {error}
    }
}

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::error::ErrorView;
use super::not_found::NotFound;
use crate::api::market::{price_series, stock_overview};
use crate::api::watchlist::{is_watched, AddToWatchlist};
use crate::components::chart::PriceChart;
use crate::components::format;
use crate::components::header::AuthActions;
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

/// `/stock/{symbol}`: price chart with range buttons, last close, watchlist button.
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
    let symbol = overview.summary.symbol.clone();
    let segment = Symbol::parse(&symbol)
        .map(|s| s.url_segment())
        .unwrap_or_default();
    let range = RwSignal::new(ChartRange::default());
    let series = Resource::new(
        {
            let symbol = symbol.clone();
            move || (symbol.clone(), range.get())
        },
        |(s, r)| price_series(s, r),
    );
    let s = &overview.summary;
    let title = format!("{} — {}", s.symbol, s.name);

    view! {
        <Title text=title/>
        <section class="stock-head">
            <div>
                <h1>{s.symbol.clone()} <span class="name">{s.name.clone()}</span></h1>
                <p class="meta">
                    {overview.exchange.clone().unwrap_or_default()} " · " {overview.currency.clone()} " · "
                    {format!("{} daily bars from {} to {}", overview.bars, overview.first_date, s.last_date)}
                </p>
            </div>
            <div class="quote">
                <span class="last" data-testid="last-close">{format::price(s.last_close)}</span>
                <span class=format!("change {}", format::change_class(s.change))>
                    {format::change(s.change, s.change_pct)}
                </span>
                <span class="asof">"Close on " {s.last_date.clone()}</span>
            </div>
        </section>
        <div class="range-buttons" role="group" aria-label="Chart range">
            {ChartRange::ALL
                .into_iter()
                .map(|r| {
                    view! {
                        <button
                            type="button"
                            data-range=r.as_str()
                            class:active=move || range.get() == r
                            aria-pressed=move || (range.get() == r).to_string()
                            on:click=move |_| range.set(r)
                        >
                            {r.as_str()}
                        </button>
                    }
                })
                .collect_view()}
        </div>
        <Transition fallback=|| view! { <div class="chart loading-box">"Loading chart…"</div> }>
            {move || Suspend::new(async move {
                match series.await {
                    Ok(series) if series.points.is_empty() => Either::Left(view! {
                        <p class="empty">"No prices in this range."</p>
                    }.into_any()),
                    Ok(series) => {
                        let from = match series.served_from {
                            ServedFrom::Cache => "cache",
                            ServedFrom::Database => "database",
                        };
                        Either::Left(view! {
                            <PriceChart series/>
                            <p class="fineprint" data-testid="served-from">"Served from the " {from} "."</p>
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
        <p class="fineprint">"Source: " {overview.source.clone()}</p>
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

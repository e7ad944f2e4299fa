use leptos::prelude::*;
use leptos_meta::Title;

use super::error::ErrorView;
use crate::api::market::list_tickers;
use crate::api::news::news_headlines;
use crate::api::watchlist::my_watchlist;
use crate::components::format;
use crate::components::header::AuthActions;
use crate::components::news::HeadlineList;
use crate::components::search::TickerSearch;
use crate::model::TickerSummary;

/// `/`: the tickers with data, the latest market stories above them (from the store), and the
/// logged-in user's watchlist.
#[component]
pub fn HomePage() -> impl IntoView {
    let auth = expect_context::<AuthActions>();
    let tickers = Resource::new(|| (), |_| list_tickers());
    let headlines = Resource::new(|| (), |_| news_headlines());
    let watchlist = Resource::new(move || auth.version(), |_| my_watchlist());

    view! {
        <Title text=""/>
        <section class="hero">
            <h1>"Stock charts and honest forecasts"</h1>
            <p>
                "Every forecast comes with its interval and the accuracy its model really achieved out of sample, next to a random walk."
            </p>
            <TickerSearch id="home-search"/>
        </section>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match watchlist.await {
                    Ok(rows) if !rows.is_empty() => Some(view! {
                        <section class="watchlist" data-testid="watchlist">
                            <h2>"Your watchlist"</h2>
                            <TickerTable rows/>
                        </section>
                    }),
                    _ => None,
                }
            })}
        </Transition>
        <section class="headlines" data-testid="headlines" aria-labelledby="headlines-heading">
            <div class="section-head">
                <h2 id="headlines-heading">"Market news"</h2>
                <a href="/news">"All market news"</a>
            </div>
            <Transition fallback=|| view! { <p class="one-line loading">"Loading news…"</p> }>
                {move || Suspend::new(async move {
                    view! { <HeadlineList headlines=headlines.await/> }
                })}
            </Transition>
        </section>
        <section data-testid="tickers">
            <h2>"Tickers with data"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading tickers…"</p> }>
                {move || Suspend::new(async move {
                    match tickers.await {
                        Ok(rows) if rows.is_empty() => view! {
                            <p class="empty">"No price data is loaded yet."</p>
                        }.into_any(),
                        Ok(rows) => view! { <TickerTable rows/> }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// A table of tickers with last close and one-day change.
#[component]
fn TickerTable(rows: Vec<TickerSummary>) -> impl IntoView {
    view! {
        <table class="tickers">
            <thead>
                <tr>
                    <th>"Symbol"</th>
                    <th>"Name"</th>
                    <th>"Last bar"</th>
                    <th class="num">"Last close"</th>
                    <th class="num">"1-day change"</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|t| {
                        let href = format!("/stock/{}", t.symbol.url_segment());
                        view! {
                            <tr data-symbol=t.symbol.to_string()>
                                <td><a href=href>{t.symbol.to_string()}</a></td>
                                <td>{t.name}</td>
                                <td>{t.last_date.to_string()}</td>
                                <td class="num">{format::price(t.last_close)}</td>
                                <td class=format!("num {}", format::change_class(t.change))>
                                    {format::change(t.change, t.change_pct)}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

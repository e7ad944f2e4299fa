use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::error::ErrorView;
use super::not_found::NotFound;
use crate::api::lookup::open_stock;
use crate::api::market::{
    company_profile, indicator_series, market_status, news, price_series, quote,
};
use crate::api::watchlist::{is_watched, AddToWatchlist};
use crate::components::alerts::AlertForm;
use crate::components::chart::{ChartReadout, IndicatorTable, PriceChart};
use crate::components::company::CompanyFacts;
use crate::components::header::AuthActions;
use crate::components::job_progress::JobProgress;
use crate::components::news::NewsPanel;
use crate::components::quote::{MarketBadge, QuoteBlock};
use crate::domain::{ChartRange, Indicator, IndicatorSet, Symbol};
use crate::error::AppError;
use crate::model::{
    CompanyProfile, IndicatorSeries, MarketStatus, NewsFeed, Onboarding, Quote, ServedFrom,
    StockLookup, StockOverview, TimeSeries,
};

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
    let symbol = Memo::new(move |_| params.read().get("symbol").unwrap_or_default());
    let lookup = Resource::new(move || symbol.get(), open_stock);
    let data = StockData::new(symbol, lookup);

    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match lookup.await {
                    Ok(StockLookup::Stored(o)) => EitherOf3::A(view! { <StockView overview=o data/> }),
                    Ok(StockLookup::Onboarding(o)) => EitherOf3::B(view! { <OnboardingView onboarding=o/> }),
                    Err(error) => EitherOf3::C(view! { <ErrorView error/> }),
                }
            })}
        </Suspense>
    }
}

/// Everything the stock page loads, made once for the page and read inside its Suspense
/// boundaries. Leptos walks a Suspense's children again until no read is pending, so a resource
/// made in there would be made, fetched and written into the page once per walk.
#[derive(Clone, Copy)]
struct StockData {
    /// The chart's range (`?range=5Y` picks the first, so the buttons also work as a plain form
    /// without JavaScript).
    range: RwSignal<ChartRange>,
    /// Refreshes heard on the event stream: each brings a new quote.
    bars_seen: RwSignal<u32>,
    series: Resource<Result<TimeSeries, AppError>>,
    indicators: Resource<Result<IndicatorSeries, AppError>>,
    quote: Resource<Result<Quote, AppError>>,
    profile: Resource<Result<CompanyProfile, AppError>>,
    feed: Resource<Result<NewsFeed, AppError>>,
    status: Resource<Result<MarketStatus, AppError>>,
    watched: Resource<Result<bool, AppError>>,
    add_to_watchlist: ServerAction<AddToWatchlist>,
}

impl StockData {
    fn new(symbol: Memo<String>, lookup: Resource<Result<StockLookup, AppError>>) -> Self {
        let range = RwSignal::new(
            use_query_map()
                .read_untracked()
                .get("range")
                .and_then(|r| ChartRange::parse(&r).ok())
                .unwrap_or_default(),
        );
        let bars_seen = RwSignal::new(0u32);
        let auth = expect_context::<AuthActions>();
        let add_to_watchlist = ServerAction::<AddToWatchlist>::new();
        StockData {
            range,
            bars_seen,
            series: Resource::new(
                move || (symbol.get(), range.get()),
                move |(s, r)| when_stored(lookup, price_series(s, r)),
            ),
            indicators: Resource::new(
                move || (symbol.get(), range.get()),
                move |(s, r)| when_stored(lookup, indicator_series(s, r)),
            ),
            quote: Resource::new(
                move || (symbol.get(), bars_seen.get()),
                move |(s, _)| when_stored(lookup, quote(s)),
            ),
            profile: Resource::new(
                move || symbol.get(),
                move |s| when_stored(lookup, company_profile(s)),
            ),
            feed: Resource::new(
                move || symbol.get(),
                move |s| when_stored(lookup, news(Some(s))),
            ),
            status: Resource::new(|| (), |_| market_status()),
            watched: Resource::new(
                move || {
                    (
                        symbol.get(),
                        auth.version(),
                        add_to_watchlist.version().get(),
                    )
                },
                move |(s, _, _)| when_stored(lookup, is_watched(s)),
            ),
            add_to_watchlist,
        }
    }
}

/// `load`'s answer once the lookup says the ticker is stored; a ticker still being fetched (or
/// not found) has no chart, quote, facts or news to load yet.
async fn when_stored<T>(
    lookup: Resource<Result<StockLookup, AppError>>,
    load: impl std::future::Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    match lookup.await? {
        StockLookup::Stored(_) => load.await,
        StockLookup::Onboarding(o) => Err(AppError::NotFound(format!(
            "{} is still being fetched.",
            o.symbol
        ))),
    }
}

/// A ticker asked for the first time: its history is being fetched. The bar follows the job; the
/// page reloads into the chart when it is done (without JavaScript, it refreshes every few
/// seconds).
#[component]
fn OnboardingView(onboarding: Onboarding) -> impl IntoView {
    let status = RwSignal::new(Some(onboarding.job.clone()));
    let problem = RwSignal::new(None::<String>);
    // The bar follows the job; done, the page reloads into the stored ticker's.
    #[cfg(feature = "browser")]
    crate::components::job_progress::follow_job(onboarding.job.id, problem, move |s| {
        let state = s.status;
        status.try_set(Some(s));
        match state {
            crate::domain::JobState::Done => {
                let _ = window().location().reload();
            }
            crate::domain::JobState::Failed => {
                problem.try_set(Some(
                    "The history could not be fetched. Reload the page to try again.".into(),
                ));
            }
            _ => {}
        }
    });
    let title = format!("{} — {}", onboarding.symbol, onboarding.name);
    let waiting = format!(
        "Fetching {} years of daily bars from {}. The chart and the forecasts follow as soon as they are stored.",
        onboarding.years, onboarding.providers
    );
    view! {
        <Title text=title/>
        <section class="onboarding" data-testid="onboarding">
            <h1>{onboarding.symbol.to_string()} <span class="name">{onboarding.name.clone()}</span></h1>
            <p>{waiting}</p>
            <JobProgress status activity="Fetching the history"/>
            {move || problem.get().map(|p| view! { <p class="job-error" role="alert">{p}</p> })}
            <noscript>
                <meta http-equiv="refresh" content="3"/>
                <p>"This page refreshes every few seconds until the history is stored."</p>
            </noscript>
        </section>
    }
}

#[component]
fn StockView(overview: StockOverview, data: StockData) -> impl IntoView {
    let segment = overview.summary.symbol.url_segment();
    let symbol = overview.summary.symbol.to_string();
    let StockData {
        range,
        bars_seen,
        series,
        indicators,
        quote: quote_r,
        profile,
        feed,
        status,
        watched,
        add_to_watchlist,
    } = data;
    let chart = ChartState::new(range);
    // New bars (a refresh landing) bring a new quote, heard on the event stream.
    #[cfg(feature = "browser")]
    crate::components::live::while_mounted(&format!("kind=bars&symbol={segment}"), move |_| {
        bars_seen.try_update(|n| *n += 1);
    });
    #[cfg(not(feature = "browser"))]
    let _ = bars_seen;
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
            <Transition fallback=|| view! { <div class="quote loading">"Loading quote…"</div> }>
                {move || Suspend::new(async move {
                    match quote_r.await {
                        Ok(quote) => Either::Left(view! { <QuoteBlock quote/> }),
                        Err(e) => Either::Right(view! {
                            <p class="quote empty" role="status" data-testid="quote-error">{e.to_string()}</p>
                        }),
                    }
                })}
            </Transition>
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
        <ChartControls chart/>
        <Transition fallback=|| view! { <div class="chart loading-box">"Loading chart…"</div> }>
            {move || Suspend::new(async move {
                let indicators = indicators.await.ok();
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
                        let table = indicators.clone().map(|indicators| view! { <IndicatorTable indicators/> });
                        Either::Left(view! {
                            <PriceChart
                                series=series.clone()
                                indicators=indicators.clone()
                                enabled=chart.enabled
                                log_scale=chart.log_scale
                                compare=chart.compared()
                                hovered=chart.hovered
                            />
                            <ChartReadout series indicators enabled=chart.enabled hovered=chart.hovered/>
                            {table}
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
            <WatchButton symbol=symbol.clone() watched add=add_to_watchlist/>
            <a class="button" href=crate::site_files::on_server(&format!("/api/v1/export/prices/{segment}?format=csv")) download data-testid="download-prices">
                "Download prices (CSV)"
            </a>
        </div>
        <AlertForm symbol=symbol.clone()/>
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
fn WatchButton(
    symbol: String,
    watched: Resource<Result<bool, AppError>>,
    add: ServerAction<AddToWatchlist>,
) -> impl IntoView {
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

/// The reader's choices for the price chart: indicators, scale, a ticker to compare with, and the
/// bar under the crosshair.
#[derive(Clone, Copy)]
struct ChartState {
    enabled: RwSignal<IndicatorSet>,
    log_scale: RwSignal<bool>,
    /// The symbol typed into "compare with…".
    compare_with: RwSignal<Option<String>>,
    /// Its series over the same range, or why there is none (fetched in the browser only, into a
    /// plain signal: a resource read under the page's Suspense would blank the page while it
    /// loads).
    compare: RwSignal<Option<Result<TimeSeries, AppError>>>,
    hovered: RwSignal<Option<usize>>,
}

impl ChartState {
    fn new(range: RwSignal<ChartRange>) -> Self {
        let enabled = RwSignal::new(IndicatorSet::default());
        let log_scale = RwSignal::new(false);
        let compare_with = RwSignal::new(None::<String>);
        let compare = RwSignal::new(None);
        #[cfg(feature = "browser")]
        Effect::new(move |_| {
            let wanted = (compare_with.get(), range.get());
            compare.set(None);
            let (Some(symbol), range_now) = wanted.clone() else {
                return;
            };
            leptos::task::spawn_local(async move {
                let answer = price_series(symbol, range_now).await;
                // A later choice wins over a slow answer to an earlier one.
                if compare_with
                    .try_get_untracked()
                    .zip(range.try_get_untracked())
                    == Some(wanted)
                {
                    compare.try_set(Some(answer));
                }
            });
        });
        #[cfg(not(feature = "browser"))]
        let _ = range;
        #[cfg(feature = "browser")]
        prefs::remember(enabled, log_scale);
        ChartState {
            enabled,
            log_scale,
            compare_with,
            compare,
            hovered: RwSignal::new(None),
        }
    }

    /// The compared series, once it has arrived.
    fn compared(self) -> Signal<Option<TimeSeries>> {
        let compare = self.compare;
        Signal::derive(move || compare.get().and_then(Result::ok))
    }
}

/// The indicator menu, the log-scale switch and the "compare with…" form.
#[component]
fn ChartControls(chart: ChartState) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match Symbol::parse(&draft.get_untracked()) {
            Ok(symbol) => {
                problem.set(None);
                chart.compare_with.set(Some(symbol.to_string()));
            }
            Err(message) => problem.set(Some(message)),
        }
    };
    let compare_error = move || {
        problem.get().or_else(|| match chart.compare.get() {
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        })
    };
    let comparing = move || chart.compare_with.get();
    view! {
        <div class="chart-controls">
            <details class="indicator-menu" data-testid="indicator-menu">
                <summary>"Indicators"</summary>
                <fieldset>
                    <legend class="visually-hidden">"Indicators on the chart"</legend>
                    {Indicator::ALL
                        .into_iter()
                        .map(|i| {
                            view! {
                                <label class=if i.is_pane() { "pane" } else { "overlay" }>
                                    <input
                                        type="checkbox"
                                        data-indicator=i.as_str()
                                        prop:checked=move || chart.enabled.get().contains(i)
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            chart.enabled.update(|set| *set = set.with(i, on));
                                        }
                                    />
                                    {i.label()}
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
            </details>
            <label class="log-switch" title=move || comparing().map(|_| "Percentage change is drawn on a linear scale while comparing".to_string())>
                <input
                    type="checkbox"
                    data-testid="log-scale"
                    prop:checked=move || chart.log_scale.get()
                    prop:disabled=move || comparing().is_some()
                    on:change=move |ev| chart.log_scale.set(event_target_checked(&ev))
                />
                "Log scale"
            </label>
            <form class="compare" on:submit=submit data-testid="compare-form">
                <label>
                    <span class="visually-hidden">"Compare with"</span>
                    <input
                        type="text"
                        name="compare"
                        placeholder="Compare with… e.g. ^GSPC"
                        autocomplete="off"
                        autocapitalize="characters"
                        prop:value=move || draft.get()
                        on:input=move |ev| draft.set(event_target_value(&ev))
                    />
                </label>
                <button type="submit">"Compare"</button>
                {move || comparing().map(|s| view! {
                    <button
                        type="button"
                        class="chip"
                        data-testid="compare-clear"
                        aria-label=format!("Stop comparing with {s}")
                        on:click=move |_| {
                            chart.compare_with.set(None);
                            draft.set(String::new());
                        }
                    >
                        {format!("vs {s} ×")}
                    </button>
                })}
            </form>
            {move || compare_error().map(|message| view! {
                <p class="form-error" role="alert" data-testid="compare-error">{message}</p>
            })}
        </div>
    }
}

/// The chart choices survive a reload and a visit to another ticker: kept with the account when
/// a reader is logged in, in the browser's local storage otherwise.
#[cfg(feature = "browser")]
mod prefs {
    use leptos::prelude::*;

    use crate::api::preferences::{chart_indicators, save_chart_indicators};
    use crate::domain::IndicatorSet;

    const INDICATORS: &str = "tickercast.chart.indicators";
    const LOG_SCALE: &str = "tickercast.chart.log";

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    /// Loads the stored choices into the signals once the page has hydrated (the server rendered
    /// the defaults), then stores every change.
    pub fn remember(enabled: RwSignal<IndicatorSet>, log_scale: RwSignal<bool>) {
        // Set once the account has answered: `Some(true)` when changes go to the account.
        let to_account = RwSignal::new(None::<bool>);
        leptos::task::spawn_local(async move {
            let stored = chart_indicators().await;
            if let Ok(stored) = &stored {
                if let Some(list) = &stored.indicators {
                    enabled.try_set(IndicatorSet::from_list(list));
                }
            }
            to_account.try_set(Some(stored.is_ok_and(|s| s.logged_in)));
        });
        Effect::new(move |previous: Option<IndicatorSet>| {
            // The first run, after hydration: the browser's choices replace the defaults.
            if previous.is_none() {
                if let Some(store) = storage() {
                    if let Ok(Some(list)) = store.get_item(INDICATORS) {
                        enabled.set(IndicatorSet::from_list(&list));
                    }
                    if let Ok(Some(log)) = store.get_item(LOG_SCALE) {
                        log_scale.set(log == "true");
                    }
                }
            }
            let set = enabled.get();
            let log = log_scale.get();
            if let Some(store) = storage() {
                // A full or disabled storage only means the choice is not remembered here.
                let _ = store.set_item(INDICATORS, &set.to_list());
                let _ = store.set_item(LOG_SCALE, &log.to_string());
            }
            if to_account.get() == Some(true) && previous.is_some_and(|p| p != set) {
                leptos::task::spawn_local(async move {
                    if let Err(e) = save_chart_indicators(set.to_list()).await {
                        leptos::logging::warn!("chart indicators not saved: {e}");
                    }
                });
            }
            set
        });
    }
}

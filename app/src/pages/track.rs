use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::error::ErrorView;
use crate::api::predictions::prediction_history;
use crate::components::format;
use crate::components::track_record::{share, TrackChart, TrackLines, TrackSummary};
use crate::domain::HistoryDays;
use crate::model::PredictionHistory;

/// The horizons predictions are made for, in trading days.
const HORIZONS: [usize; 3] = [1, 2, 5];

/// `/track/{symbol}`: what the served predictions said before the fact against what happened,
/// since the first recorded one: a chart and, per model, its error beside the random walk's, the
/// 95% range's observed coverage and its direction calls beside the share of up-moves.
#[component]
pub fn TrackPage() -> impl IntoView {
    let params = use_params_map();
    let symbol = move || params.read().get("symbol").unwrap_or_default();
    // `?h=5` picks the horizon; links, so it works without JavaScript too.
    let query = use_query_map();
    let horizon = move || {
        query
            .read()
            .get("h")
            .and_then(|h| h.parse().ok())
            .filter(|h| HORIZONS.contains(h))
            .unwrap_or(1)
    };
    let history = Resource::new(symbol, |s| prediction_history(s, HistoryDays::MAX));
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Reading the record…"</p> }>
            {move || Suspend::new(async move {
                match history.await {
                    Ok(history) => Either::Left(view! { <TrackView history horizon=horizon()/> }),
                    Err(error) => Either::Right(view! { <ErrorView error/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn TrackView(history: PredictionHistory, horizon: usize) -> impl IntoView {
    let segment = history.symbol.url_segment();
    let symbol = history.symbol.to_string();
    let summaries: Vec<TrackSummary> = history
        .models
        .iter()
        .map(|m| TrackSummary::of(m, horizon))
        .filter(|s| s.recorded > 0)
        .collect();
    let lines = TrackLines::of(&history, horizon);
    let recent = recent_filled(&history, horizon, 20);
    let empty = summaries.is_empty();
    let tabs = HORIZONS.map(|h| {
        let label = match h {
            1 => "1 day",
            2 => "2 days",
            _ => "1 week",
        };
        view! {
            <a href=format!("/track/{segment}?h={h}") class:active=h == horizon
                aria-current=(h == horizon).then_some("page")>{label}</a>
        }
    });
    view! {
        <Title text=format!("{symbol} track record")/>
        <section class="predict-head">
            <h1>"Track record of " <a href=format!("/predict/{segment}")>{symbol.clone()}</a>" forecasts"</h1>
            <p class="meta">
                "Every forecast this site serves is recorded with the close it started from; when the target session's "
                "close arrives it is filled in. Nothing here is a backtest: it is what the models said before the fact. "
                "The random walk (tomorrow's close = today's) is the yardstick: its error is 1.00. "
                <a href=crate::site_files::on_server(&format!("/api/v1/export/predictions/{segment}?format=csv")) download data-testid="download-predictions">"Download every recorded prediction with its actual (CSV)"</a>
                "."
            </p>
            <nav class="horizon-tabs" aria-label="Horizon">{tabs}</nav>
        </section>
        {if empty {
            Either::Left(view! {
                <p class="notice" data-testid="track-empty">
                    "No forecast for " {symbol.clone()} " " {horizon} " trading day(s) ahead has been recorded yet. "
                    "Forecasts are recorded each time the "
                    <a href=format!("/predict/{segment}")>"predict page"</a>
                    " or the API serves them, and scored here once the target session's close is stored."
                </p>
            })
        } else {
            Either::Right(view! {
                <TrackChart lines=Signal::derive(move || lines.clone()) horizon/>
                <div class="table-scroll">
                <table class="track-table" data-testid="track-summary">
                    <caption>"Since the first recorded forecast, " {horizon} " trading day(s) ahead"</caption>
                    <thead><tr>
                        <th scope="col">"Model"</th>
                        <th scope="col">"Recorded"</th>
                        <th scope="col">"With actual"</th>
                        <th scope="col">"MAE"</th>
                        <th scope="col" title="MAE over the random walk's MAE on the same forecasts">"vs random walk"</th>
                        <th scope="col" title="Share of actual closes inside the 95% range (should be near 95%)">"95% range held"</th>
                        <th scope="col" title="Direction called right, among the forecasts that called one">"Direction right"</th>
                        <th scope="col" title="How often the close rose: what always saying 'up' would score">"Up-moves"</th>
                    </tr></thead>
                    <tbody>
                        {summaries.into_iter().map(|s| view! {
                            <tr>
                                <th scope="row">{s.label}</th>
                                <td>{s.recorded}</td>
                                <td>{s.filled}</td>
                                <td>{s.mae.map(format::price).unwrap_or_else(|| "–".into())}</td>
                                <td>{s.mae_rel_naive.map(|r| format!("{r:.2}")).unwrap_or_else(|| "–".into())}</td>
                                <td>{share(s.covered)}</td>
                                <td>{share(s.hits)}</td>
                                <td>{share(s.ups)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
                </div>
                <h2>"Latest forecasts with their actual close"</h2>
                {if recent.is_empty() {
                    Either::Left(view! {
                        <p data-testid="track-unfilled">"None of the recorded forecasts has reached its target session yet."</p>
                    })
                } else {
                    Either::Right(view! {
                        <div class="table-scroll">
                        <table class="track-table" data-testid="track-recent">
                            <thead><tr>
                                <th scope="col">"Target"</th>
                                <th scope="col">"Model"</th>
                                <th scope="col">"From close"</th>
                                <th scope="col">"Forecast"</th>
                                <th scope="col">"95% range"</th>
                                <th scope="col">"Actual"</th>
                                <th scope="col">"Error"</th>
                            </tr></thead>
                            <tbody>
                                {recent.into_iter().map(|r| view! {
                                    <tr>
                                        <td>{r.target.to_string()}</td>
                                        <td>{r.model}</td>
                                        <td>{format::price(r.from)}</td>
                                        <td>{format::price(r.point)}</td>
                                        <td>{r.range.map(|(lo, hi)| format!("{} – {}", format::price(lo), format::price(hi)))
                                            .unwrap_or_else(|| "–".into())}</td>
                                        <td>{format::price(r.actual)}</td>
                                        <td>{format!("{:+.2}", r.actual - r.point)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                    })
                }}
            })
        }}
    }
}

/// One filled forecast, for the table of the latest ones.
struct Filled {
    target: chrono::NaiveDate,
    model: String,
    from: f64,
    point: f64,
    range: Option<(f64, f64)>,
    actual: f64,
}

/// The `n` latest filled forecasts at horizon `h`, newest first.
fn recent_filled(history: &PredictionHistory, h: usize, n: usize) -> Vec<Filled> {
    let mut all: Vec<Filled> = history
        .models
        .iter()
        .flat_map(|m| {
            m.points.iter().filter(|p| p.h == h).filter_map(|p| {
                Some(Filled {
                    target: p.target_date,
                    model: m.model.label().to_string(),
                    from: p.last_close,
                    point: p.point,
                    range: p.lo95.zip(p.hi95),
                    actual: p.actual?,
                })
            })
        })
        .collect();
    all.sort_by(|a, b| b.target.cmp(&a.target).then_with(|| a.model.cmp(&b.model)));
    all.truncate(n);
    all
}

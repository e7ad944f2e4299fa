use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::error::ErrorView;
use crate::api::forecasts::baseline_forecasts;
use crate::components::fan_chart::FanChart;
use crate::components::format;
use crate::domain::Symbol;
use crate::model::Forecasts;

/// `/predict/{symbol}`: forecasts for 1, 2 and 5 trading days with 95% intervals, each with the
/// trading day it lands on.
#[component]
pub fn PredictPage() -> impl IntoView {
    let params = use_params_map();
    let symbol = move || params.read().get("symbol").unwrap_or_default();
    let forecasts = Resource::new(symbol, baseline_forecasts);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Computing forecasts…"</p> }>
            {move || Suspend::new(async move {
                match forecasts.await {
                    Ok(f) => Either::Left(view! { <ForecastView f/> }),
                    Err(error) => Either::Right(view! { <ErrorView error/> }),
                }
            })}
        </Suspense>
    }
}

fn horizon_label(h: usize) -> String {
    match h {
        1 => "1 day".into(),
        5 => "1 week (5 days)".into(),
        n => format!("{n} days"),
    }
}

#[component]
fn ForecastView(f: Forecasts) -> impl IntoView {
    let segment = Symbol::parse(&f.symbol)
        .map(|s| s.url_segment())
        .unwrap_or_default();
    let chart = f.clone();
    // Every model forecasts the same horizons, so the first one names the columns.
    let horizons: Vec<(usize, String)> = f
        .models
        .first()
        .map(|m| {
            m.horizons
                .iter()
                .map(|h| (h.h, h.target_date.clone()))
                .collect()
        })
        .unwrap_or_default();
    view! {
        <Title text=format!("{} forecasts", f.symbol)/>
        <section class="predict-head">
            <h1>"Forecasts for " <a href=format!("/stock/{segment}")>{f.symbol.clone()}</a></h1>
            <p class="meta">
                "From the close of " {f.as_of.clone()} " (" {format::price(f.last_close)} "). "
                "Horizons count trading days after that close on the NYSE calendar (weekends and holidays skipped). "
                "Ranges are 95% prediction intervals."
            </p>
        </section>
        <FanChart forecasts=chart/>
        <table class="forecasts" data-testid="forecasts">
            <thead>
                <tr>
                    <th>"Model"</th>
                    {horizons
                        .into_iter()
                        .map(|(h, date)| view! {
                            <th class="num" data-horizon=h data-target-date=date.clone()>
                                {horizon_label(h)}
                                <small><time datetime=date.clone()>{format::day(&date)}</time></small>
                            </th>
                        })
                        .collect_view()}
                </tr>
            </thead>
            <tbody>
                {f.models
                    .into_iter()
                    .map(|m| view! {
                        <tr data-model=m.model.clone()>
                            <th scope="row">{m.label}<small>{m.description}</small></th>
                            {m.horizons
                                .into_iter()
                                .map(|h| view! {
                                    <td class="num" data-h=h.h data-target-date=h.target_date.clone()>
                                        <span class="point">{format::price(h.point)}</span>
                                        <small class="interval">{format!("{} – {}", format::price(h.lo95), format::price(h.hi95))}</small>
                                    </td>
                                })
                                .collect_view()}
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
        <aside class="notice" data-testid="baselines-only">
            <h2>"Only the baselines are served so far"</h2>
            <p>
                "These are the two benchmarks every model must beat: the naive random walk and the random walk with drift. "
                "Not served yet: " {f.not_yet_served.join(", ")} ". "
                "They will appear here with the walk-forward accuracy each one really achieved beside the random walk; until then nothing on this page pretends to be one of them."
            </p>
        </aside>
    }
}

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::error::ErrorView;
use crate::api::predictions::{model_records, RollBackModel};
use crate::components::equity_chart::EquityChart;
use crate::model::{
    ModelRecord, ModelsOverview, ReliabilityTable, StrategyRow, StrategySummary, VersionHorizon,
    VersionRow, VersionState,
};

/// `/models/{symbol}`: every trained version of each model (when and on what it was trained,
/// its walk-forward window and record), the current version's calibration and how it held out
/// of sample, and trading its one-day calls against buy-and-hold. An administrator can make an
/// earlier version current again.
#[component]
pub fn ModelsPage() -> impl IntoView {
    let params = use_params_map();
    let roll_back = ServerAction::<RollBackModel>::new();
    let overview = Resource::new(
        move || {
            (
                params.read().get("symbol").unwrap_or_default(),
                roll_back.version().get(),
            )
        },
        |(symbol, _)| model_records(symbol),
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Reading the registry…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => Either::Left(view! { <ModelsView o roll_back/> }),
                    Err(error) => Either::Right(view! { <ErrorView error/> }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ModelsView(o: ModelsOverview, roll_back: ServerAction<RollBackModel>) -> impl IntoView {
    let segment = o.symbol.url_segment();
    let symbol = o.symbol.to_string();
    let can_roll_back = o.can_roll_back;
    let problem = move || {
        roll_back
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })
    };
    view! {
        <Title text=format!("{symbol} models")/>
        <section class="predict-head">
            <h1>"Models of " <a href=format!("/predict/{segment}")>{symbol.clone()}</a></h1>
            <p class="meta">
                "Each training run makes a version. It is served only when its walk-forward record is not worse than "
                "the current version's on the same origins; a worse one is kept as rejected. Versions are retrained "
                "weekly, early when their live error drifts, and when older than the configured age. "
                <a href=format!("/track/{segment}")>"The track record"</a>
                " shows what the served versions said before the fact."
            </p>
        </section>
        {problem}
        {if o.models.is_empty() {
            Either::Left(view! {
                <p class="notice" data-testid="models-empty">
                    "No model has been trained for " {symbol.clone()} " yet. Opening its "
                    <a href=format!("/predict/{segment}")>"forecasts"</a>
                    " while logged in queues the training."
                </p>
            })
        } else {
            let symbol = symbol.clone();
            Either::Right(
                o.models
                    .into_iter()
                    .map(|m| view! { <ModelCard m symbol=symbol.clone() can_roll_back roll_back/> })
                    .collect_view(),
            )
        }}
    }
}

#[component]
fn ModelCard(
    m: ModelRecord,
    symbol: String,
    can_roll_back: bool,
    roll_back: ServerAction<RollBackModel>,
) -> impl IntoView {
    let name = m.display_name();
    let model = m.model.as_str().to_string();
    let horizons: Vec<usize> = m
        .versions
        .first()
        .map(|v| v.horizons.iter().map(|h| h.h).collect())
        .unwrap_or_default();
    let head_h = horizons.clone();
    let rows = m
        .versions
        .into_iter()
        .map(|v| {
            version_row(
                v,
                &horizons,
                can_roll_back.then(|| (symbol.clone(), model.clone(), roll_back)),
            )
        })
        .collect_view();
    view! {
        <section class="panel model-card" data-testid="model-card" data-model=model.clone()>
            <h2>{name}</h2>
            <div class="table-scroll">
                <table class="track-table" data-testid="versions">
                    <caption>"Versions, newest first. MAE vs random walk below 1.00 beats it; 95% ranges should hold about 95%."</caption>
                    <thead><tr>
                        <th scope="col">"Version"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Trained"</th>
                        <th scope="col">"Data"</th>
                        <th scope="col">"Evaluated on"</th>
                        {head_h.iter().map(|h| view! { <th scope="col">{format!("MAE vs RW, {h}d")}</th> }).collect_view()}
                        {head_h.iter().map(|h| view! { <th scope="col">{format!("95% held, {h}d")}</th> }).collect_view()}
                        {can_roll_back.then(|| view! { <th scope="col"><span class="sr-only">"Actions"</span></th> })}
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {(!m.reliability.is_empty()).then(|| view! { <Reliability tables=m.reliability/> })}
            {m.strategy.map(|s| view! { <Strategy s id=format!("equity-{model}")/> })}
        </section>
    }
}

fn version_row(
    v: VersionRow,
    horizons: &[usize],
    roll_back: Option<(String, String, ServerAction<RollBackModel>)>,
) -> impl IntoView {
    // One cell per horizon: `value` of the version's record there, shown by `show`, or a dash.
    let cells = |value: fn(&VersionHorizon) -> Option<f64>, show: fn(f64) -> String| {
        horizons
            .iter()
            .map(|&h| {
                let x = v.horizons.iter().find(|x| x.h == h).and_then(value);
                view! { <td class="num">{x.map_or_else(|| "–".into(), show)}</td> }
            })
            .collect_view()
    };
    let rel = cells(|x| x.mae_rel_naive, |r| format!("{r:.3}"));
    let cov = cells(|x| x.cov95_pct, |c| format!("{c:.1}%"));
    let state = v.state;
    let action = roll_back.map(|(symbol, model, action)| {
        // Any version that is not the served one can be made current again.
        (state != VersionState::Current).then(move || {
            view! {
                <ActionForm action=action attr:class="inline">
                    <input type="hidden" name="symbol" value=symbol/>
                    <input type="hidden" name="model" value=model/>
                    <input type="hidden" name="version" value=v.version.to_string()/>
                    <button type="submit" class="link danger" data-testid="roll-back">"Make current"</button>
                </ActionForm>
            }
        })
    });
    view! {
        <tr data-testid="version-row" data-version=v.version.to_string() data-state=state.as_str()>
            <td>{v.version}</td>
            <td><span class=format!("badge state-{}", state.as_str())>{state.as_str()}</span></td>
            <td>{v.trained.format("%Y-%m-%d %H:%M UTC").to_string()}</td>
            <td>{format!("{} – {} ({} bars)", v.data_from, v.data_to, v.rows)}</td>
            <td>{format!("{} – {} ({} origins)", v.window_from, v.window_to, v.origins)}</td>
            {rel}
            {cov}
            {action.map(|a| view! { <td>{a}</td> })}
        </tr>
    }
}

#[component]
fn Reliability(tables: Vec<ReliabilityTable>) -> impl IntoView {
    view! {
        <details class="reliability">
            <summary>"Confidence: predicted against observed hit rate (out of sample)"</summary>
            <p class="meta">
                "The confidence beside a call is the probability that it is right, fitted on the walk-forward "
                "record. Each row compares, for calls in a band of predicted probability, the mean predicted "
                "probability with the share that was right, on data the fit did not see (time-blocked cross-fitting)."
            </p>
            {tables.into_iter().map(|t| view! {
                <table class="track-table" data-testid="reliability" data-h=t.h.to_string()>
                    <caption>{format!("{} trading day(s) ahead: {} calls, {:.1}% right", t.h, t.calls, 100.0 * t.base_rate)}</caption>
                    <thead><tr>
                        <th scope="col">"Predicted band"</th>
                        <th scope="col">"Calls"</th>
                        <th scope="col">"Predicted"</th>
                        <th scope="col">"Observed"</th>
                    </tr></thead>
                    <tbody>
                        {t.bins.into_iter().filter(|b| b.count > 0).map(|b| view! {
                            <tr>
                                <td>{format!("{:.0}–{:.0}%", 100.0 * b.lower, 100.0 * b.upper)}</td>
                                <td class="num">{b.count}</td>
                                <td class="num">{format!("{:.1}%", 100.0 * b.predicted)}</td>
                                <td class="num">{format!("{:.1}%", 100.0 * b.observed)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }).collect_view()}
        </details>
    }
}

#[component]
fn Strategy(s: StrategySummary, id: String) -> impl IntoView {
    let row = |name: &'static str, r: &StrategyRow| {
        let pct = |x: f64| format!("{:+.1}%", 100.0 * x);
        view! {
            <tr>
                <th scope="row">{name}</th>
                <td class="num">{pct(r.total_return)}</td>
                <td class="num">{r.sharpe.map_or_else(|| "–".into(), |x| format!("{x:.2}"))}</td>
                <td class="num">{format!("{:.1}%", 100.0 * r.max_drawdown)}</td>
                <td class="num">{format!("{:.2}", r.turnover)}</td>
                <td class="num">{r.hit_rate.map_or_else(|| "–".into(), |x| format!("{:.1}%", 100.0 * x))}</td>
                <td class="num">{r.excess_return.map_or_else(|| "–".into(), pct)}</td>
                <td class="num">{r.p_value.map_or_else(|| "–".into(), |p| format!("{p:.2}"))}</td>
            </tr>
        }
    };
    let rows = view! {
        {row("Buy and hold", &s.buy_and_hold)}
        {row("Long / flat", &s.long_flat)}
        {row("Long / short", &s.long_short)}
    };
    let curves = vec![
        ("Buy and hold".to_string(), s.buy_and_hold.equity.clone()),
        ("Long / flat".to_string(), s.long_flat.equity.clone()),
        ("Long / short".to_string(), s.long_short.equity.clone()),
    ];
    view! {
        <details class="strategy" open>
            <summary>"Trading its one-day calls, against buy-and-hold"</summary>
            <p class="meta">
                {format!(
                    "Over the walk-forward window, acting on each one-day call at the close, {:.2}% cost per position change. \
                     The p-value is a block bootstrap of \"earns more than buy-and-hold\"; with no skill shown, a strategy's \
                     lead or lag is noise.",
                    100.0 * s.cost_per_trade
                )}
            </p>
            <table class="track-table" data-testid="strategy">
                <thead><tr>
                    <th scope="col">"Strategy"</th>
                    <th scope="col">"Return"</th>
                    <th scope="col">"Sharpe"</th>
                    <th scope="col">"Max drawdown"</th>
                    <th scope="col">"Turnover"</th>
                    <th scope="col">"Hit rate"</th>
                    <th scope="col">"Excess a year"</th>
                    <th scope="col">"p"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <EquityChart id dates=s.dates curves/>
        </details>
    }
}

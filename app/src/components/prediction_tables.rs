//! Every model's predictions as one table per horizon, each prediction beside the walk-forward
//! record the model earned out of sample, so a number is never read without its track record.

use chrono::NaiveDate;
use leptos::prelude::*;

use super::format;
use crate::model::{
    HorizonSkill, ModelMetrics, ModelPrediction, ModelState, Predictions, TradeSignal,
};

/// "1 day", "2 days", "1 week (5 days)".
pub fn horizon_label(h: usize) -> String {
    match h {
        1 => "1 day".into(),
        5 => "1 week (5 days)".into(),
        n => format!("{n} days"),
    }
}

/// The horizons and their target dates, from the first model with an answer (every model
/// predicts the same sessions).
pub fn horizons(p: &Predictions) -> Vec<(usize, NaiveDate)> {
    p.models
        .iter()
        .find(|m| m.status == ModelState::Ready && !m.horizons.is_empty())
        .map(|m| m.horizons.iter().map(|s| (s.h, s.target_date)).collect())
        .unwrap_or_default()
}

/// The models that have no answer yet because a training job is on them.
pub fn still_training(p: &Predictions) -> Vec<String> {
    p.models
        .iter()
        .filter(|m| m.status == ModelState::Training)
        .map(|m| m.model.label().to_string())
        .collect()
}

/// The models without an answer yet, whatever the reason.
pub fn not_ready(p: &Predictions) -> Vec<String> {
    p.models
        .iter()
        .filter(|m| m.status != ModelState::Ready)
        .map(|m| m.model.label().to_string())
        .collect()
}

fn skill_at(metrics: Option<&ModelMetrics>, h: usize) -> Option<&HorizonSkill> {
    metrics?.horizons.iter().find(|s| s.h == h)
}

/// A ratio to two decimals (the random walk's own MAE ratio reads 1.00).
fn ratio(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map_or_else(|| "—".into(), |v| format!("{v:.2}"))
}

/// A p-value: three decimals, or "< 0.001" where three decimals would show a misleading zero.
pub fn p_value(v: Option<f64>) -> String {
    match v.filter(|v| v.is_finite()) {
        None => "—".into(),
        Some(p) if p < 0.001 => "< 0.001".into(),
        Some(p) => format!("{p:.3}"),
    }
}

fn percent(v: Option<f64>) -> String {
    v.filter(|v| v.is_finite())
        .map_or_else(|| "—".into(), |v| format!("{v:.1}%"))
}

fn interval(lo: Option<f64>, hi: Option<f64>) -> String {
    match (lo, hi) {
        (Some(lo), Some(hi)) => format!("{} – {}", format::price(lo), format::price(hi)),
        _ => "—".into(),
    }
}

/// "BUY 62%", "SELL 55%", or "HOLD" (a hold carries no confidence). The percentage is the
/// calibrated probability that the called direction is right.
pub fn signal_text(signal: TradeSignal, confidence: f64) -> String {
    match signal {
        TradeSignal::Hold => "HOLD".into(),
        TradeSignal::Buy => format!("BUY {:.0}%", confidence * 100.0),
        TradeSignal::Sell => format!("SELL {:.0}%", confidence * 100.0),
    }
}

/// "62% in 58 calls" style hit rate against the share of up-moves in the same window.
fn direction(skill: Option<&HorizonSkill>) -> String {
    match skill.map(|k| (k.da_pct, k.up_pct)) {
        Some((Some(da), Some(up))) => format!("{da:.1}% vs {up:.1}% up"),
        Some((Some(da), None)) => format!("{da:.1}%"),
        _ => "—".into(),
    }
}

fn signal_class(signal: TradeSignal) -> &'static str {
    match signal {
        TradeSignal::Buy => "signal buy",
        TradeSignal::Sell => "signal sell",
        TradeSignal::Hold => "signal hold",
    }
}

fn state_name(state: ModelState) -> &'static str {
    match state {
        ModelState::Ready => "ready",
        ModelState::Training => "training",
        ModelState::NotTrainedYet => "not_trained_yet",
        ModelState::Failed => "failed",
        ModelState::InsufficientHistory => "insufficient_history",
    }
}

/// Which horizon a phone shows: one table at a time, picked by tabs. Without JavaScript every
/// table stays on the page and the tabs are links to them.
#[derive(Debug, Clone, Copy)]
pub struct HorizonTabs {
    /// The horizon shown, in trading days.
    pub selected: RwSignal<usize>,
    /// Set once the page is interactive: only then are the other tables hidden.
    pub live: RwSignal<bool>,
}

impl HorizonTabs {
    /// The first horizon selected; live once the page hydrates.
    pub fn new() -> Self {
        let live = RwSignal::new(false);
        Effect::new(move |_| live.set(true));
        HorizonTabs {
            selected: RwSignal::new(1),
            live,
        }
    }
}

impl Default for HorizonTabs {
    fn default() -> Self {
        Self::new()
    }
}

/// One table per horizon of every model in `predictions`, with tabs between them on a phone.
#[component]
pub fn PredictionTables(predictions: Predictions, tabs: HorizonTabs) -> impl IntoView {
    let all = horizons(&predictions);
    let tab_links = all
        .iter()
        .map(|&(h, _)| {
            view! {
                <a
                    href=format!("#h-{h}")
                    role="tab"
                    data-h=h
                    aria-selected=move || (tabs.selected.get() == h).to_string()
                    class:active=move || tabs.selected.get() == h
                    on:click=move |ev| {
                        ev.prevent_default();
                        tabs.selected.set(h);
                    }
                >
                    {horizon_label(h)}
                </a>
            }
        })
        .collect_view();
    let tables = all
        .into_iter()
        .map(|(h, date)| {
            let rows = predictions
                .models
                .iter()
                .map(|m| model_row(m, h))
                .collect_view();
            view! {
                <table
                    id=format!("h-{h}")
                    class="forecasts predictions"
                    class:phone-hidden=move || tabs.live.get() && tabs.selected.get() != h
                    data-testid="predictions"
                    data-horizon=h
                    data-target-date=date.to_string()
                >
                    <caption>
                        {horizon_label(h)} ": close of "
                        <time datetime=date.to_string()>{format::day(date)}</time>
                    </caption>
                    <thead>
                        <tr>
                            <th scope="col">"Model"</th>
                            <th scope="col" class="num">"Close"</th>
                            <th scope="col" class="num">"95% range"</th>
                            <th scope="col" class="num detail">"99% range"</th>
                            <th scope="col" class="detail" title="BUY or SELL only where the record shows skill; the percentage is the calibrated chance the direction is right">"Signal"</th>
                            <th scope="col">"Record"</th>
                            <th scope="col" class="num detail" title="Mean absolute error over the random walk's on the same days">"MAE / naive"</th>
                            <th scope="col" class="num detail" title="One-sided Diebold–Mariano test of smaller errors than the random walk, after Holm's correction across every model and horizon on this page">"p (corrected)"</th>
                            <th scope="col" class="num detail" title="Share of days the direction was right, beside the share of up-moves (what always calling up would score)">"Direction"</th>
                            <th scope="col" class="num detail" title="Share of actual closes inside the 95% and the 99% range">"Coverage 95 / 99"</th>
                            <th scope="col" class="detail">"Evaluated on"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            }
        })
        .collect_view();
    view! {
        <nav class="horizon-tabs phone-tabs" role="tablist" aria-label="Horizon" data-testid="horizon-tabs">{tab_links}</nav>
        {tables}
    }
}

fn model_row(m: &ModelPrediction, h: usize) -> AnyView {
    let label = m.display_name();
    let version = match (m.version.filter(|v| *v > 0), &m.trained) {
        (Some(v), Some(t)) => format!(
            "version {v}, trained {} on {} – {}",
            t.at.format("%-d %b %Y"),
            format::day(t.data_from),
            format::day(t.data_to)
        ),
        (Some(v), None) => format!("version {v}"),
        _ => "fitted on the spot".into(),
    };
    let step = m.horizons.iter().find(|s| s.h == h);
    match (m.status, step) {
        (ModelState::Ready, Some(s)) => {
            let skill = skill_at(m.metrics.as_ref(), h);
            let window = m.metrics.as_ref().map_or_else(
                || "not evaluated".to_string(),
                |w| {
                    format!(
                        "{} – {} ({} origins)",
                        format::day(w.window_from),
                        format::day(w.window_to),
                        w.origins
                    )
                },
            );
            let signal = signal_text(s.signal, s.confidence);
            let range99 = interval(s.lo99, s.hi99);
            let mae_rel = ratio(skill.and_then(|k| k.mae_rel_naive));
            let p = p_value(skill.and_then(|k| k.dm_p_holm.or(k.dm_p_better)));
            let da = direction(skill);
            let cov95 = percent(skill.and_then(|k| k.cov95_pct));
            let cov99 = percent(skill.and_then(|k| k.cov99_pct));
            view! {
                <tr data-model=m.model.as_str() data-status="ready">
                    <th scope="row">
                        {label}<small>{version}</small>
                        // On a phone the detail columns are hidden; a tap on the model shows them.
                        <details class="row-details">
                            <summary>"Details"</summary>
                            <dl>
                                <dt>"Signal"</dt><dd>{signal.clone()}</dd>
                                <dt>"99% range"</dt><dd>{range99.clone()}</dd>
                                <dt>"MAE / naive"</dt><dd>{mae_rel.clone()}</dd>
                                <dt>"p (corrected)"</dt><dd>{p.clone()}</dd>
                                <dt>"Direction"</dt><dd>{da.clone()}</dd>
                                <dt>"Coverage 95 / 99"</dt><dd>{format!("{cov95} / {cov99}")}</dd>
                                <dt>"Evaluated on"</dt><dd>{window.clone()}</dd>
                            </dl>
                        </details>
                    </th>
                    <td class="num" data-h=h data-target-date=s.target_date.to_string()>
                        <span class="point">{format::price(s.point)}</span>
                    </td>
                    <td class="num interval">{interval(s.lo95, s.hi95)}</td>
                    <td class="num interval99 detail">{range99}</td>
                    <td class=format!("{} detail", signal_class(s.signal))>
                        {signal}
                        {s.confidence_label.clone().map(|l| view! { <small class="confidence">{format!("{l} confidence")}</small> })}
                    </td>
                    <td class="verdict" data-skilful=skill.is_some_and(|k| k.skilful).to_string()>
                        {skill.map_or_else(|| "Not evaluated".to_string(), HorizonSkill::verdict)}
                    </td>
                    <td class="num mae-rel detail">{mae_rel}</td>
                    <td class="num dm-p detail">{p}</td>
                    <td class="num da detail">{da}</td>
                    <td class="num cov95 detail">
                        {cov95}
                        <small class="cov99">{cov99}</small>
                    </td>
                    <td class="window detail">{window}</td>
                </tr>
            }
            .into_any()
        }
        (state, _) => {
            let message = m.message.clone().unwrap_or_else(|| match state {
                ModelState::Training => "Being trained.".into(),
                ModelState::NotTrainedYet => "Not trained yet.".into(),
                ModelState::InsufficientHistory => "Too little history to evaluate.".into(),
                _ => "No prediction for this horizon.".into(),
            });
            view! {
                <tr data-model=m.model.as_str() data-status=state_name(state)>
                    <th scope="row">{label}</th>
                    <td colspan="10" class="unavailable">{message}</td>
                </tr>
            }
            .into_any()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PredictedStep;

    fn ready(model: &str) -> ModelPrediction {
        ModelPrediction {
            model: model.parse().unwrap(),
            version: Some(0),
            label: None,
            trained: None,
            status: ModelState::Ready,
            message: None,
            metrics: None,
            horizons: [(1, "2013-03-04"), (2, "2013-03-05"), (5, "2013-03-08")]
                .into_iter()
                .map(|(h, d)| PredictedStep {
                    h,
                    target_date: d.parse().unwrap(),
                    point: 806.19,
                    lo95: Some(780.0),
                    hi95: Some(830.0),
                    lo99: None,
                    hi99: None,
                    signal: TradeSignal::Hold,
                    confidence: 0.0,
                    confidence_label: None,
                })
                .collect(),
        }
    }

    fn waiting(model: &str, status: ModelState) -> ModelPrediction {
        ModelPrediction {
            model: model.parse().unwrap(),
            version: None,
            label: None,
            trained: None,
            status,
            message: Some(format!("{model} is being trained for GOOG.")),
            metrics: None,
            horizons: vec![],
        }
    }

    fn predictions(models: Vec<ModelPrediction>) -> Predictions {
        Predictions {
            symbol: crate::domain::Symbol::parse("GOOG").unwrap(),
            as_of: "2013-03-01".parse().unwrap(),
            last_close: 806.19,
            recent: vec![],
            models,
            job_id: None,
        }
    }

    #[test]
    fn horizons_come_from_a_model_with_an_answer_even_when_the_first_has_none() {
        let p = predictions(vec![waiting("lstm", ModelState::Training), ready("naive")]);
        assert_eq!(
            horizons(&p),
            [
                (1, "2013-03-04".parse().unwrap()),
                (2, "2013-03-05".parse().unwrap()),
                (5, "2013-03-08".parse().unwrap())
            ]
        );
    }

    #[test]
    fn only_models_with_a_training_job_are_listed_as_training() {
        let p = predictions(vec![
            ready("naive"),
            waiting("lstm", ModelState::Training),
            waiting("rf", ModelState::NotTrainedYet),
        ]);
        assert_eq!(still_training(&p), ["LSTM"]);
    }

    #[test]
    fn a_hold_shows_no_confidence_and_a_call_shows_it_as_a_percentage() {
        assert_eq!(signal_text(TradeSignal::Hold, 0.0), "HOLD");
        assert_eq!(signal_text(TradeSignal::Buy, 0.624), "BUY 62%");
        assert_eq!(signal_text(TradeSignal::Sell, 0.55), "SELL 55%");
    }

    #[test]
    fn tiny_p_values_are_not_rounded_to_zero() {
        assert_eq!(p_value(Some(0.00003)), "< 0.001");
        assert_eq!(p_value(Some(0.0432)), "0.043");
        assert_eq!(p_value(None), "—");
        assert_eq!(p_value(Some(f64::NAN)), "—");
    }
}

/// How to read the tables, said once on the page.
#[component]
pub fn HowToRead() -> impl IntoView {
    view! {
        <details class="how-to-read" data-testid="how-to-read">
            <summary>"How to read this"</summary>
            <p>
                "Every model is measured walk-forward: at each of the last origins it forecast only from the data before that day, "
                "and its errors are compared with the naive random walk's on the same days (MAE / naive: below 1.00 means smaller errors)."
            </p>
            <p>
                "A model shows skill only when both hold: its errors are smaller than the random walk's with a one-sided "
                "Diebold–Mariano p-value below 0.05 after Holm's correction for every model and horizon on this page, and it "
                "called the direction right more often than always calling the more frequent move would have (the share of up-moves "
                "in the same days). Only such a model may say BUY or SELL; every other row says plainly that it was no better than a random walk, and HOLD."
            </p>
            <p>
                "The percentage next to a BUY or SELL is the probability that the direction is right, calibrated on the model's own "
                "out-of-sample calls; the ranges are 95% and 99% prediction intervals, and the coverage column says how often the actual close fell inside them."
            </p>
        </details>
    }
}

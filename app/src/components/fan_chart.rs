//! The forecast chart, meant to be read at a glance: the recent closes, the random walk's 95%
//! band, and the one or two models whose skill is significant (every model is one click away).
//! Each model has its own colour; its band is a light fill between dashed edges, so overlapping
//! bands stay apart. Where the track record has them, the served one-day forecasts of the
//! recent days are drawn as dots against the closes that happened.

use leptos::prelude::*;

use super::prediction_tables::horizons;
use crate::model::{ModelId, ModelState, PredictionHistory, Predictions};

/// How many skilful models the default view shows beside the random walk.
const SKILFUL_SHOWN: usize = 2;
/// The name of the past forecasts' legend entry.
pub const PAST: &str = "Past 1-day forecasts";
const COLOURS: [&str; 8] = [
    "#2563eb", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#dc2626", "#0f766e",
];
const RANDOM_WALK_COLOUR: &str = "#64748b";

/// Draws `predictions` and redraws when they change, e.g. when trained models arrive (browser
/// only; SSR renders the empty container).
#[component]
pub fn FanChart(
    #[prop(into)] predictions: Signal<Predictions>,
    #[prop(into)] history: Signal<Option<PredictionHistory>>,
    show_all: RwSignal<bool>,
) -> impl IntoView {
    const ID: &str = "forecast-chart";
    let fan = Memo::new(move |_| {
        let history = history.get();
        predictions.with(|p| Fan::of(p, history.as_ref(), show_all.get()))
    });
    #[cfg(feature = "browser")]
    {
        // After client-side navigation the effect can run before the new page is attached to the
        // document; drawing on the next animation frame finds the container in place.
        Effect::new(move |_| {
            let fan = fan.get();
            super::echarts::when_ready(move || draw(ID, &fan));
        });
    }
    let label = move || {
        predictions.with(|p| {
            format!(
                "Closes of {} for the last {} trading days and forecasts with 95% intervals",
                p.symbol,
                p.recent.len()
            )
        })
    };
    let toggle = move || {
        fan.with(|f| {
            (f.others > 0 || show_all.get()).then(|| {
                let text = if show_all.get() {
                    "Show the random walk and the skilful models only".to_string()
                } else {
                    format!("Show all models (+{})", f.others)
                };
                view! {
                    <button type="button" class="link" data-testid="fan-all" aria-pressed=move || show_all.get().to_string()
                        on:click=move |_| show_all.update(|v| *v = !*v)>{text}</button>
                }
            })
        })
    };
    view! {
        <div id=ID class="chart" role="img" aria-label=label
            data-legend-entries=move || fan.with(|f| f.legend().len())></div>
        <p class="fan-note" data-testid="fan-note">
            {move || fan.with(|f| f.note.clone())} " " {toggle}
        </p>
    }
}

/// One model's path over the horizons: point forecasts and the 95% band.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// The model's name for the legend.
    pub label: String,
    /// Its colour on the chart.
    pub colour: &'static str,
    /// Point forecasts, one per horizon.
    pub point: Vec<f64>,
    /// Lower 95% bounds.
    pub lo: Vec<f64>,
    /// Upper 95% bounds.
    pub hi: Vec<f64>,
    /// The one-day forecasts served for the recent days, on the recent dates (gaps where none
    /// was recorded).
    pub past: Vec<Option<f64>>,
}

/// What the chart draws, derived from the predictions by a plain function (tested without a
/// browser).
#[derive(Debug, Clone, PartialEq)]
pub struct Fan {
    /// Category-axis labels: the recent dates, then each horizon's target date, so weekends and
    /// holidays take no room, as on the price chart.
    pub labels: Vec<String>,
    /// The recent closes.
    pub closes: Vec<f64>,
    /// The close the forecasts start from.
    pub last_close: f64,
    /// The models drawn: the random walk first, then the skilful ones (or every ready model with a
    /// 95% band when all are asked for). Models without an answer are left out, not drawn as zeros.
    pub bands: Vec<Band>,
    /// Ready models not drawn in this view.
    pub others: usize,
    /// What the view shows, in a sentence.
    pub note: String,
}

impl Fan {
    /// The chart of `p`, with the served forecasts of `history` on the recent days; the default
    /// view unless `all`.
    pub fn of(p: &Predictions, history: Option<&PredictionHistory>, all: bool) -> Fan {
        let recent: Vec<chrono::NaiveDate> = p.recent.iter().map(|c| c.date).collect();
        let mut drawable: Vec<(Band, Standing)> = p
            .models
            .iter()
            .filter(|m| m.status == ModelState::Ready && !m.horizons.is_empty())
            .enumerate()
            .filter_map(|(k, m)| {
                let lo = m.horizons.iter().map(|s| s.lo95).collect::<Option<_>>()?;
                let hi = m.horizons.iter().map(|s| s.hi95).collect::<Option<_>>()?;
                let (standing, colour) = if m.model == ModelId::Naive {
                    (Standing::RandomWalk, RANDOM_WALK_COLOUR)
                } else {
                    (Standing::of(m), COLOURS[k % COLOURS.len()])
                };
                let band = Band {
                    label: m.display_name(),
                    colour,
                    point: m.horizons.iter().map(|s| s.point).collect(),
                    lo,
                    hi,
                    past: past_forecasts(history, m.model, &recent),
                };
                Some((band, standing))
            })
            .collect();
        let ready = drawable.len();
        let skilful = drawable
            .iter()
            .filter(|(_, s)| matches!(s, Standing::Skilful(_)))
            .count();
        if !all {
            // The random walk, then the skilful models, best first.
            drawable.retain(|(_, s)| *s != Standing::Other);
            drawable.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal));
            drawable.truncate(1 + SKILFUL_SHOWN);
        }
        let bands: Vec<Band> = drawable.into_iter().map(|(b, _)| b).collect();
        let note = match (all, skilful) {
            (true, _) => "Every ready model with its 95% range.".to_string(),
            (false, 0) => "No model beat the random walk with significant skill on this ticker, so the chart shows the random walk's 95% range alone.".to_string(),
            (false, n) => format!(
                "The random walk's 95% range beside the {} model{} whose skill over it is significant.",
                if n > SKILFUL_SHOWN { format!("{SKILFUL_SHOWN} best of the {n}") } else { n.to_string() },
                if n.min(SKILFUL_SHOWN) == 1 { "" } else { "s" }
            ),
        };
        let mut labels: Vec<String> = recent.iter().map(|d| d.to_string()).collect();
        labels.extend(horizons(p).into_iter().map(|(_, date)| date.to_string()));
        Fan {
            labels,
            closes: p.recent.iter().map(|c| c.close).collect(),
            last_close: p.last_close,
            others: ready - bands.len(),
            bands,
            note,
        }
    }

    /// How many horizons follow the recent closes on the axis.
    pub fn horizons(&self) -> usize {
        self.labels.len().saturating_sub(self.closes.len())
    }

    /// The legend: the closes, one entry per model (its line, band and past forecasts together),
    /// and the past forecasts when there are any.
    pub fn legend(&self) -> Vec<String> {
        let mut entries = vec!["Close".to_string()];
        entries.extend(self.bands.iter().map(|b| b.label.clone()));
        if self
            .bands
            .iter()
            .any(|b| b.past.iter().any(Option::is_some))
        {
            entries.push(PAST.to_string());
        }
        entries
    }
}

/// Where a model stands in the default view, in drawing order (derived order: the random walk,
/// then skilful models by their error ratio, then the rest).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
enum Standing {
    RandomWalk,
    /// Skill shown; the best error ratio over the random walk among the horizons that show it.
    Skilful(f64),
    Other,
}

impl Standing {
    fn of(m: &crate::model::ModelPrediction) -> Standing {
        let Some(w) = m.metrics.as_ref() else {
            return Standing::Other;
        };
        let mut skilful = w.horizons.iter().filter(|s| s.skilful).peekable();
        if skilful.peek().is_none() {
            return Standing::Other;
        }
        Standing::Skilful(
            skilful
                .filter_map(|s| s.mae_rel_naive)
                .min_by(f64::total_cmp)
                .unwrap_or(1.0),
        )
    }
}

/// `model`'s recorded one-day forecasts whose target is one of `dates`.
fn past_forecasts(
    history: Option<&PredictionHistory>,
    model: ModelId,
    dates: &[chrono::NaiveDate],
) -> Vec<Option<f64>> {
    let Some(h) = history.and_then(|h| h.models.iter().find(|m| m.model == model)) else {
        return vec![None; dates.len()];
    };
    dates
        .iter()
        .map(|d| {
            h.points
                .iter()
                .rev()
                .find(|p| p.h == 1 && p.target_date == *d)
                .map(|p| p.point)
        })
        .collect()
}

#[cfg(feature = "browser")]
fn draw(id: &str, fan: &Fan) {
    use charming::component::{Axis, Grid, Legend};
    use charming::element::{
        AreaStyle, AxisType, ItemStyle, LineStyle, LineStyleType, Tooltip, Trigger,
    };
    use charming::series::Line;
    use charming::Chart;

    let n = fan.closes.len();
    // History, padded with gaps (`None` becomes a JSON null, which ECharts leaves undrawn).
    let mut history: Vec<Option<f64>> = fan.closes.iter().copied().map(Some).collect();
    history.extend((0..fan.horizons()).map(|_| None));
    // A forecast line starts at the last close so it visibly continues the history.
    let path = |values: &[f64]| -> Vec<Option<f64>> {
        let mut v: Vec<Option<f64>> = vec![None; n.saturating_sub(1)];
        v.push(Some(fan.last_close));
        v.extend(values.iter().copied().map(Some));
        v
    };
    let mut chart = Chart::new()
        .legend(Legend::new().top("0").data(fan.legend()))
        .grid(Grid::new().left("64").right("24").top("40").bottom("32"))
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .x_axis(
            Axis::new()
                .type_(AxisType::Category)
                .data(fan.labels.clone()),
        )
        .y_axis(Axis::new().type_(AxisType::Value).scale(true))
        .series(
            Line::new()
                .name("Close")
                .data(history)
                .show_symbol(false)
                .item_style(ItemStyle::new().color("#0f172a")),
        );
    for b in &fan.bands {
        let label = b.label.as_str();
        let edge = || {
            LineStyle::new()
                .type_(LineStyleType::Dashed)
                .color(b.colour)
                .width(1)
        };
        let width: Vec<f64> = b.hi.iter().zip(&b.lo).map(|(h, l)| h - l).collect();
        let stack = format!("band {label}");
        chart = chart
            // The fill: the lower edge, then the band's width stacked on it (left out of the
            // tooltip, which shows the edges and the point).
            .series(
                Line::new()
                    .name(label)
                    .data(path(&b.lo))
                    .stack(stack.as_str())
                    .show_symbol(false)
                    .line_style(LineStyle::new().opacity(0)),
            )
            .series(
                Line::new()
                    .name(label)
                    .data({
                        let mut w = path(&width);
                        if let Some(start) = w.get_mut(n.saturating_sub(1)) {
                            *start = Some(0.0);
                        }
                        w
                    })
                    .stack(stack.as_str())
                    .show_symbol(false)
                    .line_style(LineStyle::new().opacity(0))
                    .area_style(AreaStyle::new().color(b.colour).opacity(0.12)),
            )
            .series(
                Line::new()
                    .name(label)
                    .data(path(&b.point))
                    .item_style(ItemStyle::new().color(b.colour))
                    .line_style(LineStyle::new().color(b.colour).width(2)),
            );
        for bound in [&b.lo, &b.hi] {
            chart = chart.series(
                Line::new()
                    .name(label)
                    .data(path(bound))
                    .show_symbol(false)
                    .item_style(ItemStyle::new().color(b.colour))
                    .line_style(edge()),
            );
        }
        if b.past.iter().any(Option::is_some) {
            let mut past = b.past.clone();
            past.extend((0..fan.horizons()).map(|_| None));
            chart = chart.series(
                Line::new()
                    .name(PAST)
                    .data(past)
                    .symbol_size(6)
                    .item_style(ItemStyle::new().color(b.colour))
                    .line_style(LineStyle::new().opacity(0)),
            );
        }
    }
    let mut option = serde_json::to_value(&chart).unwrap_or_default();
    // The fills are left out of the tooltip, which shows the edges and the point (charming 0.6
    // has no setter for a series' `tooltip.show`).
    if let Some(series) = option.get_mut("series").and_then(|v| v.as_array_mut()) {
        for s in series.iter_mut().filter(|s| s.get("stack").is_some()) {
            s["tooltip"] = serde_json::json!({ "show": false });
        }
    }
    super::echarts::replace(id, &option);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Symbol;
    use crate::model::{ModelPrediction, PredictedStep, PricePoint, TradeSignal};
    use chrono::NaiveDate;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn step(h: usize, target: &str, lo95: Option<f64>) -> PredictedStep {
        PredictedStep {
            h,
            target_date: day(target),
            point: 10.0,
            lo95,
            hi95: lo95.map(|l| l + 2.0),
            lo99: None,
            hi99: None,
            signal: TradeSignal::Hold,
            confidence: 0.0,
            confidence_label: None,
        }
    }

    fn model(id: &str, status: ModelState, horizons: Vec<PredictedStep>) -> ModelPrediction {
        ModelPrediction {
            model: id.parse().unwrap(),
            version: Some(1),
            label: None,
            trained: None,
            status,
            message: None,
            metrics: None,
            horizons,
        }
    }

    fn predictions(recent: &[(&str, f64)], models: Vec<ModelPrediction>) -> Predictions {
        Predictions {
            symbol: Symbol::parse("X").unwrap(),
            as_of: day("2020-01-03"),
            last_close: 10.0,
            recent: recent
                .iter()
                .map(|(d, close)| PricePoint {
                    date: day(d),
                    close: *close,
                })
                .collect(),
            models,
            job_id: None,
        }
    }

    #[test]
    fn horizons_follow_the_recent_dates_on_the_axis_as_target_dates() {
        // From Friday 2020-01-03: Monday, Tuesday, and Friday a week on.
        let steps = vec![
            step(1, "2020-01-06", Some(9.0)),
            step(2, "2020-01-07", Some(9.0)),
            step(5, "2020-01-10", Some(9.0)),
        ];
        let p = predictions(
            &[("2020-01-02", 9.0), ("2020-01-03", 10.0)],
            vec![model("naive", ModelState::Ready, steps)],
        );
        let fan = Fan::of(&p, None, false);
        assert_eq!(
            fan.labels,
            [
                "2020-01-02",
                "2020-01-03",
                "2020-01-06",
                "2020-01-07",
                "2020-01-10"
            ]
        );
        assert_eq!(fan.horizons(), 3);
        assert_eq!(fan.closes, [9.0, 10.0]);
    }

    #[test]
    fn only_ready_models_with_a_95_band_are_drawn_beside_the_recent_closes() {
        let p = predictions(
            &[("2020-01-03", 10.0)],
            vec![
                model(
                    "naive",
                    ModelState::Ready,
                    vec![step(1, "2020-01-06", Some(9.0))],
                ),
                model("rf", ModelState::Ready, vec![step(1, "2020-01-06", None)]),
                model("lstm", ModelState::Training, vec![]),
            ],
        );
        let fan = Fan::of(&p, None, false);
        assert_eq!(fan.closes, [10.0]);
        let drawn: Vec<&str> = fan.bands.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(drawn, ["Naive random walk"]);
        assert_eq!(fan.bands[0].hi, [11.0]);
    }

    fn skilful(mut m: ModelPrediction, rel: f64) -> ModelPrediction {
        let skill = |h| crate::model::HorizonSkill {
            h,
            mae: 1.0,
            mae_rel_naive: Some(rel),
            dm_p: None,
            dm_p_better: None,
            dm_p_holm: Some(0.01),
            da_pct: None,
            da_p: None,
            up_pct: None,
            da_p_vs_up: None,
            cov95_pct: None,
            cov99_pct: None,
            skilful: h == 1,
        };
        m.metrics = Some(crate::model::ModelMetrics {
            window_from: day("2019-01-02"),
            window_to: day("2019-12-31"),
            origins: 250,
            horizons: vec![skill(1), skill(5)],
        });
        m
    }

    fn ready(id: &str) -> ModelPrediction {
        model(
            id,
            ModelState::Ready,
            vec![step(1, "2020-01-06", Some(9.0))],
        )
    }

    fn labels(fan: &Fan) -> Vec<&str> {
        fan.bands.iter().map(|b| b.label.as_str()).collect()
    }

    #[test]
    fn by_default_the_random_walk_and_the_two_best_skilful_models_are_drawn() {
        let p = predictions(
            &[("2020-01-03", 10.0)],
            vec![
                ready("naive"),
                ready("drift"),
                skilful(ready("rf"), 0.97),
                skilful(ready("lstm"), 0.95),
                skilful(ready("gbm"), 0.99),
                ready("arima111"),
            ],
        );
        let fan = Fan::of(&p, None, false);
        assert_eq!(labels(&fan), ["Naive random walk", "LSTM", "Random forest"]);
        assert_eq!(fan.others, 3);
        assert!(fan.legend().len() <= 5, "{:?}", fan.legend());
        assert!(fan.note.contains("2 best of the 3"), "{}", fan.note);
        let all = Fan::of(&p, None, true);
        assert_eq!(all.bands.len(), 6);
        assert_eq!(all.others, 0);
    }

    #[test]
    fn without_a_skilful_model_a_sentence_says_so_and_only_the_random_walk_is_drawn() {
        let p = predictions(
            &[("2020-01-03", 10.0)],
            vec![ready("naive"), ready("rf"), ready("lstm")],
        );
        let fan = Fan::of(&p, None, false);
        assert_eq!(labels(&fan), ["Naive random walk"]);
        assert!(
            fan.note.starts_with("No model beat the random walk"),
            "{}",
            fan.note
        );
        assert_eq!(fan.legend(), ["Close", "Naive random walk"]);
    }

    #[test]
    fn served_one_day_forecasts_are_placed_on_their_target_dates() {
        use crate::model::{HistoryPoint, ModelHistory, PredictionHistory};
        let point = |as_of: &str, h, target: &str, v| HistoryPoint {
            as_of: day(as_of),
            h,
            target_date: day(target),
            version: 1,
            last_close: 9.0,
            point: v,
            lo95: None,
            hi95: None,
            actual: None,
            running_mae: None,
            running_mae_rel_naive: None,
        };
        let history = PredictionHistory {
            symbol: Symbol::parse("X").unwrap(),
            days: 30,
            models: vec![ModelHistory {
                model: "naive".parse().unwrap(),
                filled: 2,
                mae: None,
                mae_rel_naive: None,
                points: vec![
                    point("2020-01-01", 1, "2020-01-02", 8.5),
                    point("2019-12-31", 2, "2020-01-02", 7.0),
                    point("2020-01-02", 1, "2020-01-03", 9.5),
                ],
            }],
        };
        let p = predictions(
            &[
                ("2019-12-31", 8.0),
                ("2020-01-02", 9.0),
                ("2020-01-03", 10.0),
            ],
            vec![ready("naive")],
        );
        let fan = Fan::of(&p, Some(&history), false);
        assert_eq!(fan.bands[0].past, [None, Some(8.5), Some(9.5)]);
        assert_eq!(fan.legend(), ["Close", "Naive random walk", PAST]);
    }
}

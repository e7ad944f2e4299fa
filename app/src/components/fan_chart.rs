//! The forecast chart: recent closes, then each ready model's point forecasts and 95% band over the
//! horizons, on one axis so the width of the uncertainty is seen against ordinary daily moves.

use leptos::prelude::*;

use crate::model::{ModelState, Predictions};

/// Draws `predictions` and redraws when they change, e.g. when trained models arrive (browser
/// only; SSR renders the empty container).
#[component]
pub fn FanChart(#[prop(into)] predictions: Signal<Predictions>) -> impl IntoView {
    const ID: &str = "forecast-chart";
    #[cfg(feature = "hydrate")]
    {
        // After client-side navigation the effect can run before the new page is attached to the
        // document; drawing on the next animation frame finds the container in place.
        Effect::new(move |_| {
            let fan = predictions.with(Fan::of);
            request_animation_frame(move || draw(ID, &fan));
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
    view! { <div id=ID class="chart" role="img" aria-label=label></div> }
}

/// One model's path over the horizons: point forecasts and the 95% band.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// The model's name for the legend.
    pub label: String,
    /// Point forecasts, one per horizon.
    pub point: Vec<f64>,
    /// Lower 95% bounds.
    pub lo: Vec<f64>,
    /// Upper 95% bounds.
    pub hi: Vec<f64>,
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
    /// Every ready model with a 95% band at each horizon; models without an answer are left out
    /// rather than drawn as zeros.
    pub bands: Vec<Band>,
}

impl Fan {
    /// The chart of `p`.
    pub fn of(p: &Predictions) -> Fan {
        let ready = || {
            p.models
                .iter()
                .filter(|m| m.status == ModelState::Ready && !m.horizons.is_empty())
        };
        let bands: Vec<Band> = ready()
            .filter_map(|m| {
                let lo = m.horizons.iter().map(|s| s.lo95).collect::<Option<_>>()?;
                let hi = m.horizons.iter().map(|s| s.hi95).collect::<Option<_>>()?;
                Some(Band {
                    label: m.display_name(),
                    point: m.horizons.iter().map(|s| s.point).collect(),
                    lo,
                    hi,
                })
            })
            .collect();
        let mut labels: Vec<String> = p.recent.iter().map(|c| c.date.to_string()).collect();
        labels.extend(
            ready()
                .next()
                .into_iter()
                .flat_map(|m| m.horizons.iter().map(|s| s.target_date.to_string())),
        );
        Fan {
            labels,
            closes: p.recent.iter().map(|c| c.close).collect(),
            last_close: p.last_close,
            bands,
        }
    }

    /// How many horizons follow the recent closes on the axis.
    pub fn horizons(&self) -> usize {
        self.labels.len().saturating_sub(self.closes.len())
    }
}

#[cfg(feature = "hydrate")]
fn draw(id: &str, fan: &Fan) {
    use charming::component::{Axis, Grid, Legend};
    use charming::element::{AxisType, LineStyle, LineStyleType, Tooltip, Trigger};
    use charming::series::Line;
    use charming::{Chart, WasmRenderer};

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
        .legend(Legend::new().top("0"))
        .grid(Grid::new().left("64").right("24").top("40").bottom("32"))
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .x_axis(
            Axis::new()
                .type_(AxisType::Category)
                .data(fan.labels.clone()),
        )
        .y_axis(Axis::new().type_(AxisType::Value).scale(true))
        .series(Line::new().name("Close").data(history).show_symbol(false));
    for b in &fan.bands {
        let band = format!("{} 95%", b.label);
        chart = chart
            .series(Line::new().name(b.label.as_str()).data(path(&b.point)))
            .series(
                Line::new()
                    .name(band.as_str())
                    .data(path(&b.lo))
                    .show_symbol(false)
                    .line_style(LineStyle::new().type_(LineStyleType::Dashed)),
            )
            .series(
                Line::new()
                    .name(band.as_str())
                    .data(path(&b.hi))
                    .show_symbol(false)
                    .line_style(LineStyle::new().type_(LineStyleType::Dashed)),
            );
    }
    if let Err(e) = WasmRenderer::new_opt(None, None).render(id, &chart) {
        leptos::logging::error!("forecast chart could not be drawn: {e:?}");
    }
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
        let fan = Fan::of(&p);
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
        let fan = Fan::of(&p);
        assert_eq!(fan.closes, [10.0]);
        let drawn: Vec<&str> = fan.bands.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(drawn, ["Naive random walk"]);
        assert_eq!(fan.bands[0].hi, [11.0]);
    }
}

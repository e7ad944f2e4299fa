//! The forecast chart: recent closes, then each model's point forecasts and 95% band over the
//! horizons, on one axis so the width of the uncertainty is seen against ordinary daily moves.

use leptos::prelude::*;

use crate::model::{Forecasts, HorizonForecast, ModelForecast, ModelState, Predictions};

/// Draws `forecasts` and redraws when they change, e.g. when trained models arrive (browser
/// only; SSR renders the empty container).
#[component]
pub fn FanChart(#[prop(into)] forecasts: Signal<Forecasts>) -> impl IntoView {
    const ID: &str = "forecast-chart";
    #[cfg(feature = "hydrate")]
    {
        // After client-side navigation the effect can run before the new page is attached to the
        // document; drawing on the next animation frame finds the container in place.
        Effect::new(move |_| {
            let f = forecasts.get();
            request_animation_frame(move || draw(ID, &f));
        });
    }
    let label = move || {
        forecasts.with(|f| {
            format!(
                "Closes of {} for the last {} trading days and forecasts with 95% intervals",
                f.symbol,
                f.recent.len()
            )
        })
    };
    view! { <div id=ID class="chart" role="img" aria-label=label></div> }
}

/// The chart's input once the models have answered: the recent closes of `baselines` with the
/// band of every ready model of `predictions` that has a 95% interval at each horizon. Models
/// without an answer are left out rather than drawn as zeros.
pub fn with_predictions(baselines: &Forecasts, predictions: &Predictions) -> Forecasts {
    let models = predictions
        .models
        .iter()
        .filter(|m| m.status == ModelState::Ready && !m.horizons.is_empty())
        .filter_map(|m| {
            let horizons = m
                .horizons
                .iter()
                .map(|s| {
                    Some(HorizonForecast {
                        h: s.h,
                        target_date: s.target_date.clone(),
                        point: s.point,
                        lo95: s.lo95?,
                        hi95: s.hi95?,
                    })
                })
                .collect::<Option<Vec<_>>>()?;
            Some(ModelForecast {
                model: m.model.clone(),
                label: super::prediction_tables::model_label(&m.model).to_string(),
                description: String::new(),
                horizons,
            })
        })
        .collect();
    Forecasts {
        symbol: predictions.symbol.clone(),
        as_of: predictions.as_of.clone(),
        last_close: predictions.last_close,
        recent: baselines.recent.clone(),
        models,
        not_yet_served: Vec::new(),
    }
}

/// The x-axis labels: recent dates, then the trading day each horizon lands on. The axis is a
/// category axis, so weekends and holidays take no room, as on the price chart.
pub fn axis_labels(f: &Forecasts) -> (Vec<String>, Vec<usize>) {
    let first = f.models.first();
    let horizons: Vec<usize> = first
        .map(|m| m.horizons.iter().map(|h| h.h).collect())
        .unwrap_or_default();
    let mut labels: Vec<String> = f.recent.iter().map(|p| p.date.clone()).collect();
    labels.extend(
        first
            .into_iter()
            .flat_map(|m| m.horizons.iter().map(|h| h.target_date.clone())),
    );
    (labels, horizons)
}

#[cfg(feature = "hydrate")]
fn draw(id: &str, f: &Forecasts) {
    use charming::component::{Axis, Grid, Legend};
    use charming::element::{AxisType, LineStyle, LineStyleType, Tooltip, Trigger};
    use charming::series::Line;
    use charming::{Chart, WasmRenderer};

    let (labels, horizons) = axis_labels(f);
    let n = f.recent.len();
    // History, padded with gaps (`None` becomes a JSON null, which ECharts leaves undrawn).
    let mut history: Vec<Option<f64>> = f.recent.iter().map(|p| Some(p.close)).collect();
    history.extend(horizons.iter().map(|_| None));
    // A forecast line starts at the last close so it visibly continues the history.
    let path = |values: Vec<f64>| -> Vec<Option<f64>> {
        let mut v: Vec<Option<f64>> = vec![None; n.saturating_sub(1)];
        v.push(Some(f.last_close));
        v.extend(values.into_iter().map(Some));
        v
    };
    let mut chart = Chart::new()
        .legend(Legend::new().top("0"))
        .grid(Grid::new().left("64").right("24").top("40").bottom("32"))
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .x_axis(Axis::new().type_(AxisType::Category).data(labels))
        .y_axis(Axis::new().type_(AxisType::Value).scale(true))
        .series(Line::new().name("Close").data(history).show_symbol(false));
    for m in &f.models {
        let point = path(m.horizons.iter().map(|h| h.point).collect());
        let lo = path(m.horizons.iter().map(|h| h.lo95).collect());
        let hi = path(m.horizons.iter().map(|h| h.hi95).collect());
        chart = chart
            .series(Line::new().name(m.label.as_str()).data(point))
            .series(
                Line::new()
                    .name(format!("{} 95%", m.label))
                    .data(lo)
                    .show_symbol(false)
                    .line_style(LineStyle::new().type_(LineStyleType::Dashed)),
            )
            .series(
                Line::new()
                    .name(format!("{} 95%", m.label))
                    .data(hi)
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
    use crate::model::{HorizonForecast, ModelForecast, PricePoint};

    #[test]
    fn horizons_follow_the_recent_dates_on_the_axis_as_target_dates() {
        let f = Forecasts {
            symbol: "X".into(),
            as_of: "2020-01-03".into(),
            last_close: 10.0,
            recent: vec![
                PricePoint {
                    date: "2020-01-02".into(),
                    close: 9.0,
                },
                PricePoint {
                    date: "2020-01-03".into(),
                    close: 10.0,
                },
            ],
            models: vec![ModelForecast {
                model: "naive".into(),
                label: "Naive".into(),
                description: String::new(),
                horizons: [1, 2, 5]
                    .into_iter()
                    .map(|h| HorizonForecast {
                        h,
                        // From Friday 2020-01-03: Monday, Tuesday, and Friday a week on.
                        target_date: match h {
                            1 => "2020-01-06",
                            2 => "2020-01-07",
                            _ => "2020-01-10",
                        }
                        .into(),
                        point: 10.0,
                        lo95: 9.0,
                        hi95: 11.0,
                    })
                    .collect(),
            }],
            not_yet_served: vec![],
        };
        let (labels, hs) = axis_labels(&f);
        assert_eq!(
            labels,
            [
                "2020-01-02",
                "2020-01-03",
                "2020-01-06",
                "2020-01-07",
                "2020-01-10"
            ]
        );
        assert_eq!(hs, [1, 2, 5]);
    }

    #[test]
    fn only_ready_models_with_a_95_band_are_drawn_beside_the_recent_closes() {
        use crate::model::{ModelPrediction, PredictedStep, TradeSignal};
        let step = |lo95: Option<f64>| PredictedStep {
            h: 1,
            target_date: "2020-01-06".into(),
            point: 10.0,
            lo95,
            hi95: lo95.map(|l| l + 2.0),
            lo99: None,
            hi99: None,
            signal: TradeSignal::Hold,
            confidence: 0.0,
        };
        let model = |id: &str, status, steps| ModelPrediction {
            model: id.into(),
            version: Some(1),
            status,
            message: None,
            metrics: None,
            horizons: steps,
        };
        let base = Forecasts {
            symbol: "X".into(),
            as_of: "2020-01-03".into(),
            last_close: 10.0,
            recent: vec![PricePoint {
                date: "2020-01-03".into(),
                close: 10.0,
            }],
            models: vec![],
            not_yet_served: vec![],
        };
        let p = Predictions {
            symbol: "X".into(),
            as_of: "2020-01-03".into(),
            last_close: 10.0,
            models: vec![
                model("naive", ModelState::Ready, vec![step(Some(9.0))]),
                model("rf", ModelState::Ready, vec![step(None)]),
                model("lstm", ModelState::Training, vec![]),
            ],
        };
        let f = with_predictions(&base, &p);
        assert_eq!(f.recent, base.recent);
        let drawn: Vec<&str> = f.models.iter().map(|m| m.model.as_str()).collect();
        assert_eq!(drawn, ["naive"]);
        assert_eq!(f.models[0].horizons[0].hi95, 11.0);
        assert_eq!(f.models[0].label, "Naive random walk");
    }
}

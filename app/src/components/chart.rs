//! The price chart: an ECharts line drawn in the browser by charming's WebAssembly renderer.
//! During SSR the container is rendered empty (with the point count as data attributes); the chart
//! appears once the page hydrates.

use leptos::prelude::*;

use crate::model::PriceSeries;

/// A line chart of the closes in `series`.
#[component]
pub fn PriceChart(series: PriceSeries) -> impl IntoView {
    const ID: &str = "price-chart";

    #[cfg(feature = "hydrate")]
    {
        let s = series.clone();
        // Drawn on the next animation frame: after client-side navigation the effect can run before
        // the container is attached to the document.
        Effect::new(move |_| {
            let s = s.clone();
            request_animation_frame(move || draw(ID, &s));
        });
    }

    let points = series.points.len();
    let first = series
        .points
        .first()
        .map(|p| p.date.clone())
        .unwrap_or_default();
    let label = match (series.points.first(), series.points.last()) {
        (Some(a), Some(b)) => format!(
            "Closing prices of {} from {} to {}",
            series.symbol, a.date, b.date
        ),
        _ => "No prices in this range".to_string(),
    };
    view! {
        <div
            id=ID
            class="chart"
            role="img"
            aria-label=label
            data-points=points
            data-first=first
            data-range=series.range.as_str()
        ></div>
    }
}

#[cfg(feature = "hydrate")]
fn draw(id: &str, s: &PriceSeries) {
    use charming::component::{Axis, DataZoom, Grid};
    use charming::element::{AxisType, Tooltip, Trigger};
    use charming::series::Line;
    use charming::{Chart, WasmRenderer};

    let dates: Vec<String> = s.points.iter().map(|p| p.date.clone()).collect();
    let closes: Vec<f64> = s.points.iter().map(|p| p.close).collect();
    let chart = Chart::new()
        .grid(Grid::new().left("64").right("24").top("24").bottom("64"))
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .x_axis(Axis::new().type_(AxisType::Category).data(dates))
        .y_axis(Axis::new().type_(AxisType::Value).scale(true))
        .data_zoom(DataZoom::new())
        .series(
            Line::new()
                .name(s.symbol.clone())
                .data(closes)
                .show_symbol(false),
        );
    if let Err(e) = WasmRenderer::new_opt(None, None).render(id, &chart) {
        leptos::logging::error!("chart could not be drawn: {e:?}");
    }
}

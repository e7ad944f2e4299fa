//! Growth of 1 under each strategy over a walk-forward window: one line per strategy on the same
//! dates (browser only; SSR renders the empty container).

use leptos::prelude::*;

/// Draws `curves` (a name and one value per date) over `dates` into the element `id`.
#[component]
pub fn EquityChart(
    id: String,
    dates: Vec<chrono::NaiveDate>,
    curves: Vec<(String, Vec<f64>)>,
) -> impl IntoView {
    let label = format!(
        "Growth of 1 from {} to {} under each strategy",
        dates.first().map(|d| d.to_string()).unwrap_or_default(),
        dates.last().map(|d| d.to_string()).unwrap_or_default()
    );
    #[cfg(feature = "browser")]
    {
        let id = id.clone();
        Effect::new(move |_| {
            let (id, dates, curves) = (id.clone(), dates.clone(), curves.clone());
            super::echarts::when_ready(move || draw(&id, &dates, &curves));
        });
    }
    #[cfg(not(feature = "browser"))]
    let _ = (dates, curves);
    view! { <div id=id class="chart chart-small" role="img" aria-label=label></div> }
}

#[cfg(feature = "browser")]
fn draw(id: &str, dates: &[chrono::NaiveDate], curves: &[(String, Vec<f64>)]) {
    use charming::component::{Axis, Grid, Legend};
    use charming::element::{AxisType, Tooltip, Trigger};
    use charming::series::Line;
    use charming::{Chart, WasmRenderer};

    let mut chart = Chart::new()
        .legend(Legend::new().top("0"))
        .grid(Grid::new().left("56").right("16").top("36").bottom("28"))
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .x_axis(
            Axis::new()
                .type_(AxisType::Category)
                .data(dates.iter().map(|d| d.to_string()).collect()),
        )
        .y_axis(Axis::new().type_(AxisType::Value).scale(true));
    for (name, values) in curves {
        chart = chart.series(
            Line::new()
                .name(name.as_str())
                .data(values.clone())
                .show_symbol(false),
        );
    }
    if !super::echarts::present(id) {
        return;
    }
    if let Err(e) = WasmRenderer::new_opt(None, None).render(id, &chart) {
        leptos::logging::error!("equity chart could not be drawn: {e:?}");
    }
}

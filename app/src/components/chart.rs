//! The price chart: OHLC candlesticks over a volume bar series, drawn in the browser by ECharts
//! from an option built with charming. During SSR the container is rendered empty (with the point
//! count as data attributes); the chart appears once the page hydrates.

use leptos::prelude::*;

use crate::model::TimeSeries;

/// Candles rise green and fall red, the convention of US markets (ECharts defaults to the reverse).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const UP: &str = "#15803d";
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const DOWN: &str = "#b91c1c";

/// Candlesticks of `series` with its volume beneath.
#[component]
pub fn PriceChart(series: TimeSeries) -> impl IntoView {
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
    let label = describe(&series);
    view! {
        <div
            id=ID
            class="chart price-chart"
            role="img"
            aria-label=label
            data-points=points
            data-first=first
            data-range=series.range.as_str()
            data-interval=series.interval.clone()
        ></div>
    }
}

/// What the chart shows, in words, for screen readers.
pub fn describe(s: &TimeSeries) -> String {
    let bucket = match s.interval.as_str() {
        "1d" => "daily".to_string(),
        "1w" => "weekly".to_string(),
        "5min" => "five-minute".to_string(),
        other => match other.strip_suffix('d') {
            Some(n) => format!("{n}-day"),
            None => other.to_string(),
        },
    };
    match (s.points.first(), s.points.last()) {
        (Some(a), Some(b)) => format!(
            "Candlestick chart of {} with volume: {} {} bars from {} to {}, last close {}",
            s.symbol,
            s.points.len(),
            bucket,
            a.date,
            b.date,
            super::format::price(b.close)
        ),
        _ => format!("No prices for {} in this range", s.symbol),
    }
}

/// The ECharts option: a candlestick grid on top and a volume grid beneath, sharing one zoom.
#[cfg(feature = "hydrate")]
fn option(s: &TimeSeries) -> serde_json::Value {
    use charming::component::{Axis, DataZoom, Grid};
    use charming::element::{AxisLabel, AxisType, Tooltip, Trigger};
    use charming::series::{Bar, Candlestick};
    use charming::Chart;

    let dates: Vec<String> = s.points.iter().map(|p| p.date.clone()).collect();
    // ECharts reads a candle as [open, close, low, high].
    let candles: Vec<Vec<f64>> = s
        .points
        .iter()
        .map(|p| vec![p.open, p.close, p.low, p.high])
        .collect();
    let volumes: Vec<f64> = s.points.iter().map(|p| p.volume as f64).collect();
    let chart = Chart::new()
        .grid(Grid::new().left("64").right("24").top("16").height("58%"))
        .grid(Grid::new().left("64").right("24").top("72%").height("14%"))
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .x_axis(Axis::new().type_(AxisType::Category).data(dates.clone()))
        .x_axis(
            Axis::new()
                .type_(AxisType::Category)
                .grid_index(1)
                .data(dates)
                .axis_label(AxisLabel::new().show(false)),
        )
        .y_axis(Axis::new().type_(AxisType::Value).scale(true))
        .y_axis(
            Axis::new()
                .type_(AxisType::Value)
                .grid_index(1)
                .split_number(2)
                .axis_label(AxisLabel::new().show(false)),
        )
        .data_zoom(DataZoom::new().x_axis_index(vec![0, 1]))
        .series(Candlestick::new().name(s.symbol.to_string()).data(candles))
        .series(
            Bar::new()
                .name("Volume")
                .x_axis_index(1)
                .y_axis_index(1)
                .data(volumes),
        );
    let mut option = serde_json::to_value(&chart).unwrap_or_default();
    // charming 0.6 has no colour setters on candlesticks, nor per-bar colours: set them here.
    if let Some(series) = option.get_mut("series").and_then(|v| v.as_array_mut()) {
        if let Some(candles) = series.get_mut(0) {
            candles["itemStyle"] = serde_json::json!({
                "color": UP, "color0": DOWN, "borderColor": UP, "borderColor0": DOWN
            });
        }
        if let Some(volume) = series.get_mut(1) {
            volume["data"] = s
                .points
                .iter()
                .map(|p| {
                    let colour = if p.close >= p.open { UP } else { DOWN };
                    serde_json::json!({ "value": p.volume, "itemStyle": { "color": colour, "opacity": 0.6 } })
                })
                .collect();
        }
    }
    option
}

/// The few ECharts calls the price chart needs, bound directly: the option is patched JSON, which
/// charming's renderer cannot take.
#[cfg(feature = "hydrate")]
mod echarts {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        pub type Instance;
        #[wasm_bindgen(js_namespace = echarts, js_name = init)]
        pub fn init(el: &web_sys::Element) -> Instance;
        #[wasm_bindgen(js_namespace = echarts, js_name = getInstanceByDom)]
        pub fn instance_by_dom(el: &web_sys::Element) -> Option<Instance>;
        #[wasm_bindgen(method)]
        pub fn dispose(this: &Instance);
        #[wasm_bindgen(method, js_name = setOption)]
        pub fn set_option(this: &Instance, option: JsValue);
        #[wasm_bindgen(js_namespace = JSON, js_name = parse)]
        pub fn json_parse(text: &str) -> JsValue;
    }
}

#[cfg(feature = "hydrate")]
fn draw(id: &str, s: &TimeSeries) {
    use echarts::{init, instance_by_dom, json_parse};

    let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
    else {
        leptos::logging::error!("chart could not be drawn: no element #{id}");
        return;
    };
    // A redraw of the same container (a new range) replaces the chart instead of stacking a second.
    if let Some(old) = instance_by_dom(&el) {
        old.dispose();
    }
    let chart = init(&el);
    chart.set_option(json_parse(&option(s).to_string()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ChartRange;
    use crate::model::{OhlcvPoint, ServedFrom};

    fn series(points: Vec<OhlcvPoint>) -> TimeSeries {
        TimeSeries {
            symbol: crate::domain::Symbol::parse("GOOG").unwrap(),
            range: ChartRange::Y5,
            interval: "1w".into(),
            points,
            reason: None,
            source: "bundled".into(),
            served_from: ServedFrom::Database,
        }
    }

    #[test]
    fn the_chart_is_described_in_words_for_screen_readers() {
        let p = |date: &str, close| OhlcvPoint {
            date: date.into(),
            open: 1.0,
            high: 2.0,
            low: 0.5,
            close,
            volume: 10,
        };
        let s = series(vec![p("2008-03-03", 1.5), p("2008-03-10", 1234.5)]);
        assert_eq!(
            describe(&s),
            "Candlestick chart of GOOG with volume: 2 weekly bars from 2008-03-03 to 2008-03-10, last close 1,234.50"
        );
        assert_eq!(
            describe(&series(vec![])),
            "No prices for GOOG in this range"
        );
    }
}

//! The price chart: OHLC candlesticks with the indicators a reader switched on (moving averages
//! and Bollinger bands over the prices; volume, RSI and MACD in panes beneath), a linear or log
//! price scale, and optionally a second ticker's percentage change to compare with.
//!
//! The ECharts option is built by plain functions from the series ([`option`]), tested without a
//! browser. During SSR the container is rendered empty (with the point count as data attributes)
//! and the readout shows the last bar; the chart appears once the page hydrates.

use leptos::prelude::*;
use serde_json::{json, Value};

use crate::domain::{Indicator, IndicatorSet};
use crate::model::{IndicatorSeries, OhlcvPoint, TimeSeries};

use super::format;

/// Candles rise green and fall red, the convention of US markets (ECharts defaults to the reverse).
const UP: &str = "#15803d";
const DOWN: &str = "#b91c1c";

/// Layout in pixels: the price grid, then one pane per panel indicator, then the zoom slider.
const TOP: u32 = 36;
const PRICE_H: u32 = 280;
const PANE_H: u32 = 84;
const GAP: u32 = 30;
const SLIDER: u32 = 56;

/// The container's height for `panes` panes beneath the prices.
pub fn height(panes: usize) -> u32 {
    TOP + PRICE_H + panes as u32 * (GAP + PANE_H) + SLIDER
}

/// Everything the chart draws.
#[derive(Debug, Clone, Copy)]
pub struct ChartInput<'a> {
    pub series: &'a TimeSeries,
    pub indicators: Option<&'a IndicatorSeries>,
    pub enabled: IndicatorSet,
    /// Log price axis (ignored while comparing: percentages can be negative).
    pub log_scale: bool,
    /// Another ticker over the same range: both are then drawn as percentage change.
    pub compare: Option<&'a TimeSeries>,
}

/// Candlesticks of `series` with the enabled indicators; `hovered` follows the crosshair (the
/// bar index), which the readout shows.
#[component]
pub fn PriceChart(
    series: TimeSeries,
    indicators: Option<IndicatorSeries>,
    #[prop(into)] enabled: Signal<IndicatorSet>,
    #[prop(into)] log_scale: Signal<bool>,
    #[prop(into)] compare: Signal<Option<TimeSeries>>,
    hovered: RwSignal<Option<usize>>,
) -> impl IntoView {
    const ID: &str = "price-chart";
    hovered.set(None);
    // Only the browser draws.
    #[cfg(not(feature = "browser"))]
    let _ = (&indicators, log_scale, compare);

    #[cfg(feature = "browser")]
    {
        let s = series.clone();
        let ind = indicators.clone();
        // Drawn on the next animation frame: after client-side navigation (or a new pane) the
        // effect can run before the container is attached or resized.
        Effect::new(move |_| {
            let enabled = enabled.get();
            let log_scale = log_scale.get();
            let compare = compare.get();
            let input_series = s.clone();
            let input_ind = ind.clone();
            super::echarts::when_ready(move || {
                let input = ChartInput {
                    series: &input_series,
                    indicators: input_ind.as_ref(),
                    enabled,
                    log_scale,
                    compare: compare.as_ref(),
                };
                browser::draw(ID, &option(&input), hovered);
            });
        });
    }

    let points = series.points.len();
    let first = series
        .points
        .first()
        .map(|p| p.date.clone())
        .unwrap_or_default();
    let label = describe(&series);
    let style = move || format!("height: {}px", height(enabled.get().panes().len()));
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let last = points.saturating_sub(1);
        let at = hovered.get_untracked().unwrap_or(last);
        let next = match ev.key().as_str() {
            "ArrowLeft" => at.saturating_sub(1),
            "ArrowRight" => (at + 1).min(last),
            "Home" => 0,
            "End" => last,
            _ => return,
        };
        ev.prevent_default();
        hovered.set(Some(next));
        #[cfg(feature = "browser")]
        browser::show_tip(ID, next);
    };
    view! {
        <div
            id=ID
            class="chart price-chart"
            role="img"
            tabindex="0"
            aria-label=label
            aria-keyshortcuts="ArrowLeft ArrowRight Home End"
            style=style
            data-points=points
            data-first=first
            data-range=series.range.as_str()
            data-interval=series.interval.clone()
            on:keydown=on_key
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
            "Candlestick chart of {} with volume: {} {} bars from {} to {}, last close {}; arrow keys step through the bars",
            s.symbol,
            s.points.len(),
            bucket,
            a.date,
            b.date,
            format::price(b.close)
        ),
        _ => format!("No prices for {} in this range", s.symbol),
    }
}

/// The other ticker's percentage change on each of `dates`: its last point on or before the
/// date (calendars and buckets of two tickers need not line up), relative to the first such
/// point. Dates before its history begins are gaps.
pub fn compare_percent(dates: &[String], other: &[OhlcvPoint]) -> Vec<Option<f64>> {
    let mut j = 0;
    let mut base = None;
    dates
        .iter()
        .map(|d| {
            while j < other.len() && other[j].date.as_str() <= d.as_str() {
                j += 1;
            }
            let close = j.checked_sub(1).map(|k| other[k].close)?;
            let b = *base.get_or_insert(close);
            Some((close / b - 1.0) * 100.0)
        })
        .collect()
}

fn line_colour(name: &str) -> &'static str {
    match name {
        "SMA 20" => "#2563eb",
        "SMA 50" => "#d97706",
        "SMA 200" => "#7c3aed",
        "EMA 12" => "#0891b2",
        "EMA 26" => "#db2777",
        "MACD" => "#2563eb",
        "MACD signal" => "#d97706",
        "RSI 14" => "#7c3aed",
        _ => "#64748b",
    }
}

/// The ECharts option for `input`: a price grid, one grid per pane, one shared zoom and one
/// crosshair across them. Values are rounded to what a reader sees, so the option stays small.
pub fn option(input: &ChartInput) -> Value {
    let s = input.series;
    let dates: Vec<&str> = s.points.iter().map(|p| p.date.as_str()).collect();
    let comparing = input.compare.is_some();
    // While comparing, prices are drawn as percentage change from the first close.
    let base = s.points.first().map_or(1.0, |p| p.close);
    let scale = |v: f64| -> f64 {
        if comparing {
            round((v / base - 1.0) * 100.0)
        } else {
            round(v)
        }
    };
    let scaled = |v: &[Option<f64>]| -> Vec<Value> {
        v.iter()
            .map(|x| x.map_or(Value::Null, |x| json!(scale(x))))
            .collect()
    };
    let plain = |v: &[Option<f64>]| -> Vec<Value> {
        v.iter()
            .map(|x| x.map_or(Value::Null, |x| json!(round(x))))
            .collect()
    };
    // ECharts reads a candle as [open, close, low, high].
    let candles: Vec<Value> = s
        .points
        .iter()
        .map(|p| json!([scale(p.open), scale(p.close), scale(p.low), scale(p.high)]))
        .collect();

    let panes = input.enabled.panes();
    let mut grids = vec![json!({ "left": 64, "right": 24, "top": TOP, "height": PRICE_H })];
    let mut x_axes = vec![category(&dates, 0, true)];
    let price_axis = if comparing {
        json!({ "type": "value", "scale": true, "axisLabel": { "formatter": "{value}%" } })
    } else if input.log_scale {
        json!({ "type": "log", "scale": true, "logBase": 10 })
    } else {
        json!({ "type": "value", "scale": true })
    };
    let mut y_axes = vec![price_axis];
    let mut series = vec![json!({
        "type": "candlestick",
        "name": s.symbol.to_string(),
        "data": candles,
        "itemStyle": { "color": UP, "color0": DOWN, "borderColor": UP, "borderColor0": DOWN },
    })];
    let mut legend: Vec<String> = vec![];

    if let Some(ind) = input.indicators.filter(|i| i.dates.len() == s.points.len()) {
        for overlay in input.enabled.iter().filter(|i| !i.is_pane()) {
            for (name, values) in ind.lines(overlay) {
                let dashed = overlay == Indicator::Bollinger && name != "BB middle";
                series.push(json!({
                    "type": "line", "name": name, "data": scaled(values),
                    "showSymbol": false, "connectNulls": false,
                    "lineStyle": { "width": 1.2, "type": if dashed { "dashed" } else { "solid" } },
                    "itemStyle": { "color": line_colour(name) },
                }));
                legend.push(name.to_string());
            }
        }
    }
    if let Some(other) = input.compare {
        let name = other.symbol.to_string();
        let values: Vec<Value> = compare_percent(
            &s.points.iter().map(|p| p.date.clone()).collect::<Vec<_>>(),
            &other.points,
        )
        .into_iter()
        .map(|v| v.map_or(Value::Null, |v| json!(round(v))))
        .collect();
        series.push(json!({
            "type": "line", "name": name, "data": values, "showSymbol": false,
            "lineStyle": { "width": 1.6 }, "itemStyle": { "color": "#ea580c" },
        }));
        legend.push(s.symbol.to_string());
        legend.push(name);
    }

    for (k, pane) in panes.iter().enumerate() {
        let g = k + 1;
        let top = TOP + PRICE_H + GAP + k as u32 * (GAP + PANE_H);
        grids.push(json!({ "left": 64, "right": 24, "top": top, "height": PANE_H }));
        x_axes.push(category(&dates, g, false));
        match pane {
            Indicator::Volume => {
                y_axes.push(pane_axis(g, "Volume", None));
                let bars: Vec<Value> = s
                    .points
                    .iter()
                    .map(|p| {
                        let colour = if p.close >= p.open { UP } else { DOWN };
                        json!({ "value": p.volume, "itemStyle": { "color": colour, "opacity": 0.6 } })
                    })
                    .collect();
                series.push(json!({
                    "type": "bar", "name": "Volume", "xAxisIndex": g, "yAxisIndex": g, "data": bars,
                }));
            }
            Indicator::Rsi => {
                y_axes.push(pane_axis(g, "RSI 14", Some((0.0, 100.0))));
                if let Some(ind) = input.indicators {
                    series.push(json!({
                        "type": "line", "name": "RSI 14", "xAxisIndex": g, "yAxisIndex": g,
                        "data": plain(&ind.rsi14), "showSymbol": false,
                        "lineStyle": { "width": 1.2 }, "itemStyle": { "color": line_colour("RSI 14") },
                        "markLine": {
                            "silent": true, "symbol": "none",
                            "lineStyle": { "type": "dashed", "color": "#94a3b8" },
                            "label": { "show": true, "position": "insideEndTop" },
                            "data": [ { "yAxis": 30 }, { "yAxis": 70 } ],
                        },
                    }));
                }
            }
            Indicator::Macd => {
                y_axes.push(pane_axis(g, "MACD 12/26/9", None));
                if let Some(ind) = input.indicators {
                    let hist: Vec<Value> = ind
                        .macd_hist
                        .iter()
                        .map(|h| match h {
                            Some(h) => json!({
                                "value": round(*h),
                                "itemStyle": { "color": if *h >= 0.0 { UP } else { DOWN }, "opacity": 0.6 },
                            }),
                            None => Value::Null,
                        })
                        .collect();
                    series.push(json!({
                        "type": "bar", "name": "MACD histogram", "xAxisIndex": g, "yAxisIndex": g,
                        "data": hist,
                    }));
                    for name in ["MACD", "MACD signal"] {
                        let values = if name == "MACD" {
                            &ind.macd
                        } else {
                            &ind.macd_signal
                        };
                        series.push(json!({
                            "type": "line", "name": name, "xAxisIndex": g, "yAxisIndex": g,
                            "data": plain(values), "showSymbol": false,
                            "lineStyle": { "width": 1.2 }, "itemStyle": { "color": line_colour(name) },
                        }));
                    }
                }
            }
            _ => {}
        }
    }
    let all_axes: Vec<usize> = (0..x_axes.len()).collect();
    json!({
        "animation": false,
        "legend": { "show": !legend.is_empty(), "data": legend, "top": 4, "left": 64 },
        "grid": grids,
        "xAxis": x_axes,
        "yAxis": y_axes,
        // The readout beside the chart shows the values: the tooltip only moves the crosshair.
        "tooltip": { "trigger": "axis", "showContent": false, "axisPointer": { "type": "cross" } },
        "axisPointer": { "link": [ { "xAxisIndex": "all" } ] },
        "dataZoom": [
            { "type": "inside", "xAxisIndex": all_axes },
            { "type": "slider", "xAxisIndex": all_axes, "bottom": 8, "height": 24 },
        ],
        "series": series,
    })
}

fn category(dates: &[&str], grid: usize, labels: bool) -> Value {
    json!({
        "type": "category", "gridIndex": grid, "data": dates,
        "axisLabel": { "show": labels }, "axisTick": { "show": labels },
    })
}

fn pane_axis(grid: usize, name: &str, bounds: Option<(f64, f64)>) -> Value {
    let mut axis = json!({
        "type": "value", "gridIndex": grid, "scale": true, "splitNumber": 2,
        "name": name, "nameLocation": "end", "nameGap": 4,
        "nameTextStyle": { "align": "left", "color": "#64748b" },
        "axisLabel": { "fontSize": 10 },
    });
    if let Some((min, max)) = bounds {
        axis["min"] = json!(min);
        axis["max"] = json!(max);
    }
    axis
}

/// Four significant decimals are more than a chart can show.
fn round(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

/// The readout of one bar: date, OHLC, change from the previous bar, volume, and the value of
/// every enabled indicator there. It shows the last bar until the crosshair or the keyboard
/// picks another.
#[component]
pub fn ChartReadout(
    series: TimeSeries,
    indicators: Option<IndicatorSeries>,
    #[prop(into)] enabled: Signal<IndicatorSet>,
    hovered: RwSignal<Option<usize>>,
) -> impl IntoView {
    let n = series.points.len();
    let at = move || {
        hovered
            .try_get()
            .flatten()
            .filter(|i| *i < n)
            .or(n.checked_sub(1))
    };
    let points = StoredValue::new(series.points);
    let indicators = StoredValue::new(indicators);
    let bar = move || {
        let i = at()?;
        // `try_`: on a new range the old readout can be asked once more after it is disposed.
        points
            .try_with_value(|points| {
                let prev = i.checked_sub(1).map(|j| points[j].close);
                Some((points.get(i)?.clone(), prev))
            })
            .flatten()
    };
    let values = move || {
        let i = at()?;
        let enabled = enabled.try_get()?;
        indicators.try_with_value(|ind| {
            let ind = ind.as_ref()?;
            Some(
                enabled
                    .iter()
                    .flat_map(|k| ind.lines(k))
                    .map(|(name, v)| (name, v.get(i).copied().flatten()))
                    .collect::<Vec<_>>(),
            )
        })?
    };
    view! {
        <dl class="readout" data-testid="readout" aria-live="polite" data-date=move || bar().map(|(p, _)| p.date)>
            {move || bar().map(|(p, prev)| {
                let change = prev.map(|c| p.close - c);
                let pct = prev.filter(|c| *c != 0.0).map(|c| (p.close / c - 1.0) * 100.0);
                view! {
                    <div><dt>"Date"</dt><dd data-testid="readout-date">{p.date.clone()}</dd></div>
                    <div><dt>"O"</dt><dd>{format::price(p.open)}</dd></div>
                    <div><dt>"H"</dt><dd>{format::price(p.high)}</dd></div>
                    <div><dt>"L"</dt><dd>{format::price(p.low)}</dd></div>
                    <div><dt>"C"</dt><dd data-testid="readout-close">{format::price(p.close)}</dd></div>
                    <div><dt>"Change"</dt><dd class=format::change_class(change)>{format::change(change, pct)}</dd></div>
                    <div><dt>"Volume"</dt><dd>{format::big_number(p.volume as f64)}</dd></div>
                }
            })}
            {move || values().map(|values| values.into_iter().map(|(name, v)| view! {
                <div>
                    <dt>{name}</dt>
                    <dd data-indicator=name>{v.map_or_else(|| "—".to_string(), format::price)}</dd>
                </div>
            }).collect_view())}
        </dl>
    }
}

/// The latest value of every indicator, as a table: what a reader without JavaScript gets, and a
/// summary for everyone else.
#[component]
pub fn IndicatorTable(indicators: IndicatorSeries) -> impl IntoView {
    let Some(last) = indicators.dates.len().checked_sub(1) else {
        return view! {
            <p class="fineprint" data-testid="indicator-reason">
                {indicators.reason.clone().unwrap_or_default()}
            </p>
        }
        .into_any();
    };
    let date = indicators.dates[last].clone();
    let rows = Indicator::ALL
        .into_iter()
        .flat_map(|k| indicators.lines(k))
        .map(|(name, v)| {
            let value = v.get(last).copied().flatten();
            view! {
                <tr>
                    <th scope="row">{name}</th>
                    <td class="num" data-indicator=name>{value.map_or_else(|| "—".to_string(), format::price)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <details class="indicator-table">
            <summary>"Indicator values on " {date.clone()}</summary>
            <table data-testid="indicator-table" data-date=date>
                <caption>"Latest values, computed on the chart's " {indicators.interval.clone()} " points"</caption>
                <tbody>{rows}</tbody>
            </table>
        </details>
    }
    .into_any()
}

/// The price chart in the browser: drawn from the plain JSON option, with the crosshair reported
/// back into the readout.
#[cfg(feature = "browser")]
mod browser {
    use std::cell::RefCell;

    use leptos::prelude::*;
    use serde_json::Value;
    use wasm_bindgen::prelude::*;

    use crate::components::echarts::{self, PointerHandler};

    thread_local! {
        // The crosshair handler of the chart on the page; replaced (and the old one dropped) when
        // the chart is drawn again.
        static ON_POINTER: RefCell<Option<PointerHandler>> = const { RefCell::new(None) };
    }

    /// Draws `option` into `#id`, replacing a chart already there, and reports the crosshair's
    /// bar index into `hovered`.
    pub fn draw(id: &str, option: &Value, hovered: RwSignal<Option<usize>>) {
        let Some(chart) = echarts::replace(id, option) else {
            return;
        };
        let handler = PointerHandler::new(move |event: JsValue| {
            if let Some(i) = pointer_index(&event) {
                hovered.try_set(Some(i));
            }
        });
        chart.on("updateAxisPointer", &handler);
        ON_POINTER.with(|h| *h.borrow_mut() = Some(handler));
    }

    /// Moves the crosshair to bar `index` (keyboard stepping).
    pub fn show_tip(id: &str, index: usize) {
        if let Some(chart) = echarts::instance(id) {
            chart.dispatch_action(echarts::json_parse(&format!(
                r#"{{"type":"showTip","seriesIndex":0,"dataIndex":{index}}}"#
            )));
        }
    }

    /// `event.axesInfo[0].value`: the category index under the crosshair.
    fn pointer_index(event: &JsValue) -> Option<usize> {
        let axes = js_sys::Reflect::get(event, &"axesInfo".into()).ok()?;
        let first = js_sys::Reflect::get(&axes, &0.into()).ok()?;
        let value = js_sys::Reflect::get(&first, &"value".into()).ok()?;
        value.as_f64().filter(|v| *v >= 0.0).map(|v| v as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ChartRange, Symbol};
    use crate::model::ServedFrom;

    fn point(date: &str, close: f64) -> OhlcvPoint {
        OhlcvPoint {
            date: date.into(),
            open: close - 1.0,
            high: close + 2.0,
            low: close - 2.0,
            close,
            volume: 10,
        }
    }

    fn series(symbol: &str, points: Vec<OhlcvPoint>) -> TimeSeries {
        TimeSeries {
            symbol: Symbol::parse(symbol).unwrap(),
            range: ChartRange::Y5,
            interval: "1w".into(),
            points,
            reason: None,
            source: "bundled".into(),
            served_from: ServedFrom::Database,
        }
    }

    fn indicators(n: usize) -> IndicatorSeries {
        let v = |x: f64| (0..n).map(|i| (i > 0).then_some(x)).collect::<Vec<_>>();
        IndicatorSeries {
            symbol: Symbol::parse("GOOG").unwrap(),
            range: ChartRange::Y5,
            interval: "1w".into(),
            dates: (0..n).map(|i| format!("2020-01-{:02}", i + 1)).collect(),
            sma20: v(20.0),
            sma50: v(50.0),
            sma200: v(200.0),
            ema12: v(12.0),
            ema26: v(26.0),
            bb_upper: v(3.0),
            bb_middle: v(2.0),
            bb_lower: v(1.0),
            rsi14: v(55.0),
            macd: v(0.5),
            macd_signal: v(0.25),
            macd_hist: v(-0.25),
            reason: None,
        }
    }

    fn names(option: &Value) -> Vec<String> {
        option["series"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn the_chart_is_described_in_words_for_screen_readers() {
        let s = series(
            "GOOG",
            vec![point("2008-03-03", 1.5), point("2008-03-10", 1234.5)],
        );
        assert_eq!(
            describe(&s),
            "Candlestick chart of GOOG with volume: 2 weekly bars from 2008-03-03 to 2008-03-10, last close 1,234.50; arrow keys step through the bars"
        );
        assert_eq!(
            describe(&series("GOOG", vec![])),
            "No prices for GOOG in this range"
        );
    }

    #[test]
    fn each_enabled_indicator_adds_its_lines_and_each_pane_its_own_grid() {
        let s = series(
            "GOOG",
            (1..=3)
                .map(|d| point(&format!("2020-01-0{d}"), 10.0))
                .collect(),
        );
        let ind = indicators(3);
        let enabled = IndicatorSet::empty()
            .with(Indicator::Sma50, true)
            .with(Indicator::Bollinger, true)
            .with(Indicator::Rsi, true)
            .with(Indicator::Macd, true);
        let o = option(&ChartInput {
            series: &s,
            indicators: Some(&ind),
            enabled,
            log_scale: false,
            compare: None,
        });
        assert_eq!(
            names(&o),
            [
                "GOOG",
                "SMA 50",
                "BB upper",
                "BB middle",
                "BB lower",
                "RSI 14",
                "MACD histogram",
                "MACD",
                "MACD signal"
            ]
        );
        assert_eq!(o["grid"].as_array().unwrap().len(), 3);
        assert_eq!(o["series"][1]["data"], json!([null, 50.0, 50.0]));
        assert_eq!(o["series"][5]["xAxisIndex"], 1);
        assert_eq!(o["series"][6]["xAxisIndex"], 2);
        assert_eq!(o["yAxis"][1]["max"], 100.0);
        // The last pane ends above the zoom slider, inside the container.
        let last = &o["grid"][2];
        let bottom = last["top"].as_u64().unwrap() + last["height"].as_u64().unwrap();
        assert!(bottom + 32 <= u64::from(height(2)));
    }

    #[test]
    fn the_log_scale_applies_to_prices_unless_two_tickers_are_compared() {
        let s = series(
            "MSFT",
            vec![point("2020-01-01", 10.0), point("2020-01-02", 11.0)],
        );
        let input = ChartInput {
            series: &s,
            indicators: None,
            enabled: IndicatorSet::empty(),
            log_scale: true,
            compare: None,
        };
        assert_eq!(option(&input)["yAxis"][0]["type"], "log");
        let other = series(
            "^GSPC",
            vec![point("2020-01-01", 100.0), point("2020-01-02", 95.0)],
        );
        let compared = option(&ChartInput {
            compare: Some(&other),
            ..input
        });
        assert_eq!(compared["yAxis"][0]["type"], "value");
        // Both as percentage change from their first close.
        assert_eq!(compared["series"][0]["data"][1][1], 10.0);
        assert_eq!(compared["series"][1]["name"], "^GSPC");
        assert_eq!(compared["series"][1]["data"], json!([0.0, -5.0]));
        assert_eq!(compared["legend"]["data"], json!(["MSFT", "^GSPC"]));
    }

    #[test]
    fn a_compared_ticker_is_aligned_on_its_last_point_at_or_before_each_date() {
        let dates: Vec<String> = ["2020-01-06", "2020-01-13", "2020-01-21"]
            .map(String::from)
            .to_vec();
        // Starts later, and its third week begins on a Tuesday (a Monday holiday).
        let other = [point("2020-01-13", 50.0), point("2020-01-20", 55.0)];
        let pct = compare_percent(&dates, &other);
        assert_eq!(pct[0], None);
        assert_eq!(pct[1], Some(0.0));
        assert!((pct[2].unwrap() - 10.0).abs() < 1e-9);
    }

    #[test]
    fn volume_is_coloured_by_the_bar_and_absent_when_switched_off() {
        let s = series("GOOG", vec![point("2020-01-01", 10.0)]);
        let on = option(&ChartInput {
            series: &s,
            indicators: None,
            enabled: IndicatorSet::default(),
            log_scale: false,
            compare: None,
        });
        assert_eq!(names(&on), ["GOOG", "Volume"]);
        assert_eq!(on["series"][1]["data"][0]["itemStyle"]["color"], UP);
        let off = option(&ChartInput {
            series: &s,
            indicators: None,
            enabled: IndicatorSet::empty(),
            log_scale: false,
            compare: None,
        });
        assert_eq!(names(&off), ["GOOG"]);
        assert_eq!(off["grid"].as_array().unwrap().len(), 1);
    }
}

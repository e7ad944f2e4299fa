//! The served predictions' record at one horizon: each model's predicted closes against the closes
//! that happened (a chart), and per model how far off it was beside the random walk, how often the
//! actual fell in its 95% range and how often it called the direction (beside the share of
//! up-moves, the hit rate of "always up"). Derived by plain functions, tested without a browser.

use leptos::prelude::*;

use crate::model::{HistoryPoint, ModelHistory, PredictionHistory};

/// One model's served record at one horizon.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackSummary {
    /// The model's name.
    pub label: String,
    /// Predictions recorded at this horizon.
    pub recorded: usize,
    /// Those whose actual close is known.
    pub filled: usize,
    /// Target date of the first recorded prediction.
    pub first: Option<chrono::NaiveDate>,
    /// Mean absolute error over the filled ones.
    pub mae: Option<f64>,
    /// That MAE over the random walk's on the same predictions (the close they started from).
    pub mae_rel_naive: Option<f64>,
    /// Filled predictions with a 95% range, and how many of them held the actual.
    pub covered: (usize, usize),
    /// Filled predictions that called a direction, and how many called it right.
    pub hits: (usize, usize),
    /// Filled predictions, and how many of them were followed by a rise.
    pub ups: (usize, usize),
}

impl TrackSummary {
    /// `m`'s record at horizon `h`.
    pub fn of(m: &ModelHistory, h: usize) -> TrackSummary {
        let at_h = || m.points.iter().filter(move |p| p.h == h);
        let filled: Vec<(&HistoryPoint, f64)> =
            at_h().filter_map(|p| p.actual.map(|a| (p, a))).collect();
        let n = filled.len();
        let abs: f64 = filled.iter().map(|(p, a)| (p.point - a).abs()).sum();
        let naive: f64 = filled.iter().map(|(p, a)| (p.last_close - a).abs()).sum();
        let banded: Vec<bool> = filled
            .iter()
            .filter_map(|(p, a)| Some(p.lo95? <= *a && *a <= p.hi95?))
            .collect();
        // A forecast equal to the last close calls no direction (the random walk never does).
        let calls: Vec<bool> = filled
            .iter()
            .filter(|(p, _)| p.point != p.last_close)
            .map(|(p, a)| (p.point > p.last_close) == (*a > p.last_close))
            .collect();
        TrackSummary {
            label: m.model.label().to_string(),
            recorded: at_h().count(),
            filled: n,
            first: at_h().map(|p| p.target_date).min(),
            mae: (n > 0).then(|| abs / n as f64),
            mae_rel_naive: (naive > 0.0).then(|| abs / naive),
            covered: (banded.len(), banded.iter().filter(|&&c| c).count()),
            hits: (calls.len(), calls.iter().filter(|&&c| c).count()),
            ups: (n, filled.iter().filter(|(p, a)| *a > p.last_close).count()),
        }
    }
}

/// A share as a percentage with its count, e.g. "93% (28 of 30)"; a dash when there is none.
pub fn share((of, yes): (usize, usize)) -> String {
    if of == 0 {
        "–".into()
    } else {
        format!("{:.0}% ({yes} of {of})", 100.0 * yes as f64 / of as f64)
    }
}

/// What the chart draws at one horizon: the target dates, the actual closes, each model's
/// predicted closes (gaps where a model has no prediction for a date).
#[derive(Debug, Clone, PartialEq)]
pub struct TrackLines {
    /// Target dates, oldest first.
    pub dates: Vec<chrono::NaiveDate>,
    /// The close on each target date, when known.
    pub actual: Vec<Option<f64>>,
    /// Each model's name and predicted close per target date (its latest version's, if several).
    pub models: Vec<(String, Vec<Option<f64>>)>,
}

impl TrackLines {
    /// The lines of `history` at horizon `h`.
    pub fn of(history: &PredictionHistory, h: usize) -> TrackLines {
        let mut dates: Vec<chrono::NaiveDate> = history
            .models
            .iter()
            .flat_map(|m| m.points.iter().filter(|p| p.h == h).map(|p| p.target_date))
            .collect();
        dates.sort();
        dates.dedup();
        let at = |d: &chrono::NaiveDate| dates.binary_search(d).ok();
        let mut actual = vec![None; dates.len()];
        let models = history
            .models
            .iter()
            .map(|m| {
                let mut line = vec![None; dates.len()];
                // Points come oldest version first, so a newer version's answer wins.
                for p in m.points.iter().filter(|p| p.h == h) {
                    if let Some(i) = at(&p.target_date) {
                        line[i] = Some(p.point);
                        actual[i] = actual[i].or(p.actual);
                    }
                }
                (m.model.label().to_string(), line)
            })
            .collect();
        TrackLines {
            dates,
            actual,
            models,
        }
    }
}

/// The chart of [`TrackLines`] (browser only; SSR renders the empty container).
#[component]
pub fn TrackChart(#[prop(into)] lines: Signal<TrackLines>, horizon: usize) -> impl IntoView {
    const ID: &str = "track-chart";
    #[cfg(feature = "browser")]
    Effect::new(move |_| {
        let lines = lines.get();
        super::echarts::when_ready(move || draw(ID, &lines));
    });
    // The server renders the empty container; the browser draws into it.
    #[cfg(not(feature = "browser"))]
    let _ = lines;
    let label = format!(
        "Predicted closes {horizon} trading day{} ahead against the closes that happened",
        if horizon == 1 { "" } else { "s" }
    );
    view! { <div id=ID class="chart" role="img" aria-label=label></div> }
}

#[cfg(feature = "browser")]
fn draw(id: &str, lines: &TrackLines) {
    use charming::component::{Axis, Grid, Legend};
    use charming::element::{AxisType, LineStyle, Tooltip, Trigger};
    use charming::series::Line;
    use charming::{Chart, WasmRenderer};

    let mut chart = Chart::new()
        .legend(
            Legend::new()
                .top("0")
                .type_(charming::component::LegendType::Scroll),
        )
        .grid(Grid::new().left("64").right("24").top("40").bottom("32"))
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .x_axis(
            Axis::new()
                .type_(AxisType::Category)
                .data(lines.dates.iter().map(|d| d.to_string()).collect()),
        )
        .y_axis(Axis::new().type_(AxisType::Value).scale(true))
        .series(
            Line::new()
                .name("Actual close")
                .data(lines.actual.clone())
                .line_style(LineStyle::new().width(3)),
        );
    for (label, line) in &lines.models {
        chart = chart.series(
            Line::new()
                .name(label.as_str())
                .data(line.clone())
                .connect_nulls(true)
                .line_style(LineStyle::new().width(1)),
        );
    }
    if !super::echarts::present(id) {
        return;
    }
    if let Err(e) = WasmRenderer::new_opt(None, None).render(id, &chart) {
        leptos::logging::error!("track record chart could not be drawn: {e:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Symbol;
    use chrono::NaiveDate;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2013, 3, d).unwrap()
    }

    fn point(h: usize, target: u32, point: f64, actual: Option<f64>) -> HistoryPoint {
        HistoryPoint {
            as_of: day(1),
            h,
            target_date: day(target),
            version: 1,
            last_close: 100.0,
            point,
            lo95: Some(point - 2.0),
            hi95: Some(point + 2.0),
            actual,
            running_mae: None,
            running_mae_rel_naive: None,
        }
    }

    fn model(id: &str, points: Vec<HistoryPoint>) -> ModelHistory {
        ModelHistory {
            model: id.parse().unwrap(),
            filled: 0,
            mae: None,
            mae_rel_naive: None,
            points,
        }
    }

    #[test]
    fn a_horizon_is_scored_against_the_random_walk_the_range_and_the_up_moves() {
        // Every prediction starts from a close of 100 and has the range point ± 2.
        let m = model(
            "drift",
            vec![
                // Called up, went up to 103 (in 99–103): error 2, the random walk's 3.
                point(1, 4, 101.0, Some(103.0)),
                // Called up, went down to 98 (out of 99–103): error 3, the random walk's 2.
                point(1, 5, 101.0, Some(98.0)),
                // Not filled yet.
                point(1, 6, 101.0, None),
                // Another horizon: not counted.
                point(5, 8, 90.0, Some(100.0)),
            ],
        );
        let s = TrackSummary::of(&m, 1);
        assert_eq!((s.recorded, s.filled), (3, 2));
        assert_eq!(s.first, Some(day(4)));
        assert_eq!(s.mae, Some(2.5));
        assert!((s.mae_rel_naive.unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(s.covered, (2, 1));
        assert_eq!(s.hits, (2, 1));
        assert_eq!(s.ups, (2, 1));
        assert_eq!(share(s.hits), "50% (1 of 2)");
        assert_eq!(share((0, 0)), "–");
    }

    #[test]
    fn the_random_walk_calls_no_direction() {
        let m = model("naive", vec![point(1, 4, 100.0, Some(103.0))]);
        let s = TrackSummary::of(&m, 1);
        assert_eq!(s.hits, (0, 0));
        assert_eq!(s.mae_rel_naive, Some(1.0));
    }

    #[test]
    fn lines_share_one_date_axis_with_gaps_and_the_actual_closes() {
        let history = PredictionHistory {
            symbol: Symbol::parse("GOOG").unwrap(),
            days: 30,
            models: vec![
                model("naive", vec![point(1, 4, 100.0, Some(103.0))]),
                model(
                    "drift",
                    vec![point(1, 5, 101.0, None), point(2, 6, 102.0, None)],
                ),
            ],
        };
        let lines = TrackLines::of(&history, 1);
        assert_eq!(lines.dates, [day(4), day(5)]);
        assert_eq!(lines.actual, [Some(103.0), None]);
        assert_eq!(lines.models[0].1, [Some(100.0), None]);
        assert_eq!(lines.models[1].1, [None, Some(101.0)]);
    }
}

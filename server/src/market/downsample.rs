//! Server-side downsampling of daily bars into chart buckets, so that long ranges stay light: a
//! ten-year chart of daily bars is 2,500 points the browser would have to draw and the cache hold.
//!
//! Buckets follow the calendar where a reader expects it (a weekly bar is an ISO week) and otherwise
//! count trading days. A bucket aggregates OHLC the way an exchange would: the open of its first
//! bar, the highest high, the lowest low, the close of its last bar and the summed volume, dated by
//! its first trading day.

use app::domain::ChartRange;
use app::model::OhlcvPoint;
use chrono::{Datelike, IsoWeek};

pub use super::store::Bar;

/// The longest ranges are cut into N-trading-day buckets so that at most this many points remain.
pub const MAX_POINTS: usize = 500;

/// How the bars of a range are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucketing {
    /// Every trading day is a point.
    Daily,
    /// Consecutive runs of this many trading days, counted from the first bar of the range.
    TradingDays(usize),
    /// ISO weeks (Monday to Sunday): a holiday week simply has fewer bars.
    IsoWeek,
}

impl Bucketing {
    /// The grouping for `range` when it holds `bars` daily bars.
    pub fn for_range(range: ChartRange, bars: usize) -> Bucketing {
        match range {
            ChartRange::D1
            | ChartRange::W1
            | ChartRange::M1
            | ChartRange::M3
            | ChartRange::M6
            | ChartRange::Ytd
            | ChartRange::Y1 => Bucketing::Daily,
            ChartRange::Y2 => Bucketing::TradingDays(2),
            ChartRange::Y5 => Bucketing::IsoWeek,
            ChartRange::Y10 | ChartRange::Max => match bars.div_ceil(MAX_POINTS) {
                0 | 1 => Bucketing::Daily,
                n => Bucketing::TradingDays(n),
            },
        }
    }

    /// The bucket width as the API names it: `1d`, `2d`, `1w`, `Nd`.
    pub fn interval(self) -> String {
        match self {
            Bucketing::Daily => "1d".into(),
            Bucketing::TradingDays(n) => format!("{n}d"),
            Bucketing::IsoWeek => "1w".into(),
        }
    }
}

/// Groups `bars` (oldest first) into chart points.
pub fn downsample(bars: &[Bar], bucketing: Bucketing) -> Vec<OhlcvPoint> {
    match bucketing {
        Bucketing::Daily => bars
            .iter()
            .map(|b| aggregate(std::slice::from_ref(b)))
            .collect(),
        Bucketing::TradingDays(n) => bars.chunks(n.max(1)).map(aggregate).collect(),
        Bucketing::IsoWeek => bars
            .chunk_by(|a, b| same_week(a.date.iso_week(), b.date.iso_week()))
            .map(aggregate)
            .collect(),
    }
}

fn same_week(a: IsoWeek, b: IsoWeek) -> bool {
    a.year() == b.year() && a.week() == b.week()
}

/// One point from a non-empty run of bars.
fn aggregate(bucket: &[Bar]) -> OhlcvPoint {
    let first = &bucket[0];
    let last = &bucket[bucket.len() - 1];
    OhlcvPoint {
        date: first.date.to_string(),
        open: first.open,
        high: bucket.iter().map(|b| b.high).fold(f64::MIN, f64::max),
        low: bucket.iter().map(|b| b.low).fold(f64::MAX, f64::min),
        close: last.close,
        volume: bucket.iter().map(|b| b.volume.max(0) as u64).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(date: &str, open: f64, high: f64, low: f64, close: f64, volume: i64) -> Bar {
        Bar {
            date: date.parse().unwrap(),
            open,
            high,
            low,
            close,
            volume,
        }
    }

    /// GOOG, 2013-02-22 (a Friday) and the week of 2013-02-25 to 2013-03-01, copied from
    /// `server/data/prices/goog_2004_2013.csv`.
    fn goog_last_week() -> Vec<Bar> {
        vec![
            bar("2013-02-22", 799.26, 801.25, 793.80, 799.71, 2_053_900),
            bar("2013-02-25", 802.30, 808.41, 790.49, 790.77, 2_303_900),
            bar("2013-02-26", 795.00, 795.95, 784.40, 790.13, 2_202_500),
            bar("2013-02-27", 794.80, 804.75, 791.11, 799.78, 2_026_100),
            bar("2013-02-28", 801.10, 806.99, 801.03, 801.20, 2_265_800),
            bar("2013-03-01", 797.80, 807.14, 796.15, 806.19, 2_175_400),
        ]
    }

    #[test]
    fn a_weekly_bar_matches_the_hand_computed_week() {
        let points = downsample(&goog_last_week(), Bucketing::IsoWeek);
        assert_eq!(points.len(), 2, "the Friday before is its own week");
        // By hand: open of Monday 25th, highest high 808.41 (25th), lowest low 784.40 (26th),
        // close of Friday 1st, volume 2,303,900 + 2,202,500 + 2,026,100 + 2,265,800 + 2,175,400.
        let expected = OhlcvPoint {
            date: "2013-02-25".into(),
            open: 802.30,
            high: 808.41,
            low: 784.40,
            close: 806.19,
            volume: 10_973_700,
        };
        assert_eq!(points[1], expected);
        assert_eq!(points[0].date, "2013-02-22");
        assert_eq!(points[0].volume, 2_053_900);
    }

    #[test]
    fn weeks_split_at_iso_year_boundaries_not_calendar_years() {
        // 2015-12-31 (Thu) and 2016-01-04 (Mon) are different ISO weeks; 2014-12-29 (Mon) and
        // 2015-01-02 (Fri) are the same ISO week 2015-W01.
        let bars = vec![
            bar("2014-12-29", 1.0, 2.0, 0.5, 1.5, 1),
            bar("2015-01-02", 1.5, 3.0, 1.0, 2.5, 2),
            bar("2015-12-31", 2.0, 2.0, 2.0, 2.0, 3),
            bar("2016-01-04", 2.0, 2.0, 2.0, 2.0, 4),
        ];
        let points = downsample(&bars, Bucketing::IsoWeek);
        let dates: Vec<&str> = points.iter().map(|p| p.date.as_str()).collect();
        assert_eq!(dates, ["2014-12-29", "2015-12-31", "2016-01-04"]);
        assert_eq!(points[0].high, 3.0);
        assert_eq!(points[0].close, 2.5);
    }

    #[test]
    fn two_day_buckets_pair_trading_days_and_keep_a_short_last_bucket() {
        let points = downsample(&goog_last_week(), Bucketing::TradingDays(2));
        assert_eq!(points.len(), 3);
        assert_eq!(points[0].date, "2013-02-22");
        assert_eq!(points[0].open, 799.26);
        assert_eq!(points[0].close, 790.77);
        assert_eq!(points[0].high, 808.41);
        assert_eq!(points[0].low, 790.49);
        assert_eq!(points[0].volume, 2_053_900 + 2_303_900);
        assert_eq!(points[2].date, "2013-02-28");
        assert_eq!(points[2].close, 806.19);
    }

    #[test]
    fn daily_bucketing_keeps_every_bar() {
        let bars = goog_last_week();
        let points = downsample(&bars, Bucketing::Daily);
        assert_eq!(points.len(), bars.len());
        assert_eq!(points[3].close, 799.78);
        assert!(downsample(&[], Bucketing::IsoWeek).is_empty());
    }

    #[test]
    fn the_longest_ranges_stay_under_the_point_budget() {
        for bars in [1, 499, 500, 501, 2148, 7_999] {
            let b = Bucketing::for_range(ChartRange::Max, bars);
            let n = match b {
                Bucketing::Daily => 1,
                Bucketing::TradingDays(n) => n,
                Bucketing::IsoWeek => unreachable!("MAX is never weekly"),
            };
            assert!(
                bars.div_ceil(n) <= MAX_POINTS,
                "{bars} bars in {n}-day buckets"
            );
        }
        assert_eq!(Bucketing::for_range(ChartRange::Y10, 2148).interval(), "5d");
        assert_eq!(Bucketing::for_range(ChartRange::Max, 300).interval(), "1d");
    }

    #[test]
    fn each_range_has_its_interval_label() {
        let label = |r| Bucketing::for_range(r, 250).interval();
        assert_eq!(label(ChartRange::M1), "1d");
        assert_eq!(label(ChartRange::Ytd), "1d");
        assert_eq!(label(ChartRange::Y1), "1d");
        assert_eq!(label(ChartRange::Y2), "2d");
        assert_eq!(label(ChartRange::Y5), "1w");
    }
}

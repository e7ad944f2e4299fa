//! Technical indicators over a chart's points, computed with the `forecast` crate's causal
//! indicator functions (the ones the models' features use and that are checked against TA-Lib and
//! pandas), never a second implementation.
//!
//! The chart's first point is not where the indicators start: an SMA 200 over a one-year chart
//! would be blank for most of it. So the points before the range, bucketed the same way, warm the
//! indicators up and are cut off afterwards; each value still depends only on its point and the
//! ones before it.

use app::domain::{ChartRange, Symbol};
use app::model::{IndicatorSeries, OhlcvPoint};
use chrono::{Days, NaiveDate};
use forecast::indicators as ta;

use super::downsample::{downsample, Bar, Bucketing};

/// Points of history before the range that warm the indicators up: SMA 200 needs 199, and after
/// 250 the EMAs' dependence on their seed is below 1e-7 of a price.
pub const WARMUP_POINTS: usize = 250;

/// The first day to load so that `WARMUP_POINTS` buckets precede `start`: trading days per bucket
/// over the calendar's ~252 trading days a year, with room for holidays.
pub fn warmup_start(start: NaiveDate, bucketing: Bucketing) -> NaiveDate {
    let per_bucket = match bucketing {
        Bucketing::Daily => 1,
        Bucketing::TradingDays(n) => n.max(1),
        Bucketing::IsoWeek => 5,
    };
    let calendar_days = (WARMUP_POINTS * per_bucket) as u64 * 366 / 250 + 14;
    start
        .checked_sub_days(Days::new(calendar_days))
        .unwrap_or(NaiveDate::MIN)
}

/// The warm-up bars bucketed so that their buckets end where the range's first one begins: runs
/// of N trading days counted back from the range, ISO weeks as on the chart.
fn warmup_points(before: &[Bar], bucketing: Bucketing) -> Vec<OhlcvPoint> {
    let mut points = match bucketing {
        Bucketing::TradingDays(n) if n > 1 => {
            let mut chunks: Vec<&[Bar]> = before.rchunks(n).collect();
            chunks.reverse();
            chunks
                .into_iter()
                .flat_map(|c| downsample(c, Bucketing::TradingDays(c.len())))
                .collect()
        }
        other => downsample(before, other),
    };
    let keep = points.len().saturating_sub(WARMUP_POINTS);
    points.drain(..keep);
    points
}

/// The indicators of the chart whose points are `shown`, warmed up on the bars `before` it.
pub fn series(
    symbol: &Symbol,
    range: ChartRange,
    bucketing: Bucketing,
    before: &[Bar],
    shown: &[OhlcvPoint],
) -> IndicatorSeries {
    let warmup = warmup_points(before, bucketing);
    let closes: Vec<f64> = warmup.iter().chain(shown).map(|p| p.close).collect();
    let skip = warmup.len();
    let cut = |v: Vec<f64>| -> Vec<Option<f64>> {
        v.into_iter()
            .skip(skip)
            .map(|x| x.is_finite().then_some(x))
            .collect()
    };
    let bb = ta::bollinger(&closes, 20, 2.0);
    let macd = ta::macd(&closes, 12, 26, 9);
    IndicatorSeries {
        symbol: symbol.clone(),
        range,
        interval: bucketing.interval(),
        dates: shown.iter().map(|p| p.date.clone()).collect(),
        sma20: cut(ta::sma(&closes, 20)),
        sma50: cut(ta::sma(&closes, 50)),
        sma200: cut(ta::sma(&closes, 200)),
        ema12: cut(settled(ta::ema(&closes, 12), 12)),
        ema26: cut(settled(ta::ema(&closes, 26), 26)),
        bb_upper: cut(bb.upper),
        bb_middle: cut(bb.mid),
        bb_lower: cut(bb.lower),
        rsi14: cut(ta::rsi(&closes, 14)),
        // MACD rests on the EMA 26: blank where that is.
        macd: cut(settled(macd.macd, 26)),
        macd_signal: cut(settled(macd.signal, 26)),
        macd_hist: cut(settled(macd.hist, 26)),
        reason: shown.is_empty().then(|| {
            format!(
                "No daily bars for {symbol} in the {} range.",
                range.as_str()
            )
        }),
    }
}

/// A series seeded with the first close (an EMA, and the MACD built on them) is shown from its
/// `n`-th point on, where charting tools start drawing it: before that it echoes the seed.
fn settled(v: Vec<f64>, n: usize) -> Vec<f64> {
    v.into_iter()
        .enumerate()
        .map(|(t, x)| if t + 1 < n { f64::NAN } else { x })
        .collect()
}

/// What an intraday range answers: the indicators are drawn on daily and longer ranges.
pub fn intraday(symbol: &Symbol, range: ChartRange, interval: &str) -> IndicatorSeries {
    IndicatorSeries {
        interval: interval.to_string(),
        reason: Some(format!(
            "Indicators are drawn on daily bars: pick 1M or a longer range for {symbol}."
        )),
        ..series(symbol, range, Bucketing::Daily, &[], &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(n: usize, from: &str) -> Vec<Bar> {
        let mut day: NaiveDate = from.parse().unwrap();
        (0..n)
            .map(|i| {
                while matches!(
                    chrono::Datelike::weekday(&day),
                    chrono::Weekday::Sat | chrono::Weekday::Sun
                ) {
                    day = day.succ_opt().unwrap();
                }
                let close = 100.0 + (i as f64 * 0.7).sin() * 5.0 + i as f64 * 0.1;
                let bar = Bar {
                    date: day,
                    open: close - 0.5,
                    high: close + 1.0,
                    low: close - 1.0,
                    close,
                    volume: 1_000,
                };
                day = day.succ_opt().unwrap();
                bar
            })
            .collect()
    }

    fn symbol() -> Symbol {
        Symbol::parse("GOOG").unwrap()
    }

    #[test]
    fn the_values_are_the_forecast_crates_on_the_shown_points_extended_backwards() {
        let all = bars(600, "2020-01-01");
        let (before, range) = all.split_at(350);
        let shown = downsample(range, Bucketing::Daily);
        let s = series(&symbol(), ChartRange::Y1, Bucketing::Daily, before, &shown);
        assert_eq!(s.dates.len(), 250);
        assert_eq!(s.dates[0], range[0].date.to_string());
        // SMA 50 at the last point: the mean of the last 50 closes, as a reader would check it.
        let last50: f64 = all[550..].iter().map(|b| b.close).sum::<f64>() / 50.0;
        assert!((s.sma50[249].unwrap() - last50).abs() < 1e-9);
        // SMA 200 is defined from the first shown point thanks to the warm-up.
        let first200: f64 = all[151..351].iter().map(|b| b.close).sum::<f64>() / 200.0;
        assert!((s.sma200[0].unwrap() - first200).abs() < 1e-9);
        let closes: Vec<f64> = all.iter().map(|b| b.close).collect();
        let rsi = ta::rsi(&closes[100..], 14);
        assert!((s.rsi14[249].unwrap() - rsi[499]).abs() < 1e-9);
    }

    #[test]
    fn without_history_before_the_range_the_warm_up_is_blank_not_made_up() {
        let all = bars(60, "2020-01-01");
        let shown = downsample(&all, Bucketing::Daily);
        let s = series(&symbol(), ChartRange::Max, Bucketing::Daily, &[], &shown);
        assert_eq!(s.sma20.iter().take_while(|v| v.is_none()).count(), 19);
        assert!(s.sma200.iter().all(Option::is_none));
        assert_eq!(s.rsi14.iter().take_while(|v| v.is_none()).count(), 14);
        assert_eq!(s.macd.iter().take_while(|v| v.is_none()).count(), 25);
        assert_eq!(s.ema12.iter().take_while(|v| v.is_none()).count(), 11);
        assert!(s.bb_upper[19].unwrap() > s.bb_middle[19].unwrap());
    }

    #[test]
    fn one_or_two_bars_give_blank_indicators_and_no_panic() {
        for n in 0..3 {
            let all = bars(n, "2020-01-01");
            let shown = downsample(&all, Bucketing::Daily);
            let s = series(&symbol(), ChartRange::Y1, Bucketing::Daily, &[], &shown);
            assert_eq!(s.dates.len(), n);
            assert!(s.sma20.iter().chain(&s.rsi14).all(Option::is_none));
            assert_eq!(s.reason.is_some(), n == 0);
        }
    }

    #[test]
    fn warm_up_buckets_of_n_days_end_where_the_range_begins() {
        let before = bars(7, "2020-01-01");
        let points = warmup_points(&before, Bucketing::TradingDays(3));
        // 7 bars → [1], [3], [3], counted back from the range.
        assert_eq!(points.len(), 3);
        assert_eq!(points[0].date, before[0].date.to_string());
        assert_eq!(points[1].date, before[1].date.to_string());
        assert_eq!(points[2].close, before[6].close);
    }

    #[test]
    fn the_warm_up_reaches_far_enough_back_for_every_bucketing() {
        let start: NaiveDate = "2020-06-01".parse().unwrap();
        // 250 trading days before 2020-06-01 fall in early June 2019; 250 weeks, in August 2015.
        assert!(warmup_start(start, Bucketing::Daily) <= "2019-05-25".parse().unwrap());
        assert!(warmup_start(start, Bucketing::IsoWeek) <= "2015-08-01".parse().unwrap());
    }
}

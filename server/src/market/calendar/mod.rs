//! The NYSE trading calendar: trading days, holidays, early closes and the market status at an
//! instant.
//!
//! Used for "next trading day", for forecast target dates (a horizon of `h` days means `h` trading
//! days after the last close, see [`add_trading_days`]) and for the "market open/closed" badge
//! ([`market_status`]).
//!
//! The calendar is computed from rules, not from a table that runs out: the regular holidays with
//! the weekend observance rules and the years each holiday applies to, plus the unscheduled
//! closures since 1985. The unit tests check it against a reference list of every closed weekday
//! from 1986 to 2030 and every early close from 2000 to 2030, and against the bundled S&P 500
//! series (every session from 1999 to 2018).
//!
//! Unscheduled closures cannot be known in advance: when the NYSE announces one, add it to
//! `SPECIAL_CLOSURES` in `holidays.rs` and to the reference fixture.

mod holidays;
mod status;

use chrono::{Datelike, NaiveDate, Weekday};

pub use holidays::{EarlyClose, Holiday, SpecialClosure};
pub use status::{
    market_status, session_close, session_open, ClosedReason, MarketStatus, EARLY_CLOSE, OPEN,
    REGULAR_CLOSE,
};

/// The largest number of trading days [`add_trading_days`] steps in one call, about 145 years.
/// Forecast horizons are a handful of days; the bound keeps every call cheap whatever it is given.
pub const MAX_STEP: i64 = 36_600;

/// Errors from trading-day arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// The result would lie beyond the dates chrono can represent.
    #[error("{trading_days} trading days from {from} is outside the representable dates")]
    OutOfRange {
        /// The starting date.
        from: NaiveDate,
        /// The requested number of trading days.
        trading_days: i64,
    },
    /// More trading days were requested than [`MAX_STEP`].
    #[error("cannot step {trading_days} trading days at once (at most {max} either way)")]
    StepTooLarge {
        /// The requested number of trading days.
        trading_days: i64,
        /// The largest step allowed.
        max: i64,
    },
}

/// Whether the NYSE holds a session on `date`: a weekday that is not a holiday.
pub fn is_trading_day(date: NaiveDate) -> bool {
    !is_weekend(date) && holidays::holiday_on(date).is_none()
}

/// The holiday the NYSE observes on `date`, if any. A holiday that falls on a weekend is reported
/// on the weekday it is observed on (e.g. Christmas 2021, a Saturday, on Friday 24 December), and
/// a Saturday New Year's Day is not observed at all.
pub fn holiday(date: NaiveDate) -> Option<Holiday> {
    holidays::holiday_on(date)
}

/// Every holiday observed in `year`, in date order, unscheduled closures included.
pub fn holidays(year: i32) -> Vec<(NaiveDate, Holiday)> {
    holidays::holidays_in_year(year)
}

/// Why `date` is an early-close day (13:00 New York time), or `None` for a full session or a day
/// without a session.
pub fn early_close(date: NaiveDate) -> Option<EarlyClose> {
    holidays::early_close_on(date)
}

/// The first trading day strictly after `date`.
///
/// # Errors
/// [`CalendarError::OutOfRange`] at the end of chrono's date range.
pub fn next_trading_day(date: NaiveDate) -> Result<NaiveDate, CalendarError> {
    add_trading_days(date, 1)
}

/// The last trading day strictly before `date`.
///
/// # Errors
/// [`CalendarError::OutOfRange`] at the start of chrono's date range.
pub fn previous_trading_day(date: NaiveDate) -> Result<NaiveDate, CalendarError> {
    add_trading_days(date, -1)
}

/// The `n`-th trading day after `date` (before it when `n` is negative). `date` itself does not
/// count, so it need not be a trading day; `n == 0` returns `date` unchanged.
///
/// Forecast target dates: the close `h` sessions after the last observed close `d` is
/// `add_trading_days(d, h)`.
///
/// # Errors
/// [`CalendarError::StepTooLarge`] when `|n|` exceeds [`MAX_STEP`], and
/// [`CalendarError::OutOfRange`] when the result is not a representable date.
pub fn add_trading_days(date: NaiveDate, n: i64) -> Result<NaiveDate, CalendarError> {
    if n.unsigned_abs() > MAX_STEP.unsigned_abs() {
        return Err(CalendarError::StepTooLarge {
            trading_days: n,
            max: MAX_STEP,
        });
    }
    let out_of_range = CalendarError::OutOfRange {
        from: date,
        trading_days: n,
    };
    let mut current = date;
    let mut remaining = n.unsigned_abs();
    while remaining > 0 {
        current = if n > 0 {
            current.succ_opt()
        } else {
            current.pred_opt()
        }
        .ok_or(out_of_range)?;
        if is_trading_day(current) {
            remaining -= 1;
        }
    }
    Ok(current)
}

/// The signed number of trading days from `from` to `to`: the trading days passed on the way,
/// counting the destination and not the start. Forward, that is the trading days in `(from, to]`;
/// backward, minus the trading days in `[to, from)`.
///
/// It is the inverse of [`add_trading_days`]: `trading_days_between(d, add_trading_days(d, n)?)`
/// is `n`, and `add_trading_days(d, trading_days_between(d, t))` is `t` for every trading day `t`
/// within [`MAX_STEP`] of `d`. Between two consecutive sessions it is 1.
pub fn trading_days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    use std::cmp::Ordering;
    match from.cmp(&to) {
        Ordering::Equal => 0,
        // `from < to` and `to < from` guarantee that the neighbour dates exist.
        Ordering::Less => from
            .succ_opt()
            .map_or(0, |first| trading_days_in(first, to)),
        Ordering::Greater => -from.pred_opt().map_or(0, |last| trading_days_in(to, last)),
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The number of trading days in `[first, last]`: weekdays counted arithmetically, less the
/// holidays of the years touched (every holiday is on a weekday).
fn trading_days_in(first: NaiveDate, last: NaiveDate) -> i64 {
    if last < first {
        return 0;
    }
    let days = (last - first).num_days() + 1;
    let mut weekdays = days / 7 * 5;
    let mut day = first;
    for _ in 0..days % 7 {
        if !is_weekend(day) {
            weekdays += 1;
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    let closed: i64 = (first.year()..=last.year())
        .map(|year| {
            holidays::holidays_in_year(year)
                .into_iter()
                .filter(|(date, _)| (first..=last).contains(date))
                .count() as i64
        })
        .sum();
    weekdays - closed
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::{DateTime, TimeZone, Utc};

    use super::*;

    /// Every weekday without a session, 1986–2030, from exchange_calendars 4.13.2 (calendar
    /// XNYS), checked identical to pandas_market_calendars 5.5.0 (calendar NYSE); both follow the
    /// holiday lists the NYSE publishes. How the file was made is in the fixture folder.
    const CLOSED_WEEKDAYS: &str =
        include_str!("../../../tests/fixtures/calendar/nyse_closed_weekdays_1986_2030.csv");
    /// Every 13:00 close, 2000–2030, from the same two packages.
    const EARLY_CLOSES: &str =
        include_str!("../../../tests/fixtures/calendar/nyse_early_closes_2000_2030.csv");
    /// The bundled S&P 500 daily series, one row per NYSE session, 1999-01-04..=2018-12-31.
    const SP500: &str = include_str!("../../../data/prices/sp500_1999_2018.csv");

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("valid test instant")
    }

    /// Dates from a one-column CSV fixture (comment lines start with `#`, then a header).
    fn fixture_dates(text: &str) -> BTreeSet<NaiveDate> {
        text.lines()
            .filter(|line| !line.starts_with('#'))
            .skip(1)
            .map(|line| {
                NaiveDate::parse_from_str(line.trim(), "%Y-%m-%d")
                    .unwrap_or_else(|e| panic!("bad fixture date {line:?}: {e}"))
            })
            .collect()
    }

    fn price_file_dates(csv: &str) -> Vec<NaiveDate> {
        csv.lines()
            .skip(1)
            .map(|line| {
                let field = line.split(',').next().unwrap_or_default();
                NaiveDate::parse_from_str(field, "%Y-%m-%d")
                    .unwrap_or_else(|e| panic!("bad price date {field:?}: {e}"))
            })
            .collect()
    }

    fn days(first: NaiveDate, last: NaiveDate) -> impl Iterator<Item = NaiveDate> {
        first.iter_days().take_while(move |d| *d <= last)
    }

    #[test]
    fn closed_weekdays_from_1986_to_2030_match_the_reference_list() {
        let expected = fixture_dates(CLOSED_WEEKDAYS);
        assert_eq!(expected.len(), 407, "fixture is complete");
        let actual: BTreeSet<NaiveDate> = days(date(1986, 1, 1), date(2030, 12, 31))
            .filter(|d| !is_weekend(*d) && !is_trading_day(*d))
            .collect();
        let missing: Vec<_> = expected.difference(&actual).collect();
        let extra: Vec<_> = actual.difference(&expected).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "closed in the reference but trading here: {missing:?}; closed here only: {extra:?}"
        );
    }

    #[test]
    fn every_closed_weekday_has_a_holiday_name() {
        for d in fixture_dates(CLOSED_WEEKDAYS) {
            assert!(holiday(d).is_some(), "{d} has no holiday");
        }
    }

    #[test]
    fn early_closes_from_2000_to_2030_match_the_reference_list() {
        let expected = fixture_dates(EARLY_CLOSES);
        assert_eq!(expected.len(), 69, "fixture is complete");
        let actual: BTreeSet<NaiveDate> = days(date(2000, 1, 1), date(2030, 12, 31))
            .filter(|d| early_close(*d).is_some())
            .collect();
        let missing: Vec<_> = expected.difference(&actual).collect();
        let extra: Vec<_> = actual.difference(&expected).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "early close in the reference only: {missing:?}; here only: {extra:?}"
        );
    }

    /// Rows of a price file dated on days without a session, and sessions between its first and
    /// last row that have no row.
    fn compare_with_sessions(csv: &str) -> (Vec<NaiveDate>, Vec<NaiveDate>) {
        let dates = price_file_dates(csv);
        let not_trading = dates
            .iter()
            .copied()
            .filter(|d| !is_trading_day(*d))
            .collect();
        let in_file: BTreeSet<NaiveDate> = dates.iter().copied().collect();
        let absent = match (dates.first(), dates.last()) {
            (Some(first), Some(last)) => days(*first, *last)
                .filter(|d| is_trading_day(*d) && !in_file.contains(d))
                .collect(),
            _ => Vec::new(),
        };
        (not_trading, absent)
    }

    #[test]
    fn every_date_in_the_sp500_file_is_a_trading_day() {
        let (not_trading, _) = compare_with_sessions(SP500);
        assert!(
            not_trading.is_empty(),
            "S&P 500 rows on closed days: {not_trading:?}"
        );
    }

    #[test]
    fn every_trading_day_in_the_sp500_range_is_in_the_file() {
        let (_, absent) = compare_with_sessions(SP500);
        assert!(
            absent.is_empty(),
            "sessions missing from the S&P 500 file: {absent:?}"
        );
        let dates = price_file_dates(SP500);
        assert_eq!(dates.len(), 5031);
        assert_eq!(trading_days_between(dates[0], dates[5030]), 5031 - 1);
    }

    #[test]
    fn the_other_bundled_series_trade_only_on_sessions_and_msft_lacks_two() {
        let files = [
            (
                "NASDAQ",
                include_str!("../../../data/prices/nasdaq_1999_2018.csv"),
            ),
            (
                "GOOG",
                include_str!("../../../data/prices/goog_2004_2013.csv"),
            ),
            (
                "MSFT",
                include_str!("../../../data/prices/msft_1986_2017.csv"),
            ),
        ];
        for (name, csv) in files {
            let (not_trading, absent) = compare_with_sessions(csv);
            assert!(
                not_trading.is_empty(),
                "{name} rows on closed days: {not_trading:?}"
            );
            // The MSFT source (the Kaggle "Huge Stock Market Dataset") has no rows for these two
            // sessions; the market was open on both.
            let expected_gaps = if name == "MSFT" {
                vec![date(1998, 10, 29), date(1999, 11, 16)]
            } else {
                Vec::new()
            };
            assert_eq!(absent, expected_gaps, "{name} sessions without a row");
        }
    }

    #[test]
    fn holidays_are_named_and_observed_on_the_right_weekday() {
        let cases = [
            // Christmas on a Saturday is observed the Friday before.
            (date(2021, 12, 24), Some(Holiday::ChristmasDay)),
            // New Year's Day on a Saturday is not moved into the old year.
            (date(2021, 12, 31), None),
            // New Year's Day on a Sunday is observed the Monday after.
            (date(2023, 1, 2), Some(Holiday::NewYearsDay)),
            (date(2022, 6, 20), Some(Holiday::Juneteenth)),
            (date(2021, 6, 18), None),
            (date(1998, 1, 19), Some(Holiday::MartinLutherKingJrDay)),
            (date(1997, 1, 20), None),
            (date(2024, 3, 29), Some(Holiday::GoodFriday)),
            (date(2020, 7, 3), Some(Holiday::IndependenceDay)),
            (date(2024, 11, 28), Some(Holiday::ThanksgivingDay)),
            (
                date(2001, 9, 14),
                Some(Holiday::Special(SpecialClosure::September11Attacks)),
            ),
            (
                date(2004, 6, 11),
                Some(Holiday::Special(SpecialClosure::ReaganFuneral)),
            ),
            (
                date(2007, 1, 2),
                Some(Holiday::Special(SpecialClosure::FordMourning)),
            ),
            (
                date(2012, 10, 30),
                Some(Holiday::Special(SpecialClosure::HurricaneSandy)),
            ),
            (
                date(2018, 12, 5),
                Some(Holiday::Special(SpecialClosure::GeorgeHwBushMourning)),
            ),
            (
                date(2025, 1, 9),
                Some(Holiday::Special(SpecialClosure::CarterMourning)),
            ),
            // Weekends are not holidays.
            (date(2024, 12, 28), None),
        ];
        for (day, expected) in cases {
            assert_eq!(holiday(day), expected, "{day}");
        }
        assert_eq!(Holiday::GoodFriday.to_string(), "Good Friday");
    }

    #[test]
    fn a_year_has_its_ten_holidays_plus_special_closures() {
        let names: Vec<Holiday> = holidays(2025).into_iter().map(|(_, h)| h).collect();
        assert_eq!(
            names,
            vec![
                Holiday::NewYearsDay,
                Holiday::Special(SpecialClosure::CarterMourning),
                Holiday::MartinLutherKingJrDay,
                Holiday::PresidentsDay,
                Holiday::GoodFriday,
                Holiday::MemorialDay,
                Holiday::Juneteenth,
                Holiday::IndependenceDay,
                Holiday::LaborDay,
                Holiday::ThanksgivingDay,
                Holiday::ChristmasDay,
            ]
        );
        // 2022 loses New Year's Day (a Saturday).
        assert_eq!(holidays(2022).len(), 9);
    }

    #[test]
    fn next_and_previous_trading_day_skip_weekends_and_holidays() {
        // Friday before the 9/11 closure to the reopening on Monday 17 September.
        assert_eq!(next_trading_day(date(2001, 9, 10)), Ok(date(2001, 9, 17)));
        assert_eq!(
            previous_trading_day(date(2001, 9, 17)),
            Ok(date(2001, 9, 10))
        );
        assert_eq!(next_trading_day(date(2024, 12, 24)), Ok(date(2024, 12, 26)));
        assert_eq!(
            previous_trading_day(date(2025, 1, 10)),
            Ok(date(2025, 1, 8))
        );
        // From a weekend day.
        assert_eq!(next_trading_day(date(2025, 1, 18)), Ok(date(2025, 1, 21)));
        assert_eq!(
            previous_trading_day(date(2025, 1, 19)),
            Ok(date(2025, 1, 17))
        );
    }

    #[test]
    fn forecast_horizons_of_one_two_and_five_days_land_on_sessions() {
        let last_close = date(2024, 12, 23);
        assert_eq!(add_trading_days(last_close, 1), Ok(date(2024, 12, 24)));
        assert_eq!(add_trading_days(last_close, 2), Ok(date(2024, 12, 26)));
        assert_eq!(add_trading_days(last_close, 5), Ok(date(2024, 12, 31)));
        // Across New Year's Day and the Carter day of mourning.
        assert_eq!(
            add_trading_days(date(2024, 12, 31), 5),
            Ok(date(2025, 1, 8))
        );
        assert_eq!(
            add_trading_days(date(2024, 12, 31), 6),
            Ok(date(2025, 1, 10))
        );
        assert_eq!(
            add_trading_days(date(2025, 1, 18), 0),
            Ok(date(2025, 1, 18))
        );
    }

    #[test]
    fn add_trading_days_and_trading_days_between_round_trip() {
        for start in days(date(1999, 12, 20), date(2031, 1, 10)).step_by(3) {
            for n in -12..=12 {
                let target = add_trading_days(start, n).expect("in range");
                assert!(n == 0 || is_trading_day(target), "{start} {n} -> {target}");
                assert_eq!(trading_days_between(start, target), n, "{start} {n}");
                if is_trading_day(target) {
                    assert_eq!(
                        add_trading_days(start, trading_days_between(start, target)),
                        Ok(target)
                    );
                }
            }
        }
    }

    #[test]
    fn trading_days_between_matches_counting_day_by_day() {
        let anchors = [date(1999, 12, 31), date(2001, 9, 8), date(2012, 10, 27)];
        for from in anchors {
            for span in [0_i64, 1, 2, 6, 7, 8, 30, 365, 400, 3000] {
                let to = from + chrono::Duration::days(span);
                let forward = days(from, to)
                    .skip(1)
                    .filter(|d| is_trading_day(*d))
                    .count() as i64;
                assert_eq!(trading_days_between(from, to), forward, "{from}..{to}");
                let backward = days(from, to)
                    .take_while(|d| *d < to)
                    .filter(|d| is_trading_day(*d))
                    .count() as i64;
                assert_eq!(trading_days_between(to, from), -backward, "{to}..{from}");
            }
        }
    }

    #[test]
    fn stepping_too_far_or_past_the_representable_dates_is_an_error() {
        assert_eq!(
            add_trading_days(date(2024, 1, 2), MAX_STEP + 1),
            Err(CalendarError::StepTooLarge {
                trading_days: MAX_STEP + 1,
                max: MAX_STEP
            })
        );
        assert!(add_trading_days(date(2024, 1, 2), -MAX_STEP).is_ok());
        assert!(matches!(
            next_trading_day(NaiveDate::MAX),
            Err(CalendarError::OutOfRange { .. })
        ));
        assert!(matches!(
            previous_trading_day(NaiveDate::MIN),
            Err(CalendarError::OutOfRange { .. })
        ));
        assert!(market_status(DateTime::<Utc>::MAX_UTC).is_err());
    }

    #[test]
    fn market_is_open_during_the_regular_session() {
        // Wednesday 10 July 2024, 10:00 in New York (daylight saving time, UTC-4).
        let status = market_status(utc(2024, 7, 10, 14, 0)).expect("status");
        assert_eq!(
            status,
            MarketStatus::Open {
                closes_at: utc(2024, 7, 10, 20, 0)
            }
        );
        assert!(status.is_open());
        // The opening minute counts as open.
        assert!(market_status(utc(2024, 7, 10, 13, 30))
            .expect("status")
            .is_open());
    }

    #[test]
    fn market_is_closed_before_the_open_and_opens_at_half_past_nine() {
        // 09:00 in New York, winter time (UTC-5).
        assert_eq!(
            market_status(utc(2024, 1, 10, 14, 0)),
            Ok(MarketStatus::Closed {
                reason: ClosedReason::BeforeOpen,
                next_open: utc(2024, 1, 10, 14, 30),
            })
        );
    }

    #[test]
    fn market_is_closed_after_four_and_reopens_the_next_session() {
        // 16:00 sharp on Friday 17 January 2025; Monday 20 January is MLK Day.
        assert_eq!(
            market_status(utc(2025, 1, 17, 21, 0)),
            Ok(MarketStatus::Closed {
                reason: ClosedReason::AfterClose,
                next_open: utc(2025, 1, 21, 14, 30),
            })
        );
        // One minute earlier it is still open.
        assert!(market_status(utc(2025, 1, 17, 20, 59))
            .expect("status")
            .is_open());
    }

    #[test]
    fn market_is_closed_at_the_weekend_until_monday() {
        assert_eq!(
            market_status(utc(2024, 7, 13, 15, 0)),
            Ok(MarketStatus::Closed {
                reason: ClosedReason::Weekend,
                next_open: utc(2024, 7, 15, 13, 30),
            })
        );
        // Late Friday in New York is already Saturday in UTC: the New York date decides.
        assert_eq!(
            market_status(utc(2024, 7, 13, 2, 0)),
            Ok(MarketStatus::Closed {
                reason: ClosedReason::AfterClose,
                next_open: utc(2024, 7, 15, 13, 30),
            })
        );
    }

    #[test]
    fn market_is_closed_on_a_holiday_and_says_which() {
        assert_eq!(
            market_status(utc(2024, 12, 25, 16, 0)),
            Ok(MarketStatus::Closed {
                reason: ClosedReason::Holiday(Holiday::ChristmasDay),
                next_open: utc(2024, 12, 26, 14, 30),
            })
        );
    }

    #[test]
    fn market_closes_at_one_on_an_early_close_day() {
        // Christmas Eve 2024, 12:00 in New York.
        assert_eq!(
            market_status(utc(2024, 12, 24, 17, 0)),
            Ok(MarketStatus::EarlyClose {
                reason: EarlyClose::ChristmasEve,
                closes_at: utc(2024, 12, 24, 18, 0),
            })
        );
        // 13:00 in New York: closed until after Christmas.
        assert_eq!(
            market_status(utc(2024, 12, 24, 18, 0)),
            Ok(MarketStatus::Closed {
                reason: ClosedReason::AfterClose,
                next_open: utc(2024, 12, 26, 14, 30),
            })
        );
        // 3 July 2024 under daylight saving time: 13:00 New York is 17:00 UTC.
        assert_eq!(session_close(date(2024, 7, 3)), utc(2024, 7, 3, 17, 0));
        assert_eq!(
            early_close(date(2024, 11, 29)),
            Some(EarlyClose::DayAfterThanksgiving)
        );
    }

    #[test]
    fn session_times_follow_daylight_saving_time() {
        // Daylight saving time began on Sunday 10 March 2024.
        assert_eq!(session_open(date(2024, 3, 8)), utc(2024, 3, 8, 14, 30));
        assert_eq!(session_open(date(2024, 3, 11)), utc(2024, 3, 11, 13, 30));
        // And ended on Sunday 3 November 2024.
        assert_eq!(session_close(date(2024, 11, 1)), utc(2024, 11, 1, 20, 0));
        assert_eq!(session_close(date(2024, 11, 4)), utc(2024, 11, 4, 21, 0));
    }
}

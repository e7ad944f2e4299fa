//! The NYSE holiday and early-close rules.
//!
//! Every rule carries the years it applies to, so the calendar is right for history as well as for
//! the future: Martin Luther King Jr. Day is a market holiday only from 1998, Juneteenth only from
//! 2022, and the 13:00 closes have changed over time. Unscheduled closures (national days of
//! mourning, the 9/11 attacks, Hurricane Sandy) cannot be derived from any rule and are listed
//! one by one in [`SPECIAL_CLOSURES`].

use std::fmt;

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// A weekday on which the NYSE does not trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Holiday {
    /// 1 January; on Sunday observed the Monday after, on Saturday not observed at all.
    NewYearsDay,
    /// Third Monday of January, a market holiday since 1998.
    MartinLutherKingJrDay,
    /// Washington's Birthday, third Monday of February.
    PresidentsDay,
    /// The Friday before Easter Sunday.
    GoodFriday,
    /// Last Monday of May.
    MemorialDay,
    /// 19 June, a market holiday since 2022.
    Juneteenth,
    /// 4 July.
    IndependenceDay,
    /// First Monday of September.
    LaborDay,
    /// Fourth Thursday of November.
    ThanksgivingDay,
    /// 25 December.
    ChristmasDay,
    /// A closure decided for one occasion.
    Special(SpecialClosure),
}

impl Holiday {
    /// The name shown to people, e.g. "Good Friday".
    pub fn name(self) -> &'static str {
        match self {
            Holiday::NewYearsDay => "New Year's Day",
            Holiday::MartinLutherKingJrDay => "Martin Luther King Jr. Day",
            Holiday::PresidentsDay => "Presidents' Day",
            Holiday::GoodFriday => "Good Friday",
            Holiday::MemorialDay => "Memorial Day",
            Holiday::Juneteenth => "Juneteenth National Independence Day",
            Holiday::IndependenceDay => "Independence Day",
            Holiday::LaborDay => "Labor Day",
            Holiday::ThanksgivingDay => "Thanksgiving Day",
            Holiday::ChristmasDay => "Christmas Day",
            Holiday::Special(closure) => closure.name(),
        }
    }
}

impl fmt::Display for Holiday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unscheduled closure of the NYSE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SpecialClosure {
    /// 1985-09-27.
    HurricaneGloria,
    /// 1994-04-27, national day of mourning for Richard Nixon.
    NixonFuneral,
    /// 2001-09-11 to 2001-09-14.
    September11Attacks,
    /// 2004-06-11, national day of mourning for Ronald Reagan.
    ReaganFuneral,
    /// 2007-01-02, national day of mourning for Gerald Ford.
    FordMourning,
    /// 2012-10-29 and 2012-10-30.
    HurricaneSandy,
    /// 2018-12-05, national day of mourning for George H. W. Bush.
    GeorgeHwBushMourning,
    /// 2025-01-09, national day of mourning for Jimmy Carter.
    CarterMourning,
}

impl SpecialClosure {
    /// The name shown to people.
    pub fn name(self) -> &'static str {
        match self {
            SpecialClosure::HurricaneGloria => "Hurricane Gloria",
            SpecialClosure::NixonFuneral => "National day of mourning for Richard Nixon",
            SpecialClosure::September11Attacks => "Closed after the September 11 attacks",
            SpecialClosure::ReaganFuneral => "National day of mourning for Ronald Reagan",
            SpecialClosure::FordMourning => "National day of mourning for Gerald Ford",
            SpecialClosure::HurricaneSandy => "Hurricane Sandy",
            SpecialClosure::GeorgeHwBushMourning => {
                "National day of mourning for George H. W. Bush"
            }
            SpecialClosure::CarterMourning => "National day of mourning for Jimmy Carter",
        }
    }
}

/// Unscheduled full-day closures, sorted by date (NYSE announcements; the same dates are in the
/// reference list the tests compare against).
pub(crate) const SPECIAL_CLOSURES: [((i32, u32, u32), SpecialClosure); 12] = [
    ((1985, 9, 27), SpecialClosure::HurricaneGloria),
    ((1994, 4, 27), SpecialClosure::NixonFuneral),
    ((2001, 9, 11), SpecialClosure::September11Attacks),
    ((2001, 9, 12), SpecialClosure::September11Attacks),
    ((2001, 9, 13), SpecialClosure::September11Attacks),
    ((2001, 9, 14), SpecialClosure::September11Attacks),
    ((2004, 6, 11), SpecialClosure::ReaganFuneral),
    ((2007, 1, 2), SpecialClosure::FordMourning),
    ((2012, 10, 29), SpecialClosure::HurricaneSandy),
    ((2012, 10, 30), SpecialClosure::HurricaneSandy),
    ((2018, 12, 5), SpecialClosure::GeorgeHwBushMourning),
    ((2025, 1, 9), SpecialClosure::CarterMourning),
];

/// Why a trading day ends at 13:00 New York time instead of 16:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EarlyClose {
    /// 3 July, the day before Independence Day.
    IndependenceDayEve,
    /// Friday 5 July after a Thursday Independence Day (until 2012).
    DayAfterIndependenceDay,
    /// The Friday after Thanksgiving.
    DayAfterThanksgiving,
    /// 24 December.
    ChristmasEve,
    /// 26 December, when decided for one year (2003).
    DayAfterChristmas,
}

impl EarlyClose {
    /// The name shown to people.
    pub fn name(self) -> &'static str {
        match self {
            EarlyClose::IndependenceDayEve => "Day before Independence Day",
            EarlyClose::DayAfterIndependenceDay => "Day after Independence Day",
            EarlyClose::DayAfterThanksgiving => "Day after Thanksgiving",
            EarlyClose::ChristmasEve => "Christmas Eve",
            EarlyClose::DayAfterChristmas => "Day after Christmas",
        }
    }
}

impl fmt::Display for EarlyClose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Early closes decided for one year only.
const SPECIAL_EARLY_CLOSES: [((i32, u32, u32), EarlyClose); 1] =
    [((2003, 12, 26), EarlyClose::DayAfterChristmas)];

/// The holiday observed on `date`, if any. Weekends are not holidays: a Saturday or Sunday
/// holiday either moves to a weekday or is not observed.
pub(crate) fn holiday_on(date: NaiveDate) -> Option<Holiday> {
    if let Some(closure) = special_closure_on(date) {
        return Some(Holiday::Special(closure));
    }
    let year = date.year();
    regular_holidays(year)
        .into_iter()
        .find_map(|(day, holiday)| (day == Some(date)).then_some(holiday))
}

/// All holidays observed in `year`, in date order, special closures included.
pub(crate) fn holidays_in_year(year: i32) -> Vec<(NaiveDate, Holiday)> {
    let mut days: Vec<(NaiveDate, Holiday)> = regular_holidays(year)
        .into_iter()
        .filter_map(|(day, holiday)| day.map(|d| (d, holiday)))
        .collect();
    days.extend(
        SPECIAL_CLOSURES
            .iter()
            .filter(|((y, _, _), _)| *y == year)
            .filter_map(|&((y, m, d), closure)| {
                NaiveDate::from_ymd_opt(y, m, d).map(|date| (date, Holiday::Special(closure)))
            }),
    );
    days.sort_by_key(|(date, _)| *date);
    days
}

/// The early close on `date`, if the NYSE closes at 13:00 that day. `None` for days that are not
/// trading days.
pub(crate) fn early_close_on(date: NaiveDate) -> Option<EarlyClose> {
    let weekday = date.weekday();
    if matches!(weekday, Weekday::Sat | Weekday::Sun) || holiday_on(date).is_some() {
        return None;
    }
    if let Some(&(_, reason)) = SPECIAL_EARLY_CLOSES
        .iter()
        .find(|((y, m, d), _)| NaiveDate::from_ymd_opt(*y, *m, *d) == Some(date))
    {
        return Some(reason);
    }
    let year = date.year();
    match (date.month(), date.day()) {
        // Since 2013 every weekday 3 July closes early; before that only Monday, Tuesday and
        // Thursday did (a Wednesday 3 July was a full day), from 1995.
        (7, 3) if year >= 2013 => Some(EarlyClose::IndependenceDayEve),
        (7, 3) if year >= 1995 && matches!(weekday, Weekday::Mon | Weekday::Tue | Weekday::Thu) => {
            Some(EarlyClose::IndependenceDayEve)
        }
        // 1996 to 2012: a Friday after a Thursday Independence Day closed early.
        (7, 5) if (1996..2013).contains(&year) && weekday == Weekday::Fri => {
            Some(EarlyClose::DayAfterIndependenceDay)
        }
        (12, 24) if year >= 1993 => Some(EarlyClose::ChristmasEve),
        (11, _) if year >= 1993 && weekday == Weekday::Fri => {
            let thanksgiving = nth_weekday(year, 11, Weekday::Thu, 4)?;
            (thanksgiving.succ_opt() == Some(date)).then_some(EarlyClose::DayAfterThanksgiving)
        }
        _ => None,
    }
}

fn special_closure_on(date: NaiveDate) -> Option<SpecialClosure> {
    SPECIAL_CLOSURES
        .iter()
        .find(|((y, m, d), _)| NaiveDate::from_ymd_opt(*y, *m, *d) == Some(date))
        .map(|(_, closure)| *closure)
}

/// The regular holidays of `year` with the date each is observed on, `None` when it is not
/// observed that year (a Saturday New Year's Day, a holiday before its first year).
fn regular_holidays(year: i32) -> [(Option<NaiveDate>, Holiday); 10] {
    [
        (new_years_day(year), Holiday::NewYearsDay),
        (
            if year >= 1998 {
                nth_weekday(year, 1, Weekday::Mon, 3)
            } else {
                None
            },
            Holiday::MartinLutherKingJrDay,
        ),
        (
            nth_weekday(year, 2, Weekday::Mon, 3),
            Holiday::PresidentsDay,
        ),
        (
            easter_sunday(year).and_then(|easter| easter.checked_sub_signed(Duration::days(2))),
            Holiday::GoodFriday,
        ),
        (last_weekday(year, 5, Weekday::Mon), Holiday::MemorialDay),
        (
            if year >= 2022 {
                observed_fixed(year, 6, 19)
            } else {
                None
            },
            Holiday::Juneteenth,
        ),
        (observed_fixed(year, 7, 4), Holiday::IndependenceDay),
        (nth_weekday(year, 9, Weekday::Mon, 1), Holiday::LaborDay),
        (
            nth_weekday(year, 11, Weekday::Thu, 4),
            Holiday::ThanksgivingDay,
        ),
        (observed_fixed(year, 12, 25), Holiday::ChristmasDay),
    ]
}

/// NYSE Rule 7.2: a holiday on a Sunday is observed the Monday after. A Saturday New Year's Day
/// is not moved to the Friday before, which is the last trading day of the previous year.
fn new_years_day(year: i32) -> Option<NaiveDate> {
    let day = NaiveDate::from_ymd_opt(year, 1, 1)?;
    match day.weekday() {
        Weekday::Sat => None,
        Weekday::Sun => day.succ_opt(),
        _ => Some(day),
    }
}

/// A fixed-date holiday moved off the weekend: Saturday to the Friday before, Sunday to the
/// Monday after.
fn observed_fixed(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    match date.weekday() {
        Weekday::Sat => date.pred_opt(),
        Weekday::Sun => date.succ_opt(),
        _ => Some(date),
    }
}

/// The `n`-th (1-based) `weekday` of a month.
fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u8) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n)
}

/// The last `weekday` of a month.
fn last_weekday(year: i32, month: u32, weekday: Weekday) -> Option<NaiveDate> {
    let (next_year, next_month) = if month == 12 {
        (year.checked_add(1)?, 1)
    } else {
        (year, month + 1)
    };
    let last_day = NaiveDate::from_ymd_opt(next_year, next_month, 1)?.pred_opt()?;
    let back = (7 + last_day.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
    last_day.checked_sub_signed(Duration::days(i64::from(back)))
}

/// Western (Gregorian) Easter Sunday, by the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let y = i64::from(year);
    let a = y.rem_euclid(19);
    let b = y.div_euclid(100);
    let c = y.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let month = (h + l - 7 * m + 114).div_euclid(31);
    let day = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn easter_sunday_matches_published_dates() {
        // Dates of Western Easter from the published tables.
        for (y, m, d) in [
            (2000, 4, 23),
            (2008, 3, 23),
            (2011, 4, 24),
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2038, 4, 25),
        ] {
            assert_eq!(easter_sunday(y), Some(date(y, m, d)), "Easter {y}");
        }
    }

    #[test]
    fn last_monday_of_may_is_memorial_day() {
        assert_eq!(last_weekday(2024, 5, Weekday::Mon), Some(date(2024, 5, 27)));
        assert_eq!(last_weekday(2021, 5, Weekday::Mon), Some(date(2021, 5, 31)));
        assert_eq!(
            last_weekday(2030, 12, Weekday::Tue),
            Some(date(2030, 12, 31))
        );
    }

    #[test]
    fn special_closures_are_sorted_and_valid_dates() {
        let dates: Vec<NaiveDate> = SPECIAL_CLOSURES
            .iter()
            .map(|((y, m, d), _)| date(*y, *m, *d))
            .collect();
        assert!(dates.windows(2).all(|w| w[0] < w[1]));
        assert!(dates
            .iter()
            .all(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)));
    }

    #[test]
    fn holidays_in_year_lists_special_closures_in_date_order() {
        let days = holidays_in_year(2001);
        let dates: Vec<NaiveDate> = days.iter().map(|(d, _)| *d).collect();
        assert!(dates.windows(2).all(|w| w[0] < w[1]));
        assert!(days.contains(&(
            date(2001, 9, 13),
            Holiday::Special(SpecialClosure::September11Attacks)
        )));
        // 2001: nine regular holidays (Juneteenth not yet) plus four days after 9/11.
        assert_eq!(days.len(), 13);
    }
}

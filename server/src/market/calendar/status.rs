//! Whether the NYSE is open at an instant: the "market open/closed" badge.
//!
//! Session times are wall-clock times in New York (regular session 09:30–16:00, 13:00 on early-close
//! days), so they are converted through the `America/New_York` time zone rather than by a fixed
//! UTC offset: the offset is -5 hours in winter and -4 hours under daylight saving time.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono::{Datelike, Duration};
use chrono_tz::America::New_York;

use super::holidays::{early_close_on, holiday_on, EarlyClose, Holiday};
use super::{next_trading_day, CalendarError};

/// The market state at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketStatus {
    /// The regular session is running.
    Open {
        /// When today's session ends.
        closes_at: DateTime<Utc>,
    },
    /// A shortened session is running; it ends at 13:00 New York time.
    EarlyClose {
        /// Why the session is shortened.
        reason: EarlyClose,
        /// When today's session ends.
        closes_at: DateTime<Utc>,
    },
    /// No session is running.
    Closed {
        /// Why the market is closed now.
        reason: ClosedReason,
        /// When the next session starts.
        next_open: DateTime<Utc>,
    },
}

impl MarketStatus {
    /// Whether a session is running (regular or shortened).
    pub fn is_open(&self) -> bool {
        !matches!(self, MarketStatus::Closed { .. })
    }
}

/// Why the market is closed at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedReason {
    /// A trading day, before 09:30 New York time.
    BeforeOpen,
    /// A trading day, after today's close (16:00, or 13:00 on an early-close day).
    AfterClose,
    /// Saturday or Sunday.
    Weekend,
    /// A market holiday or unscheduled closure.
    Holiday(Holiday),
}

/// Opening time of every session, New York time.
pub const OPEN: NaiveTime = hm(9, 30);
/// Closing time of a regular session, New York time.
pub const REGULAR_CLOSE: NaiveTime = hm(16, 0);
/// Closing time of an early-close session, New York time.
pub const EARLY_CLOSE: NaiveTime = hm(13, 0);

const fn hm(hour: u32, minute: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(hour, minute, 0) {
        Some(time) => time,
        None => NaiveTime::MIN,
    }
}

/// The market state at `at`.
///
/// # Errors
/// [`CalendarError::OutOfRange`] only when the next session would fall after the last date chrono
/// can represent.
#[tracing::instrument(level = "debug")]
pub fn market_status(at: DateTime<Utc>) -> Result<MarketStatus, CalendarError> {
    let local = at.with_timezone(&New_York);
    let today = local.date_naive();
    let time = local.time();

    let closed_today = match today.weekday() {
        Weekday::Sat | Weekday::Sun => Some(ClosedReason::Weekend),
        _ => holiday_on(today).map(ClosedReason::Holiday),
    };
    if let Some(reason) = closed_today {
        return Ok(MarketStatus::Closed {
            reason,
            next_open: session_open(next_trading_day(today)?),
        });
    }

    let early = early_close_on(today);
    let close = if early.is_some() {
        EARLY_CLOSE
    } else {
        REGULAR_CLOSE
    };
    if time < OPEN {
        return Ok(MarketStatus::Closed {
            reason: ClosedReason::BeforeOpen,
            next_open: session_open(today),
        });
    }
    if time >= close {
        return Ok(MarketStatus::Closed {
            reason: ClosedReason::AfterClose,
            next_open: session_open(next_trading_day(today)?),
        });
    }
    let closes_at = new_york_instant(today, close);
    Ok(match early {
        Some(reason) => MarketStatus::EarlyClose { reason, closes_at },
        None => MarketStatus::Open { closes_at },
    })
}

/// When the session of trading day `date` starts.
pub fn session_open(date: NaiveDate) -> DateTime<Utc> {
    new_york_instant(date, OPEN)
}

/// When the session of trading day `date` ends: 16:00, or 13:00 on an early-close day.
pub fn session_close(date: NaiveDate) -> DateTime<Utc> {
    let close = if early_close_on(date).is_some() {
        EARLY_CLOSE
    } else {
        REGULAR_CLOSE
    };
    new_york_instant(date, close)
}

/// The instant of a New York wall-clock time. Session times (09:30, 13:00, 16:00) never fall in
/// the daylight-saving gap or overlap (both are at 02:00), so the conversion is unambiguous; the
/// fallback only keeps the function total.
fn new_york_instant(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = date.and_time(time);
    match New_York.from_local_datetime(&local).earliest() {
        Some(instant) => instant.with_timezone(&Utc),
        None => local
            .checked_add_signed(Duration::hours(5))
            .unwrap_or(local)
            .and_utc(),
    }
}

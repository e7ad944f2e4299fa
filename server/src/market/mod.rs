//! Market data: provider clients and the trading calendar.

pub mod calendar;
pub mod providers;

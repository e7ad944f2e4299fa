//! Pieces shared by several pages.

pub mod chart;
pub mod fan_chart;
pub mod format;
pub mod header;
pub mod search;

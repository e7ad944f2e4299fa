//! Pieces shared by several pages.

pub mod alerts;
pub mod chart;
pub mod company;
#[cfg(feature = "browser")]
pub mod echarts;
pub mod equity_chart;
pub mod fan_chart;
pub mod format;
pub mod header;
pub mod job_progress;
#[cfg(feature = "browser")]
pub mod live;
pub mod news;
pub mod prediction_tables;
pub mod quote;
pub mod search;
pub mod track_record;

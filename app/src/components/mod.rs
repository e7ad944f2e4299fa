//! Pieces shared by several pages.

pub mod chart;
pub mod format;
pub mod header;
pub mod search;

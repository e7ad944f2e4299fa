//! Server functions, one module per domain. Each parses its input into domain types first.

pub mod auth;
pub mod market;
pub mod predictions;
pub mod preferences;
pub mod watchlist;

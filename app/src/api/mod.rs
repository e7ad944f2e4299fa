//! Server functions, one module per domain. Each parses its input into domain types first.

pub mod alerts;
pub mod auth;
pub mod import;
pub mod lookup;
pub mod market;
pub mod news;
pub mod predictions;
pub mod preferences;
pub mod watchlist;
pub mod webhooks;

pub use import::IMPORT_FN_PATH;

//! Market data: provider clients, the trading calendar and the service the pages and the API use.

pub mod breaker;
pub mod cached;
pub mod calendar;
pub mod downsample;
pub mod guarded;
pub mod indicators;
pub mod ingest;
pub mod limiter;
pub mod news_desk;
pub mod providers;
pub mod service;
pub mod store;

pub use service::MarketService;

//! Tickercast's server. The layers, top to bottom (see `ARCHITECTURE.md`):
//!
//! - `startup` (the HTTP application) and `compose` (the composition root) build everything;
//! - `routes`: the JSON API and operator routes (the Leptos pages and server functions live in
//!   the `app` crate and reach the services below through its ports);
//! - services: `market` (providers, ingestion, the market-data service), `predictions`,
//!   `accounts`, `jobs` (the queue's client), `worker` (job runners and schedules), `registry`;
//! - infrastructure: each service's `store` (its tables' SQL), `cache` (Redis), `embedded`
//!   (private Postgres and Redis), `config`, `telemetry`.

pub mod accounts;
pub mod admin;
pub mod alerts;
pub mod cache;
pub mod compose;
pub mod config;
pub mod embedded;
pub mod events;
pub mod exports;
pub mod imports;
pub mod jobs;
pub mod lookup;
pub mod market;
pub mod predictions;
pub mod ratelimit;
pub mod registry;
pub mod routes;
pub mod seed;
pub mod startup;
pub mod telemetry;
pub mod webhooks;
pub mod worker;

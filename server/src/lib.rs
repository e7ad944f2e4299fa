//! Tickercast's server: configuration, telemetry, the embedded default services, start-up and the
//! routes that live outside Leptos (`/api/status`, `/metrics`).

pub mod config;
pub mod embedded;
pub mod jobs;
pub mod market;
pub mod predictions;
pub mod registry;
pub mod routes;
pub mod seed;
pub mod startup;
pub mod telemetry;

//! Integration tests: the real server on port 0 against a real Postgres (a fresh database per test)
//! and a real Redis (a unique key prefix per test). One binary, so the services start once.

mod access_credentials;
mod access_limits;
mod alerts;
mod auth;
mod browser_safety;
mod cli;
mod encoded;
mod export;
mod import;
mod ingest;
mod jobs;
mod kit;
mod lookup;
mod market;
mod market_cache;
mod market_v1;
mod news;
mod one_process;
mod operations;
mod predictions;
mod registry;
mod stream;
mod webhooks;

//! One module per page.

pub mod account;
pub mod admin_import;
pub mod alerts;
pub mod auth;
pub mod error;
pub mod home;
pub mod models;
pub mod news;
pub mod not_found;
pub mod predict;
pub mod search;
pub mod split;
pub mod stock;
pub mod track;

//! One module per page.

pub mod account;
pub mod auth;
pub mod error;
pub mod home;
pub mod models;
pub mod not_found;
pub mod predict;
pub mod stock;
pub mod track;

//! The market-data tables, one store per aggregate: tickers, daily bars (raw and adjusted),
//! corporate actions, intraday bars, news, company profiles and the fetch log. Each module owns
//! its table's SQL.
//!
//! Reads and single-statement writes take any [`PgExecutor`](sqlx::PgExecutor), so the same
//! function runs on the pool or inside a caller's transaction (`&mut *tx`). Errors are
//! [`sqlx::Error`] as they come: the ingester and the service wrap them in their own error types.

pub mod actions;
pub mod bars;
pub mod fetch_log;
pub mod intraday;
pub mod news;
pub mod profiles;
pub mod tickers;

pub use actions::{corporate_actions, upsert_corporate_actions, ActionKind, CorporateAction};
pub use bars::{daily_bars, last_bar, last_bar_date, upsert_daily_bars, Adjustment, Bar, LastBar};
pub use fetch_log::{fetch_log, insert_fetch_log, FetchKind, FetchLogEntry, FetchLogRow};
pub use intraday::{intraday_bars, upsert_intraday_bars};
pub use news::{latest_news, upsert_news, StoredArticle};
pub use profiles::{company_profile, upsert_company_profile, StoredProfile};
pub use tickers::{insert_ticker_if_missing, ticker, tickers, upsert_ticker, NewTicker, Ticker};

/// What the store returns on failure.
pub type StoreResult<T> = Result<T, sqlx::Error>;

/// Counts returned by an upsert.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Upserted {
    /// Rows that were not there before.
    pub inserted: u64,
    /// Rows that were there with different values and were overwritten.
    pub updated: u64,
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn count(fresh: &[bool]) -> Upserted {
    let inserted = fresh.iter().filter(|f| **f).count() as u64;
    Upserted {
        inserted,
        updated: fresh.len() as u64 - inserted,
    }
}

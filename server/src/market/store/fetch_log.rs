//! The `fetch_log` table: every provider call, successful or not, with its latency.

use app::domain::Symbol;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgExecutor;

use super::{to_i64, StoreResult};
use crate::market::providers::ProviderKind;

/// What a provider call was for, as written in `fetch_log.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchKind {
    /// Daily bars.
    Daily,
    /// Intraday bars.
    Intraday,
    /// A company profile.
    Profile,
    /// News.
    News,
}

impl FetchKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FetchKind::Daily => "daily",
            FetchKind::Intraday => "intraday",
            FetchKind::Profile => "profile",
            FetchKind::News => "news",
        }
    }
}

/// One provider call, successful or not.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchLogEntry {
    /// The provider that answered or failed; `None` when no provider was configured.
    pub provider: Option<ProviderKind>,
    /// The symbol asked about; `None` for market news.
    pub symbol: Option<String>,
    /// What was asked for.
    pub kind: FetchKind,
    /// First day asked for.
    pub range_from: Option<NaiveDate>,
    /// Last day asked for.
    pub range_to: Option<NaiveDate>,
    /// `Ok(rows received)` or `Err(message)`.
    pub outcome: Result<u64, String>,
    /// Wall time of the call in milliseconds.
    pub latency_ms: u64,
}

/// A stored fetch-log row.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchLogRow {
    /// Row id.
    pub id: i64,
    /// Provider name.
    pub provider: Option<String>,
    /// Symbol.
    pub symbol: Option<String>,
    /// `daily`, `intraday`, `profile` or `news`.
    pub kind: String,
    /// First day asked for.
    pub range_from: Option<NaiveDate>,
    /// Last day asked for.
    pub range_to: Option<NaiveDate>,
    /// `ok` or `error`.
    pub status: String,
    /// The error, for `error` rows.
    pub error: Option<String>,
    /// Wall time in milliseconds.
    pub latency_ms: i64,
    /// Rows received.
    pub rows: i64,
    /// When the call finished.
    pub created_at: DateTime<Utc>,
}

/// Writes one fetch-log row; returns its id.
pub async fn insert_fetch_log(ex: impl PgExecutor<'_>, e: &FetchLogEntry) -> StoreResult<i64> {
    let (status, error, rows) = match &e.outcome {
        Ok(rows) => ("ok", None, to_i64(*rows)),
        Err(message) => ("error", Some(message.as_str()), 0),
    };
    sqlx::query_scalar!(
        "insert into fetch_log
             (provider, symbol, kind, range_from, range_to, status, error, latency_ms, rows)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
        e.provider.map(ProviderKind::as_str),
        e.symbol,
        e.kind.as_str(),
        e.range_from as _,
        e.range_to as _,
        status,
        error,
        to_i64(e.latency_ms),
        rows,
    )
    .fetch_one(ex)
    .await
}

/// The `limit` newest fetch-log rows about `symbol` (`None`: every symbol), newest first.
pub async fn fetch_log(
    ex: impl PgExecutor<'_>,
    symbol: Option<&Symbol>,
    limit: i64,
) -> StoreResult<Vec<FetchLogRow>> {
    sqlx::query_as!(
        FetchLogRow,
        r#"select id, provider, symbol, kind, range_from as "range_from: NaiveDate",
                  range_to as "range_to: NaiveDate", status, error, latency_ms, rows,
                  created_at as "created_at: DateTime<Utc>"
           from fetch_log where $1::text is null or symbol = $1
           order by id desc limit $2"#,
        symbol.map(Symbol::as_str),
        limit.max(0),
    )
    .fetch_all(ex)
    .await
}

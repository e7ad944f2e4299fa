//! SQL for the server functions. Row types stay here; pages get wire types from `crate::model`.

use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::Symbol;
use crate::model::{StockOverview, TickerSummary};

#[derive(sqlx::FromRow)]
struct SummaryRow {
    symbol: String,
    name: String,
    last_date: NaiveDate,
    last_close: f64,
    prev_close: Option<f64>,
}

impl SummaryRow {
    fn into_summary(self) -> TickerSummary {
        let change = self.prev_close.map(|p| self.last_close - p);
        TickerSummary {
            symbol: self.symbol,
            name: self.name,
            last_date: self.last_date.to_string(),
            last_close: self.last_close,
            change,
            change_pct: self.prev_close.zip(change).map(|(p, c)| 100.0 * c / p),
        }
    }
}

/// The last two bars of each ticker in one pass (the primary key serves the lateral lookups).
const SUMMARY_SELECT: &str = "
    select t.symbol, t.name, last.date as last_date, last.close as last_close, prev.close as prev_close
    from tickers t
    cross join lateral (
        select date, close from daily_bars b where b.symbol = t.symbol order by date desc limit 1
    ) last
    left join lateral (
        select close from daily_bars b
        where b.symbol = t.symbol and b.date < last.date order by date desc limit 1
    ) prev on true";

/// Every ticker that has data, by symbol.
#[tracing::instrument(skip_all, err)]
pub async fn ticker_summaries(pool: &PgPool) -> Result<Vec<TickerSummary>, sqlx::Error> {
    let rows: Vec<SummaryRow> = sqlx::query_as(&format!("{SUMMARY_SELECT} order by t.symbol"))
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(SummaryRow::into_summary).collect())
}

/// The watchlist of `user`, in the order the tickers were added.
#[tracing::instrument(skip_all, err)]
pub async fn watchlist(pool: &PgPool, user: Uuid) -> Result<Vec<TickerSummary>, sqlx::Error> {
    let rows: Vec<SummaryRow> = sqlx::query_as(&format!(
        "{SUMMARY_SELECT} join watchlist w on w.symbol = t.symbol and w.user_id = $1 order by w.added_at, t.symbol"
    ))
    .bind(user)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(SummaryRow::into_summary).collect())
}

#[derive(sqlx::FromRow)]
struct OverviewRow {
    exchange: Option<String>,
    currency: String,
    source: String,
    first_date: Option<NaiveDate>,
    bars: i64,
}

/// The stock page's header facts; `None` for a ticker we do not know or that has no bars.
#[tracing::instrument(skip_all, fields(symbol = %symbol), err)]
pub async fn overview(
    pool: &PgPool,
    symbol: &Symbol,
) -> Result<Option<StockOverview>, sqlx::Error> {
    let summary: Option<SummaryRow> =
        sqlx::query_as(&format!("{SUMMARY_SELECT} where t.symbol = $1"))
            .bind(symbol.as_str())
            .fetch_optional(pool)
            .await?;
    let Some(summary) = summary else {
        return Ok(None);
    };
    let row: OverviewRow = sqlx::query_as(
        "select t.exchange, t.currency, t.source,
                (select min(date) from daily_bars b where b.symbol = t.symbol) as first_date,
                (select count(*) from daily_bars b where b.symbol = t.symbol) as bars
         from tickers t where t.symbol = $1",
    )
    .bind(symbol.as_str())
    .fetch_one(pool)
    .await?;
    Ok(Some(StockOverview {
        summary: summary.into_summary(),
        exchange: row.exchange,
        currency: row.currency,
        first_date: row.first_date.map(|d| d.to_string()).unwrap_or_default(),
        bars: row.bars,
        source: row.source,
    }))
}

/// Whether the ticker exists.
pub async fn ticker_exists(pool: &PgPool, symbol: &Symbol) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists(select 1 from tickers where symbol = $1)")
        .bind(symbol.as_str())
        .fetch_one(pool)
        .await
}

/// Full OHLCV history, oldest first.
#[tracing::instrument(skip_all, fields(symbol = %symbol), err)]
pub async fn bars(
    pool: &PgPool,
    symbol: &Symbol,
) -> Result<Vec<forecast::series::Bar>, sqlx::Error> {
    let rows: Vec<(NaiveDate, f64, f64, f64, f64, i64)> = sqlx::query_as(
        "select date, open, high, low, close, volume from daily_bars where symbol = $1 order by date",
    )
    .bind(symbol.as_str())
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(date, open, high, low, close, volume)| forecast::series::Bar {
                date,
                open,
                high,
                low,
                close,
                volume: volume as f64,
            },
        )
        .collect())
}

/// A stored account.
#[derive(sqlx::FromRow)]
pub struct UserRow {
    /// Account id.
    pub id: Uuid,
    /// Username as registered.
    pub username: String,
    /// PHC-format argon2id hash.
    pub password_hash: String,
}

/// Creates an account; `Ok(None)` when the username is taken (case-insensitively).
#[tracing::instrument(skip_all, fields(username = username), err)]
pub async fn create_user(
    pool: &PgPool,
    username: &str,
    password_hash: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    let id = Uuid::new_v4();
    let res = sqlx::query("insert into users (id, username, password_hash) values ($1, $2, $3)")
        .bind(id)
        .bind(username)
        .bind(password_hash)
        .execute(pool)
        .await;
    match res {
        Ok(_) => Ok(Some(id)),
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("users_username_key") => Ok(None),
        Err(e) => Err(e),
    }
}

/// Finds an account by username, case-insensitively.
pub async fn find_user(pool: &PgPool, username: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, username, password_hash from users where lower(username) = lower($1)",
    )
    .bind(username)
    .fetch_optional(pool)
    .await
}

/// Adds a ticker to a watchlist (adding twice is a no-op).
pub async fn watch(pool: &PgPool, user: Uuid, symbol: &Symbol) -> Result<(), sqlx::Error> {
    sqlx::query("insert into watchlist (user_id, symbol) values ($1, $2) on conflict do nothing")
        .bind(user)
        .bind(symbol.as_str())
        .execute(pool)
        .await?;
    Ok(())
}

/// Removes a ticker from a watchlist.
pub async fn unwatch(pool: &PgPool, user: Uuid, symbol: &Symbol) -> Result<(), sqlx::Error> {
    sqlx::query("delete from watchlist where user_id = $1 and symbol = $2")
        .bind(user)
        .bind(symbol.as_str())
        .execute(pool)
        .await?;
    Ok(())
}

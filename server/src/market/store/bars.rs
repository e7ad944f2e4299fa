//! The `daily_bars` table: raw bars as providers reported them, and the split- and
//! dividend-adjusted series derived from them on every read (`daily_bars_adjusted`).

use app::domain::Symbol;
use chrono::NaiveDate;
use sqlx::PgExecutor;

use super::{count, to_i64, StoreResult, Upserted};
use crate::market::providers::DailyBar;

/// Raw prices as stored, or prices adjusted for every recorded split and dividend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjustment {
    /// The prices as the provider reported them on the day they were fetched.
    Raw,
    /// Split- and dividend-adjusted (CRSP method), derived from `corporate_actions` on every read
    /// (the SQL function `daily_bars_adjusted`).
    Adjusted,
}

/// One stored trading day.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Trading day.
    pub date: NaiveDate,
    /// First trade.
    pub open: f64,
    /// Highest trade.
    pub high: f64,
    /// Lowest trade.
    pub low: f64,
    /// Last trade.
    pub close: f64,
    /// Shares traded.
    pub volume: i64,
}

/// Daily bars of `symbol` from `from` to `to` (both inclusive, open-ended when `None`), oldest first.
pub async fn daily_bars(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    adjustment: Adjustment,
) -> StoreResult<Vec<Bar>> {
    match adjustment {
        Adjustment::Raw => {
            sqlx::query_as!(
                Bar,
                r#"select date as "date: NaiveDate", open, high, low, close, volume
                   from daily_bars
                   where symbol = $1 and ($2::date is null or date >= $2)
                     and ($3::date is null or date <= $3)
                   order by date"#,
                symbol.as_str(),
                from as _,
                to as _,
            )
            .fetch_all(ex)
            .await
        }
        Adjustment::Adjusted => {
            sqlx::query_as!(
                Bar,
                r#"select date as "date!: NaiveDate", open as "open!", high as "high!",
                          low as "low!", close as "close!", volume as "volume!"
                   from daily_bars_adjusted($1, $2, $3)"#,
                symbol.as_str(),
                from as _,
                to as _,
            )
            .fetch_all(ex)
            .await
        }
    }
}

/// The newest stored bar of a symbol: its date and close (the as-of of forecasts).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LastBar {
    /// Trading day.
    pub date: NaiveDate,
    /// Close (raw, which equals the adjusted close on the newest day).
    pub close: f64,
}

/// The newest bar of `symbol`: `None` when the ticker is unknown, `Some(None)` when it is known
/// but has no bars. The one place that reads "the last bar".
pub async fn last_bar(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
) -> StoreResult<Option<Option<LastBar>>> {
    let row = sqlx::query!(
        r#"select b.date as "date?: NaiveDate", b.close as "close?" from tickers t
           left join lateral (
               select date, close from daily_bars where symbol = t.symbol
               order by date desc limit 1
           ) b on true
           where t.symbol = $1"#,
        symbol.as_str(),
    )
    .fetch_optional(ex)
    .await?;
    Ok(row.map(|r| {
        r.date
            .zip(r.close)
            .map(|(date, close)| LastBar { date, close })
    }))
}

/// The day of the newest stored bar of `symbol`, `None` when there is none (or no such ticker).
pub async fn last_bar_date(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
) -> StoreResult<Option<NaiveDate>> {
    Ok(last_bar(ex, symbol).await?.flatten().map(|b| b.date))
}

/// Up to `limit` days of `symbol` from `from` to `to` (both optional), raw beside adjusted, oldest
/// first: one page of a price download.
pub async fn price_page(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    limit: i64,
) -> StoreResult<Vec<app::model::PriceRow>> {
    sqlx::query_as!(
        app::model::PriceRow,
        r#"select r.date as "date!: NaiveDate", r.open as "open!", r.high as "high!",
                  r.low as "low!", r.close as "close!", r.volume as "volume!",
                  a.open as "adj_open!", a.high as "adj_high!", a.low as "adj_low!",
                  a.close as "adj_close!"
           from daily_bars r
           join daily_bars_adjusted($1, $2, $3) a on a.date = r.date
           where r.symbol = $1
           order by r.date
           limit $4"#,
        symbol.as_str(),
        from as _,
        to as _,
        limit,
    )
    .fetch_all(ex)
    .await
}

/// How many daily bars of `symbol` are stored.
pub async fn bar_count(ex: impl PgExecutor<'_>, symbol: &Symbol) -> StoreResult<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from daily_bars where symbol = $1"#,
        symbol.as_str()
    )
    .fetch_one(ex)
    .await
}

/// Inserts `bars` of `symbol`, overwriting a stored day only when the provider now reports
/// different values. One statement, so the batch is stored whole or not at all.
pub async fn upsert_daily_bars(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
    bars: &[DailyBar],
    source: &str,
) -> StoreResult<Upserted> {
    let dates: Vec<NaiveDate> = bars.iter().map(|b| b.date).collect();
    let open: Vec<f64> = bars.iter().map(|b| b.open).collect();
    let high: Vec<f64> = bars.iter().map(|b| b.high).collect();
    let low: Vec<f64> = bars.iter().map(|b| b.low).collect();
    let close: Vec<f64> = bars.iter().map(|b| b.close).collect();
    let volume: Vec<i64> = bars.iter().map(|b| to_i64(b.volume)).collect();
    // `xmax = 0` tells a fresh insert from an update; unchanged rows are not touched at all.
    let fresh = sqlx::query_scalar!(
        r#"insert into daily_bars (symbol, date, open, high, low, close, volume, source)
           select $1, d, o, h, l, c, v, $8
           from unnest($2::date[], $3::float8[], $4::float8[], $5::float8[], $6::float8[],
                       $7::int8[]) as t (d, o, h, l, c, v)
           on conflict (symbol, date) do update set
               open = excluded.open, high = excluded.high, low = excluded.low,
               close = excluded.close, volume = excluded.volume,
               source = excluded.source, fetched_at = now()
           where (daily_bars.open, daily_bars.high, daily_bars.low, daily_bars.close,
                  daily_bars.volume)
                 is distinct from (excluded.open, excluded.high, excluded.low, excluded.close,
                                   excluded.volume)
           returning (xmax = 0) as "fresh!""#,
        symbol.as_str(),
        &dates as _,
        &open,
        &high,
        &low,
        &close,
        &volume,
        source,
    )
    .fetch_all(ex)
    .await?;
    Ok(count(&fresh))
}

impl Bar {
    /// The bar as the model library reads it.
    pub fn to_model(&self) -> forecast::series::Bar {
        forecast::series::Bar {
            date: self.date,
            open: self.open,
            high: self.high,
            low: self.low,
            close: self.close,
            volume: self.volume as f64,
        }
    }
}

/// The whole split- and dividend-adjusted history of `symbol`, oldest first, as the models read it:
/// a split recorded in the raw bars is not a crash to them.
pub async fn model_history(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
) -> StoreResult<Vec<forecast::series::Bar>> {
    let bars = daily_bars(ex, symbol, None, None, Adjustment::Adjusted).await?;
    Ok(bars.iter().map(Bar::to_model).collect())
}

/// Inserts the bars of `history` that are not stored yet (stored days are left alone); returns
/// how many were new. One statement for the whole series.
pub async fn insert_missing(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
    history: &forecast::Ohlcv,
) -> StoreResult<u64> {
    let volume: Vec<i64> = history.volume().iter().map(|v| v.round() as i64).collect();
    let done = sqlx::query!(
        "insert into daily_bars (symbol, date, open, high, low, close, volume)
         select $1, * from unnest($2::date[], $3::float8[], $4::float8[], $5::float8[],
                                  $6::float8[], $7::int8[])
         on conflict (symbol, date) do nothing",
        symbol.as_str(),
        history.dates() as _,
        history.open(),
        history.high(),
        history.low(),
        history.close(),
        &volume,
    )
    .execute(ex)
    .await?;
    Ok(done.rows_affected())
}

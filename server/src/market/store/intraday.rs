//! The `intraday_bars` table.

use app::domain::Symbol;
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use super::{count, to_i64, StoreResult, Upserted};
use crate::market::providers::{Interval, IntradayBar};

/// Inserts or corrects intraday bars of `symbol` at `interval`.
pub async fn upsert_intraday_bars(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
    interval: Interval,
    bars: &[IntradayBar],
    source: &str,
) -> StoreResult<Upserted> {
    let ts: Vec<DateTime<Utc>> = bars.iter().map(|b| b.start).collect();
    let open: Vec<f64> = bars.iter().map(|b| b.open).collect();
    let high: Vec<f64> = bars.iter().map(|b| b.high).collect();
    let low: Vec<f64> = bars.iter().map(|b| b.low).collect();
    let close: Vec<f64> = bars.iter().map(|b| b.close).collect();
    let volume: Vec<i64> = bars.iter().map(|b| to_i64(b.volume)).collect();
    let fresh = sqlx::query_scalar!(
        r#"insert into intraday_bars
               (symbol, "interval", ts, open, high, low, close, volume, source)
           select $1, $2, t, o, h, l, c, v, $9
           from unnest($3::timestamptz[], $4::float8[], $5::float8[], $6::float8[],
                       $7::float8[], $8::int8[]) as u (t, o, h, l, c, v)
           on conflict (symbol, "interval", ts) do update set
               open = excluded.open, high = excluded.high, low = excluded.low,
               close = excluded.close, volume = excluded.volume,
               source = excluded.source, fetched_at = now()
           where (intraday_bars.open, intraday_bars.high, intraday_bars.low, intraday_bars.close,
                  intraday_bars.volume)
                 is distinct from (excluded.open, excluded.high, excluded.low, excluded.close,
                                   excluded.volume)
           returning (xmax = 0) as "fresh!""#,
        symbol.as_str(),
        interval.as_str(),
        &ts as _,
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

/// Intraday bars of `symbol` at `interval` starting in `from <= start < to`, oldest first.
pub async fn intraday_bars(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
    interval: Interval,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<IntradayBar>> {
    let rows = sqlx::query!(
        r#"select ts as "ts: DateTime<Utc>", open, high, low, close, volume from intraday_bars
           where symbol = $1 and "interval" = $2 and ts >= $3 and ts < $4 order by ts"#,
        symbol.as_str(),
        interval.as_str(),
        from as _,
        to as _,
    )
    .fetch_all(ex)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| IntradayBar {
            start: r.ts,
            open: r.open,
            high: r.high,
            low: r.low,
            close: r.close,
            volume: r.volume.max(0) as u64,
        })
        .collect())
}

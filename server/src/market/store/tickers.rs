//! The `tickers` table: symbols with their metadata, and the summaries (last close, one-day change)
//! the landing page and watchlists show.

use app::domain::Symbol;
use app::model::TickerSummary;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgExecutor;

use super::StoreResult;

/// A ticker and its metadata.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Ticker {
    /// Symbol in the app (`MSFT`, `^GSPC`).
    pub symbol: String,
    /// Instrument name.
    pub name: String,
    /// Listing exchange or index family.
    pub exchange: Option<String>,
    /// Trading currency.
    pub currency: String,
    /// `stock`, `index` or `etf`.
    pub kind: String,
    /// Where the instrument's data comes from (shown on the stock page).
    pub source: String,
    /// Sector, when known.
    pub sector: Option<String>,
    /// Industry, when known.
    pub industry: Option<String>,
    /// Whether the instrument still trades and is refreshed.
    pub active: bool,
    /// First stored.
    pub created_at: DateTime<Utc>,
    /// Metadata last changed.
    pub updated_at: DateTime<Utc>,
}

/// A ticker to insert, or whose metadata to update.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTicker {
    /// The symbol.
    pub symbol: Symbol,
    /// Instrument name.
    pub name: String,
    /// Listing exchange, when known.
    pub exchange: Option<String>,
    /// Trading currency, when known (`USD` otherwise).
    pub currency: Option<String>,
    /// `stock`, `index` or `etf`.
    pub kind: &'static str,
    /// Sector, when known.
    pub sector: Option<String>,
    /// Industry, when known.
    pub industry: Option<String>,
    /// Provenance.
    pub source: String,
}

const TICKER_COLUMNS: &str = "symbol, name, exchange, currency, kind, source, sector, industry, \
                              active, created_at, updated_at";

/// The ticker `symbol` with its metadata, or `None` when it is not stored.
pub async fn ticker(ex: impl PgExecutor<'_>, symbol: &Symbol) -> StoreResult<Option<Ticker>> {
    sqlx::query_as(&format!(
        "select {TICKER_COLUMNS} from tickers where symbol = $1"
    ))
    .bind(symbol.as_str())
    .fetch_optional(ex)
    .await
}

/// Every stored ticker, active ones only when `active_only`, by symbol.
pub async fn tickers(ex: impl PgExecutor<'_>, active_only: bool) -> StoreResult<Vec<Ticker>> {
    sqlx::query_as(&format!(
        "select {TICKER_COLUMNS} from tickers where active or not $1 order by symbol"
    ))
    .bind(active_only)
    .fetch_all(ex)
    .await
}

/// Inserts `t` when its symbol is new; returns whether it was.
pub async fn insert_ticker_if_missing(ex: impl PgExecutor<'_>, t: &NewTicker) -> StoreResult<bool> {
    let done = sqlx::query(
        "insert into tickers (symbol, name, exchange, currency, kind, sector, industry, source)
         values ($1, $2, $3, coalesce($4, 'USD'), $5, $6, $7, $8)
         on conflict (symbol) do nothing",
    )
    .bind(t.symbol.as_str())
    .bind(&t.name)
    .bind(&t.exchange)
    .bind(&t.currency)
    .bind(t.kind)
    .bind(&t.sector)
    .bind(&t.industry)
    .bind(&t.source)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Inserts `t`, or fills in the metadata of a stored ticker: a field `t` does not know keeps its
/// stored value, the provenance (`source`) is left as it is, and a stored name is replaced only
/// when it is the symbol itself (how a ticker first seen through its bars is named): the
/// bundled names describe their series and stay.
pub async fn upsert_ticker(ex: impl PgExecutor<'_>, t: &NewTicker) -> StoreResult<()> {
    sqlx::query(
        "insert into tickers as t (symbol, name, exchange, currency, kind, sector, industry, source)
         values ($1, $2, $3, coalesce($4, 'USD'), $5, $6, $7, $8)
         on conflict (symbol) do update set
             name = case when t.name = t.symbol then excluded.name else t.name end,
             exchange = coalesce(excluded.exchange, t.exchange),
             currency = coalesce($4, t.currency),
             sector = coalesce(excluded.sector, t.sector),
             industry = coalesce(excluded.industry, t.industry),
             updated_at = now()",
    )
    .bind(t.symbol.as_str())
    .bind(&t.name)
    .bind(&t.exchange)
    .bind(&t.currency)
    .bind(t.kind)
    .bind(&t.sector)
    .bind(&t.industry)
    .bind(&t.source)
    .execute(ex)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    symbol: String,
    name: String,
    last_date: NaiveDate,
    last_close: f64,
    prev_close: Option<f64>,
}

impl SummaryRow {
    fn into_summary(self) -> Result<TickerSummary, sqlx::Error> {
        let change = self.prev_close.map(|p| self.last_close - p);
        Ok(TickerSummary {
            symbol: Symbol::parse(&self.symbol).map_err(|e| sqlx::Error::Decode(e.into()))?,
            name: self.name,
            last_date: self.last_date,
            last_close: self.last_close,
            change,
            change_pct: self.prev_close.zip(change).map(|(p, c)| 100.0 * c / p),
        })
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

/// Every ticker that has data, by symbol, with its last close and one-day change.
pub async fn summaries(ex: impl PgExecutor<'_>) -> StoreResult<Vec<TickerSummary>> {
    let rows: Vec<SummaryRow> = sqlx::query_as(&format!("{SUMMARY_SELECT} order by t.symbol"))
        .fetch_all(ex)
        .await?;
    rows.into_iter().map(SummaryRow::into_summary).collect()
}

/// The summaries of `symbols` that have data, in the order given.
pub async fn summaries_of(
    ex: impl PgExecutor<'_>,
    symbols: &[Symbol],
) -> StoreResult<Vec<TickerSummary>> {
    let wanted: Vec<&str> = symbols.iter().map(Symbol::as_str).collect();
    let rows: Vec<SummaryRow> =
        sqlx::query_as(&format!("{SUMMARY_SELECT} where t.symbol = any($1)"))
            .bind(&wanted)
            .fetch_all(ex)
            .await?;
    let mut found: Vec<TickerSummary> = rows
        .into_iter()
        .map(SummaryRow::into_summary)
        .collect::<Result<_, _>>()?;
    found.sort_by_key(|t| symbols.iter().position(|s| *s == t.symbol));
    Ok(found)
}

/// The stock page's facts: the summary, and the stored history's first date and length.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// Last close and change.
    pub summary: TickerSummary,
    /// Listing exchange.
    pub exchange: Option<String>,
    /// Trading currency.
    pub currency: String,
    /// Where the data comes from.
    pub source: String,
    /// First stored bar.
    pub first_date: NaiveDate,
    /// Stored bars.
    pub bars: i64,
}

/// The facts of `symbol`; `None` for a ticker we do not know or that has no bars.
pub async fn facts(ex: &sqlx::PgPool, symbol: &Symbol) -> StoreResult<Option<Facts>> {
    let summary: Option<SummaryRow> =
        sqlx::query_as(&format!("{SUMMARY_SELECT} where t.symbol = $1"))
            .bind(symbol.as_str())
            .fetch_optional(ex)
            .await?;
    let Some(summary) = summary else {
        return Ok(None);
    };
    let (exchange, currency, source, first_date, bars): (
        Option<String>,
        String,
        String,
        Option<NaiveDate>,
        i64,
    ) = sqlx::query_as(
        "select t.exchange, t.currency, t.source,
                (select min(date) from daily_bars b where b.symbol = t.symbol),
                (select count(*) from daily_bars b where b.symbol = t.symbol)
         from tickers t where t.symbol = $1",
    )
    .bind(symbol.as_str())
    .fetch_one(ex)
    .await?;
    let summary = summary.into_summary()?;
    Ok(Some(Facts {
        first_date: first_date.unwrap_or(summary.last_date),
        summary,
        exchange,
        currency,
        source,
        bars,
    }))
}

//! The `tickers` table: symbols with their metadata, and the summaries (last close, one-day change)
//! the landing page and watchlists show.

use app::domain::Symbol;
use app::model::TickerSummary;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgExecutor;

use super::StoreResult;

/// A ticker and its metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticker {
    /// Symbol in the app (`MSFT`, `^GSPC`).
    pub symbol: Symbol,
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

/// The stored kind of a ticker (`index`, `etf` or `stock`): from its symbol (`^` marks an index)
/// and, when a provider gave one, its instrument label ("ETF", "Mutual fund", "Common stock").
pub fn ticker_kind(symbol: &Symbol, label: Option<&str>) -> &'static str {
    let label = label.unwrap_or_default().to_ascii_lowercase();
    if symbol.as_str().starts_with('^') || label == "index" {
        "index"
    } else if label.starts_with("et") || label.contains("fund") {
        "etf"
    } else {
        "stock"
    }
}

/// The ticker `symbol` with its metadata, or `None` when it is not stored.
pub async fn ticker(ex: impl PgExecutor<'_>, symbol: &Symbol) -> StoreResult<Option<Ticker>> {
    sqlx::query_as!(
        Ticker,
        r#"select symbol as "symbol: Symbol", name, exchange, currency, kind, source, sector,
                  industry, active, created_at as "created_at: DateTime<Utc>",
                  updated_at as "updated_at: DateTime<Utc>"
           from tickers where symbol = $1"#,
        symbol.as_str(),
    )
    .fetch_optional(ex)
    .await
}

/// Every stored ticker, active ones only when `active_only`, by symbol.
pub async fn tickers(ex: impl PgExecutor<'_>, active_only: bool) -> StoreResult<Vec<Ticker>> {
    sqlx::query_as!(
        Ticker,
        r#"select symbol as "symbol: Symbol", name, exchange, currency, kind, source, sector,
                  industry, active, created_at as "created_at: DateTime<Utc>",
                  updated_at as "updated_at: DateTime<Utc>"
           from tickers where active or not $1 order by symbol"#,
        active_only,
    )
    .fetch_all(ex)
    .await
}

/// Inserts `t` when its symbol is new; returns whether it was.
pub async fn insert_ticker_if_missing(ex: impl PgExecutor<'_>, t: &NewTicker) -> StoreResult<bool> {
    let done = sqlx::query!(
        "insert into tickers (symbol, name, exchange, currency, kind, sector, industry, source)
         values ($1, $2, $3, coalesce($4, 'USD'), $5, $6, $7, $8)
         on conflict (symbol) do nothing",
        t.symbol.as_str(),
        t.name,
        t.exchange,
        t.currency,
        t.kind,
        t.sector,
        t.industry,
        t.source,
    )
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Inserts `t`, or fills in the metadata of a stored ticker: a field `t` does not know keeps its
/// stored value, the provenance (`source`) is left as it is, and a stored name is replaced only
/// when it is the symbol itself (how a ticker first seen through its bars is named): the
/// bundled names describe their series and stay.
pub async fn upsert_ticker(ex: impl PgExecutor<'_>, t: &NewTicker) -> StoreResult<()> {
    sqlx::query!(
        "insert into tickers as t (symbol, name, exchange, currency, kind, sector, industry, source)
         values ($1, $2, $3, coalesce($4, 'USD'), $5, $6, $7, $8)
         on conflict (symbol) do update set
             name = case when t.name = t.symbol then excluded.name else t.name end,
             exchange = coalesce(excluded.exchange, t.exchange),
             currency = coalesce($4, t.currency),
             sector = coalesce(excluded.sector, t.sector),
             industry = coalesce(excluded.industry, t.industry),
             updated_at = now()",
        t.symbol.as_str(),
        t.name,
        t.exchange,
        t.currency,
        t.kind,
        t.sector,
        t.industry,
        t.source,
    )
    .execute(ex)
    .await?;
    Ok(())
}

/// Inserts a bundled series' ticker, or brings its metadata (exchange, kind, sector, industry) up
/// to date; the name and provenance of a stored ticker stay.
pub async fn upsert_bundled(ex: impl PgExecutor<'_>, t: &NewTicker) -> StoreResult<()> {
    sqlx::query!(
        "insert into tickers (symbol, name, exchange, kind, sector, industry, source)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (symbol) do update set
             exchange = excluded.exchange, kind = excluded.kind,
             sector = excluded.sector, industry = excluded.industry, updated_at = now()
         where (tickers.exchange, tickers.kind, tickers.sector, tickers.industry)
               is distinct from (excluded.exchange, excluded.kind, excluded.sector,
                                 excluded.industry)",
        t.symbol.as_str(),
        t.name,
        t.exchange,
        t.kind,
        t.sector,
        t.industry,
        t.source,
    )
    .execute(ex)
    .await?;
    Ok(())
}

struct SummaryRow {
    symbol: Symbol,
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
            last_date: self.last_date,
            last_close: self.last_close,
            change,
            change_pct: self.prev_close.zip(change).map(|(p, c)| 100.0 * c / p),
        }
    }
}

/// Every ticker that has data (`symbols`: only these), by symbol, with its last close and
/// one-day change. The last two bars of each ticker in one pass; the primary key serves the
/// lateral lookups.
async fn select_summaries(
    ex: impl PgExecutor<'_>,
    symbols: Option<&[Symbol]>,
) -> StoreResult<Vec<TickerSummary>> {
    let wanted: Option<Vec<&str>> = symbols.map(|s| s.iter().map(Symbol::as_str).collect());
    let rows = sqlx::query_as!(
        SummaryRow,
        r#"select t.symbol as "symbol: Symbol", t.name,
                  last.date as "last_date!: NaiveDate", last.close as "last_close!",
                  prev.close as "prev_close?"
           from tickers t
           cross join lateral (
               select date, close from daily_bars b
               where b.symbol = t.symbol order by date desc limit 1
           ) last
           left join lateral (
               select close from daily_bars b
               where b.symbol = t.symbol and b.date < last.date order by date desc limit 1
           ) prev on true
           where $1::text[] is null or t.symbol = any($1)
           order by t.symbol"#,
        wanted.as_deref() as Option<&[&str]>,
    )
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().map(SummaryRow::into_summary).collect())
}

/// Every ticker that has data, by symbol, with its last close and one-day change.
pub async fn summaries(ex: impl PgExecutor<'_>) -> StoreResult<Vec<TickerSummary>> {
    select_summaries(ex, None).await
}

/// The summaries of `symbols` that have data, in the order given.
pub async fn summaries_of(
    ex: impl PgExecutor<'_>,
    symbols: &[Symbol],
) -> StoreResult<Vec<TickerSummary>> {
    let mut found = select_summaries(ex, Some(symbols)).await?;
    found.sort_by_key(|t| symbols.iter().position(|s| *s == t.symbol));
    Ok(found)
}

/// A stored ticker that a search found.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The symbol.
    pub symbol: Symbol,
    /// Instrument name.
    pub name: String,
    /// Listing exchange, when known.
    pub exchange: Option<String>,
    /// `stock`, `index` or `etf`.
    pub kind: String,
}

/// Tickers with bars whose symbol starts with `text` or whose name contains it, ignoring case:
/// the exact symbol first, then symbol prefixes, then names; at most `limit`. `text` holds no
/// `LIKE` wildcards (`SearchText` refuses `%`, `_` and `\`).
pub async fn search(ex: impl PgExecutor<'_>, text: &str, limit: i64) -> StoreResult<Vec<Found>> {
    sqlx::query_as!(
        Found,
        r#"select t.symbol as "symbol: Symbol", t.name, t.exchange, t.kind
           from tickers t
           where exists (select 1 from daily_bars b where b.symbol = t.symbol)
             and (t.symbol ilike $1 || '%' or t.name ilike '%' || $1 || '%')
           order by upper(t.symbol) = upper($1) desc, t.symbol ilike $1 || '%' desc, t.symbol
           limit $2"#,
        text,
        limit,
    )
    .fetch_all(ex)
    .await
}

/// Which of `symbols` have stored bars.
pub async fn with_bars(ex: impl PgExecutor<'_>, symbols: &[Symbol]) -> StoreResult<Vec<Symbol>> {
    let wanted: Vec<&str> = symbols.iter().map(Symbol::as_str).collect();
    sqlx::query_scalar!(
        r#"select t.symbol as "symbol: Symbol" from tickers t
           where t.symbol = any($1)
             and exists (select 1 from daily_bars b where b.symbol = t.symbol)"#,
        &wanted as &[&str],
    )
    .fetch_all(ex)
    .await
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
pub async fn facts(pool: &sqlx::PgPool, symbol: &Symbol) -> StoreResult<Option<Facts>> {
    let Some(summary) = summaries_of(pool, std::slice::from_ref(symbol))
        .await?
        .pop()
    else {
        return Ok(None);
    };
    let row = sqlx::query!(
        r#"select t.exchange, t.currency, t.source,
                  (select min(date) from daily_bars b where b.symbol = t.symbol) as "first_date: NaiveDate",
                  (select count(*) from daily_bars b where b.symbol = t.symbol) as "bars!"
           from tickers t where t.symbol = $1"#,
        symbol.as_str(),
    )
    .fetch_one(pool)
    .await?;
    Ok(Some(Facts {
        first_date: row.first_date.unwrap_or(summary.last_date),
        summary,
        exchange: row.exchange,
        currency: row.currency,
        source: row.source,
        bars: row.bars,
    }))
}

/// What the stored history says about a ticker when no provider does: its stored facts and the
/// 52-week range of its bars (counted back from the last stored bar, not from today: bundled
/// series end years ago).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredOverview {
    /// Instrument name.
    pub name: String,
    /// Listing exchange.
    pub exchange: Option<String>,
    /// Trading currency.
    pub currency: String,
    /// Provenance.
    pub source: String,
    /// Highest high over the last 52 weeks of bars.
    pub week52_high: Option<f64>,
    /// Lowest low over the same weeks.
    pub week52_low: Option<f64>,
}

/// The stored overview of `symbol`, `None` when the ticker is unknown.
pub async fn stored_overview(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
) -> StoreResult<Option<StoredOverview>> {
    sqlx::query_as!(
        StoredOverview,
        r#"select t.name, t.exchange, t.currency, t.source,
                  r.high as week52_high, r.low as week52_low
           from tickers t
           left join lateral (
               select max(b.high) as high, min(b.low) as low from daily_bars b
               where b.symbol = t.symbol
                 and b.date > (select max(date) from daily_bars where symbol = t.symbol) - 364
           ) r on true
           where t.symbol = $1"#,
        symbol.as_str(),
    )
    .fetch_optional(ex)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(s: &str) -> Symbol {
        Symbol::parse(s).unwrap()
    }

    #[test]
    fn provider_labels_map_onto_the_stored_kinds() {
        assert_eq!(ticker_kind(&sym("^GSPC"), None), "index");
        assert_eq!(ticker_kind(&sym("SPY"), Some("ETF")), "etf");
        assert_eq!(ticker_kind(&sym("VFIAX"), Some("Mutual fund")), "etf");
        assert_eq!(ticker_kind(&sym("AAPL"), Some("Common stock")), "stock");
        assert_eq!(ticker_kind(&sym("AAPL"), Some("Equity")), "stock");
    }
}

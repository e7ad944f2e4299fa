//! Every SQL statement on the market-data tables: tickers, daily bars (raw and adjusted), corporate
//! actions, intraday bars, news, company profiles and the fetch log.
//!
//! Reads and single-statement writes take any [`PgExecutor`], so the same function runs on the pool
//! or inside a caller's transaction (`&mut *tx`). Errors are [`sqlx::Error`] as they come: the
//! ingester and the service wrap them in their own error types.

use std::fmt;
use std::str::FromStr;

use app::domain::Symbol;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgExecutor;

use super::providers::{
    CompanyOverview, DailyBar, Interval, IntradayBar, NewsArticle, ProviderKind, SentimentLabel,
};

/// What the store returns on failure.
pub type StoreResult<T> = Result<T, sqlx::Error>;

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
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
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

/// Whether a corporate action is a split or a cash dividend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    /// A stock split; the value is the ratio (4.0 for 4-for-1).
    Split,
    /// A cash dividend; the value is the amount per share.
    Dividend,
}

impl ActionKind {
    /// The name stored in the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Split => "split",
            ActionKind::Dividend => "dividend",
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ActionKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "split" => Ok(ActionKind::Split),
            "dividend" => Ok(ActionKind::Dividend),
            other => Err(format!("unknown corporate action kind `{other}`")),
        }
    }
}

/// A split or a dividend of one symbol.
#[derive(Debug, Clone, PartialEq)]
pub struct CorporateAction {
    /// The first day the shares trade without the dividend / on the new share count.
    pub ex_date: NaiveDate,
    /// Split or dividend.
    pub kind: ActionKind,
    /// Split ratio or cash per share.
    pub value: f64,
    /// Who reported it.
    pub source: String,
}

impl CorporateAction {
    /// The split and the dividend a provider's bar carries, if any.
    pub fn from_bar(bar: &DailyBar, source: ProviderKind) -> Vec<CorporateAction> {
        let split = bar
            .split_ratio
            .filter(|r| r.is_finite() && *r > 0.0 && *r != 1.0)
            .map(|value| (ActionKind::Split, value));
        let dividend = bar
            .dividend
            .filter(|d| d.is_finite() && *d > 0.0)
            .map(|value| (ActionKind::Dividend, value));
        split
            .into_iter()
            .chain(dividend)
            .map(|(kind, value)| CorporateAction {
                ex_date: bar.date,
                kind,
                value,
                source: source.as_str().to_string(),
            })
            .collect()
    }
}

/// A stored news article.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StoredArticle {
    /// Row id.
    pub id: i64,
    /// The company, or `None` for market news.
    pub symbol: Option<String>,
    /// Headline.
    pub title: String,
    /// Publisher.
    pub source: String,
    /// Link.
    pub url: String,
    /// Banner image.
    pub image: Option<String>,
    /// Publication time.
    pub published_at: DateTime<Utc>,
    /// Short summary.
    pub summary: Option<String>,
    /// Sentiment score from -1 to 1, when the provider scores it.
    pub sentiment_score: Option<f64>,
    /// The provider's label for the score (`Somewhat-Bullish`).
    pub sentiment_label: Option<String>,
    /// Which provider gave it.
    pub provider: String,
    /// When it was stored or last refreshed.
    pub fetched_at: DateTime<Utc>,
}

/// A stored company profile.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredProfile {
    /// The symbol.
    pub symbol: String,
    /// The fields the provider knew.
    pub overview: CompanyOverview,
    /// Which provider gave it.
    pub provider: String,
    /// When it was fetched.
    pub fetched_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ProfileRow {
    symbol: String,
    name: Option<String>,
    description: Option<String>,
    exchange: Option<String>,
    currency: Option<String>,
    country: Option<String>,
    sector: Option<String>,
    industry: Option<String>,
    website: Option<String>,
    logo_url: Option<String>,
    ipo_date: Option<NaiveDate>,
    market_cap: Option<f64>,
    shares_outstanding: Option<f64>,
    pe_ratio: Option<f64>,
    eps: Option<f64>,
    dividend_yield: Option<f64>,
    beta: Option<f64>,
    week_52_high: Option<f64>,
    week_52_low: Option<f64>,
    provider: String,
    fetched_at: DateTime<Utc>,
}

impl From<ProfileRow> for StoredProfile {
    fn from(r: ProfileRow) -> Self {
        StoredProfile {
            symbol: r.symbol,
            overview: CompanyOverview {
                name: r.name,
                description: r.description,
                exchange: r.exchange,
                currency: r.currency,
                country: r.country,
                sector: r.sector,
                industry: r.industry,
                website: r.website,
                logo_url: r.logo_url,
                ipo_date: r.ipo_date,
                market_cap: r.market_cap,
                shares_outstanding: r.shares_outstanding,
                pe_ratio: r.pe_ratio,
                eps: r.eps,
                dividend_yield: r.dividend_yield,
                beta: r.beta,
                week_52_high: r.week_52_high,
                week_52_low: r.week_52_low,
            },
            provider: r.provider,
            fetched_at: r.fetched_at,
        }
    }
}

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
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
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

/// Daily bars of `symbol` from `from` to `to` (both inclusive, open-ended when `None`), oldest first.
pub async fn daily_bars(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    adjustment: Adjustment,
) -> StoreResult<Vec<Bar>> {
    let sql = match adjustment {
        Adjustment::Raw => {
            "select date, open, high, low, close, volume from daily_bars
             where symbol = $1 and ($2::date is null or date >= $2) and ($3::date is null or date <= $3)
             order by date"
        }
        Adjustment::Adjusted => {
            "select date, open, high, low, close, volume from daily_bars_adjusted($1, $2, $3)"
        }
    };
    sqlx::query_as(sql)
        .bind(symbol.as_str())
        .bind(from)
        .bind(to)
        .fetch_all(ex)
        .await
}

/// The day of the newest stored bar of `symbol`, `None` when there is none.
pub async fn last_bar_date(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
) -> StoreResult<Option<NaiveDate>> {
    sqlx::query_scalar("select max(date) from daily_bars where symbol = $1")
        .bind(symbol.as_str())
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
    let fresh: Vec<bool> = sqlx::query_scalar(
        "insert into daily_bars (symbol, date, open, high, low, close, volume, source)
         select $1, d, o, h, l, c, v, $8
         from unnest($2::date[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::int8[])
              as t (d, o, h, l, c, v)
         on conflict (symbol, date) do update set
             open = excluded.open, high = excluded.high, low = excluded.low,
             close = excluded.close, volume = excluded.volume,
             source = excluded.source, fetched_at = now()
         where (daily_bars.open, daily_bars.high, daily_bars.low, daily_bars.close, daily_bars.volume)
               is distinct from (excluded.open, excluded.high, excluded.low, excluded.close, excluded.volume)
         returning (xmax = 0)",
    )
    .bind(symbol.as_str())
    .bind(&dates)
    .bind(&open)
    .bind(&high)
    .bind(&low)
    .bind(&close)
    .bind(&volume)
    .bind(source)
    .fetch_all(ex)
    .await?;
    Ok(count(&fresh))
}

fn count(fresh: &[bool]) -> Upserted {
    let inserted = fresh.iter().filter(|f| **f).count() as u64;
    Upserted {
        inserted,
        updated: fresh.len() as u64 - inserted,
    }
}

/// Records `actions` of `symbol`; a stored action with a different value is corrected.
pub async fn upsert_corporate_actions(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
    actions: &[CorporateAction],
) -> StoreResult<Upserted> {
    let dates: Vec<NaiveDate> = actions.iter().map(|a| a.ex_date).collect();
    let kinds: Vec<&str> = actions.iter().map(|a| a.kind.as_str()).collect();
    let values: Vec<f64> = actions.iter().map(|a| a.value).collect();
    let sources: Vec<&str> = actions.iter().map(|a| a.source.as_str()).collect();
    let fresh: Vec<bool> = sqlx::query_scalar(
        "insert into corporate_actions (symbol, ex_date, kind, value, source)
         select $1, d, k, v, s from unnest($2::date[], $3::text[], $4::float8[], $5::text[]) as t (d, k, v, s)
         on conflict (symbol, ex_date, kind) do update set
             value = excluded.value, source = excluded.source, recorded_at = now()
         where corporate_actions.value is distinct from excluded.value
         returning (xmax = 0)",
    )
    .bind(symbol.as_str())
    .bind(&dates)
    .bind(&kinds)
    .bind(&values)
    .bind(&sources)
    .fetch_all(ex)
    .await?;
    Ok(count(&fresh))
}

/// Every recorded split and dividend of `symbol`, oldest first.
pub async fn corporate_actions(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
) -> StoreResult<Vec<CorporateAction>> {
    let rows: Vec<(NaiveDate, String, f64, String)> = sqlx::query_as(
        "select ex_date, kind, value, source from corporate_actions
         where symbol = $1 order by ex_date, kind",
    )
    .bind(symbol.as_str())
    .fetch_all(ex)
    .await?;
    rows.into_iter()
        .map(|(ex_date, kind, value, source)| {
            Ok(CorporateAction {
                ex_date,
                kind: kind
                    .parse()
                    .map_err(|e: String| sqlx::Error::Decode(e.into()))?,
                value,
                source,
            })
        })
        .collect()
}

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
    let fresh: Vec<bool> = sqlx::query_scalar(
        r#"insert into intraday_bars (symbol, "interval", ts, open, high, low, close, volume, source)
         select $1, $2, t, o, h, l, c, v, $9
         from unnest($3::timestamptz[], $4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::int8[])
              as u (t, o, h, l, c, v)
         on conflict (symbol, "interval", ts) do update set
             open = excluded.open, high = excluded.high, low = excluded.low,
             close = excluded.close, volume = excluded.volume,
             source = excluded.source, fetched_at = now()
         where (intraday_bars.open, intraday_bars.high, intraday_bars.low, intraday_bars.close, intraday_bars.volume)
               is distinct from (excluded.open, excluded.high, excluded.low, excluded.close, excluded.volume)
         returning (xmax = 0)"#,
    )
    .bind(symbol.as_str())
    .bind(interval.as_str())
    .bind(&ts)
    .bind(&open)
    .bind(&high)
    .bind(&low)
    .bind(&close)
    .bind(&volume)
    .bind(source)
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
    let rows: Vec<(DateTime<Utc>, f64, f64, f64, f64, i64)> = sqlx::query_as(
        r#"select ts, open, high, low, close, volume from intraday_bars
         where symbol = $1 and "interval" = $2 and ts >= $3 and ts < $4 order by ts"#,
    )
    .bind(symbol.as_str())
    .bind(interval.as_str())
    .bind(from)
    .bind(to)
    .fetch_all(ex)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(start, open, high, low, close, volume)| IntradayBar {
            start,
            open,
            high,
            low,
            close,
            volume: volume.max(0) as u64,
        })
        .collect())
}

/// Stores `articles` about `symbol` (`None`: market news); an article already stored under the
/// same symbol and URL is refreshed in place, never duplicated.
pub async fn upsert_news(
    ex: impl PgExecutor<'_>,
    symbol: Option<&Symbol>,
    articles: &[NewsArticle],
    provider: ProviderKind,
) -> StoreResult<Upserted> {
    let title: Vec<&str> = articles.iter().map(|a| a.title.as_str()).collect();
    let source: Vec<&str> = articles.iter().map(|a| a.source.as_str()).collect();
    let url: Vec<&str> = articles.iter().map(|a| a.url.as_str()).collect();
    let image: Vec<Option<&str>> = articles.iter().map(|a| a.image.as_deref()).collect();
    let published: Vec<DateTime<Utc>> = articles.iter().map(|a| a.published_at).collect();
    let summary: Vec<Option<&str>> = articles.iter().map(|a| a.summary.as_deref()).collect();
    let score: Vec<Option<f64>> = articles
        .iter()
        .map(|a| a.sentiment.as_ref().map(|s| s.score.clamp(-1.0, 1.0)))
        .collect();
    let label: Vec<Option<&str>> = articles
        .iter()
        .map(|a| a.sentiment.as_ref().and_then(|s| s.label).map(label_name))
        .collect();
    let fresh: Vec<bool> = sqlx::query_scalar(
        "insert into news_articles
             (symbol, title, source, url, image, published_at, summary, sentiment_score, sentiment_label, provider)
         select $1, ti, so, u, im, p, su, sc, la, $10
         from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[],
                     $8::float8[], $9::text[]) as t (ti, so, u, im, p, su, sc, la)
         on conflict on constraint news_articles_symbol_url_key do update set
             title = excluded.title, source = excluded.source, image = excluded.image,
             published_at = excluded.published_at, summary = excluded.summary,
             sentiment_score = excluded.sentiment_score, sentiment_label = excluded.sentiment_label,
             provider = excluded.provider, fetched_at = now()
         returning (xmax = 0)",
    )
    .bind(symbol.map(Symbol::as_str))
    .bind(&title)
    .bind(&source)
    .bind(&url)
    .bind(&image)
    .bind(&published)
    .bind(&summary)
    .bind(&score)
    .bind(&label)
    .bind(provider.as_str())
    .fetch_all(ex)
    .await?;
    Ok(count(&fresh))
}

/// Alpha Vantage's spelling of a sentiment class, which [`SentimentLabel::parse`] reads back.
fn label_name(label: SentimentLabel) -> &'static str {
    match label {
        SentimentLabel::Bearish => "Bearish",
        SentimentLabel::SomewhatBearish => "Somewhat-Bearish",
        SentimentLabel::Neutral => "Neutral",
        SentimentLabel::SomewhatBullish => "Somewhat-Bullish",
        SentimentLabel::Bullish => "Bullish",
    }
}

/// The `limit` newest articles about `symbol` (`None`: market news).
pub async fn latest_news(
    ex: impl PgExecutor<'_>,
    symbol: Option<&Symbol>,
    limit: i64,
) -> StoreResult<Vec<StoredArticle>> {
    sqlx::query_as(
        "select id, symbol, title, source, url, image, published_at, summary, sentiment_score,
                sentiment_label, provider, fetched_at
         from news_articles where symbol is not distinct from $1
         order by published_at desc, id desc limit $2",
    )
    .bind(symbol.map(Symbol::as_str))
    .bind(limit.max(0))
    .fetch_all(ex)
    .await
}

/// The stored profile of `symbol`, `None` when none was fetched.
pub async fn company_profile(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
) -> StoreResult<Option<StoredProfile>> {
    let row: Option<ProfileRow> = sqlx::query_as(
        "select symbol, name, description, exchange, currency, country, sector, industry, website,
                logo_url, ipo_date, market_cap, shares_outstanding, pe_ratio, eps, dividend_yield,
                beta, week_52_high, week_52_low, provider, fetched_at
         from company_profiles where symbol = $1",
    )
    .bind(symbol.as_str())
    .fetch_optional(ex)
    .await?;
    Ok(row.map(StoredProfile::from))
}

/// Stores the profile of `symbol` (a stored ticker), replacing the one fetched before.
pub async fn upsert_company_profile(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
    o: &CompanyOverview,
    provider: ProviderKind,
) -> StoreResult<()> {
    sqlx::query(
        "insert into company_profiles
             (symbol, name, description, exchange, currency, country, sector, industry, website,
              logo_url, ipo_date, market_cap, shares_outstanding, pe_ratio, eps, dividend_yield,
              beta, week_52_high, week_52_low, provider)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
         on conflict (symbol) do update set
             name = excluded.name, description = excluded.description, exchange = excluded.exchange,
             currency = excluded.currency, country = excluded.country, sector = excluded.sector,
             industry = excluded.industry, website = excluded.website, logo_url = excluded.logo_url,
             ipo_date = excluded.ipo_date, market_cap = excluded.market_cap,
             shares_outstanding = excluded.shares_outstanding, pe_ratio = excluded.pe_ratio,
             eps = excluded.eps, dividend_yield = excluded.dividend_yield, beta = excluded.beta,
             week_52_high = excluded.week_52_high, week_52_low = excluded.week_52_low,
             provider = excluded.provider, fetched_at = now()",
    )
    .bind(symbol.as_str())
    .bind(&o.name)
    .bind(&o.description)
    .bind(&o.exchange)
    .bind(&o.currency)
    .bind(&o.country)
    .bind(&o.sector)
    .bind(&o.industry)
    .bind(&o.website)
    .bind(&o.logo_url)
    .bind(o.ipo_date)
    .bind(o.market_cap)
    .bind(o.shares_outstanding)
    .bind(o.pe_ratio)
    .bind(o.eps)
    .bind(o.dividend_yield)
    .bind(o.beta)
    .bind(o.week_52_high)
    .bind(o.week_52_low)
    .bind(provider.as_str())
    .execute(ex)
    .await?;
    Ok(())
}

/// Writes one fetch-log row; returns its id.
pub async fn insert_fetch_log(ex: impl PgExecutor<'_>, e: &FetchLogEntry) -> StoreResult<i64> {
    let (status, error, rows) = match &e.outcome {
        Ok(rows) => ("ok", None, to_i64(*rows)),
        Err(message) => ("error", Some(message.as_str()), 0),
    };
    sqlx::query_scalar(
        "insert into fetch_log (provider, symbol, kind, range_from, range_to, status, error, latency_ms, rows)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
    )
    .bind(e.provider.map(ProviderKind::as_str))
    .bind(&e.symbol)
    .bind(e.kind.as_str())
    .bind(e.range_from)
    .bind(e.range_to)
    .bind(status)
    .bind(error)
    .bind(to_i64(e.latency_ms))
    .bind(rows)
    .fetch_one(ex)
    .await
}

/// The `limit` newest fetch-log rows about `symbol` (`None`: every symbol), newest first.
pub async fn fetch_log(
    ex: impl PgExecutor<'_>,
    symbol: Option<&Symbol>,
    limit: i64,
) -> StoreResult<Vec<FetchLogRow>> {
    sqlx::query_as(
        "select id, provider, symbol, kind, range_from, range_to, status, error, latency_ms, rows, created_at
         from fetch_log where $1::text is null or symbol = $1
         order by id desc limit $2",
    )
    .bind(symbol.map(Symbol::as_str))
    .bind(limit.max(0))
    .fetch_all(ex)
    .await
}

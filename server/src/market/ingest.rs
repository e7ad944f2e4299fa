//! Incremental ingestion: asks the provider chain only for what Postgres is missing and stores it.
//!
//! `refresh_daily` fetches the trading days from the one after the newest stored bar to the last
//! completed NYSE session, and makes no provider call when there are none. Each batch is written in
//! one transaction (bars, the splits and dividends they carry, a ticker row for a symbol first seen
//! here), so a failure leaves the stored data as it was. Every provider call is written to
//! `fetch_log`, successful or not, before anything is stored.

use std::time::Instant;

use app::domain::Symbol;
use chrono::{DateTime, Months, NaiveDate, Utc};
use chrono_tz::America::New_York;
use sqlx::PgPool;

use super::calendar::{self, CalendarError};
use super::providers::{
    ChainError, DailyBar, DateRange, Interval, InvalidDateRange, NewsQuery, ProviderChain,
    ProviderKind, Sourced,
};
use super::store::{self, CorporateAction, FetchKind, FetchLogEntry, NewTicker};

/// How far back the first fetch of a symbol with no stored bars reaches by default.
pub const DEFAULT_HISTORY_YEARS: u32 = 20;

/// How far back, and how many, articles a new ticker's first news fetch asks for.
const RECENT_NEWS_DAYS: u64 = 7;
const RECENT_NEWS_LIMIT: usize = 20;

/// Why an ingestion run stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Postgres failed; the batch was rolled back.
    #[error("market-data storage failed: {0}")]
    Database(#[from] sqlx::Error),
    /// Every provider failed (each failure is in `fetch_log`).
    #[error(transparent)]
    Providers(#[from] ChainError),
    /// The range to fetch could not be computed.
    #[error("trading calendar: {0}")]
    Calendar(#[from] CalendarError),
    /// The requested range is empty.
    #[error(transparent)]
    Range(#[from] InvalidDateRange),
}

/// What one [`Ingestor::refresh_daily`] run did.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyReport {
    /// The symbol.
    pub symbol: String,
    /// The days asked for; `None` when the stored bars were already up to date (no provider call).
    pub range: Option<DateRange>,
    /// Who answered.
    pub source: Option<ProviderKind>,
    /// Bars the provider returned.
    pub fetched: u64,
    /// Bars that were new.
    pub inserted: u64,
    /// Stored bars the provider now reports differently, overwritten.
    pub updated: u64,
    /// Splits and dividends recorded or corrected; the adjusted history follows from them.
    pub actions: u64,
}

impl DailyReport {
    /// Whether the run found nothing to fetch.
    pub fn up_to_date(&self) -> bool {
        self.range.is_none()
    }
}

/// What one profile or news refresh stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshReport {
    /// Who answered.
    pub source: ProviderKind,
    /// Items the provider returned.
    pub fetched: u64,
    /// Items that were new.
    pub inserted: u64,
    /// Items already stored and refreshed.
    pub updated: u64,
}

/// Fetches missing market data through a [`ProviderChain`] and stores it in Postgres.
#[derive(Debug, Clone)]
pub struct Ingestor {
    pool: PgPool,
    chain: ProviderChain,
    history_start: Option<NaiveDate>,
}

impl Ingestor {
    /// An ingestor writing to `pool` and asking `chain`. A symbol with no stored bars is fetched
    /// from [`DEFAULT_HISTORY_YEARS`] back.
    pub fn new(pool: PgPool, chain: ProviderChain) -> Self {
        Ingestor {
            pool,
            chain,
            history_start: None,
        }
    }

    /// Fetches a symbol with no stored bars from `first_day` on instead.
    pub fn with_history_start(mut self, first_day: NaiveDate) -> Self {
        self.history_start = Some(first_day);
        self
    }

    /// The providers asked, in order ("polygon, yahoo"), for what users are told.
    pub fn providers(&self) -> String {
        self.chain.names()
    }

    /// Fetches the news of the last week about `symbol`: what a new ticker's page shows first.
    pub async fn refresh_recent_news(&self, symbol: &Symbol) -> Result<RefreshReport, IngestError> {
        let today = Utc::now().date_naive();
        let range = DateRange::new(today - chrono::Days::new(RECENT_NEWS_DAYS), today)?;
        self.refresh_news(Some(symbol), range, RECENT_NEWS_LIMIT)
            .await
    }

    /// Brings the daily bars of `symbol` up to the last completed NYSE session.
    pub async fn refresh_daily(&self, symbol: &Symbol) -> Result<DailyReport, IngestError> {
        self.refresh_daily_as_of(symbol, Utc::now()).await
    }

    /// [`Ingestor::refresh_daily`] as if the time were `now`.
    #[tracing::instrument(name = "ingest.daily", skip(self), fields(symbol = %symbol), err(Display))]
    pub async fn refresh_daily_as_of(
        &self,
        symbol: &Symbol,
        now: DateTime<Utc>,
    ) -> Result<DailyReport, IngestError> {
        let mut report = DailyReport {
            symbol: symbol.to_string(),
            range: None,
            source: None,
            fetched: 0,
            inserted: 0,
            updated: 0,
            actions: 0,
        };
        let last_session = last_completed_session(now)?;
        let first_missing = match store::last_bar_date(&self.pool, symbol).await? {
            Some(last) => calendar::next_trading_day(last)?,
            None => self.history_start.unwrap_or_else(|| {
                last_session
                    .checked_sub_months(Months::new(12 * DEFAULT_HISTORY_YEARS))
                    .unwrap_or(last_session)
            }),
        };
        if first_missing > last_session {
            tracing::debug!(%last_session, "daily bars up to date, nothing to fetch");
            return Ok(report);
        }
        let range = DateRange::new(first_missing, last_session)?;
        report.range = Some(range);

        let started = Instant::now();
        let answer = self.chain.daily_bars(symbol, range).await;
        let Sourced {
            value: bars,
            source,
        } = self
            .logged(
                answer,
                Some(symbol),
                FetchKind::Daily,
                Some(range),
                started,
                |b| b.len(),
            )
            .await?;

        let mut bars = undo_split_adjustment(bars, source);
        // A zero price is a provider's gap, not a trade; storing it would fail the table's checks
        // and with them the whole batch.
        let received = bars.len();
        bars.retain(|b| [b.open, b.high, b.low, b.close].iter().all(|p| *p > 0.0));
        if bars.len() < received {
            tracing::warn!(dropped = received - bars.len(), %source, "bars with a zero price skipped");
        }
        let actions: Vec<CorporateAction> = bars
            .iter()
            .flat_map(|b| CorporateAction::from_bar(b, source))
            .collect();
        let mut tx = self.pool.begin().await?;
        store::insert_ticker_if_missing(&mut *tx, &first_seen(symbol, source)).await?;
        let stored = store::upsert_daily_bars(&mut *tx, symbol, &bars, source.as_str()).await?;
        let recorded = store::upsert_corporate_actions(&mut *tx, symbol, &actions).await?;
        tx.commit().await?;

        report.source = Some(source);
        report.fetched = received as u64;
        report.inserted = stored.inserted;
        report.updated = stored.updated;
        report.actions = recorded.inserted + recorded.updated;
        tracing::info!(
            %source,
            from = %range.from(),
            to = %range.to(),
            fetched = report.fetched,
            inserted = report.inserted,
            actions = report.actions,
            "daily bars ingested"
        );
        Ok(report)
    }

    /// Fetches the `interval` bars of `symbol` for the days of `range` and stores them; bars already
    /// stored are corrected in place, never duplicated.
    #[tracing::instrument(name = "ingest.intraday", skip(self), fields(symbol = %symbol, interval = %interval), err(Display))]
    pub async fn refresh_intraday(
        &self,
        symbol: &Symbol,
        interval: Interval,
        range: DateRange,
    ) -> Result<RefreshReport, IngestError> {
        let started = Instant::now();
        let answer = self.chain.intraday_bars(symbol, range, interval).await;
        let Sourced {
            value: bars,
            source,
        } = self
            .logged(
                answer,
                Some(symbol),
                FetchKind::Intraday,
                Some(range),
                started,
                |b| b.len(),
            )
            .await?;
        let mut tx = self.pool.begin().await?;
        store::insert_ticker_if_missing(&mut *tx, &first_seen(symbol, source)).await?;
        let stored =
            store::upsert_intraday_bars(&mut *tx, symbol, interval, &bars, source.as_str()).await?;
        tx.commit().await?;
        Ok(RefreshReport {
            source,
            fetched: bars.len() as u64,
            inserted: stored.inserted,
            updated: stored.updated,
        })
    }

    /// Fetches and stores the company profile of `symbol`, filling in the ticker's metadata
    /// (exchange, currency, sector, industry) where the provider knows it.
    #[tracing::instrument(name = "ingest.profile", skip(self), fields(symbol = %symbol), err(Display))]
    pub async fn refresh_profile(&self, symbol: &Symbol) -> Result<RefreshReport, IngestError> {
        let started = Instant::now();
        let answer = self.chain.overview(symbol).await;
        let Sourced {
            value: overview,
            source,
        } = self
            .logged(
                answer,
                Some(symbol),
                FetchKind::Profile,
                None,
                started,
                |_| 1,
            )
            .await?;

        let mut tx = self.pool.begin().await?;
        let existed = store::ticker(&mut *tx, symbol).await?.is_some();
        let ticker = NewTicker {
            name: overview.name.clone().unwrap_or_else(|| symbol.to_string()),
            exchange: overview.exchange.clone(),
            currency: overview.currency.clone(),
            sector: overview.sector.clone(),
            industry: overview.industry.clone(),
            ..first_seen(symbol, source)
        };
        store::upsert_ticker(&mut *tx, &ticker).await?;
        store::upsert_company_profile(&mut *tx, symbol, &overview, source).await?;
        tx.commit().await?;
        Ok(RefreshReport {
            source,
            fetched: 1,
            inserted: u64::from(!existed),
            updated: u64::from(existed),
        })
    }

    /// Fetches and stores news about `symbol` (`None`: market news) published in `range`, at most
    /// `limit` articles.
    #[tracing::instrument(name = "ingest.news", skip(self), fields(symbol = symbol.map_or("", |s| s.as_str())), err(Display))]
    pub async fn refresh_news(
        &self,
        symbol: Option<&Symbol>,
        range: DateRange,
        limit: usize,
    ) -> Result<RefreshReport, IngestError> {
        let query = NewsQuery {
            symbol: symbol.cloned(),
            range,
            limit,
        };
        let started = Instant::now();
        let answer = self.chain.news(&query).await;
        let Sourced {
            value: articles,
            source,
        } = self
            .logged(answer, symbol, FetchKind::News, Some(range), started, |a| {
                a.len()
            })
            .await?;
        let stored = store::upsert_news(&self.pool, symbol, &articles, source).await?;
        Ok(RefreshReport {
            source,
            fetched: articles.len() as u64,
            inserted: stored.inserted,
            updated: stored.updated,
        })
    }

    /// Writes the chain's answer to `fetch_log`: one `ok` row naming the provider that answered, or
    /// one `error` row per provider that failed. A log write that fails is reported in the trace
    /// and does not hide the answer or the provider error.
    async fn logged<T>(
        &self,
        answer: Result<Sourced<T>, ChainError>,
        symbol: Option<&Symbol>,
        kind: FetchKind,
        range: Option<DateRange>,
        started: Instant,
        rows: impl Fn(&T) -> usize,
    ) -> Result<Sourced<T>, ChainError> {
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let entry = |provider, outcome| FetchLogEntry {
            provider,
            symbol: symbol.map(|s| s.to_string()),
            kind,
            range_from: range.map(|r| r.from()),
            range_to: range.map(|r| r.to()),
            outcome,
            latency_ms,
        };
        let entries = match &answer {
            Ok(sourced) => vec![entry(Some(sourced.source), Ok(rows(&sourced.value) as u64))],
            Err(err @ ChainError::NoProviders) => vec![entry(None, Err(err.to_string()))],
            Err(ChainError::AllFailed(errors)) => errors
                .iter()
                .map(|e| entry(Some(e.provider()), Err(e.to_string())))
                .collect(),
        };
        for e in &entries {
            if let Err(err) = store::insert_fetch_log(&self.pool, e).await {
                tracing::error!(error = %err, "could not write the fetch log");
            }
        }
        answer
    }
}

/// The last NYSE session that has closed at `now`: today's once the closing bell has rung (13:00
/// on an early-close day), otherwise the trading day before.
pub fn last_completed_session(now: DateTime<Utc>) -> Result<NaiveDate, CalendarError> {
    let today = now.with_timezone(&New_York).date_naive();
    if calendar::is_trading_day(today) && now >= calendar::session_close(today) {
        Ok(today)
    } else {
        calendar::previous_trading_day(today)
    }
}

/// Turns a batch of `source`'s bars back into raw prices.
///
/// Yahoo, Polygon and Finnhub report every price adjusted for the splits they know of, Alpha
/// Vantage raw ones. Stored bars must be raw, because the adjusted series applies each recorded
/// split to every earlier bar: a batch fetched after a split would otherwise be adjusted twice.
/// Splits after the batch do not matter, since every batch ends at the last completed session;
/// splits inside it are the ones the batch reports, and undoing them restores the prices and the
/// share counts of the day.
fn undo_split_adjustment(mut bars: Vec<DailyBar>, source: ProviderKind) -> Vec<DailyBar> {
    if source == ProviderKind::AlphaVantage {
        return bars;
    }
    // Newest first, carrying the product of the splits that went ex after each bar.
    let mut later_splits = 1.0;
    for bar in bars.iter_mut().rev() {
        if later_splits != 1.0 {
            bar.open *= later_splits;
            bar.high *= later_splits;
            bar.low *= later_splits;
            bar.close *= later_splits;
            bar.volume = (bar.volume as f64 / later_splits).round() as u64;
        }
        if let Some(ratio) = bar.split_ratio.filter(|r| r.is_finite() && *r > 0.0) {
            later_splits *= ratio;
        }
    }
    bars
}

/// The ticker row for a symbol first seen through `source`: named by its own symbol
/// until a profile names it, and `index` for the caret symbols of indices.
fn first_seen(symbol: &Symbol, source: ProviderKind) -> NewTicker {
    NewTicker {
        symbol: symbol.clone(),
        name: symbol.to_string(),
        exchange: None,
        currency: None,
        kind: store::tickers::ticker_kind(symbol, None),
        sector: None,
        industry: None,
        source: format!("Market data from {source}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_last_completed_session_is_today_only_after_the_close() {
        // Tuesday 2024-05-07: the close is 16:00 New York time, 20:00 UTC.
        assert_eq!(
            last_completed_session(at("2024-05-07T19:59:00Z")).unwrap(),
            "2024-05-06".parse::<NaiveDate>().unwrap()
        );
        assert_eq!(
            last_completed_session(at("2024-05-07T20:00:00Z")).unwrap(),
            "2024-05-07".parse::<NaiveDate>().unwrap()
        );
    }

    #[test]
    fn over_a_weekend_and_a_holiday_the_last_session_is_the_friday_before() {
        // Monday 2024-05-27 is Memorial Day; Friday 2024-05-24 was the last session.
        assert_eq!(
            last_completed_session(at("2024-05-27T22:00:00Z")).unwrap(),
            "2024-05-24".parse::<NaiveDate>().unwrap()
        );
        // Shortly after midnight UTC it is still the evening before in New York.
        assert_eq!(
            last_completed_session(at("2024-05-25T01:00:00Z")).unwrap(),
            "2024-05-24".parse::<NaiveDate>().unwrap()
        );
    }
}

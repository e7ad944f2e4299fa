//! [`MarketService`]: the server's implementation of the UI's [`MarketData`] port. Postgres is the
//! truth, Redis a cache that may vanish, the provider chain the upstream, and the NYSE calendar the
//! clock.
//!
//! Daily series always come from Postgres (ingestion keeps it current), downsampled per range.
//! Quotes, overviews and news go to the providers first when any is configured, and fall back to
//! what the stored history knows; nothing is made up when neither knows.

use std::sync::atomic::{AtomicBool, Ordering};

use app::domain::{ChartRange, Symbol};
use app::model::{
    CompanyProfile, IndicatorSeries, MarketStatus as WireStatus, NewsFeed, NewsItem, OhlcvPoint,
    Quote, ServedFrom, StockOverview, TickerSummary, TimeSeries,
};
use app::ssr::{MarketData, ServiceError};
use async_trait::async_trait;
use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::America::New_York;
use serde::{de::DeserializeOwned, Serialize};
use sqlx::PgPool;

use super::cached::{CacheKind, MarketCache};
use super::calendar;
use super::downsample::{downsample, Bucketing};
use super::indicators;
use super::providers::{
    self, ChainError, DateRange, Interval, IntradayBar, NewsQuery, ProviderChain, ProviderError,
    ProviderKind,
};
use super::store::{self, Adjustment};

/// News covers this many days back from today, at most this many articles.
const NEWS_DAYS: u64 = 7;
const NEWS_LIMIT: usize = 20;

/// What an intraday chart says when no provider could serve it.
const INTRADAY_NEEDS_KEY: &str = "Intraday charts need a market-data provider key (set POLYGON_API_KEY, FINNHUB_API_KEY or ALPHAVANTAGE_API_KEY).";
const NO_NEWS_PROVIDER: &str = "No news provider is configured: set FINNHUB_API_KEY or ALPHAVANTAGE_API_KEY to see the latest articles.";

/// Market data for the pages and the JSON API.
#[derive(Clone)]
pub struct MarketService {
    pool: PgPool,
    cache: MarketCache,
    providers: ProviderChain,
}

impl MarketService {
    /// Forgets a symbol's cached quote when new bars are stored for it (a refresh landed: the
    /// provider's quote has moved on too), until the task is aborted.
    pub fn forget_quotes_on_new_bars(
        &self,
        events: &crate::events::Events,
    ) -> tokio::task::JoinHandle<()> {
        let cache = self.cache.clone();
        let mut rx = events.subscribe();
        tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                match rx.recv().await {
                    Ok(stamped) => {
                        if let crate::events::Event::BarsChanged { symbol } = stamped.event {
                            cache.forget(CacheKind::Quote, symbol.as_str()).await;
                        }
                    }
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                }
            }
        })
    }

    /// A service over the pool, the single-flight cache and the providers (an empty chain:
    /// offline, stored data only).
    pub fn new(pool: PgPool, cache: MarketCache, providers: ProviderChain) -> Self {
        Self {
            pool,
            cache,
            providers,
        }
    }

    fn online(&self) -> bool {
        !self.providers.is_empty()
    }

    /// The cached answer of `kind` under `key`, or `load`'s (one load per key at a time; errors are
    /// not cached). Says whether this call ran the load (`Database`) or found the answer ready.
    async fn cached<T, Fut>(
        &self,
        kind: CacheKind,
        key: &str,
        load: Fut,
    ) -> Result<(T, ServedFrom), ServiceError>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<T, ServiceError>>,
    {
        let loaded = AtomicBool::new(false);
        let value = self
            .cache
            .get_or_load(kind, key, || {
                loaded.store(true, Ordering::Relaxed);
                load
            })
            .await?;
        let served_from = if loaded.load(Ordering::Relaxed) {
            ServedFrom::Database
        } else {
            ServedFrom::Cache
        };
        Ok((value, served_from))
    }

    /// The cache key of a daily-bar answer: named by the last stored bar (`last`, read once by
    /// the caller and handed to the load too), so new bars make a new key and no cached chart
    /// outlives them.
    fn daily_key(symbol: &Symbol, what: &str, last: Option<NaiveDate>) -> String {
        match last {
            Some(day) => format!("{symbol}:{what}:{day}"),
            None => format!("{symbol}:{what}:none"),
        }
    }

    /// The ticker's stored source, or `None` when the symbol is unknown.
    async fn ticker_source(&self, symbol: &Symbol) -> Result<Option<String>, ServiceError> {
        Ok(store::ticker(&self.pool, symbol).await?.map(|t| t.source))
    }

    async fn daily_series(
        &self,
        symbol: &Symbol,
        range: ChartRange,
        last: Option<NaiveDate>,
    ) -> Result<TimeSeries, ServiceError> {
        let Some(source) = self.ticker_source(symbol).await? else {
            return Err(not_found(symbol));
        };
        // Charts use the split- and dividend-adjusted series, so a split is not drawn as a crash.
        let bars: Vec<store::Bar> = match last {
            Some(last) => {
                store::daily_bars(
                    &self.pool,
                    symbol,
                    range.start(last),
                    None,
                    Adjustment::Adjusted,
                )
                .await?
            }
            None => vec![],
        };
        let bucketing = Bucketing::for_range(range, bars.len());
        let reason = bars.is_empty().then(|| {
            format!(
                "No daily bars for {symbol} in the {} range.",
                range.as_str()
            )
        });
        Ok(TimeSeries {
            symbol: symbol.clone(),
            range,
            interval: bucketing.interval(),
            points: downsample(&bars, bucketing),
            reason,
            source: source_label(&source),
            served_from: ServedFrom::Database,
        })
    }

    /// The indicators of the `range` chart: the chart's own points, with the bars before the
    /// range loaded too to warm the indicators up.
    async fn daily_indicators(
        &self,
        symbol: &Symbol,
        range: ChartRange,
        last: Option<NaiveDate>,
    ) -> Result<IndicatorSeries, ServiceError> {
        if self.ticker_source(symbol).await?.is_none() {
            return Err(not_found(symbol));
        }
        let Some(last) = last else {
            return Ok(indicators::series(
                symbol,
                range,
                Bucketing::Daily,
                &[],
                &[],
            ));
        };
        let start = range.start(last);
        // The bucketing depends on how many bars the range holds, so it is decided on the range's
        // bars first; the warm-up is then read for that bucketing.
        let shown_bars =
            store::daily_bars(&self.pool, symbol, start, None, Adjustment::Adjusted).await?;
        let bucketing = Bucketing::for_range(range, shown_bars.len());
        let before = match (start, shown_bars.first()) {
            (Some(start), Some(first)) => {
                let from = indicators::warmup_start(start, bucketing);
                let mut before = store::daily_bars(
                    &self.pool,
                    symbol,
                    Some(from),
                    first.date.pred_opt(),
                    Adjustment::Adjusted,
                )
                .await?;
                before.retain(|b| b.date < first.date);
                before
            }
            _ => vec![],
        };
        let shown = downsample(&shown_bars, bucketing);
        Ok(indicators::series(
            symbol, range, bucketing, &before, &shown,
        ))
    }

    /// 1D and 1W: intraday bars need a provider. Offline the answer is an empty series saying so,
    /// not an error: the page draws the other ranges.
    async fn intraday_series(
        &self,
        symbol: &Symbol,
        range: ChartRange,
    ) -> Result<TimeSeries, ServiceError> {
        let Some(source) = self.ticker_source(symbol).await? else {
            return Err(not_found(symbol));
        };
        let (interval, days) = intraday_shape(range);
        let empty = |reason: String, source: String| TimeSeries {
            symbol: symbol.clone(),
            range,
            interval: interval.to_string(),
            points: vec![],
            reason: Some(reason),
            source,
            served_from: ServedFrom::Database,
        };
        if !self.online() {
            return Ok(empty(INTRADAY_NEEDS_KEY.into(), source_label(&source)));
        }
        // Ask for enough calendar days to hold `days` sessions across a long weekend, then keep the
        // last `days` sessions the provider has (today's, once the market has opened).
        let today = Utc::now().date_naive();
        let from = today
            .checked_sub_days(Days::new(4 + 2 * days as u64))
            .unwrap_or(today);
        let window = DateRange::new(from, today)
            .map_err(|e| ServiceError::internal("building the intraday date range", e))?;
        match self.providers.intraday_bars(symbol, window, interval).await {
            Ok(answer) => {
                let bars = last_sessions(answer.value, days);
                Ok(TimeSeries {
                    symbol: symbol.clone(),
                    range,
                    interval: interval.to_string(),
                    points: bars.iter().map(intraday_point).collect(),
                    reason: None,
                    source: answer.source.to_string(),
                    served_from: ServedFrom::Database,
                })
            }
            Err(e) => {
                tracing::warn!(error = %e, "no intraday bars from any provider");
                Ok(empty(
                    format!(
                        "The market-data providers ({}) have no intraday bars for {symbol} right now.",
                        names(&self.providers.order())
                    ),
                    source_label(&source),
                ))
            }
        }
    }

    async fn stored_quote(&self, symbol: &Symbol) -> Result<Quote, ServiceError> {
        let (Some(source), Some(last)) = (
            self.ticker_source(symbol).await?,
            store::tickers::summaries_of(&self.pool, std::slice::from_ref(symbol))
                .await?
                .pop(),
        ) else {
            return Err(not_found(symbol));
        };
        Ok(Quote {
            symbol: symbol.clone(),
            price: last.last_close,
            previous_close: last.change.map(|c| last.last_close - c),
            change: last.change,
            change_pct: last.change_pct,
            as_of: calendar::session_close(last.last_date),
            source: source_label(&source),
        })
    }

    async fn load_quote(&self, symbol: &Symbol) -> Result<Quote, ServiceError> {
        if self.online() {
            match self.providers.quote(symbol).await {
                Ok(q) => {
                    let q = q.value;
                    return Ok(Quote {
                        symbol: symbol.clone(),
                        price: q.price,
                        previous_close: Some(q.previous_close),
                        change: Some(q.change),
                        change_pct: Some(q.change_percent),
                        as_of: q.as_of,
                        source: q.source.to_string(),
                    });
                }
                Err(e) => tracing::info!(error = %e, "no provider quote; using the stored history"),
            }
        }
        self.stored_quote(symbol).await
    }

    /// What the stored history knows: the ticker row, and the 52-week range computed from the bars.
    async fn stored_overview(&self, symbol: &Symbol) -> Result<CompanyProfile, ServiceError> {
        let o = store::tickers::stored_overview(&self.pool, symbol)
            .await?
            .ok_or_else(|| not_found(symbol))?;
        Ok(CompanyProfile {
            exchange: o.exchange,
            currency: Some(o.currency),
            week52_high: o.week52_high,
            week52_low: o.week52_low,
            ..CompanyProfile::named(symbol.clone(), o.name, source_label(&o.source))
        })
    }

    /// A provider's overview (kept in Postgres, so it outlives the cache and the provider's
    /// outages), else the one stored earlier, else what the bundled history knows.
    async fn load_overview(&self, symbol: &Symbol) -> Result<CompanyProfile, ServiceError> {
        if self.online() {
            match self.providers.overview(symbol).await {
                Ok(o) => {
                    if let Err(e) =
                        store::upsert_company_profile(&self.pool, symbol, &o.value, o.source).await
                    {
                        tracing::warn!(error = %e, "company profile not stored");
                    }
                    let stored_name = self.stored_name(symbol, &o.value).await?;
                    return Ok(profile_from_provider(
                        symbol,
                        o.value,
                        o.source,
                        stored_name,
                    ));
                }
                Err(e) => tracing::info!(error = %e, "no provider overview; using stored data"),
            }
        }
        if let Some(p) = store::company_profile(&self.pool, symbol).await? {
            if let Ok(source) = p.provider.parse::<ProviderKind>() {
                let stored_name = self.stored_name(symbol, &p.overview).await?;
                return Ok(profile_from_provider(
                    symbol,
                    p.overview,
                    source,
                    stored_name,
                ));
            }
        }
        self.stored_overview(symbol).await
    }

    /// The ticker's stored name when the provider gave none.
    async fn stored_name(
        &self,
        symbol: &Symbol,
        o: &providers::CompanyOverview,
    ) -> Result<Option<String>, ServiceError> {
        if o.name.is_some() {
            return Ok(None);
        }
        Ok(store::ticker(&self.pool, symbol).await?.map(|t| t.name))
    }

    /// A provider's latest articles (kept in Postgres), else the ones stored earlier; never
    /// anything made up.
    async fn load_news(&self, symbol: Option<&Symbol>) -> Result<NewsFeed, ServiceError> {
        if !self.online() {
            return self
                .stored_news(symbol)
                .await?
                .ok_or_else(|| ServiceError::Unavailable(NO_NEWS_PROVIDER.into()));
        }
        let today = Utc::now().date_naive();
        let from = today
            .checked_sub_days(Days::new(NEWS_DAYS))
            .unwrap_or(today);
        let range = DateRange::new(from, today)
            .map_err(|e| ServiceError::internal("building the news date range", e))?;
        let query = NewsQuery {
            symbol: symbol.cloned(),
            range,
            limit: NEWS_LIMIT,
        };
        match self.providers.news(&query).await {
            Ok(answer) => {
                if let Err(e) =
                    store::upsert_news(&self.pool, symbol, &answer.value, answer.source).await
                {
                    tracing::warn!(error = %e, "news articles not stored");
                }
                Ok(NewsFeed {
                    symbol: symbol.cloned(),
                    articles: answer.value.into_iter().map(news_item).collect(),
                    source: answer.source.to_string(),
                    notice: None,
                })
            }
            Err(e) => match self.stored_news(symbol).await? {
                Some(feed) => Ok(feed),
                None => Err(news_error(symbol, &e)),
            },
        }
    }

    /// The newest stored articles, or `None` when there are none.
    async fn stored_news(&self, symbol: Option<&Symbol>) -> Result<Option<NewsFeed>, ServiceError> {
        let stored = store::latest_news(&self.pool, symbol, NEWS_LIMIT as i64).await?;
        let Some(source) = stored.first().map(|a| a.provider.clone()) else {
            return Ok(None);
        };
        Ok(Some(NewsFeed {
            symbol: symbol.cloned(),
            articles: stored
                .into_iter()
                .map(|a| NewsItem {
                    title: a.title,
                    source: a.source,
                    url: a.url,
                    image: a.image,
                    published_at: a.published_at,
                    summary: a.summary,
                    sentiment: a.sentiment_score,
                })
                .collect(),
            source,
            notice: None,
        }))
    }
}

#[async_trait]
impl MarketData for MarketService {
    #[tracing::instrument(skip(self), err(level = "info"))]
    async fn tickers(&self) -> Result<Vec<TickerSummary>, ServiceError> {
        Ok(store::tickers::summaries(&self.pool).await?)
    }

    #[tracing::instrument(skip(self), err(level = "info"))]
    async fn stock_overview(&self, symbol: &Symbol) -> Result<StockOverview, ServiceError> {
        let facts = store::tickers::facts(&self.pool, symbol)
            .await?
            .ok_or_else(|| not_found(symbol))?;
        Ok(StockOverview {
            summary: facts.summary,
            exchange: facts.exchange,
            currency: facts.currency,
            first_date: facts.first_date,
            bars: facts.bars,
            source: facts.source,
        })
    }

    #[tracing::instrument(skip(self), err(level = "info"))]
    async fn quote(&self, symbol: &Symbol) -> Result<Quote, ServiceError> {
        let (quote, _) = self
            .cached(CacheKind::Quote, symbol.as_str(), self.load_quote(symbol))
            .await?;
        Ok(quote)
    }

    #[tracing::instrument(skip(self), err(level = "info"))]
    async fn timeseries(
        &self,
        symbol: &Symbol,
        range: ChartRange,
    ) -> Result<TimeSeries, ServiceError> {
        let (mut series, served_from) = if range.is_intraday() {
            let key = format!("{symbol}:{}", range.as_str());
            let load = self.intraday_series(symbol, range);
            self.cached(CacheKind::Intraday, &key, load).await?
        } else {
            let last = store::last_bar_date(&self.pool, symbol).await?;
            let key = Self::daily_key(symbol, range.as_str(), last);
            let load = self.daily_series(symbol, range, last);
            self.cached(CacheKind::Daily, &key, load).await?
        };
        series.served_from = served_from;
        Ok(series)
    }

    #[tracing::instrument(skip(self), err(level = "info"))]
    async fn indicators(
        &self,
        symbol: &Symbol,
        range: ChartRange,
    ) -> Result<IndicatorSeries, ServiceError> {
        if range.is_intraday() {
            if self.ticker_source(symbol).await?.is_none() {
                return Err(not_found(symbol));
            }
            let (interval, _) = intraday_shape(range);
            return Ok(indicators::intraday(symbol, range, &interval.to_string()));
        }
        let last = store::last_bar_date(&self.pool, symbol).await?;
        let key = Self::daily_key(symbol, &format!("{}:indicators", range.as_str()), last);
        let load = self.daily_indicators(symbol, range, last);
        let (series, _) = self.cached(CacheKind::Daily, &key, load).await?;
        Ok(series)
    }

    #[tracing::instrument(skip(self), err(level = "info"))]
    async fn overview(&self, symbol: &Symbol) -> Result<CompanyProfile, ServiceError> {
        let (profile, _) = self
            .cached(
                CacheKind::Overview,
                symbol.as_str(),
                self.load_overview(symbol),
            )
            .await?;
        Ok(profile)
    }

    #[tracing::instrument(skip(self), err(level = "info"))]
    async fn news(&self, symbol: Option<&Symbol>) -> Result<NewsFeed, ServiceError> {
        let key = symbol.map_or("_market", Symbol::as_str);
        let (feed, _) = self
            .cached(CacheKind::News, key, self.load_news(symbol))
            .await?;
        Ok(feed)
    }

    fn market_status(&self, now: DateTime<Utc>) -> WireStatus {
        use calendar::{ClosedReason, MarketStatus};
        match calendar::market_status(now) {
            Ok(MarketStatus::Open { closes_at }) => WireStatus {
                open: true,
                label: "Market open".into(),
                next_change: Some(closes_at),
            },
            Ok(MarketStatus::EarlyClose { reason, closes_at }) => WireStatus {
                open: true,
                label: format!("Market open, early close at 13:00 ({})", reason.name()),
                next_change: Some(closes_at),
            },
            Ok(MarketStatus::Closed { reason, next_open }) => WireStatus {
                open: false,
                label: match reason {
                    ClosedReason::Holiday(h) => format!("Market closed for {}", h.name()),
                    _ => "Market closed".into(),
                },
                next_change: Some(next_open),
            },
            Err(e) => {
                tracing::warn!(error = %e, "market status outside the calendar");
                WireStatus {
                    open: false,
                    label: "Market status unknown".into(),
                    next_change: None,
                }
            }
        }
    }
}

/// The `source` a response names: the provider that stored the ticker's bars, or `bundled` for the
/// history shipped with the app (whose `tickers.source` is a provenance sentence).
fn source_label(stored: &str) -> String {
    match stored.parse::<ProviderKind>() {
        Ok(kind) => kind.to_string(),
        Err(_) => "bundled".into(),
    }
}

/// 1D: five-minute bars of the last session; 1W: half-hour bars of the last five.
fn intraday_shape(range: ChartRange) -> (Interval, usize) {
    match range {
        ChartRange::W1 => (Interval::Min30, 5),
        _ => (Interval::Min5, 1),
    }
}

/// The bars of the last `days` New York trading days in `bars` (oldest first).
fn last_sessions(bars: Vec<IntradayBar>, days: usize) -> Vec<IntradayBar> {
    let day = |b: &IntradayBar| b.start.with_timezone(&New_York).date_naive();
    let mut sessions: Vec<NaiveDate> = bars.iter().map(day).collect();
    sessions.dedup();
    let Some(first) = sessions
        .len()
        .checked_sub(days)
        .map(|i| sessions[i])
        .or(sessions.first().copied())
    else {
        return bars;
    };
    bars.into_iter().filter(|b| day(b) >= first).collect()
}

fn intraday_point(b: &IntradayBar) -> OhlcvPoint {
    OhlcvPoint {
        date: b.start.to_rfc3339(),
        open: b.open,
        high: b.high,
        low: b.low,
        close: b.close,
        volume: b.volume,
    }
}

fn names(kinds: &[ProviderKind]) -> String {
    kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn profile_from_provider(
    symbol: &Symbol,
    o: providers::CompanyOverview,
    source: ProviderKind,
    stored_name: Option<String>,
) -> CompanyProfile {
    CompanyProfile {
        symbol: symbol.clone(),
        name: o.name.or(stored_name).unwrap_or_else(|| symbol.to_string()),
        exchange: o.exchange,
        currency: o.currency,
        sector: o.sector,
        industry: o.industry,
        market_cap: o.market_cap,
        pe_ratio: o.pe_ratio,
        week52_high: o.week_52_high,
        week52_low: o.week_52_low,
        // Providers give a fraction; the wire type is in percent.
        dividend_yield: o.dividend_yield.map(|y| y * 100.0),
        description: o.description,
        source: source.to_string(),
    }
}

fn news_item(a: providers::NewsArticle) -> NewsItem {
    NewsItem {
        title: a.title,
        source: a.source,
        url: a.url,
        image: a.image,
        published_at: a.published_at,
        summary: a.summary,
        sentiment: a.sentiment.map(|s| s.score),
    }
}

/// Why there is no news, said plainly: nobody serves news, nobody has any, or the providers failed.
fn news_error(symbol: Option<&Symbol>, e: &ChainError) -> ServiceError {
    let attempts = e.attempts();
    if attempts
        .iter()
        .all(|a| matches!(a, ProviderError::Unsupported { .. }))
    {
        return ServiceError::Unavailable(NO_NEWS_PROVIDER.into());
    }
    tracing::warn!(error = %e, "no news from any provider");
    if attempts.iter().any(|a| {
        matches!(
            a,
            ProviderError::NoData { .. } | ProviderError::NotFound { .. }
        )
    }) {
        let about = symbol.map_or_else(|| "the market".to_string(), |s| s.to_string());
        return ServiceError::Unavailable(format!(
            "The news providers have no articles about {about} from the last {NEWS_DAYS} days."
        ));
    }
    ServiceError::Unavailable(
        "The news providers are not answering right now; please try again later.".into(),
    )
}

fn not_found(symbol: &Symbol) -> ServiceError {
    ServiceError::UnknownSymbol(symbol.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_provenance_is_labelled_bundled_and_provider_names_are_kept() {
        assert_eq!(
            source_label("Bundled daily bars 2004–2013 from the `backtesting` 0.6.6 package"),
            "bundled"
        );
        assert_eq!(source_label("polygon"), "polygon");
        assert_eq!(source_label("alphavantage"), "alphavantage");
    }

    #[test]
    fn intraday_keeps_only_the_last_sessions_in_new_york_time() {
        let bar = |rfc: &str| IntradayBar {
            start: rfc.parse().unwrap(),
            open: 1.0,
            high: 1.0,
            low: 1.0,
            close: 1.0,
            volume: 1,
        };
        // 20:55 UTC on the 19th is 15:55 in New York: still the 19th's session.
        let bars = vec![
            bar("2024-11-18T20:55:00Z"),
            bar("2024-11-19T20:55:00Z"),
            bar("2024-11-20T14:30:00Z"),
            bar("2024-11-20T14:35:00Z"),
        ];
        let one = last_sessions(bars.clone(), 1);
        assert_eq!(one.len(), 2);
        assert!(one
            .iter()
            .all(|b| b.start.date_naive().to_string() == "2024-11-20"));
        assert_eq!(last_sessions(bars.clone(), 2).len(), 3);
        assert_eq!(
            last_sessions(bars, 5).len(),
            4,
            "fewer sessions than asked: all of them"
        );
        assert!(last_sessions(vec![], 1).is_empty());
    }

    #[test]
    fn a_provider_dividend_yield_fraction_becomes_percent_and_unknowns_stay_absent() {
        let symbol = Symbol::parse("IBM").unwrap();
        let o = providers::CompanyOverview {
            dividend_yield: Some(0.0393),
            sector: Some("Technology".into()),
            ..Default::default()
        };
        let p = profile_from_provider(&symbol, o, ProviderKind::AlphaVantage, Some("IBM".into()));
        assert!((p.dividend_yield.unwrap() - 3.93).abs() < 1e-9);
        assert_eq!(p.name, "IBM");
        assert_eq!(p.market_cap, None);
        assert_eq!(p.source, "alphavantage");
    }
}

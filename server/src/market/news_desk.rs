//! [`NewsDeskService`]: the server's implementation of the UI's [`NewsDesk`] port, and the refresh
//! the scheduler runs to keep it fed.
//!
//! Pages read Postgres through Redis (each page kept [`PAGE_TTL`]) and never ask a provider: a
//! page request costs no provider quota and cannot be slowed by one. The scheduler
//! ([`crate::worker`]) calls [`NewsDeskService::refresh`] hourly while the market is open and
//! every two hours otherwise; it stores market news and the news of every active ticker through
//! the [`Ingestor`] (which logs each provider call to `fetch_log`).
//!
//! Without a provider that serves news (Alpha Vantage or Finnhub) nothing is refreshed, and an
//! empty desk carries a notice naming the keys to set: a normal state of a fresh install, not an
//! error.

use std::future::Future;
use std::time::Duration;

use app::domain::{PageNumber, Symbol};
use app::model::{NewsDeskPage, NewsHeadlines, NewsStory, SentimentBucket, SentimentSummary};
use app::ssr::{NewsDesk, ServiceError};
use async_trait::async_trait;
use chrono::{DateTime, Days, Utc};
use serde::{de::DeserializeOwned, Serialize};
use sqlx::PgPool;

use super::ingest::{IngestError, Ingestor};
use super::providers::{DateRange, ProviderKind};
use super::store::{self, news as news_store, StoredArticle};
use crate::cache::{Cache, Lookup};

/// How long a page (and the headlines) is served from Redis before Postgres is read again.
pub const PAGE_TTL: Duration = Duration::from_secs(60);

/// A refresh asks for articles published over this many days up to today.
pub const REFRESH_DAYS: u64 = 7;

/// A refresh asks for at most this many articles per feed: enough for the sentiment window.
pub const REFRESH_LIMIT: usize = SentimentSummary::WINDOW as usize;

/// What an empty desk says when no provider serves news.
pub const NO_NEWS_PROVIDER: &str = "No news provider is configured: set ALPHAVANTAGE_API_KEY or FINNHUB_API_KEY (the providers with news) and restart, and stories arrive with the next scheduled refresh.";

/// Whether a chain of these providers can serve news: Alpha Vantage and Finnhub have news
/// endpoints; Polygon and Yahoo have none here.
pub fn serves_news(order: &[ProviderKind]) -> bool {
    order
        .iter()
        .any(|k| matches!(k, ProviderKind::AlphaVantage | ProviderKind::Finnhub))
}

/// The news desk: stored news, page by page, and its scheduled refresh.
#[derive(Clone)]
pub struct NewsDeskService {
    pool: PgPool,
    cache: Cache,
    ingestor: Option<Ingestor>,
}

impl std::fmt::Debug for NewsDeskService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewsDeskService")
            .field("cache", &self.cache)
            .field("can_refresh", &self.can_refresh())
            .finish_non_exhaustive()
    }
}

/// What one [`NewsDeskService::refresh`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeskRefresh {
    /// Feeds asked for: market news and each active ticker's.
    pub feeds: u32,
    /// Feeds that answered and were stored.
    pub stored: u32,
    /// Articles new to the store.
    pub inserted: u64,
    /// Articles already stored, refreshed in place.
    pub updated: u64,
}

impl NewsDeskService {
    /// A desk over `pool` and `cache`; `ingestor` refreshes it (`None` when no configured
    /// provider serves news: see [`serves_news`]).
    pub fn new(pool: PgPool, cache: Cache, ingestor: Option<Ingestor>) -> Self {
        Self {
            pool,
            cache,
            ingestor,
        }
    }

    /// Whether a refresh can fetch anything.
    pub fn can_refresh(&self) -> bool {
        self.ingestor.is_some()
    }

    /// The notice of an empty desk: set when nothing can fill it.
    fn notice(&self, total: i64) -> Option<String> {
        (total == 0 && !self.can_refresh()).then(|| NO_NEWS_PROVIDER.to_string())
    }

    /// The cached answer under `key`, or `load`'s (kept for [`PAGE_TTL`] when it is `Ok`).
    /// Errors are not kept: an unknown ticker may be added a moment later.
    async fn cached<T, Fut>(&self, key: &str, load: Fut) -> Result<T, ServiceError>
    where
        T: Serialize + DeserializeOwned,
        Fut: Future<Output = Result<T, ServiceError>>,
    {
        let key = format!("news:v1:{key}");
        if let Lookup::Hit(value) = self.cache.lookup_json(&key).await {
            return Ok(value);
        }
        let value = load.await?;
        self.cache.set_json(&key, &value, PAGE_TTL).await;
        Ok(value)
    }

    async fn load_page(
        &self,
        symbol: Option<&Symbol>,
        page: PageNumber,
    ) -> Result<Option<NewsDeskPage>, ServiceError> {
        let as_of = Utc::now();
        let name = match symbol {
            Some(s) => Some(
                store::ticker(&self.pool, s)
                    .await?
                    .ok_or_else(|| ServiceError::UnknownSymbol(s.clone()))?
                    .name,
            ),
            None => None,
        };
        let total = news_store::count_news(&self.pool, symbol).await?;
        let per_page = NewsDeskPage::PER_PAGE;
        let offset = i64::try_from(page.offset(per_page)).unwrap_or(i64::MAX);
        if page != PageNumber::FIRST && offset >= total {
            return Ok(None);
        }
        let stories = news_store::news_page(&self.pool, symbol, i64::from(per_page), offset)
            .await?
            .into_iter()
            .map(story)
            .collect();
        let sentiment = match symbol {
            Some(s) if total > 0 => {
                let recent = news_store::recent_sentiment(
                    &self.pool,
                    s,
                    i64::from(SentimentSummary::WINDOW),
                )
                .await?;
                Some(SentimentSummary::of(recent.into_iter().map(|a| {
                    let bucket = SentimentBucket::of_article(a.score, a.label.as_deref());
                    (a.score, bucket)
                })))
            }
            _ => None,
        };
        Ok(Some(NewsDeskPage {
            symbol: symbol.cloned(),
            name,
            page,
            per_page,
            total: u64::try_from(total).unwrap_or(0),
            stories,
            sentiment,
            notice: self.notice(total),
            as_of,
        }))
    }

    async fn load_headlines(&self) -> Result<NewsHeadlines, ServiceError> {
        let as_of = Utc::now();
        let stories: Vec<NewsStory> =
            store::latest_news(&self.pool, None, i64::from(NewsHeadlines::COUNT))
                .await?
                .into_iter()
                .map(story)
                .collect();
        Ok(NewsHeadlines {
            notice: self.notice(stories.len() as i64),
            stories,
            as_of,
        })
    }

    /// Fetches and stores market news and the news of every active ticker published over the
    /// [`REFRESH_DAYS`] up to `now` (indices have no news of their own and are skipped). A feed
    /// that fails is logged (and in `fetch_log`) and the others go on; only failing to read the
    /// tickers is an error. Without a news provider, nothing is asked.
    #[tracing::instrument(name = "news_desk.refresh", skip(self), err(Display))]
    pub async fn refresh(&self, now: DateTime<Utc>) -> Result<DeskRefresh, sqlx::Error> {
        let mut report = DeskRefresh::default();
        let Some(ingestor) = &self.ingestor else {
            tracing::info!("no news provider configured; nothing to refresh");
            return Ok(report);
        };
        let today = now.date_naive();
        let from = today
            .checked_sub_days(Days::new(REFRESH_DAYS))
            .unwrap_or(today);
        let Ok(range) = DateRange::new(from, today) else {
            return Ok(report);
        };
        let symbols: Vec<Symbol> = store::tickers(&self.pool, true)
            .await?
            .into_iter()
            .map(|t| t.symbol)
            .filter(|s| !s.as_str().starts_with('^'))
            .collect();
        let feeds = std::iter::once(None).chain(symbols.iter().map(Some));
        for symbol in feeds {
            report.feeds += 1;
            match ingestor.refresh_news(symbol, range, REFRESH_LIMIT).await {
                Ok(r) => {
                    report.stored += 1;
                    report.inserted += r.inserted;
                    report.updated += r.updated;
                }
                Err(IngestError::Providers(e)) if e.nobody_has_it() => {
                    tracing::debug!(symbol = ?symbol.map(Symbol::as_str), "no news in range");
                }
                Err(e) => {
                    tracing::warn!(symbol = ?symbol.map(Symbol::as_str), error = %e, "news feed not refreshed");
                }
            }
        }
        tracing::info!(
            feeds = report.feeds,
            stored = report.stored,
            inserted = report.inserted,
            updated = report.updated,
            "news desk refreshed"
        );
        Ok(report)
    }
}

#[async_trait]
impl NewsDesk for NewsDeskService {
    #[tracing::instrument(skip(self), err(level = "info"))]
    async fn market_news(&self, page: PageNumber) -> Result<Option<NewsDeskPage>, ServiceError> {
        self.cached(&format!("desk:_market:{page}"), self.load_page(None, page))
            .await
    }

    #[tracing::instrument(skip(self), err(level = "info"))]
    async fn symbol_news(
        &self,
        symbol: &Symbol,
        page: PageNumber,
    ) -> Result<Option<NewsDeskPage>, ServiceError> {
        self.cached(
            &format!("desk:{symbol}:{page}"),
            self.load_page(Some(symbol), page),
        )
        .await
    }

    #[tracing::instrument(skip(self), err(level = "info"))]
    async fn headlines(&self) -> Result<NewsHeadlines, ServiceError> {
        self.cached("headlines", self.load_headlines()).await
    }
}

fn story(a: StoredArticle) -> NewsStory {
    let score = a.sentiment_score.filter(|s| s.is_finite());
    NewsStory {
        sentiment: SentimentBucket::of_article(score, a.sentiment_label.as_deref()),
        sentiment_score: score,
        title: a.title,
        source: a.source,
        url: NewsStory::web_link(&a.url).map(str::to_string),
        image: a.image,
        published_at: a.published_at,
        summary: a.summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_alpha_vantage_and_finnhub_serve_news() {
        assert!(!serves_news(&[]));
        assert!(!serves_news(&[ProviderKind::Polygon, ProviderKind::Yahoo]));
        assert!(serves_news(&[ProviderKind::Yahoo, ProviderKind::Finnhub]));
        assert!(serves_news(&[ProviderKind::AlphaVantage]));
    }

    #[test]
    fn a_stored_article_becomes_a_story_with_its_providers_label_in_three() {
        let article = StoredArticle {
            id: 1,
            symbol: Some("IBM".into()),
            title: "IBM to Acquire HashiCorp".into(),
            source: "Benzinga".into(),
            url: "https://www.example.com/news/ibm-hashicorp".into(),
            image: None,
            published_at: DateTime::<Utc>::UNIX_EPOCH,
            summary: Some("IBM agreed to buy HashiCorp.".into()),
            sentiment_score: Some(0.271),
            sentiment_label: Some("Somewhat-Bullish".into()),
            provider: "alphavantage".into(),
            fetched_at: DateTime::<Utc>::UNIX_EPOCH,
        };
        let s = story(article.clone());
        assert_eq!(s.sentiment, Some(SentimentBucket::Bullish));
        assert_eq!(s.sentiment_score, Some(0.271));
        let unscored = story(StoredArticle {
            sentiment_score: None,
            sentiment_label: None,
            ..article.clone()
        });
        assert_eq!((unscored.sentiment, unscored.sentiment_score), (None, None));
        assert_eq!(
            unscored.url.as_deref(),
            Some("https://www.example.com/news/ibm-hashicorp")
        );
        let scripted = story(StoredArticle {
            url: "javascript:alert(1)".into(),
            ..article
        });
        assert_eq!(scripted.url, None, "never passed on");
    }
}

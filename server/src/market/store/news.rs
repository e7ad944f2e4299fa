//! The `news_articles` table: market and per-symbol news, once per symbol and URL.

use app::domain::Symbol;
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use super::{count, StoreResult, Upserted};
use crate::market::providers::{NewsArticle, ProviderKind, SentimentLabel};

/// A stored news article.
#[derive(Debug, Clone, PartialEq)]
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
    let fresh = sqlx::query_scalar!(
        r#"insert into news_articles
               (symbol, title, source, url, image, published_at, summary, sentiment_score,
                sentiment_label, provider)
           select $1, ti, so, u, im, p, su, sc, la, $10
           from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                       $7::text[], $8::float8[], $9::text[]) as t (ti, so, u, im, p, su, sc, la)
           on conflict on constraint news_articles_symbol_url_key do update set
               title = excluded.title, source = excluded.source, image = excluded.image,
               published_at = excluded.published_at, summary = excluded.summary,
               sentiment_score = excluded.sentiment_score,
               sentiment_label = excluded.sentiment_label,
               provider = excluded.provider, fetched_at = now()
           returning (xmax = 0) as "fresh!""#,
        symbol.map(Symbol::as_str),
        &title as &[&str],
        &source as &[&str],
        &url as &[&str],
        &image as &[Option<&str>],
        &published as _,
        &summary as &[Option<&str>],
        &score as &[Option<f64>],
        &label as &[Option<&str>],
        provider.as_str(),
    )
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
    sqlx::query_as!(
        StoredArticle,
        r#"select id, symbol, title, source, url, image,
                  published_at as "published_at: DateTime<Utc>", summary, sentiment_score,
                  sentiment_label, provider, fetched_at as "fetched_at: DateTime<Utc>"
           from news_articles where symbol is not distinct from $1
           order by published_at desc, id desc limit $2"#,
        symbol.map(Symbol::as_str),
        limit.max(0),
    )
    .fetch_all(ex)
    .await
}

/// How many articles are stored about `symbol` (`None`: market news).
pub async fn count_news(ex: impl PgExecutor<'_>, symbol: Option<&Symbol>) -> StoreResult<i64> {
    // Two statements rather than `is not distinct from`, which no index can serve.
    match symbol {
        None => {
            sqlx::query_scalar!(
                r#"select count(*) as "n!" from news_articles where symbol is null"#
            )
            .fetch_one(ex)
            .await
        }
        Some(s) => {
            sqlx::query_scalar!(
                r#"select count(*) as "n!" from news_articles where symbol = $1"#,
                s.as_str()
            )
            .fetch_one(ex)
            .await
        }
    }
}

/// One page of the articles about `symbol` (`None`: market news), newest first: `limit` of them
/// after the `offset` newest.
pub async fn news_page(
    ex: impl PgExecutor<'_>,
    symbol: Option<&Symbol>,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<StoredArticle>> {
    match symbol {
        None => {
            sqlx::query_as!(
                StoredArticle,
                r#"select id, symbol, title, source, url, image,
                          published_at as "published_at: DateTime<Utc>", summary, sentiment_score,
                          sentiment_label, provider, fetched_at as "fetched_at: DateTime<Utc>"
                   from news_articles where symbol is null
                   order by published_at desc, id desc limit $1 offset $2"#,
                limit.max(0),
                offset.max(0),
            )
            .fetch_all(ex)
            .await
        }
        Some(s) => {
            sqlx::query_as!(
                StoredArticle,
                r#"select id, symbol, title, source, url, image,
                          published_at as "published_at: DateTime<Utc>", summary, sentiment_score,
                          sentiment_label, provider, fetched_at as "fetched_at: DateTime<Utc>"
                   from news_articles where symbol = $1
                   order by published_at desc, id desc limit $2 offset $3"#,
                s.as_str(),
                limit.max(0),
                offset.max(0),
            )
            .fetch_all(ex)
            .await
        }
    }
}

/// The sentiment fields of one stored article.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleSentiment {
    /// Score from -1 to 1, when the provider scored it.
    pub score: Option<f64>,
    /// The provider's label, when it gave one.
    pub label: Option<String>,
}

/// The sentiment fields of the `limit` newest articles about `symbol`, newest first (scored or
/// not: a summary says how many carry a score).
pub async fn recent_sentiment(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
    limit: i64,
) -> StoreResult<Vec<ArticleSentiment>> {
    sqlx::query_as!(
        ArticleSentiment,
        r#"select sentiment_score as score, sentiment_label as label
           from news_articles where symbol = $1
           order by published_at desc, id desc limit $2"#,
        symbol.as_str(),
        limit.max(0),
    )
    .fetch_all(ex)
    .await
}

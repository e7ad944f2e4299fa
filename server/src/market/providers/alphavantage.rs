//! Alpha Vantage: `TIME_SERIES_DAILY_ADJUSTED`, `GLOBAL_QUOTE`, `OVERVIEW` and `NEWS_SENTIMENT`, all
//! on `GET /query?function=…&apikey=…`, numbers written as strings.
//!
//! Alpha Vantage answers errors with HTTP 200: `{"Error Message": …}` for an unknown symbol or a bad
//! key, `{"Note": …}` or `{"Information": …}` when the rate limit is reached or the endpoint needs a
//! premium plan. [`AlphaVantage::check`] turns those into [`ProviderError`]s.

use std::collections::BTreeMap;

use app::domain::Symbol;
use async_trait::async_trait;
use chrono::{Days, NaiveDate, NaiveDateTime, Utc};
use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::Value;

use super::http::{decode, excerpt, Http, HttpSettings};
use super::{
    finish_bars, finish_news, non_empty, price, ApiKey, CompanyOverview, DailyBar, DateRange,
    MarketDataProvider, NewsArticle, NewsQuery, ProviderError, ProviderKind, Quote, Sentiment,
    SentimentLabel,
};

/// The real host.
pub const ALPHA_VANTAGE_URL: &str = "https://www.alphavantage.co";

const PROVIDER: ProviderKind = ProviderKind::AlphaVantage;

/// `outputsize=compact` returns the latest 100 trading days: about 140 calendar days.
const COMPACT_DAYS: u64 = 140;

/// The Alpha Vantage client.
#[derive(Debug, Clone)]
pub struct AlphaVantage {
    http: Http,
    base_url: String,
    api_key: ApiKey,
}

impl AlphaVantage {
    /// A client for the API at `base_url` ([`ALPHA_VANTAGE_URL`] in production).
    pub fn new(
        base_url: &str,
        api_key: ApiKey,
        settings: &HttpSettings,
    ) -> Result<Self, ProviderError> {
        Ok(AlphaVantage {
            http: Http::new(PROVIDER, settings)?,
            base_url: base_url.trim_end_matches('/').to_string(),
            api_key,
        })
    }

    async fn call(
        &self,
        function: &str,
        params: Vec<(&str, String)>,
    ) -> Result<Value, ProviderError> {
        let mut query = vec![("function", function.to_string())];
        query.extend(params);
        query.push(("apikey", self.api_key.expose().to_string()));
        let url = format!("{}/query", self.base_url);
        let body = self.http.get_json(&url, &query, &HeaderMap::new()).await?;
        check(body)
    }
}

/// Alpha Vantage's errors inside 200 answers.
fn check(body: Value) -> Result<Value, ProviderError> {
    let message = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_string);
    if let Some(msg) = message("Error Message") {
        let lower = msg.to_ascii_lowercase();
        return Err(if lower.contains("apikey") || lower.contains("api key") {
            ProviderError::Unauthorized {
                provider: PROVIDER,
                detail: excerpt(&msg),
            }
        } else {
            // "Invalid API call. Please retry or visit the documentation …": how it answers an
            // unknown symbol.
            ProviderError::not_found(PROVIDER, excerpt(&msg))
        });
    }
    if message("Note").is_some() {
        return Err(ProviderError::RateLimited {
            provider: PROVIDER,
            retry_after: None,
        });
    }
    if let Some(msg) = message("Information") {
        let lower = msg.to_ascii_lowercase();
        return Err(
            if lower.contains("rate limit")
                || lower.contains("call frequency")
                || lower.contains("requests per")
            {
                ProviderError::RateLimited {
                    provider: PROVIDER,
                    retry_after: None,
                }
            } else if lower.contains("premium") || lower.contains("api key") {
                ProviderError::Unauthorized {
                    provider: PROVIDER,
                    detail: excerpt(&msg),
                }
            } else {
                ProviderError::Rejected {
                    provider: PROVIDER,
                    detail: excerpt(&msg),
                }
            },
        );
    }
    Ok(body)
}

/// A number written as a string; `None`, `-` and empty mean unknown.
fn optional_number(s: Option<&String>) -> Option<f64> {
    let s = s?.trim().trim_end_matches('%');
    if matches!(s, "" | "None" | "-") {
        return None;
    }
    s.parse().ok().filter(|v: &f64| v.is_finite())
}

fn number(field: &str, s: &str) -> Result<f64, ProviderError> {
    s.trim().trim_end_matches('%').parse::<f64>().map_err(|_| {
        ProviderError::malformed(PROVIDER, format!("`{field}` is not a number: {s:?}"))
    })
}

#[derive(Deserialize)]
struct DailyAdjusted {
    #[serde(rename = "Time Series (Daily)")]
    series: BTreeMap<String, DailyRecord>,
}

#[derive(Deserialize)]
struct DailyRecord {
    #[serde(rename = "1. open")]
    open: String,
    #[serde(rename = "2. high")]
    high: String,
    #[serde(rename = "3. low")]
    low: String,
    #[serde(rename = "4. close")]
    close: String,
    #[serde(rename = "5. adjusted close")]
    adjusted_close: Option<String>,
    #[serde(rename = "6. volume")]
    volume: String,
    #[serde(rename = "7. dividend amount")]
    dividend: Option<String>,
    #[serde(rename = "8. split coefficient")]
    split: Option<String>,
}

impl DailyRecord {
    fn into_bar(self, date: &str) -> Result<DailyBar, ProviderError> {
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_err(|_| ProviderError::malformed(PROVIDER, format!("`{date}` is not a date")))?;
        let volume = number("6. volume", &self.volume)?;
        Ok(DailyBar {
            date,
            open: price(PROVIDER, "1. open", number("1. open", &self.open)?)?,
            high: price(PROVIDER, "2. high", number("2. high", &self.high)?)?,
            low: price(PROVIDER, "3. low", number("3. low", &self.low)?)?,
            close: price(PROVIDER, "4. close", number("4. close", &self.close)?)?,
            volume: super::volume(PROVIDER, volume)?,
            adjusted_close: optional_number(self.adjusted_close.as_ref()),
            // Alpha Vantage writes 0.0000 and 1.0 on days without a dividend or a split.
            dividend: optional_number(self.dividend.as_ref()).filter(|d| *d > 0.0),
            split_ratio: optional_number(self.split.as_ref()).filter(|s| *s > 0.0 && *s != 1.0),
        })
    }
}

#[derive(Deserialize)]
struct GlobalQuoteBody {
    #[serde(rename = "Global Quote")]
    quote: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct NewsBody {
    feed: Vec<FeedItem>,
}

#[derive(Deserialize)]
struct FeedItem {
    title: String,
    url: String,
    time_published: String,
    summary: Option<String>,
    banner_image: Option<String>,
    source: String,
    overall_sentiment_score: Option<f64>,
    overall_sentiment_label: Option<String>,
    #[serde(default)]
    ticker_sentiment: Vec<TickerSentiment>,
}

#[derive(Deserialize)]
struct TickerSentiment {
    ticker: String,
    ticker_sentiment_score: String,
    ticker_sentiment_label: Option<String>,
}

impl FeedItem {
    fn into_article(self, symbol: Option<&Symbol>) -> Result<NewsArticle, ProviderError> {
        let published_at = NaiveDateTime::parse_from_str(&self.time_published, "%Y%m%dT%H%M%S")
            .map_err(|_| {
                ProviderError::malformed(
                    PROVIDER,
                    format!("`time_published` is not a time: {:?}", self.time_published),
                )
            })?
            .and_utc();
        // The score about the asked symbol when there is one, else the article's overall score.
        let about_symbol = symbol.and_then(|s| {
            self.ticker_sentiment
                .iter()
                .find(|t| t.ticker.eq_ignore_ascii_case(s.as_str()))
        });
        let sentiment = match about_symbol {
            Some(t) => t
                .ticker_sentiment_score
                .trim()
                .parse()
                .ok()
                .map(|score| Sentiment {
                    score,
                    label: t
                        .ticker_sentiment_label
                        .as_deref()
                        .and_then(SentimentLabel::parse),
                }),
            None => self.overall_sentiment_score.map(|score| Sentiment {
                score,
                label: self
                    .overall_sentiment_label
                    .as_deref()
                    .and_then(SentimentLabel::parse),
            }),
        };
        Ok(NewsArticle {
            title: self.title,
            source: self.source,
            url: self.url,
            image: non_empty(self.banner_image),
            published_at,
            summary: non_empty(self.summary),
            sentiment,
        })
    }
}

#[async_trait]
impl MarketDataProvider for AlphaVantage {
    fn kind(&self) -> ProviderKind {
        PROVIDER
    }

    #[tracing::instrument(name = "alphavantage.daily_bars", skip_all, fields(provider = %PROVIDER, symbol = %symbol), err(Display, level = "warn"))]
    async fn daily_bars(
        &self,
        symbol: &Symbol,
        range: DateRange,
    ) -> Result<Vec<DailyBar>, ProviderError> {
        let compact_from = Utc::now().date_naive() - Days::new(COMPACT_DAYS);
        let outputsize = if range.from() >= compact_from {
            "compact"
        } else {
            "full"
        };
        let body = self
            .call(
                "TIME_SERIES_DAILY_ADJUSTED",
                vec![
                    ("symbol", symbol.to_string()),
                    ("outputsize", outputsize.into()),
                    ("datatype", "json".into()),
                ],
            )
            .await?;
        let parsed: DailyAdjusted = decode(PROVIDER, body)?;
        let bars = parsed
            .series
            .into_iter()
            .map(|(date, record)| record.into_bar(&date))
            .collect::<Result<Vec<_>, _>>()?;
        finish_bars(PROVIDER, symbol, range, bars)
    }

    #[tracing::instrument(name = "alphavantage.quote", skip_all, fields(provider = %PROVIDER, symbol = %symbol), err(Display, level = "warn"))]
    async fn quote(&self, symbol: &Symbol) -> Result<Quote, ProviderError> {
        let body = self
            .call("GLOBAL_QUOTE", vec![("symbol", symbol.to_string())])
            .await?;
        let parsed: GlobalQuoteBody = decode(PROVIDER, body)?;
        let q = parsed.quote;
        if q.is_empty() {
            // `{"Global Quote": {}}` is its answer to an unknown symbol.
            return Err(ProviderError::not_found(
                PROVIDER,
                format!("no quote for {symbol}"),
            ));
        }
        let field = |name: &str| {
            q.get(name)
                .ok_or_else(|| ProviderError::malformed(PROVIDER, format!("`{name}` is missing")))
                .and_then(|v| number(name, v))
        };
        let day = q
            .get("07. latest trading day")
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .ok_or_else(|| {
                ProviderError::malformed(
                    PROVIDER,
                    "`07. latest trading day` is missing or not a date",
                )
            })?;
        Ok(Quote {
            symbol: symbol.clone(),
            price: price(PROVIDER, "05. price", field("05. price")?)?,
            previous_close: price(PROVIDER, "08. previous close", field("08. previous close")?)?,
            change: field("09. change")?,
            change_percent: field("10. change percent")?,
            as_of: day.and_utc(),
            source: PROVIDER,
        })
    }

    #[tracing::instrument(name = "alphavantage.overview", skip_all, fields(provider = %PROVIDER, symbol = %symbol), err(Display, level = "warn"))]
    async fn overview(&self, symbol: &Symbol) -> Result<CompanyOverview, ProviderError> {
        let body = self
            .call("OVERVIEW", vec![("symbol", symbol.to_string())])
            .await?;
        let fields: BTreeMap<String, Value> = decode(PROVIDER, body)?;
        if fields.is_empty() {
            // `{}` is its answer to an unknown symbol.
            return Err(ProviderError::not_found(
                PROVIDER,
                format!("no overview for {symbol}"),
            ));
        }
        let text = |k: &str| {
            fields
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .filter(|s| !matches!(s.trim(), "" | "None" | "-"))
        };
        let num = |k: &str| optional_number(text(k).as_ref());
        Ok(CompanyOverview {
            name: text("Name"),
            description: text("Description"),
            exchange: text("Exchange"),
            currency: text("Currency"),
            country: text("Country"),
            sector: text("Sector"),
            industry: text("Industry"),
            website: text("OfficialSite"),
            logo_url: None,
            ipo_date: None,
            market_cap: num("MarketCapitalization"),
            shares_outstanding: num("SharesOutstanding"),
            pe_ratio: num("PERatio"),
            eps: num("EPS"),
            dividend_yield: num("DividendYield"),
            beta: num("Beta"),
            week_52_high: num("52WeekHigh"),
            week_52_low: num("52WeekLow"),
        })
    }

    #[tracing::instrument(name = "alphavantage.news", skip_all, fields(provider = %PROVIDER, symbol = query.symbol.as_ref().map_or("", |s| s.as_str())), err(Display, level = "warn"))]
    async fn news(&self, query: &NewsQuery) -> Result<Vec<NewsArticle>, ProviderError> {
        let mut params = vec![
            (
                "time_from",
                format!("{}T0000", query.range.from().format("%Y%m%d")),
            ),
            (
                "time_to",
                format!("{}T2359", query.range.to().format("%Y%m%d")),
            ),
            ("sort", "LATEST".into()),
            ("limit", query.limit.clamp(1, 1000).to_string()),
        ];
        if let Some(symbol) = &query.symbol {
            params.push(("tickers", symbol.to_string()));
        }
        let body = self.call("NEWS_SENTIMENT", params).await?;
        let parsed: NewsBody = decode(PROVIDER, body)?;
        let articles = parsed
            .feed
            .into_iter()
            .map(|item| item.into_article(query.symbol.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        finish_news(PROVIDER, articles, query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_note_in_a_200_is_a_rate_limit() {
        let err = check(json!({"Note": "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute and 500 calls per day."})).unwrap_err();
        assert!(matches!(
            err,
            ProviderError::RateLimited {
                retry_after: None,
                ..
            }
        ));
    }

    #[test]
    fn information_messages_are_told_apart() {
        let daily_limit = check(json!({"Information": "Thank you for using Alpha Vantage! Our standard API rate limit is 25 requests per day."})).unwrap_err();
        assert!(matches!(daily_limit, ProviderError::RateLimited { .. }));
        let premium = check(json!({"Information": "Thank you for using Alpha Vantage! This is a premium endpoint."})).unwrap_err();
        assert!(matches!(premium, ProviderError::Unauthorized { .. }));
    }

    #[test]
    fn an_error_message_is_a_bad_key_or_an_unknown_symbol() {
        let bad_key =
            check(json!({"Error Message": "the parameter apikey is invalid or missing."}))
                .unwrap_err();
        assert!(matches!(bad_key, ProviderError::Unauthorized { .. }));
        let unknown = check(json!({"Error Message": "Invalid API call. Please retry or visit the documentation for TIME_SERIES_DAILY_ADJUSTED."})).unwrap_err();
        assert!(matches!(unknown, ProviderError::NotFound { .. }));
    }

    #[test]
    fn unknown_overview_numbers_are_absent_not_zero() {
        assert_eq!(optional_number(Some(&"None".to_string())), None);
        assert_eq!(optional_number(Some(&"-".to_string())), None);
        assert_eq!(optional_number(Some(&"0.0710%".to_string())), Some(0.071));
        assert_eq!(optional_number(None), None);
    }
}

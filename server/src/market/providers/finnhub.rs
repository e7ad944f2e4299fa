//! Finnhub: `/quote`, `/stock/candle`, `/company-news`, `/news`, `/stock/profile2`, `/stock/metric`
//! and `/search`, authenticated with the `X-Finnhub-Token` header (so the key never sits in a URL).
//!
//! Candles at `resolution=D` are stamped at midnight UTC of their day; intraday ones (`resolution=5`)
//! at the start of the bar, pre- and post-market included.
//!
//! Finnhub's empty answers are 200s: `{"s":"no_data"}` for candles, `[]` for news, `{}` for an unknown
//! company profile, an all-zero quote for an unknown symbol, and `{"count":0,"result":[]}` for a
//! search without a match.

use app::domain::Symbol;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use reqwest::header::{HeaderMap, HeaderValue};
use serde::Deserialize;
use serde_json::Value;

use super::http::{decode, excerpt, Http, HttpSettings};
use super::types::{finish_matches, MatchRow};
use super::{
    finish_bars, finish_intraday, finish_news, in_regular_session, new_york_day, non_empty, price,
    ApiKey, CompanyOverview, DailyBar, DateRange, Interval, IntradayBar, MarketDataProvider,
    NewsArticle, NewsQuery, ProviderError, ProviderKind, Quote, SearchText, SymbolMatch,
};

/// The real host, with the API prefix.
pub const FINNHUB_URL: &str = "https://finnhub.io/api/v1";

const PROVIDER: ProviderKind = ProviderKind::Finnhub;

/// The Finnhub client.
#[derive(Debug, Clone)]
pub struct Finnhub {
    http: Http,
    base_url: String,
    headers: HeaderMap,
}

impl Finnhub {
    /// A client for the API at `base_url` ([`FINNHUB_URL`] in production).
    pub fn new(
        base_url: &str,
        api_key: ApiKey,
        settings: &HttpSettings,
    ) -> Result<Self, ProviderError> {
        let mut token =
            HeaderValue::from_str(api_key.expose()).map_err(|_| ProviderError::Unauthorized {
                provider: PROVIDER,
                detail: "the API key holds characters a header cannot".into(),
            })?;
        token.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert("X-Finnhub-Token", token);
        Ok(Finnhub {
            http: Http::new(PROVIDER, settings)?,
            base_url: base_url.trim_end_matches('/').to_string(),
            headers,
        })
    }

    async fn call(&self, path: &str, query: &[(&str, String)]) -> Result<Value, ProviderError> {
        let url = format!("{}{path}", self.base_url);
        let body = self.http.get_json(&url, query, &self.headers).await?;
        // Errors are usually sent with a 4xx, but an `{"error": …}` body is an error whatever the status.
        if let Some(msg) = body.get("error").and_then(Value::as_str) {
            let lower = msg.to_ascii_lowercase();
            return Err(if lower.contains("limit") {
                ProviderError::RateLimited {
                    provider: PROVIDER,
                    retry_after: None,
                }
            } else if lower.contains("key") || lower.contains("access") {
                ProviderError::Unauthorized {
                    provider: PROVIDER,
                    detail: excerpt(msg),
                }
            } else {
                ProviderError::Rejected {
                    provider: PROVIDER,
                    detail: excerpt(msg),
                }
            });
        }
        Ok(body)
    }

    /// `/stock/candle` at `resolution` between two Unix times, as rows; `no_data` is
    /// [`ProviderError::NoData`].
    async fn candles(
        &self,
        symbol: &Symbol,
        resolution: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<Candle>, ProviderError> {
        let body = self
            .call(
                "/stock/candle",
                &[
                    ("symbol", symbol.to_string()),
                    ("resolution", resolution.into()),
                    ("from", from.to_string()),
                    ("to", to.to_string()),
                ],
            )
            .await?;
        let candles: Candles = decode(PROVIDER, body)?;
        candles.rows(symbol)
    }
}

#[derive(Deserialize)]
struct QuoteBody {
    c: Option<f64>,
    d: Option<f64>,
    dp: Option<f64>,
    pc: Option<f64>,
    t: Option<i64>,
}

#[derive(Deserialize)]
struct Candles {
    s: String,
    #[serde(default)]
    t: Vec<i64>,
    #[serde(default)]
    o: Vec<f64>,
    #[serde(default)]
    h: Vec<f64>,
    #[serde(default)]
    l: Vec<f64>,
    #[serde(default)]
    c: Vec<f64>,
    #[serde(default)]
    v: Vec<f64>,
}

/// One row of [`Candles`], its prices checked.
struct Candle {
    start: DateTime<Utc>,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: u64,
}

impl Candles {
    fn rows(self, symbol: &Symbol) -> Result<Vec<Candle>, ProviderError> {
        match self.s.as_str() {
            "ok" => {}
            "no_data" => {
                return Err(ProviderError::no_data(
                    PROVIDER,
                    format!("no candles for {symbol}"),
                ))
            }
            other => {
                return Err(ProviderError::malformed(
                    PROVIDER,
                    format!("candle status {other:?}"),
                ))
            }
        }
        let n = self.t.len();
        if [&self.o, &self.h, &self.l, &self.c, &self.v]
            .iter()
            .any(|column| column.len() != n)
        {
            return Err(ProviderError::malformed(
                PROVIDER,
                "candle arrays differ in length",
            ));
        }
        (0..n)
            .map(|i| {
                Ok(Candle {
                    start: timestamp(self.t[i])?,
                    open: price(PROVIDER, "o", self.o[i])?,
                    high: price(PROVIDER, "h", self.h[i])?,
                    low: price(PROVIDER, "l", self.l[i])?,
                    close: price(PROVIDER, "c", self.c[i])?,
                    volume: super::volume(PROVIDER, self.v[i])?,
                })
            })
            .collect()
    }
}

/// Finnhub's `resolution` for an interval: minutes as a number.
fn resolution(interval: Interval) -> &'static str {
    match interval {
        Interval::Min1 => "1",
        Interval::Min5 => "5",
        Interval::Min15 => "15",
        Interval::Min30 => "30",
        Interval::Min60 => "60",
    }
}

#[derive(Deserialize)]
struct NewsItem {
    datetime: i64,
    headline: String,
    image: Option<String>,
    source: String,
    summary: Option<String>,
    url: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Profile {
    name: Option<String>,
    country: Option<String>,
    currency: Option<String>,
    exchange: Option<String>,
    finnhub_industry: Option<String>,
    ipo: Option<String>,
    logo: Option<String>,
    /// Millions.
    market_capitalization: Option<f64>,
    /// Millions.
    share_outstanding: Option<f64>,
    weburl: Option<String>,
}

#[derive(Deserialize)]
struct Metrics {
    #[serde(default)]
    metric: serde_json::Map<String, Value>,
}

/// `/search`: `{"count": 4, "result": [..]}`, best match first.
#[derive(Deserialize)]
struct SearchBody {
    result: Vec<SearchResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchResult {
    symbol: String,
    description: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

fn timestamp(t: i64) -> Result<DateTime<Utc>, ProviderError> {
    DateTime::from_timestamp(t, 0)
        .ok_or_else(|| ProviderError::malformed(PROVIDER, format!("`{t}` is not a timestamp")))
}

#[async_trait]
impl MarketDataProvider for Finnhub {
    fn kind(&self) -> ProviderKind {
        PROVIDER
    }

    #[tracing::instrument(name = "finnhub.daily_bars", skip_all, fields(provider = %PROVIDER, symbol = %symbol), err(Display, level = "warn"))]
    async fn daily_bars(
        &self,
        symbol: &Symbol,
        range: DateRange,
    ) -> Result<Vec<DailyBar>, ProviderError> {
        let bars = self
            .candles(symbol, "D", range.first_second(), range.last_second())
            .await?
            .into_iter()
            .map(|c| DailyBar {
                // Daily candles are stamped at midnight UTC of the trading day.
                date: c.start.date_naive(),
                open: c.open,
                high: c.high,
                low: c.low,
                close: c.close,
                volume: c.volume,
                adjusted_close: None,
                // Candles carry no corporate actions.
                dividend: None,
                split_ratio: None,
            })
            .collect();
        finish_bars(PROVIDER, symbol, range, bars)
    }

    /// Intraday candles of US listings, the extended hours dropped.
    #[tracing::instrument(name = "finnhub.intraday_bars", skip_all, fields(provider = %PROVIDER, symbol = %symbol, interval = %interval), err(Display, level = "warn"))]
    async fn intraday_bars(
        &self,
        symbol: &Symbol,
        range: DateRange,
        interval: Interval,
    ) -> Result<Vec<IntradayBar>, ProviderError> {
        // The regular session of a New York day lies within the same UTC day.
        let bars = self
            .candles(
                symbol,
                resolution(interval),
                range.first_second(),
                range.last_second(),
            )
            .await?
            .into_iter()
            .filter(|c| in_regular_session(c.start))
            .map(|c| IntradayBar {
                start: c.start,
                open: c.open,
                high: c.high,
                low: c.low,
                close: c.close,
                volume: c.volume,
            })
            .collect();
        finish_intraday(PROVIDER, symbol, range, interval, new_york_day, bars)
    }

    #[tracing::instrument(name = "finnhub.quote", skip_all, fields(provider = %PROVIDER, symbol = %symbol), err(Display, level = "warn"))]
    async fn quote(&self, symbol: &Symbol) -> Result<Quote, ProviderError> {
        let body = self
            .call("/quote", &[("symbol", symbol.to_string())])
            .await?;
        let q: QuoteBody = decode(PROVIDER, body)?;
        // An unknown symbol gets `{"c":0,"d":null,"dp":null,…,"t":0}`.
        let (Some(c), Some(pc), Some(t)) = (q.c, q.pc, q.t) else {
            return Err(ProviderError::not_found(
                PROVIDER,
                format!("no quote for {symbol}"),
            ));
        };
        if t == 0 || c == 0.0 {
            return Err(ProviderError::not_found(
                PROVIDER,
                format!("no quote for {symbol}"),
            ));
        }
        let price_now = price(PROVIDER, "c", c)?;
        let previous_close = price(PROVIDER, "pc", pc)?;
        let as_of = timestamp(t)?;
        let mut quote =
            Quote::from_prices(symbol.clone(), price_now, previous_close, as_of, PROVIDER);
        // Prefer Finnhub's own change figures when it sends them.
        if let (Some(d), Some(dp)) = (q.d, q.dp) {
            quote.change = d;
            quote.change_percent = dp;
        }
        Ok(quote)
    }

    #[tracing::instrument(name = "finnhub.overview", skip_all, fields(provider = %PROVIDER, symbol = %symbol), err(Display, level = "warn"))]
    async fn overview(&self, symbol: &Symbol) -> Result<CompanyOverview, ProviderError> {
        let query = [("symbol", symbol.to_string())];
        let body = self.call("/stock/profile2", &query).await?;
        if body.as_object().is_some_and(|o| o.is_empty()) {
            return Err(ProviderError::not_found(
                PROVIDER,
                format!("no company profile for {symbol}"),
            ));
        }
        let profile: Profile = decode(PROVIDER, body)?;
        let mut metric_query = query.to_vec();
        metric_query.push(("metric", "all".into()));
        let metrics: Metrics = decode(PROVIDER, self.call("/stock/metric", &metric_query).await?)?;
        let metric = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| metrics.metric.get(*n).and_then(Value::as_f64))
        };
        let millions = |v: Option<f64>| v.filter(|v| *v > 0.0).map(|v| v * 1e6);
        Ok(CompanyOverview {
            name: non_empty(profile.name),
            description: None,
            exchange: non_empty(profile.exchange),
            currency: non_empty(profile.currency),
            country: non_empty(profile.country),
            sector: None,
            industry: non_empty(profile.finnhub_industry),
            website: non_empty(profile.weburl),
            logo_url: non_empty(profile.logo),
            ipo_date: profile
                .ipo
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
            market_cap: millions(profile.market_capitalization),
            shares_outstanding: millions(profile.share_outstanding),
            pe_ratio: metric(&["peTTM", "peBasicExclExtraTTM"]),
            eps: metric(&["epsTTM", "epsBasicExclExtraItemsTTM"]),
            // Finnhub gives the yield in percent.
            dividend_yield: metric(&["dividendYieldIndicatedAnnual", "currentDividendYieldTTM"])
                .map(|p| p / 100.0),
            beta: metric(&["beta"]),
            week_52_high: metric(&["52WeekHigh"]),
            week_52_low: metric(&["52WeekLow"]),
        })
    }

    #[tracing::instrument(name = "finnhub.news", skip_all, fields(provider = %PROVIDER, symbol = query.symbol.as_ref().map_or("", |s| s.as_str())), err(Display, level = "warn"))]
    async fn news(&self, query: &NewsQuery) -> Result<Vec<NewsArticle>, ProviderError> {
        let body = match &query.symbol {
            Some(symbol) => {
                self.call(
                    "/company-news",
                    &[
                        ("symbol", symbol.to_string()),
                        ("from", query.range.from().to_string()),
                        ("to", query.range.to().to_string()),
                    ],
                )
                .await?
            }
            // General news has no date filter: `finish_news` applies the range.
            None => {
                self.call("/news", &[("category", "general".into())])
                    .await?
            }
        };
        let items: Vec<NewsItem> = decode(PROVIDER, body)?;
        let articles = items
            .into_iter()
            .map(|item| {
                Ok(NewsArticle {
                    title: item.headline,
                    source: item.source,
                    url: item.url,
                    image: non_empty(item.image),
                    published_at: timestamp(item.datetime)?,
                    summary: non_empty(item.summary),
                    sentiment: None,
                })
            })
            .collect::<Result<Vec<_>, ProviderError>>()?;
        finish_news(PROVIDER, articles, query)
    }

    /// `/search` limited to US listings (`exchange=US`): Finnhub's listings elsewhere carry exchange
    /// suffixes (`AAPL.SW`) and trade on other calendars than the New York one the app assumes.
    #[tracing::instrument(name = "finnhub.search", skip_all, fields(provider = %PROVIDER, query = %query), err(Display, level = "warn"))]
    async fn search(&self, query: &SearchText) -> Result<Vec<SymbolMatch>, ProviderError> {
        let body = self
            .call(
                "/search",
                &[("q", query.as_str().to_string()), ("exchange", "US".into())],
            )
            .await?;
        let parsed: SearchBody = decode(PROVIDER, body)?;
        Ok(finish_matches(
            PROVIDER,
            parsed.result.into_iter().map(|r| MatchRow {
                symbol: r.symbol,
                name: r.description,
                exchange: None,
                kind: r.kind,
                // Finnhub's search names neither; `exchange=US` asked for US listings.
                currency: None,
                region: None,
            }),
        ))
    }
}

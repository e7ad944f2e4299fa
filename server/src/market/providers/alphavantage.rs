//! Alpha Vantage: `TIME_SERIES_DAILY_ADJUSTED`, `TIME_SERIES_INTRADAY`, `GLOBAL_QUOTE`, `OVERVIEW`,
//! `NEWS_SENTIMENT` and `SYMBOL_SEARCH`, all on `GET /query?function=…&apikey=…`, numbers written as
//! strings.
//!
//! Intraday timestamps are wall-clock times of the zone named in `Meta Data` (`US/Eastern`), and
//! label the start of each bar.
//!
//! Alpha Vantage answers errors with HTTP 200: `{"Error Message": …}` for an unknown symbol or a bad
//! key, `{"Note": …}` or `{"Information": …}` when the rate limit is reached or the endpoint needs a
//! premium plan. [`AlphaVantage::check`] turns those into [`ProviderError`]s.

use std::collections::BTreeMap;

use app::domain::Symbol;
use async_trait::async_trait;
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::Value;

use super::http::{decode, excerpt, Http, HttpSettings};
use super::types::{finish_matches, MatchRow};
use super::{
    finish_bars, finish_intraday, finish_news, non_empty, price, ApiKey, CompanyOverview, DailyBar,
    DateRange, Interval, IntradayBar, MarketDataProvider, NewsArticle, NewsQuery, ProviderError,
    ProviderKind, Quote, SearchText, Sentiment, SentimentLabel, SymbolMatch,
};

/// The real host.
pub const ALPHA_VANTAGE_URL: &str = "https://www.alphavantage.co";

const PROVIDER: ProviderKind = ProviderKind::AlphaVantage;

/// `outputsize=compact` returns the latest 100 trading days: about 140 calendar days.
const COMPACT_DAYS: u64 = 140;

/// Without `month`, `TIME_SERIES_INTRADAY&outputsize=full` covers the trailing 30 days.
const TRAILING_INTRADAY_DAYS: u64 = 30;

/// Older intraday history comes a calendar month per request; a range needing more is refused
/// rather than spending the daily allowance (25 to 500 calls) on one chart.
const MAX_INTRADAY_MONTHS: usize = 3;

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
struct IntradayRecord {
    #[serde(rename = "1. open")]
    open: String,
    #[serde(rename = "2. high")]
    high: String,
    #[serde(rename = "3. low")]
    low: String,
    #[serde(rename = "4. close")]
    close: String,
    #[serde(rename = "5. volume")]
    volume: String,
}

impl IntradayRecord {
    fn into_bar(self, start: DateTime<Utc>) -> Result<IntradayBar, ProviderError> {
        let volume = number("5. volume", &self.volume)?;
        Ok(IntradayBar {
            start,
            open: price(PROVIDER, "1. open", number("1. open", &self.open)?)?,
            high: price(PROVIDER, "2. high", number("2. high", &self.high)?)?,
            low: price(PROVIDER, "3. low", number("3. low", &self.low)?)?,
            close: price(PROVIDER, "4. close", number("4. close", &self.close)?)?,
            volume: super::volume(PROVIDER, volume)?,
        })
    }
}

/// The zone of an intraday answer's timestamps, from `Meta Data`'s `6. Time Zone`.
fn intraday_zone(body: &Value) -> Result<Tz, ProviderError> {
    let name = body
        .get("Meta Data")
        .and_then(|meta| meta.get("6. Time Zone"))
        .and_then(Value::as_str)
        .ok_or_else(|| ProviderError::malformed(PROVIDER, "`6. Time Zone` is missing"))?;
    name.trim().parse().map_err(|_| {
        ProviderError::malformed(PROVIDER, format!("`6. Time Zone` is not a zone: {name:?}"))
    })
}

/// A wall-clock timestamp of `zone` as an instant. In the autumn's repeated hour the earlier instant
/// is taken; no session trades then, nor in the spring's missing hour, which is malformed.
fn zoned_instant(zone: Tz, stamp: &str) -> Result<DateTime<Utc>, ProviderError> {
    let local = NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S")
        .map_err(|_| ProviderError::malformed(PROVIDER, format!("`{stamp}` is not a timestamp")))?;
    zone.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            ProviderError::malformed(PROVIDER, format!("`{stamp}` does not exist in {zone}"))
        })
}

/// The `month` parameters (`2024-03`) covering `range`, oldest first.
fn months(range: DateRange) -> Vec<String> {
    let mut months = Vec::new();
    let (mut year, mut month) = (range.from().year(), range.from().month());
    while (year, month) <= (range.to().year(), range.to().month()) {
        months.push(format!("{year:04}-{month:02}"));
        (year, month) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
    }
    months
}

#[derive(Deserialize)]
struct GlobalQuoteBody {
    #[serde(rename = "Global Quote")]
    quote: BTreeMap<String, String>,
}

/// `SYMBOL_SEARCH`: `{"bestMatches": [..]}`, best match first, `[]` when nothing matches.
#[derive(Deserialize)]
struct SymbolSearchBody {
    #[serde(rename = "bestMatches")]
    best_matches: Vec<BestMatch>,
}

#[derive(Deserialize)]
struct BestMatch {
    #[serde(rename = "1. symbol")]
    symbol: String,
    #[serde(rename = "2. name")]
    name: Option<String>,
    #[serde(rename = "3. type")]
    kind: Option<String>,
    #[serde(rename = "4. region")]
    region: Option<String>,
    #[serde(rename = "8. currency")]
    currency: Option<String>,
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

    /// Regular-session bars (`extended_hours=false`): the trailing 30 days in one request, older
    /// history a month per request.
    #[tracing::instrument(name = "alphavantage.intraday_bars", skip_all, fields(provider = %PROVIDER, symbol = %symbol, interval = %interval), err(Display, level = "warn"))]
    async fn intraday_bars(
        &self,
        symbol: &Symbol,
        range: DateRange,
        interval: Interval,
    ) -> Result<Vec<IntradayBar>, ProviderError> {
        let trailing_from = Utc::now().date_naive() - Days::new(TRAILING_INTRADAY_DAYS);
        let months: Vec<Option<String>> = if range.from() >= trailing_from {
            vec![None]
        } else {
            months(range).into_iter().map(Some).collect()
        };
        if months.len() > MAX_INTRADAY_MONTHS {
            return Err(ProviderError::Rejected {
                provider: PROVIDER,
                detail: format!(
                    "not asked: intraday history from {} to {} would take {} requests (at most {MAX_INTRADAY_MONTHS})",
                    range.from(),
                    range.to(),
                    months.len()
                ),
            });
        }
        let series_key = format!("Time Series ({interval})");
        let mut bars = Vec::new();
        let mut zone = None;
        for month in months {
            let mut params = vec![
                ("symbol", symbol.to_string()),
                ("interval", interval.as_str().into()),
                ("outputsize", "full".into()),
                ("extended_hours", "false".into()),
                ("datatype", "json".into()),
            ];
            if let Some(month) = month {
                params.push(("month", month));
            }
            let mut body = self.call("TIME_SERIES_INTRADAY", params).await?;
            let tz = intraday_zone(&body)?;
            let series = body.get_mut(&series_key).map(Value::take).ok_or_else(|| {
                ProviderError::malformed(PROVIDER, format!("`{series_key}` is missing"))
            })?;
            let series: BTreeMap<String, IntradayRecord> = decode(PROVIDER, series)?;
            for (stamp, record) in series {
                bars.push(record.into_bar(zoned_instant(tz, &stamp)?)?);
            }
            zone = Some(tz);
        }
        let zone = zone.unwrap_or(chrono_tz::America::New_York);
        finish_intraday(
            PROVIDER,
            symbol,
            range,
            interval,
            |t| t.with_timezone(&zone).date_naive(),
            bars,
        )
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

    /// `SYMBOL_SEARCH`: tickers and names worldwide (`TSCO.LON`), with region and currency but no
    /// exchange.
    #[tracing::instrument(name = "alphavantage.search", skip_all, fields(provider = %PROVIDER, query = %query), err(Display, level = "warn"))]
    async fn search(&self, query: &SearchText) -> Result<Vec<SymbolMatch>, ProviderError> {
        let body = self
            .call(
                "SYMBOL_SEARCH",
                vec![
                    ("keywords", query.as_str().to_string()),
                    ("datatype", "json".into()),
                ],
            )
            .await?;
        let parsed: SymbolSearchBody = decode(PROVIDER, body)?;
        Ok(finish_matches(
            PROVIDER,
            parsed.best_matches.into_iter().map(|m| MatchRow {
                symbol: m.symbol,
                name: m.name,
                exchange: None,
                kind: m.kind,
                currency: m.currency,
                region: m.region,
            }),
        ))
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
    fn intraday_timestamps_are_read_in_the_zone_alpha_vantage_names() {
        let zone = intraday_zone(&json!({"Meta Data": {"6. Time Zone": "US/Eastern"}})).unwrap();
        // Before and after the switch to daylight-saving time on 2024-03-10.
        assert_eq!(
            zoned_instant(zone, "2024-03-08 09:30:00")
                .unwrap()
                .to_rfc3339(),
            "2024-03-08T14:30:00+00:00"
        );
        assert_eq!(
            zoned_instant(zone, "2024-03-11 09:30:00")
                .unwrap()
                .to_rfc3339(),
            "2024-03-11T13:30:00+00:00"
        );
        // The hour skipped in spring, and a time that is not one.
        assert!(zoned_instant(zone, "2024-03-10 02:30:00").is_err());
        assert!(zoned_instant(zone, "2024-03-08 9:30").is_err());
        assert!(intraday_zone(&json!({"Meta Data": {"6. Time Zone": "Mars/Olympus"}})).is_err());
        assert!(intraday_zone(&json!({})).is_err());
    }

    #[test]
    fn intraday_history_is_asked_for_month_by_month() {
        let range = |from: &str, to: &str| {
            DateRange::new(from.parse().unwrap(), to.parse().unwrap()).unwrap()
        };
        assert_eq!(months(range("2024-03-08", "2024-03-11")), ["2024-03"]);
        assert_eq!(
            months(range("2023-11-27", "2024-01-02")),
            ["2023-11", "2023-12", "2024-01"]
        );
    }

    #[test]
    fn unknown_overview_numbers_are_absent_not_zero() {
        assert_eq!(optional_number(Some(&"None".to_string())), None);
        assert_eq!(optional_number(Some(&"-".to_string())), None);
        assert_eq!(optional_number(Some(&"0.0710%".to_string())), Some(0.071));
        assert_eq!(optional_number(None), None);
    }
}

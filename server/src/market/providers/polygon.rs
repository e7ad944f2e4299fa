//! Polygon.io: `/v2/aggs/ticker/{t}/range/1/day/{from}/{to}` (and `/range/5/minute/…` intraday),
//! `/v2/aggs/ticker/{t}/prev`, `/v3/reference/tickers/{t}` and `/v3/reference/tickers?search=…`,
//! authenticated with an
//! `Authorization: Bearer` header. Aggregates are stamped in Unix milliseconds at the start of the
//! bar; minute aggregates include the pre- and post-market hours.
//!
//! An empty range is a 200 with `"resultsCount": 0` and no `results`; errors carry
//! `"status": "ERROR"` or `"NOT_AUTHORIZED"` and a message.

use app::domain::Symbol;
use async_trait::async_trait;
use chrono::{DateTime, Days, NaiveDate, Utc};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use serde::Deserialize;
use serde_json::Value;

use super::http::{decode, excerpt, Http, HttpSettings};
use super::types::{finish_matches, MatchRow, MAX_SYMBOL_MATCHES};
use super::{
    finish_bars, finish_intraday, in_regular_session, new_york_day, non_empty, price, ApiKey,
    CompanyOverview, DailyBar, DateRange, Interval, IntradayBar, MarketDataProvider, ProviderError,
    ProviderKind, Quote, SearchText, SymbolMatch,
};

/// The real host.
pub const POLYGON_URL: &str = "https://api.polygon.io";

const PROVIDER: ProviderKind = ProviderKind::Polygon;

/// The Polygon client.
#[derive(Debug, Clone)]
pub struct Polygon {
    http: Http,
    base_url: String,
    headers: HeaderMap,
}

impl Polygon {
    /// A client for the API at `base_url` ([`POLYGON_URL`] in production).
    pub fn new(
        base_url: &str,
        api_key: ApiKey,
        settings: &HttpSettings,
    ) -> Result<Self, ProviderError> {
        let mut bearer =
            HeaderValue::from_str(&format!("Bearer {}", api_key.expose())).map_err(|_| {
                ProviderError::Unauthorized {
                    provider: PROVIDER,
                    detail: "the API key holds characters a header cannot".into(),
                }
            })?;
        bearer.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, bearer);
        Ok(Polygon {
            http: Http::new(PROVIDER, settings)?,
            base_url: base_url.trim_end_matches('/').to_string(),
            headers,
        })
    }

    async fn call(&self, path: &str, query: &[(&str, String)]) -> Result<Value, ProviderError> {
        let url = format!("{}{path}", self.base_url);
        let body = self.http.get_json(&url, query, &self.headers).await?;
        let status = body.get("status").and_then(Value::as_str);
        match status {
            Some("ERROR") | Some("NOT_AUTHORIZED") => {
                let msg = body
                    .get("error")
                    .or_else(|| body.get("message"))
                    .and_then(Value::as_str)
                    .unwrap_or("no message");
                let lower = msg.to_ascii_lowercase();
                Err(
                    if status == Some("NOT_AUTHORIZED")
                        || lower.contains("api key")
                        || lower.contains("authoriz")
                    {
                        ProviderError::Unauthorized {
                            provider: PROVIDER,
                            detail: excerpt(msg),
                        }
                    } else if lower.contains("exceeded") || lower.contains("limit") {
                        ProviderError::RateLimited {
                            provider: PROVIDER,
                            retry_after: None,
                        }
                    } else {
                        ProviderError::Rejected {
                            provider: PROVIDER,
                            detail: excerpt(msg),
                        }
                    },
                )
            }
            _ => Ok(body),
        }
    }

    async fn aggregates(
        &self,
        symbol: &Symbol,
        range: DateRange,
    ) -> Result<Vec<DailyBar>, ProviderError> {
        let bars = self
            .bars(symbol, 1, "day", range)
            .await?
            .into_iter()
            .map(Bar::into_daily_bar)
            .collect::<Result<Vec<_>, _>>()?;
        finish_bars(PROVIDER, symbol, range, bars)
    }

    /// The aggregates of `multiplier` × `timespan` over the days of `range`, as Polygon sends them.
    async fn bars(
        &self,
        symbol: &Symbol,
        multiplier: u32,
        timespan: &str,
        range: DateRange,
    ) -> Result<Vec<Bar>, ProviderError> {
        let path = format!(
            "/v2/aggs/ticker/{}/range/{multiplier}/{timespan}/{}/{}",
            symbol.url_segment(),
            range.from(),
            range.to()
        );
        let body = self
            .call(
                &path,
                &[
                    ("adjusted", "true".into()),
                    ("sort", "asc".into()),
                    ("limit", "50000".into()),
                ],
            )
            .await?;
        let aggs: Aggregates = decode(PROVIDER, body)?;
        Ok(aggs.results.unwrap_or_default())
    }
}

#[derive(Deserialize)]
struct Aggregates {
    results: Option<Vec<Bar>>,
}

#[derive(Deserialize)]
struct Bar {
    o: f64,
    h: f64,
    l: f64,
    c: f64,
    v: f64,
    /// Start of the bar in Unix milliseconds; for a day, midnight New York time, the same calendar
    /// day in UTC.
    t: i64,
}

impl Bar {
    fn into_daily_bar(self) -> Result<DailyBar, ProviderError> {
        Ok(DailyBar {
            date: start(self.t)?.date_naive(),
            open: price(PROVIDER, "o", self.o)?,
            high: price(PROVIDER, "h", self.h)?,
            low: price(PROVIDER, "l", self.l)?,
            close: price(PROVIDER, "c", self.c)?,
            volume: super::volume(PROVIDER, self.v)?,
            adjusted_close: None,
            // Aggregates carry no corporate actions.
            dividend: None,
            split_ratio: None,
        })
    }

    fn into_intraday_bar(self) -> Result<IntradayBar, ProviderError> {
        Ok(IntradayBar {
            start: start(self.t)?,
            open: price(PROVIDER, "o", self.o)?,
            high: price(PROVIDER, "h", self.h)?,
            low: price(PROVIDER, "l", self.l)?,
            close: price(PROVIDER, "c", self.c)?,
            volume: super::volume(PROVIDER, self.v)?,
        })
    }
}

fn start(ms: i64) -> Result<DateTime<Utc>, ProviderError> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| ProviderError::malformed(PROVIDER, format!("`{ms}` is not a timestamp")))
}

#[derive(Deserialize)]
struct TickerDetails {
    results: Details,
}

#[derive(Deserialize)]
struct Details {
    name: Option<String>,
    description: Option<String>,
    primary_exchange: Option<String>,
    currency_name: Option<String>,
    sic_description: Option<String>,
    homepage_url: Option<String>,
    list_date: Option<String>,
    market_cap: Option<f64>,
    weighted_shares_outstanding: Option<f64>,
    branding: Option<Branding>,
}

#[derive(Deserialize)]
struct Branding {
    logo_url: Option<String>,
}

/// `/v3/reference/tickers?search=…`: `{"results": [..], "status": "OK", "count": n}`; `results` is
/// empty, `null` or left out when nothing matches.
#[derive(Deserialize)]
struct TickerSearch {
    results: Option<Vec<TickerRow>>,
}

#[derive(Deserialize)]
struct TickerRow {
    ticker: String,
    name: Option<String>,
    locale: Option<String>,
    primary_exchange: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    currency_name: Option<String>,
}

/// Polygon's `locale` (`us`, `global`) as a region.
fn region(locale: Option<String>) -> Option<String> {
    let locale = non_empty(locale)?;
    Some(match locale.to_ascii_lowercase().as_str() {
        "us" => "United States".to_string(),
        "global" => "Global".to_string(),
        _ => locale,
    })
}

#[async_trait]
impl MarketDataProvider for Polygon {
    fn kind(&self) -> ProviderKind {
        PROVIDER
    }

    #[tracing::instrument(name = "polygon.daily_bars", skip_all, fields(provider = %PROVIDER, symbol = %symbol), err(Display, level = "warn"))]
    async fn daily_bars(
        &self,
        symbol: &Symbol,
        range: DateRange,
    ) -> Result<Vec<DailyBar>, ProviderError> {
        self.aggregates(symbol, range).await
    }

    /// Minute aggregates of US listings, the extended hours dropped. One request holds up to 50,000
    /// bars: about fifty trading days of one-minute bars with the extended hours.
    #[tracing::instrument(name = "polygon.intraday_bars", skip_all, fields(provider = %PROVIDER, symbol = %symbol, interval = %interval), err(Display, level = "warn"))]
    async fn intraday_bars(
        &self,
        symbol: &Symbol,
        range: DateRange,
        interval: Interval,
    ) -> Result<Vec<IntradayBar>, ProviderError> {
        let mut bars = Vec::new();
        for bar in self
            .bars(symbol, interval.minutes(), "minute", range)
            .await?
        {
            let bar = bar.into_intraday_bar()?;
            if in_regular_session(bar.start) {
                bars.push(bar);
            }
        }
        finish_intraday(PROVIDER, symbol, range, interval, new_york_day, bars)
    }

    /// The previous day's bar (`/prev`) for the price, and the bars of the ten days before it for the
    /// close to compare with.
    #[tracing::instrument(name = "polygon.quote", skip_all, fields(provider = %PROVIDER, symbol = %symbol), err(Display, level = "warn"))]
    async fn quote(&self, symbol: &Symbol) -> Result<Quote, ProviderError> {
        let path = format!("/v2/aggs/ticker/{}/prev", symbol.url_segment());
        let body = self.call(&path, &[("adjusted", "true".into())]).await?;
        let aggs: Aggregates = decode(PROVIDER, body)?;
        let Some(last) = aggs.results.unwrap_or_default().into_iter().next_back() else {
            return Err(ProviderError::no_data(
                PROVIDER,
                format!("no previous day for {symbol}"),
            ));
        };
        let last = last.into_daily_bar()?;
        let before = last.date - Days::new(1);
        let window = DateRange::new(before - Days::new(10), before)
            .map_err(|e| ProviderError::malformed(PROVIDER, e.to_string()))?;
        let previous = self.aggregates(symbol, window).await?;
        let previous_close = previous.last().map(|b| b.close).ok_or_else(|| {
            ProviderError::no_data(
                PROVIDER,
                format!("no close before {} for {symbol}", last.date),
            )
        })?;
        let as_of = midnight(last.date);
        Ok(Quote::from_prices(
            symbol.clone(),
            last.close,
            previous_close,
            as_of,
            PROVIDER,
        ))
    }

    #[tracing::instrument(name = "polygon.overview", skip_all, fields(provider = %PROVIDER, symbol = %symbol), err(Display, level = "warn"))]
    async fn overview(&self, symbol: &Symbol) -> Result<CompanyOverview, ProviderError> {
        let path = format!("/v3/reference/tickers/{}", symbol.url_segment());
        let body = self.call(&path, &[]).await?;
        let details: TickerDetails = decode(PROVIDER, body)?;
        let d = details.results;
        Ok(CompanyOverview {
            name: non_empty(d.name),
            description: non_empty(d.description),
            exchange: non_empty(d.primary_exchange),
            currency: non_empty(d.currency_name).map(|c| c.to_ascii_uppercase()),
            country: None,
            sector: None,
            industry: non_empty(d.sic_description),
            website: non_empty(d.homepage_url),
            logo_url: d.branding.and_then(|b| non_empty(b.logo_url)),
            ipo_date: d
                .list_date
                .as_deref()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()),
            market_cap: d.market_cap.filter(|v| *v > 0.0),
            shares_outstanding: d.weighted_shares_outstanding.filter(|v| *v > 0.0),
            pe_ratio: None,
            eps: None,
            dividend_yield: None,
            beta: None,
            week_52_high: None,
            week_52_low: None,
        })
    }

    /// Active US stock listings (`market=stocks`, ETFs included) whose ticker or name matches, in
    /// Polygon's order.
    #[tracing::instrument(name = "polygon.search", skip_all, fields(provider = %PROVIDER, query = %query), err(Display, level = "warn"))]
    async fn search(&self, query: &SearchText) -> Result<Vec<SymbolMatch>, ProviderError> {
        let body = self
            .call(
                "/v3/reference/tickers",
                &[
                    ("search", query.as_str().to_string()),
                    ("active", "true".into()),
                    ("market", "stocks".into()),
                    ("limit", MAX_SYMBOL_MATCHES.to_string()),
                ],
            )
            .await?;
        let parsed: TickerSearch = decode(PROVIDER, body)?;
        Ok(finish_matches(
            PROVIDER,
            parsed
                .results
                .unwrap_or_default()
                .into_iter()
                .map(|r| MatchRow {
                    symbol: r.ticker,
                    name: r.name,
                    exchange: r.primary_exchange,
                    kind: r.kind,
                    currency: r.currency_name,
                    region: region(r.locale),
                }),
        ))
    }
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .map_or_else(Utc::now, |t| t.and_utc())
}

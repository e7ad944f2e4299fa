//! Yahoo Finance's chart API: `/v8/finance/chart/{symbol}?period1=&period2=&interval=1d` (`5m` and
//! the like intraday), and its symbol search on the same host: `/v1/finance/search?q=…`. No key, no
//! overview or news. Unofficial, so it comes last in the default order.
//!
//! The answer is `{"chart": {"result": [..], "error": null}}`. Rows whose prices are `null` (days the
//! exchange was shut, minutes without a trade, or not yet traded) are skipped. Timestamps are Unix
//! seconds at the start of the bar (of the session, for a day); `meta.exchangeTimezoneName`, else
//! `meta.gmtoffset`, turns them into the exchange's calendar day.

use std::collections::HashMap;

use app::domain::Symbol;
use async_trait::async_trait;
use chrono::{DateTime, Days, FixedOffset, NaiveDate, Offset, Utc};
use chrono_tz::Tz;
use reqwest::header::HeaderMap;
use serde::Deserialize;

use super::http::{decode, excerpt, Http, HttpSettings};
use super::types::{finish_matches, MatchRow};
use super::{
    finish_bars, finish_intraday, non_empty, price, DailyBar, DateRange, Interval, IntradayBar,
    MarketDataProvider, ProviderError, ProviderKind, Quote, SearchText, SymbolMatch,
};

/// The real host, of the chart API (`/v8/finance/chart/…`) and the search (`/v1/finance/search`).
pub const YAHOO_URL: &str = "https://query1.finance.yahoo.com";

const PROVIDER: ProviderKind = ProviderKind::Yahoo;

/// The Yahoo chart client.
#[derive(Debug, Clone)]
pub struct Yahoo {
    http: Http,
    base_url: String,
}

impl Yahoo {
    /// A client for the API at `base_url` ([`YAHOO_URL`] in production).
    pub fn new(base_url: &str, settings: &HttpSettings) -> Result<Self, ProviderError> {
        Ok(Yahoo {
            http: Http::new(PROVIDER, settings)?,
            base_url: base_url.trim_end_matches('/').to_string(),
        })
    }

    async fn chart(
        &self,
        symbol: &Symbol,
        period1: i64,
        period2: i64,
        interval: &str,
    ) -> Result<Chart, ProviderError> {
        let url = format!(
            "{}/v8/finance/chart/{}",
            self.base_url,
            symbol.url_segment()
        );
        let query = [
            ("period1", period1.to_string()),
            ("period2", period2.to_string()),
            ("interval", interval.to_string()),
            ("events", "div,splits".to_string()),
            ("includeAdjustedClose", "true".to_string()),
            // Intraday: the regular session only, like every other client.
            ("includePrePost", "false".to_string()),
        ];
        let body = self.http.get_json(&url, &query, &HeaderMap::new()).await?;
        let envelope: Envelope = decode(PROVIDER, body)?;
        if let Some(err) = envelope.chart.error {
            let detail = excerpt(&err.description.unwrap_or_default());
            return Err(match err.code.as_deref() {
                Some("Not Found") => ProviderError::not_found(PROVIDER, detail),
                _ => ProviderError::Rejected {
                    provider: PROVIDER,
                    detail,
                },
            });
        }
        envelope
            .chart
            .result
            .and_then(|r| r.into_iter().next())
            .ok_or_else(|| ProviderError::not_found(PROVIDER, format!("no chart for {symbol}")))
    }
}

/// `/v1/finance/search`: `{"count": n, "quotes": [..], "news": [..], ..}`, best match first.
#[derive(Deserialize)]
struct SearchBody {
    quotes: Vec<SearchQuote>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchQuote {
    /// Left out for the companies Yahoo has no quotes of.
    symbol: Option<String>,
    longname: Option<String>,
    shortname: Option<String>,
    /// `NMS`.
    exchange: Option<String>,
    /// `NASDAQ`.
    exch_disp: Option<String>,
    /// `EQUITY`.
    quote_type: Option<String>,
    /// `Equity`.
    type_disp: Option<String>,
    /// `false` for the rows of other sources (private companies) that Yahoo has no data of.
    is_yahoo_finance: Option<bool>,
}

#[derive(Deserialize)]
struct Envelope {
    chart: ChartBody,
}

#[derive(Deserialize)]
struct ChartBody {
    result: Option<Vec<Chart>>,
    error: Option<ChartError>,
}

#[derive(Deserialize)]
struct ChartError {
    code: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct Chart {
    meta: Meta,
    #[serde(default)]
    timestamp: Vec<i64>,
    #[serde(default)]
    events: Events,
    indicators: Indicators,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Meta {
    #[serde(default)]
    gmtoffset: i64,
    exchange_timezone_name: Option<String>,
    regular_market_price: Option<f64>,
    regular_market_time: Option<i64>,
    chart_previous_close: Option<f64>,
}

#[derive(Deserialize, Default)]
struct Events {
    #[serde(default)]
    dividends: HashMap<String, Dividend>,
    #[serde(default)]
    splits: HashMap<String, Split>,
}

#[derive(Deserialize)]
struct Dividend {
    amount: f64,
    date: i64,
}

#[derive(Deserialize)]
struct Split {
    date: i64,
    numerator: f64,
    denominator: f64,
}

#[derive(Deserialize)]
struct Indicators {
    quote: Vec<QuoteColumns>,
    #[serde(default)]
    adjclose: Vec<AdjClose>,
}

#[derive(Deserialize, Default)]
struct QuoteColumns {
    #[serde(default)]
    open: Vec<Option<f64>>,
    #[serde(default)]
    high: Vec<Option<f64>>,
    #[serde(default)]
    low: Vec<Option<f64>>,
    #[serde(default)]
    close: Vec<Option<f64>>,
    #[serde(default)]
    volume: Vec<Option<f64>>,
}

#[derive(Deserialize)]
struct AdjClose {
    #[serde(default)]
    adjclose: Vec<Option<f64>>,
}

/// Yahoo's `interval` for an interval.
fn interval_param(interval: Interval) -> &'static str {
    match interval {
        Interval::Min1 => "1m",
        Interval::Min5 => "5m",
        Interval::Min15 => "15m",
        Interval::Min30 => "30m",
        Interval::Min60 => "60m",
    }
}

fn instant(t: i64) -> Result<DateTime<Utc>, ProviderError> {
    DateTime::from_timestamp(t, 0)
        .ok_or_else(|| ProviderError::malformed(PROVIDER, format!("`{t}` is not a timestamp")))
}

impl Chart {
    /// The exchange's calendar day of a timestamp.
    fn day(&self, t: i64) -> Result<NaiveDate, ProviderError> {
        DateTime::from_timestamp(t + self.meta.gmtoffset, 0)
            .map(|d| d.date_naive())
            .ok_or_else(|| ProviderError::malformed(PROVIDER, format!("`{t}` is not a timestamp")))
    }

    /// The exchange's calendar day of any instant. `gmtoffset` is the offset at the time of the
    /// request, wrong by an hour across a daylight-saving change: the named zone is used when Yahoo
    /// gives one we know.
    fn local_day(&self) -> impl Fn(DateTime<Utc>) -> NaiveDate {
        let zone = self
            .meta
            .exchange_timezone_name
            .as_deref()
            .and_then(|name| name.parse::<Tz>().ok());
        let offset = i32::try_from(self.meta.gmtoffset)
            .ok()
            .and_then(FixedOffset::east_opt)
            .unwrap_or_else(|| Utc.fix());
        move |t| match zone {
            Some(zone) => t.with_timezone(&zone).date_naive(),
            None => t.with_timezone(&offset).date_naive(),
        }
    }

    fn intraday_bars(&self) -> Result<Vec<IntradayBar>, ProviderError> {
        let n = self.timestamp.len();
        let empty = QuoteColumns::default();
        let q = self.indicators.quote.first().unwrap_or(&empty);
        if n > 0
            && [&q.open, &q.high, &q.low, &q.close, &q.volume]
                .iter()
                .any(|c| c.len() != n)
        {
            return Err(ProviderError::malformed(
                PROVIDER,
                "quote columns differ in length from `timestamp`",
            ));
        }
        let mut bars = Vec::with_capacity(n);
        for i in 0..n {
            let (Some(open), Some(high), Some(low), Some(close)) =
                (q.open[i], q.high[i], q.low[i], q.close[i])
            else {
                continue;
            };
            bars.push(IntradayBar {
                start: instant(self.timestamp[i])?,
                open: price(PROVIDER, "open", open)?,
                high: price(PROVIDER, "high", high)?,
                low: price(PROVIDER, "low", low)?,
                close: price(PROVIDER, "close", close)?,
                volume: super::volume(PROVIDER, q.volume[i].unwrap_or(0.0))?,
            });
        }
        Ok(bars)
    }

    fn bars(&self) -> Result<Vec<DailyBar>, ProviderError> {
        let n = self.timestamp.len();
        let empty = QuoteColumns::default();
        let q = self.indicators.quote.first().unwrap_or(&empty);
        let adj = self.indicators.adjclose.first().map(|a| &a.adjclose);
        // With no rows Yahoo drops `timestamp` and sends `"quote": [{}]`; with rows, every column
        // must have one value per timestamp.
        if n > 0
            && [&q.open, &q.high, &q.low, &q.close, &q.volume]
                .iter()
                .any(|c| c.len() != n)
        {
            return Err(ProviderError::malformed(
                PROVIDER,
                "quote columns differ in length from `timestamp`",
            ));
        }
        let mut dividends = HashMap::new();
        for d in self.events.dividends.values() {
            dividends.insert(self.day(d.date)?, d.amount);
        }
        let mut splits = HashMap::new();
        for s in self.events.splits.values() {
            if s.denominator > 0.0 {
                splits.insert(self.day(s.date)?, s.numerator / s.denominator);
            }
        }
        let mut bars = Vec::with_capacity(n);
        for i in 0..n {
            let (Some(open), Some(high), Some(low), Some(close)) =
                (q.open[i], q.high[i], q.low[i], q.close[i])
            else {
                continue;
            };
            let date = self.day(self.timestamp[i])?;
            bars.push(DailyBar {
                date,
                open: price(PROVIDER, "open", open)?,
                high: price(PROVIDER, "high", high)?,
                low: price(PROVIDER, "low", low)?,
                close: price(PROVIDER, "close", close)?,
                // A day with prices but no volume (indices at times) counts as zero shares.
                volume: super::volume(PROVIDER, q.volume[i].unwrap_or(0.0))?,
                adjusted_close: adj.and_then(|a| a.get(i).copied().flatten()),
                dividend: dividends.get(&date).copied(),
                split_ratio: splits.get(&date).copied(),
            });
        }
        Ok(bars)
    }
}

#[async_trait]
impl MarketDataProvider for Yahoo {
    fn kind(&self) -> ProviderKind {
        PROVIDER
    }

    #[tracing::instrument(name = "yahoo.daily_bars", skip_all, fields(provider = %PROVIDER, symbol = %symbol), err(Display, level = "warn"))]
    async fn daily_bars(
        &self,
        symbol: &Symbol,
        range: DateRange,
    ) -> Result<Vec<DailyBar>, ProviderError> {
        // A day early and a day late: exchanges east or west of UTC open on the neighbouring UTC day.
        let chart = self
            .chart(
                symbol,
                range.first_second() - 86_400,
                range.last_second() + 86_400,
                "1d",
            )
            .await?;
        finish_bars(PROVIDER, symbol, range, chart.bars()?)
    }

    #[tracing::instrument(name = "yahoo.intraday_bars", skip_all, fields(provider = %PROVIDER, symbol = %symbol, interval = %interval), err(Display, level = "warn"))]
    async fn intraday_bars(
        &self,
        symbol: &Symbol,
        range: DateRange,
        interval: Interval,
    ) -> Result<Vec<IntradayBar>, ProviderError> {
        // A day either side, as for daily bars; the exchange's days are picked out below.
        let chart = self
            .chart(
                symbol,
                range.first_second() - 86_400,
                range.last_second() + 86_400,
                interval_param(interval),
            )
            .await?;
        let bars = chart.intraday_bars()?;
        finish_intraday(PROVIDER, symbol, range, interval, chart.local_day(), bars)
    }

    /// The market price from the chart's `meta`, and the last close of a day before it from the bars
    /// of the last two weeks.
    #[tracing::instrument(name = "yahoo.quote", skip_all, fields(provider = %PROVIDER, symbol = %symbol), err(Display, level = "warn"))]
    async fn quote(&self, symbol: &Symbol) -> Result<Quote, ProviderError> {
        let now = Utc::now();
        let start = now - Days::new(14);
        let chart = self
            .chart(symbol, start.timestamp(), now.timestamp(), "1d")
            .await?;
        let bars = chart.bars()?;
        let (Some(price_now), Some(time)) = (
            chart.meta.regular_market_price,
            chart.meta.regular_market_time,
        ) else {
            return Err(ProviderError::no_data(
                PROVIDER,
                format!("no market price for {symbol}"),
            ));
        };
        let today = chart.day(time)?;
        let previous_close = bars
            .iter()
            .rev()
            .find(|b| b.date < today)
            .map(|b| b.close)
            .or(chart.meta.chart_previous_close)
            .ok_or_else(|| {
                ProviderError::no_data(PROVIDER, format!("no previous close for {symbol}"))
            })?;
        let as_of = instant(time)?;
        Ok(Quote::from_prices(
            symbol.clone(),
            price(PROVIDER, "regularMarketPrice", price_now)?,
            price(PROVIDER, "previous close", previous_close)?,
            as_of,
            PROVIDER,
        ))
    }

    /// Yahoo's symbol search: listings worldwide (`AAPL.MX`), indices (`^GSPC`), currencies and
    /// futures; those whose ticker is not a [`Symbol`] (`EURUSD=X`) are left out. Yahoo names no
    /// currency or region here.
    #[tracing::instrument(name = "yahoo.search", skip_all, fields(provider = %PROVIDER, query = %query), err(Display, level = "warn"))]
    async fn search(&self, query: &SearchText) -> Result<Vec<SymbolMatch>, ProviderError> {
        let url = format!("{}/v1/finance/search", self.base_url);
        let params = [
            ("q", query.as_str().to_string()),
            ("quotesCount", "10".to_string()),
            ("newsCount", "0".to_string()),
        ];
        let body = self.http.get_json(&url, &params, &HeaderMap::new()).await?;
        let parsed: SearchBody = decode(PROVIDER, body)?;
        Ok(finish_matches(
            PROVIDER,
            parsed
                .quotes
                .into_iter()
                .filter(|q| q.is_yahoo_finance != Some(false))
                .filter_map(|q| {
                    Some(MatchRow {
                        symbol: q.symbol?,
                        name: non_empty(q.longname).or(non_empty(q.shortname)),
                        exchange: non_empty(q.exch_disp).or(non_empty(q.exchange)),
                        kind: non_empty(q.type_disp).or(non_empty(q.quote_type)),
                        currency: None,
                        region: None,
                    })
                }),
        ))
    }
}

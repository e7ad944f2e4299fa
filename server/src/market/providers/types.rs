//! Provider-neutral market data: what every client turns its provider's format into.

use std::fmt;
use std::str::FromStr;

use app::domain::Symbol;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::ProviderKind;

/// An inclusive range of calendar dates, `from <= to`, checked once when built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    from: NaiveDate,
    to: NaiveDate,
}

/// A [`DateRange`] whose start is after its end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("date range starts on {from} after it ends on {to}")]
pub struct InvalidDateRange {
    /// The requested first day.
    pub from: NaiveDate,
    /// The requested last day.
    pub to: NaiveDate,
}

impl DateRange {
    /// The days `from..=to`; rejects a range that ends before it starts.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, InvalidDateRange> {
        if from > to {
            return Err(InvalidDateRange { from, to });
        }
        Ok(DateRange { from, to })
    }

    /// The first day.
    pub fn from(&self) -> NaiveDate {
        self.from
    }

    /// The last day.
    pub fn to(&self) -> NaiveDate {
        self.to
    }

    /// Whether `day` lies in the range.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }

    /// Midnight UTC of the first day, as a Unix timestamp.
    pub(crate) fn first_second(self) -> i64 {
        self.from
            .and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp())
    }

    /// The last second of the last day (UTC), as a Unix timestamp.
    pub(crate) fn last_second(self) -> i64 {
        self.to
            .and_hms_opt(23, 59, 59)
            .map_or(0, |t| t.and_utc().timestamp())
    }
}

/// One trading day.
///
/// `open`..`close` are the prices as the provider reports them: Alpha Vantage gives raw prices, Yahoo
/// and Finnhub split-adjusted ones, Polygon split-adjusted ones (`adjusted=true`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyBar {
    /// The exchange's trading day.
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
    pub volume: u64,
    /// Close adjusted for splits and dividends, when the provider computes it.
    pub adjusted_close: Option<f64>,
    /// Cash dividend per share going ex on this day, when the provider reports one.
    pub dividend: Option<f64>,
    /// Split ratio effective this day (new shares per old share: 4.0 for a 4-for-1 split).
    pub split_ratio: Option<f64>,
}

/// The width of an intraday bar. Parsed once from its name (`5min`); each client spells it in its
/// provider's dialect (`5m` for Yahoo, `5` for Finnhub, `5/minute` for Polygon).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Interval {
    /// One minute.
    #[serde(rename = "1min")]
    Min1,
    /// Five minutes.
    #[serde(rename = "5min")]
    Min5,
    /// Fifteen minutes.
    #[serde(rename = "15min")]
    Min15,
    /// Thirty minutes.
    #[serde(rename = "30min")]
    Min30,
    /// One hour.
    #[serde(rename = "60min")]
    Min60,
}

/// A bar width that is not one of [`Interval`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown bar interval `{0}` (expected 1min, 5min, 15min, 30min or 60min)")]
pub struct InvalidInterval(pub String);

impl Interval {
    /// Every interval, shortest first.
    pub const ALL: [Interval; 5] = [
        Interval::Min1,
        Interval::Min5,
        Interval::Min15,
        Interval::Min30,
        Interval::Min60,
    ];

    /// The width in minutes.
    pub fn minutes(self) -> u32 {
        match self {
            Interval::Min1 => 1,
            Interval::Min5 => 5,
            Interval::Min15 => 15,
            Interval::Min30 => 30,
            Interval::Min60 => 60,
        }
    }

    /// The name used in configuration, cache keys and Alpha Vantage requests (`5min`).
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Min1 => "1min",
            Interval::Min5 => "5min",
            Interval::Min15 => "15min",
            Interval::Min30 => "30min",
            Interval::Min60 => "60min",
        }
    }

    /// The width as a duration.
    pub fn duration(self) -> chrono::TimeDelta {
        chrono::TimeDelta::minutes(i64::from(self.minutes()))
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Interval {
    type Err = InvalidInterval;

    /// Accepts `5min`, `5m` and `5`; `1h` and `60m` for an hour.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        let minutes = lower
            .strip_suffix("min")
            .or_else(|| lower.strip_suffix('m'))
            .unwrap_or(&lower);
        match minutes {
            "1" => Ok(Interval::Min1),
            "5" => Ok(Interval::Min5),
            "15" => Ok(Interval::Min15),
            "30" => Ok(Interval::Min30),
            "60" | "1h" => Ok(Interval::Min60),
            _ => Err(InvalidInterval(s.trim().to_string())),
        }
    }
}

/// One intraday bar. Clients return regular-session bars only (for US listings 09:30 to the close,
/// New York time), so that a chart built from any provider covers the same hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntradayBar {
    /// When the bar opens (its end is `start` plus the interval).
    pub start: DateTime<Utc>,
    /// First trade.
    pub open: f64,
    /// Highest trade.
    pub high: f64,
    /// Lowest trade.
    pub low: f64,
    /// Last trade.
    pub close: f64,
    /// Shares traded.
    pub volume: u64,
}

/// The latest price of a symbol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    /// What was quoted.
    pub symbol: Symbol,
    /// Latest price (the last close outside trading hours).
    pub price: f64,
    /// Close of the trading day before.
    pub previous_close: f64,
    /// `price - previous_close`.
    pub change: f64,
    /// The change in percent of the previous close (`0.5` means +0.5%).
    pub change_percent: f64,
    /// When the price was current (for a daily close: midnight UTC of that day).
    pub as_of: DateTime<Utc>,
    /// Who answered.
    pub source: ProviderKind,
}

impl Quote {
    /// Builds a quote, computing the change from the two prices.
    pub(crate) fn from_prices(
        symbol: Symbol,
        price: f64,
        previous_close: f64,
        as_of: DateTime<Utc>,
        source: ProviderKind,
    ) -> Self {
        let change = price - previous_close;
        let change_percent = if previous_close != 0.0 {
            change / previous_close * 100.0
        } else {
            0.0
        };
        Quote {
            symbol,
            price,
            previous_close,
            change,
            change_percent,
            as_of,
            source,
        }
    }
}

/// What is known about a listed company. Every field the provider does not know is `None`, never zero.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CompanyOverview {
    /// Company name.
    pub name: Option<String>,
    /// A paragraph on the business.
    pub description: Option<String>,
    /// Listing exchange as the provider names it (`NYSE`, `NASDAQ NMS - GLOBAL MARKET`, `XNAS`).
    pub exchange: Option<String>,
    /// Trading currency (ISO code, upper-case).
    pub currency: Option<String>,
    /// Country of the company.
    pub country: Option<String>,
    /// Sector.
    pub sector: Option<String>,
    /// Industry.
    pub industry: Option<String>,
    /// Company web site.
    pub website: Option<String>,
    /// Logo image URL.
    pub logo_url: Option<String>,
    /// First listing day.
    pub ipo_date: Option<NaiveDate>,
    /// Market capitalisation in the trading currency (not millions).
    pub market_cap: Option<f64>,
    /// Shares outstanding (not millions).
    pub shares_outstanding: Option<f64>,
    /// Price / earnings, trailing twelve months.
    pub pe_ratio: Option<f64>,
    /// Earnings per share, trailing twelve months.
    pub eps: Option<f64>,
    /// Dividend yield as a fraction (`0.0393` is 3.93%).
    pub dividend_yield: Option<f64>,
    /// Beta against the market.
    pub beta: Option<f64>,
    /// Highest price of the last 52 weeks.
    pub week_52_high: Option<f64>,
    /// Lowest price of the last 52 weeks.
    pub week_52_low: Option<f64>,
}

/// What news to fetch: about one symbol, or general market news when `symbol` is `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsQuery {
    /// The company, or `None` for general market news.
    pub symbol: Option<Symbol>,
    /// Publication days to cover.
    pub range: DateRange,
    /// At most this many articles (newest first).
    pub limit: usize,
}

/// A news article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewsArticle {
    /// Headline.
    pub title: String,
    /// Publisher (`Reuters`, `Benzinga`).
    pub source: String,
    /// Link to the article.
    pub url: String,
    /// Banner image, when there is one.
    pub image: Option<String>,
    /// Publication time.
    pub published_at: DateTime<Utc>,
    /// Short summary, when given.
    pub summary: Option<String>,
    /// Sentiment, when the provider scores it.
    pub sentiment: Option<Sentiment>,
}

impl NewsArticle {
    /// The article if its link is `http(s)`, with its image only if that is one too: a
    /// provider's `javascript:` or `data:` link would otherwise become a link on our pages.
    pub fn web_only(mut self) -> Option<Self> {
        if !is_web_url(&self.url) {
            tracing::info!(title = %self.title.chars().take(80).collect::<String>(), "news article without a web link left out");
            return None;
        }
        if self.image.as_deref().is_some_and(|i| !is_web_url(i)) {
            self.image = None;
        }
        Some(self)
    }
}

fn is_web_url(text: &str) -> bool {
    reqwest::Url::parse(text)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// A provider's sentiment score of an article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    /// From -1 (bearish) to 1 (bullish).
    pub score: f64,
    /// The provider's label for the score, when it gives one.
    pub label: Option<SentimentLabel>,
}

/// Alpha Vantage's five sentiment classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SentimentLabel {
    /// Score <= -0.35.
    Bearish,
    /// -0.35 < score <= -0.15.
    SomewhatBearish,
    /// -0.15 < score < 0.15.
    Neutral,
    /// 0.15 <= score < 0.35.
    SomewhatBullish,
    /// Score >= 0.35.
    Bullish,
}

impl SentimentLabel {
    /// Parses a provider's label (`Somewhat-Bullish`); `None` for anything else.
    pub fn parse(label: &str) -> Option<Self> {
        match label.trim().to_ascii_lowercase().as_str() {
            "bearish" => Some(Self::Bearish),
            "somewhat-bearish" | "somewhat_bearish" => Some(Self::SomewhatBearish),
            "neutral" => Some(Self::Neutral),
            "somewhat-bullish" | "somewhat_bullish" => Some(Self::SomewhatBullish),
            "bullish" => Some(Self::Bullish),
            _ => None,
        }
    }
}

/// The most matches a search answers with.
pub const MAX_SYMBOL_MATCHES: usize = 20;

/// One listing a provider found for a [`super::SearchText`]. Rows whose ticker is not a [`Symbol`]
/// (Yahoo's `EURUSD=X`, Polygon's `I:SPX`) are left out, so each match can be charted as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SymbolMatch {
    /// The ticker, as the provider that found it spells it (`BRK-B` at Yahoo, `BRK.B` elsewhere).
    pub symbol: Symbol,
    /// Company or fund name (the ticker itself when the provider gives none).
    pub name: String,
    /// Listing exchange as the provider names it (`NASDAQ`, `XNAS`), when it says.
    pub exchange: Option<String>,
    /// What is listed, as a short label (`Equity`, `Common stock`, `ETF`, `Index`, `Mutual fund`).
    pub kind: Option<String>,
    /// Trading currency (ISO code, upper-case), when the provider says.
    pub currency: Option<String>,
    /// Market region (`United States`), when the provider says.
    pub region: Option<String>,
}

/// A short human label for a provider's instrument type: Polygon's codes (`CS`, `ADRC`), Yahoo's
/// `quoteType`s (`MUTUALFUND`) and the plain words of the others, each in one spelling. `None` for an
/// empty type; an unknown one is kept as the provider wrote it.
pub(crate) fn kind_label(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let label = match raw.to_ascii_lowercase().as_str() {
        "" => return None,
        "equity" => "Equity",
        "cs" | "common stock" => "Common stock",
        "os" | "ordinary shares" => "Ordinary shares",
        "pfd" | "preferred stock" | "preference" => "Preferred stock",
        "etf" => "ETF",
        "etn" => "ETN",
        "etp" => "ETP",
        "ets" => "ETF (single security)",
        "etv" => "ETV",
        "fund" => "Fund",
        "mutual fund" | "mutualfund" => "Mutual fund",
        "closed-end fund" => "Closed-end fund",
        "open-end fund" => "Open-end fund",
        "moneymarket" | "money market" => "Money market fund",
        "index" => "Index",
        "adr" | "adrc" => "ADR",
        "adrp" => "ADR (preferred)",
        "adrr" => "ADR right",
        "adrw" => "ADR warrant",
        "gdr" => "GDR",
        "nyrs" => "NY registry shares",
        "reit" => "REIT",
        "unit" => "Unit",
        "right" | "sub. right" => "Right",
        "warrant" | "equity wrt" => "Warrant",
        "sp" => "Structured product",
        "bond" => "Bond",
        "basket" => "Basket",
        "lt" => "Liquidating trust",
        "currency" => "Currency",
        "cryptocurrency" => "Cryptocurrency",
        "future" | "futures" => "Future",
        "option" => "Option",
        "other" => "Other",
        _ => return Some(raw.to_string()),
    };
    Some(label.to_string())
}

/// The matches in the provider's order, rows without a ticker we accept dropped (logged), repeated
/// tickers dropped after their first row, at most [`MAX_SYMBOL_MATCHES`]. Empty if nothing matched.
pub(crate) fn finish_matches(
    provider: ProviderKind,
    rows: impl IntoIterator<Item = MatchRow>,
) -> Vec<SymbolMatch> {
    let mut matches: Vec<SymbolMatch> = Vec::new();
    for row in rows {
        if matches.len() == MAX_SYMBOL_MATCHES {
            break;
        }
        let symbol = match Symbol::parse(&row.symbol) {
            Ok(symbol) => symbol,
            Err(_) => {
                tracing::debug!(%provider, symbol = %row.symbol.chars().take(24).collect::<String>(), "search match with a ticker we do not accept left out");
                continue;
            }
        };
        if matches.iter().any(|m| m.symbol == symbol) {
            continue;
        }
        let name = row
            .name
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| symbol.to_string());
        let text = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        matches.push(SymbolMatch {
            symbol,
            name,
            exchange: text(row.exchange),
            kind: row.kind.as_deref().and_then(kind_label),
            currency: text(row.currency).map(|c| c.to_ascii_uppercase()),
            region: text(row.region),
        });
    }
    matches
}

/// One row of a provider's search answer, as it wrote it, before [`finish_matches`].
#[derive(Debug, Default)]
pub(crate) struct MatchRow {
    pub symbol: String,
    pub name: Option<String>,
    pub exchange: Option<String>,
    /// The provider's type, turned into a label by [`kind_label`].
    pub kind: Option<String>,
    pub currency: Option<String>,
    pub region: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn news_keeps_only_web_links_and_web_images() {
        let article = |url: &str, image: Option<&str>| NewsArticle {
            title: "t".into(),
            source: "s".into(),
            url: url.into(),
            image: image.map(Into::into),
            published_at: DateTime::<Utc>::UNIX_EPOCH,
            summary: None,
            sentiment: None,
        };
        assert!(article("https://example.com/a", None).web_only().is_some());
        assert!(article("http://example.com/a", None).web_only().is_some());
        for bad in [
            "javascript:alert(1)",
            "data:text/html,<b>x</b>",
            "//example.com",
            "",
            "file:///etc/passwd",
        ] {
            assert!(article(bad, None).web_only().is_none(), "{bad}");
        }
        let kept = article("https://example.com/a", Some("javascript:x"))
            .web_only()
            .unwrap();
        assert_eq!(kept.image, None);
    }

    #[test]
    fn a_date_range_that_ends_before_it_starts_is_rejected() {
        let err = DateRange::new(day("2024-05-02"), day("2024-05-01")).unwrap_err();
        assert!(err.to_string().contains("2024-05-02"), "{err}");
        assert!(DateRange::new(day("2024-05-01"), day("2024-05-01")).is_ok());
    }

    #[test]
    fn a_date_range_covers_whole_days_in_utc() {
        let r = DateRange::new(day("2024-01-02"), day("2024-01-03")).unwrap();
        assert_eq!(r.first_second(), 1_704_153_600);
        assert_eq!(r.last_second(), 1_704_326_399);
        assert!(r.contains(day("2024-01-03")) && !r.contains(day("2024-01-04")));
    }

    #[test]
    fn a_quote_computes_its_change_in_percent() {
        let q = Quote::from_prices(
            Symbol::parse("IBM").unwrap(),
            110.0,
            100.0,
            Utc::now(),
            ProviderKind::Yahoo,
        );
        assert!((q.change - 10.0).abs() < 1e-12);
        assert!((q.change_percent - 10.0).abs() < 1e-12);
    }

    #[test]
    fn intervals_parse_from_their_names_and_the_short_spellings() {
        for interval in Interval::ALL {
            assert_eq!(interval.as_str().parse::<Interval>().unwrap(), interval);
            assert_eq!(
                serde_json::to_string(&interval).unwrap(),
                format!("\"{interval}\"")
            );
        }
        assert_eq!(" 5m ".parse::<Interval>().unwrap(), Interval::Min5);
        assert_eq!("15".parse::<Interval>().unwrap(), Interval::Min15);
        assert_eq!("1H".parse::<Interval>().unwrap(), Interval::Min60);
        assert_eq!(Interval::Min30.duration(), chrono::TimeDelta::minutes(30));
        let err = "2min".parse::<Interval>().unwrap_err();
        assert!(err.to_string().contains("`2min`"), "{err}");
        assert!("".parse::<Interval>().is_err());
        assert!("min".parse::<Interval>().is_err());
    }

    #[test]
    fn sentiment_labels_parse_in_either_spelling() {
        assert_eq!(
            SentimentLabel::parse("Somewhat-Bullish"),
            Some(SentimentLabel::SomewhatBullish)
        );
        assert_eq!(
            SentimentLabel::parse("BEARISH"),
            Some(SentimentLabel::Bearish)
        );
        assert_eq!(SentimentLabel::parse("mixed"), None);
    }

    fn row(symbol: &str, name: &str) -> MatchRow {
        MatchRow {
            symbol: symbol.into(),
            name: Some(name.into()),
            ..MatchRow::default()
        }
    }

    #[test]
    fn search_matches_keep_the_first_of_each_ticker_skip_odd_ones_and_stop_at_twenty() {
        let rows = vec![
            row("AAPL", "Apple Inc."),
            row("EURUSD=X", "EUR/USD"),
            row("aapl", "Apple again"),
            MatchRow {
                symbol: "BRK-B".into(),
                name: Some("  ".into()),
                exchange: Some(" NYSE ".into()),
                kind: Some("CS".into()),
                currency: Some("usd".into()),
                region: Some("".into()),
            },
        ];
        let matches = finish_matches(ProviderKind::Polygon, rows);
        assert_eq!(matches.len(), 2);
        assert_eq!(matches[0].name, "Apple Inc.");
        assert_eq!(matches[1].symbol, "BRK-B");
        assert_eq!(matches[1].name, "BRK-B");
        assert_eq!(matches[1].exchange.as_deref(), Some("NYSE"));
        assert_eq!(matches[1].kind.as_deref(), Some("Common stock"));
        assert_eq!(matches[1].currency.as_deref(), Some("USD"));
        assert_eq!(matches[1].region, None);
        let many = (0..30).map(|i| row(&format!("T{i}"), "x"));
        assert_eq!(
            finish_matches(ProviderKind::Yahoo, many).len(),
            MAX_SYMBOL_MATCHES
        );
        assert!(finish_matches(ProviderKind::Yahoo, vec![]).is_empty());
    }

    #[test]
    fn instrument_types_become_one_short_label() {
        assert_eq!(kind_label("CS").as_deref(), Some("Common stock"));
        assert_eq!(kind_label("Common Stock").as_deref(), Some("Common stock"));
        assert_eq!(kind_label("EQUITY").as_deref(), Some("Equity"));
        assert_eq!(kind_label("MUTUALFUND").as_deref(), Some("Mutual fund"));
        assert_eq!(kind_label("Mutual Fund").as_deref(), Some("Mutual fund"));
        assert_eq!(kind_label("INDEX").as_deref(), Some("Index"));
        assert_eq!(kind_label("Tracking Stk").as_deref(), Some("Tracking Stk"));
        assert_eq!(kind_label(" "), None);
    }
}

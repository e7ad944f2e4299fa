use server::market::providers::{
    AlphaVantage, ApiKey, Interval, MarketDataProvider, NewsQuery, ProviderError, ProviderKind,
    SentimentLabel, SymbolMatch,
};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer};

use super::support::{
    assert_close, day, fixture, json, range, raw, request_count, search_query, settings, symbol,
};

async fn client(server: &MockServer) -> AlphaVantage {
    AlphaVantage::new(&server.uri(), ApiKey::new("test-key").unwrap(), &settings()).unwrap()
}

async fn serve(server: &MockServer, function: &str, response: wiremock::ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path("/query"))
        .and(query_param("function", function))
        .and(query_param("apikey", "test-key"))
        .respond_with(response)
        .mount(server)
        .await;
}

#[tokio::test]
async fn daily_bars_are_parsed_oldest_first_with_adjusted_close_and_dividend() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/query"))
        .and(query_param("function", "TIME_SERIES_DAILY_ADJUSTED"))
        .and(query_param("symbol", "IBM"))
        .and(query_param("outputsize", "full"))
        .and(query_param("apikey", "test-key"))
        .respond_with(json("alphavantage", "daily_adjusted.json"))
        .expect(1)
        .mount(&server)
        .await;

    let bars = client(&server)
        .await
        .daily_bars(&symbol("IBM"), range("2024-05-07", "2024-05-10"))
        .await
        .unwrap();

    // 2024-05-06 lies outside the range.
    let dates: Vec<_> = bars.iter().map(|b| b.date).collect();
    assert_eq!(
        dates,
        [
            day("2024-05-07"),
            day("2024-05-08"),
            day("2024-05-09"),
            day("2024-05-10")
        ]
    );
    let first = &bars[0];
    assert_close(first.open, 169.0);
    assert_close(first.high, 170.68);
    assert_close(first.low, 168.65);
    assert_close(first.close, 169.38);
    assert_close(first.adjusted_close.unwrap(), 167.7099);
    assert_eq!(first.volume, 3_702_016);
    assert_eq!(first.dividend, None);
    assert_eq!(first.split_ratio, None);
    assert_close(bars[2].dividend.unwrap(), 1.67);
}

#[tokio::test]
async fn a_global_quote_gives_price_previous_close_and_change() {
    let server = MockServer::start().await;
    serve(
        &server,
        "GLOBAL_QUOTE",
        json("alphavantage", "global_quote.json"),
    )
    .await;

    let q = client(&server).await.quote(&symbol("IBM")).await.unwrap();

    assert_close(q.price, 167.15);
    assert_close(q.previous_close, 166.27);
    assert_close(q.change, 0.88);
    assert_close(q.change_percent, 0.5293);
    assert_eq!(q.as_of.date_naive(), day("2024-05-10"));
    assert_eq!(q.source, ProviderKind::AlphaVantage);
}

#[tokio::test]
async fn an_empty_global_quote_is_not_found() {
    let server = MockServer::start().await;
    serve(
        &server,
        "GLOBAL_QUOTE",
        json("alphavantage", "empty_quote.json"),
    )
    .await;
    let err = client(&server)
        .await
        .quote(&symbol("ZZZZ"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::NotFound { .. }), "{err}");
}

#[tokio::test]
async fn an_overview_keeps_unknown_values_absent_rather_than_zero() {
    let server = MockServer::start().await;
    serve(&server, "OVERVIEW", json("alphavantage", "overview.json")).await;

    let o = client(&server)
        .await
        .overview(&symbol("IBM"))
        .await
        .unwrap();

    assert_eq!(o.name.as_deref(), Some("International Business Machines"));
    assert_eq!(o.exchange.as_deref(), Some("NYSE"));
    assert_eq!(o.sector.as_deref(), Some("TECHNOLOGY"));
    assert_eq!(o.website.as_deref(), Some("https://www.ibm.com"));
    assert_close(o.market_cap.unwrap(), 153_528_550_000.0);
    assert_close(o.pe_ratio.unwrap(), 18.95);
    assert_close(o.dividend_yield.unwrap(), 0.0398);
    assert_close(o.week_52_high.unwrap(), 199.18);
    // "Beta": "None" in the body.
    assert_eq!(o.beta, None);
    assert_eq!(o.ipo_date, None);
}

#[tokio::test]
async fn news_carries_the_sentiment_about_the_symbol_asked_for() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/query"))
        .and(query_param("function", "NEWS_SENTIMENT"))
        .and(query_param("tickers", "IBM"))
        .and(query_param("time_from", "20240501T0000"))
        .and(query_param("time_to", "20240510T2359"))
        .respond_with(json("alphavantage", "news_sentiment.json"))
        .mount(&server)
        .await;
    let query = NewsQuery {
        symbol: Some(symbol("IBM")),
        range: range("2024-05-01", "2024-05-10"),
        limit: 10,
    };

    let news = client(&server).await.news(&query).await.unwrap();

    assert_eq!(news.len(), 2);
    // Newest first.
    assert_eq!(news[0].title, "Big Blue's dividend: what to expect");
    assert_eq!(news[0].image, None);
    assert_eq!(news[0].summary, None);
    let overall = news[0].sentiment.as_ref().unwrap();
    assert_close(overall.score, -0.2);
    assert_eq!(overall.label, Some(SentimentLabel::SomewhatBearish));
    let hashicorp = &news[1];
    assert_eq!(hashicorp.source, "Benzinga");
    assert_eq!(
        hashicorp.published_at.to_rfc3339(),
        "2024-05-09T14:15:00+00:00"
    );
    // IBM's own score (0.271), not the overall 0.081.
    let about_ibm = hashicorp.sentiment.as_ref().unwrap();
    assert_close(about_ibm.score, 0.271);
    assert_eq!(about_ibm.label, Some(SentimentLabel::SomewhatBullish));
}

#[tokio::test]
async fn a_split_coefficient_becomes_the_split_ratio_of_its_day() {
    let server = MockServer::start().await;
    serve(
        &server,
        "TIME_SERIES_DAILY_ADJUSTED",
        json("alphavantage", "daily_adjusted_split.json"),
    )
    .await;

    let bars = client(&server)
        .await
        .daily_bars(&symbol("AAPL"), range("2020-08-28", "2020-08-31"))
        .await
        .unwrap();

    assert_eq!(bars.len(), 2);
    // A coefficient of 1.0 and a dividend of 0.0000 mean nothing happened.
    assert_eq!(bars[0].split_ratio, None);
    assert_eq!(bars[0].dividend, None);
    assert_eq!(bars[1].date, day("2020-08-31"));
    assert_close(bars[1].split_ratio.unwrap(), 4.0);
    assert_eq!(bars[1].dividend, None);
    // Raw prices: the close before the split is about four times the one after it.
    assert_close(bars[0].close, 499.23);
    assert_close(bars[1].close, 129.04);
}

/// 2024-03-08 is on EST (UTC-5), 2024-03-11 on EDT (UTC-4): 09:30 New York is 14:30 and 13:30 UTC.
#[tokio::test]
async fn intraday_bars_are_read_in_new_york_time_and_stored_in_utc_across_daylight_saving() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/query"))
        .and(query_param("function", "TIME_SERIES_INTRADAY"))
        .and(query_param("symbol", "IBM"))
        .and(query_param("interval", "5min"))
        .and(query_param("extended_hours", "false"))
        .and(query_param("outputsize", "full"))
        // Older than the trailing 30 days: asked for by month.
        .and(query_param("month", "2024-03"))
        .and(query_param("apikey", "test-key"))
        .respond_with(json("alphavantage", "intraday_5min.json"))
        .expect(1)
        .mount(&server)
        .await;

    let bars = client(&server)
        .await
        .intraday_bars(
            &symbol("IBM"),
            range("2024-03-08", "2024-03-11"),
            Interval::Min5,
        )
        .await
        .unwrap();

    // 2024-03-07 lies outside the range.
    let starts: Vec<String> = bars.iter().map(|b| b.start.to_rfc3339()).collect();
    assert_eq!(
        starts,
        [
            "2024-03-08T14:30:00+00:00",
            "2024-03-08T14:35:00+00:00",
            "2024-03-08T20:55:00+00:00",
            "2024-03-11T13:30:00+00:00",
            "2024-03-11T13:35:00+00:00",
        ]
    );
    let first = &bars[0];
    assert_close(first.open, 197.91);
    assert_close(first.high, 198.73);
    assert_close(first.low, 197.8);
    assert_close(first.close, 198.31);
    assert_eq!(first.volume, 187_519);
    assert_close(bars[4].close, 196.09);
}

#[tokio::test]
async fn an_empty_intraday_series_is_no_data() {
    let server = MockServer::start().await;
    serve(
        &server,
        "TIME_SERIES_INTRADAY",
        json("alphavantage", "empty_intraday.json"),
    )
    .await;
    let err = client(&server)
        .await
        .intraday_bars(
            &symbol("IBM"),
            range("2024-03-08", "2024-03-11"),
            Interval::Min5,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::NoData { .. }), "{err}");
    assert!(err.to_string().contains("5min"), "{err}");
}

#[tokio::test]
async fn a_rate_limit_note_answering_an_intraday_request_is_rate_limited() {
    let server = MockServer::start().await;
    serve(
        &server,
        "TIME_SERIES_INTRADAY",
        json("alphavantage", "note_rate_limit.json"),
    )
    .await;
    let err = client(&server)
        .await
        .intraday_bars(
            &symbol("IBM"),
            range("2024-03-08", "2024-03-11"),
            Interval::Min5,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::RateLimited {
                provider: ProviderKind::AlphaVantage,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn a_broken_intraday_body_or_one_without_its_series_is_malformed() {
    let intraday = fixture("alphavantage", "intraday_5min.json");
    let bodies = [
        // Cut in half.
        intraday[..intraday.len() / 2].to_string(),
        // A series of another interval than the one asked for.
        intraday.replace("Time Series (5min)", "Time Series (15min)"),
        // No zone to read the timestamps in.
        intraday.replace("\"6. Time Zone\": \"US/Eastern\"", "\"6. Zone\": \"\""),
        // A price that is not a number.
        intraday.replace("\"195.9800\"", "\"n/a\""),
    ];
    for body in bodies {
        let server = MockServer::start().await;
        serve(
            &server,
            "TIME_SERIES_INTRADAY",
            raw(200, &body, "application/json"),
        )
        .await;
        let err = client(&server)
            .await
            .intraday_bars(
                &symbol("IBM"),
                range("2024-03-08", "2024-03-11"),
                Interval::Min5,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::Malformed { .. }), "{err}");
    }
}

#[tokio::test]
async fn intraday_history_over_more_than_three_months_is_refused_without_a_request() {
    let server = MockServer::start().await;
    let err = client(&server)
        .await
        .intraday_bars(
            &symbol("IBM"),
            range("2023-01-02", "2023-06-30"),
            Interval::Min60,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err}");
    assert_eq!(request_count(&server).await, 0);
}

#[tokio::test]
async fn intraday_history_spanning_two_months_is_asked_for_month_by_month() {
    let server = MockServer::start().await;
    for month in ["2024-02", "2024-03"] {
        Mock::given(method("GET"))
            .and(path("/query"))
            .and(query_param("function", "TIME_SERIES_INTRADAY"))
            .and(query_param("month", month))
            .respond_with(json("alphavantage", "intraday_5min.json"))
            .expect(1)
            .mount(&server)
            .await;
    }

    let bars = client(&server)
        .await
        .intraday_bars(
            &symbol("IBM"),
            range("2024-02-26", "2024-03-08"),
            Interval::Min5,
        )
        .await
        .unwrap();

    // The same fixture twice: its bars are not repeated.
    assert_eq!(bars.len(), 4);
    assert_eq!(bars[0].start.to_rfc3339(), "2024-03-07T20:55:00+00:00");
}

async fn search_with(
    response: wiremock::ResponseTemplate,
) -> (MockServer, Result<Vec<SymbolMatch>, ProviderError>) {
    let server = MockServer::start().await;
    serve(&server, "SYMBOL_SEARCH", response).await;
    let answer = client(&server).await.search(&search_query("apple")).await;
    (server, answer)
}

#[tokio::test]
async fn a_symbol_search_lists_the_best_matches_with_their_region_and_currency() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/query"))
        .and(query_param("function", "SYMBOL_SEARCH"))
        .and(query_param("keywords", "apple inc"))
        .and(query_param("apikey", "test-key"))
        .respond_with(json("alphavantage", "symbol_search.json"))
        .expect(1)
        .mount(&server)
        .await;

    let matches = client(&server)
        .await
        .search(&search_query("  apple   inc "))
        .await
        .unwrap();

    // `0P0000XVHT.LON` is longer than a ticker symbol may be: left out.
    let symbols: Vec<&str> = matches.iter().map(|m| m.symbol.as_str()).collect();
    assert_eq!(symbols, ["AAPL", "APLE", "AAPL34.SAO", "APC.DEX"]);
    let apple = &matches[0];
    assert_eq!(apple.name, "Apple Inc");
    assert_eq!(apple.kind.as_deref(), Some("Equity"));
    assert_eq!(apple.region.as_deref(), Some("United States"));
    assert_eq!(apple.currency.as_deref(), Some("USD"));
    assert_eq!(apple.exchange, None);
    assert_eq!(matches[3].region.as_deref(), Some("XETRA"));
    assert_eq!(matches[3].currency.as_deref(), Some("EUR"));
}

#[tokio::test]
async fn a_symbol_search_without_a_match_is_empty_not_an_error() {
    let (_server, answer) = search_with(json("alphavantage", "symbol_search_empty.json")).await;
    assert_eq!(answer.unwrap(), []);
}

#[tokio::test]
async fn a_rate_limit_notice_on_a_symbol_search_is_rate_limited_without_a_retry() {
    for notice in ["note_rate_limit.json", "information_rate_limit.json"] {
        let (server, answer) = search_with(json("alphavantage", notice)).await;
        let err = answer.unwrap_err();
        assert!(
            matches!(
                err,
                ProviderError::RateLimited {
                    provider: ProviderKind::AlphaVantage,
                    retry_after: None,
                }
            ),
            "{notice}: {err}"
        );
        assert_eq!(request_count(&server).await, 1, "{notice}");
    }
}

#[tokio::test]
async fn a_malformed_symbol_search_is_malformed() {
    let text = fixture("alphavantage", "symbol_search.json");
    for (body, content_type) in [
        (text[..text.len() / 2].to_string(), "application/json"),
        (
            r#"{"bestMatches": {"1. symbol": "AAPL"}}"#.to_string(),
            "application/json",
        ),
        ("{}".to_string(), "application/json"),
        (
            "<html><body><h1>502 Bad Gateway</h1></body></html>".to_string(),
            "text/html",
        ),
    ] {
        let (_server, answer) = search_with(raw(200, &body, content_type)).await;
        let err = answer.unwrap_err();
        assert!(
            matches!(err, ProviderError::Malformed { .. }),
            "{body}: {err}"
        );
    }
}

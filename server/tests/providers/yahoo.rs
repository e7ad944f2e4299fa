use server::market::providers::{
    Interval, IntradayBar, MarketDataProvider, NewsQuery, Operation, ProviderError, ProviderKind,
    SymbolMatch, Yahoo,
};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{
    assert_close, day, fixture, json, json_status, range, raw, request_count, search_query,
    settings, symbol,
};

async fn client(server: &MockServer) -> Yahoo {
    Yahoo::new(&server.uri(), &settings()).unwrap()
}

async fn serve(server: &MockServer, chart_path: &str, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(chart_path))
        .and(query_param("interval", "1d"))
        .respond_with(response)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_chart_becomes_daily_bars_without_its_null_rows() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v8/finance/chart/AAPL"))
        .and(query_param("interval", "1d"))
        // A day either side of 2024-05-06..2024-05-13.
        .and(query_param("period1", "1714867200"))
        .and(query_param("period2", "1715731199"))
        .respond_with(json("yahoo", "chart.json"))
        .expect(1)
        .mount(&server)
        .await;

    let bars = client(&server)
        .await
        .daily_bars(&symbol("AAPL"), range("2024-05-06", "2024-05-13"))
        .await
        .unwrap();

    // 2024-05-13 has only nulls (not traded yet).
    assert_eq!(bars.len(), 5);
    assert_eq!(bars[0].date, day("2024-05-06"));
    assert_eq!(bars[4].date, day("2024-05-10"));
    assert_close(bars[0].open, 182.350006);
    assert_close(bars[0].close, 181.710007);
    assert_close(bars[0].adjusted_close.unwrap(), 181.456451);
    assert_eq!(bars[0].volume, 78_569_700);
    assert_eq!(bars[0].dividend, None);
    assert_close(bars[4].dividend.unwrap(), 0.25);
}

#[tokio::test]
async fn a_split_event_lands_on_its_trading_day() {
    let server = MockServer::start().await;
    serve(
        &server,
        "/v8/finance/chart/AAPL",
        json("yahoo", "chart_split.json"),
    )
    .await;

    let bars = client(&server)
        .await
        .daily_bars(&symbol("AAPL"), range("2020-08-28", "2020-08-31"))
        .await
        .unwrap();

    assert_eq!(bars.len(), 2);
    assert_eq!(bars[0].split_ratio, None);
    assert_eq!(bars[1].date, day("2020-08-31"));
    assert_close(bars[1].split_ratio.unwrap(), 4.0);
}

#[tokio::test]
async fn an_index_symbol_is_escaped_in_the_path() {
    let server = MockServer::start().await;
    serve(
        &server,
        "/v8/finance/chart/%5EGSPC",
        json("yahoo", "chart.json"),
    )
    .await;
    let bars = client(&server)
        .await
        .daily_bars(&symbol("^GSPC"), range("2024-05-06", "2024-05-10"))
        .await
        .unwrap();
    assert_eq!(bars.len(), 5);
}

#[tokio::test]
async fn a_quote_compares_the_market_price_with_the_last_close_before_today() {
    let server = MockServer::start().await;
    serve(
        &server,
        "/v8/finance/chart/AAPL",
        json("yahoo", "chart.json"),
    )
    .await;

    let q = client(&server).await.quote(&symbol("AAPL")).await.unwrap();

    assert_close(q.price, 186.1);
    // 2024-05-10's close; the market time is on 2024-05-13.
    assert_close(q.previous_close, 183.050003);
    assert_close(q.change, 186.1 - 183.050003);
    assert_eq!(q.as_of.timestamp(), 1_715_612_400);
    assert_eq!(q.source, ProviderKind::Yahoo);
}

#[tokio::test]
async fn a_500_is_retried_then_reported_as_upstream() {
    let server = MockServer::start().await;
    serve(
        &server,
        "/v8/finance/chart/AAPL",
        raw(500, "<html>Internal error</html>", "text/html"),
    )
    .await;
    let err = client(&server)
        .await
        .daily_bars(&symbol("AAPL"), range("2024-05-06", "2024-05-10"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Upstream { status: 500, .. }),
        "{err}"
    );
    assert_eq!(request_count(&server).await, 3);
}

#[tokio::test]
async fn overviews_and_news_are_unsupported() {
    let server = MockServer::start().await;
    let err = client(&server)
        .await
        .overview(&symbol("AAPL"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::Unsupported {
                operation: Operation::Overview,
                ..
            }
        ),
        "{err}"
    );
    let news = client(&server)
        .await
        .news(&NewsQuery {
            symbol: Some(symbol("AAPL")),
            range: range("2024-05-06", "2024-05-10"),
            limit: 5,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            news,
            ProviderError::Unsupported {
                operation: Operation::News,
                ..
            }
        ),
        "{news}"
    );
    assert_eq!(request_count(&server).await, 0);
}

async fn serve_5m(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path("/v8/finance/chart/AAPL"))
        .and(query_param("interval", "5m"))
        .and(query_param("includePrePost", "false"))
        .respond_with(response)
        .mount(server)
        .await;
}

async fn march_5m(server: &MockServer) -> Result<Vec<IntradayBar>, ProviderError> {
    client(server)
        .await
        .intraday_bars(
            &symbol("AAPL"),
            range("2024-03-08", "2024-03-11"),
            Interval::Min5,
        )
        .await
}

/// 2024-03-08 is on EST and 2024-03-11 on EDT: the session opens at 14:30 and 13:30 UTC.
#[tokio::test]
async fn a_5m_chart_becomes_intraday_bars_on_the_exchanges_days() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v8/finance/chart/AAPL"))
        .and(query_param("interval", "5m"))
        .and(query_param("includePrePost", "false"))
        // A day either side of 2024-03-08..2024-03-11.
        .and(query_param("period1", "1709769600"))
        .and(query_param("period2", "1710287999"))
        .respond_with(json("yahoo", "chart_5m.json"))
        .expect(1)
        .mount(&server)
        .await;

    let bars = march_5m(&server).await.unwrap();

    // 2024-03-07 lies outside the range; the last row is all nulls (not traded yet).
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
    assert_close(bars[0].open, 170.2);
    assert_close(bars[0].high, 171.12);
    assert_close(bars[0].low, 170.12);
    assert_close(bars[0].close, 170.95);
    assert_eq!(bars[0].volume, 2_135_114);
    // A bar with prices and a zero volume is kept.
    assert_eq!(bars[4].volume, 0);
    assert_close(bars[4].close, 173.05);
}

#[tokio::test]
async fn an_empty_intraday_chart_is_no_data() {
    let server = MockServer::start().await;
    serve_5m(&server, json("yahoo", "empty_chart.json")).await;
    let err = march_5m(&server).await.unwrap_err();
    assert!(matches!(err, ProviderError::NoData { .. }), "{err}");
}

#[tokio::test]
async fn a_429_on_an_intraday_chart_is_rate_limited() {
    let server = MockServer::start().await;
    serve_5m(&server, raw(429, "Too Many Requests", "text/plain")).await;
    let err = march_5m(&server).await.unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::RateLimited {
                provider: ProviderKind::Yahoo,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(request_count(&server).await, 3);
}

#[tokio::test]
async fn a_malformed_intraday_chart_is_malformed() {
    let chart = fixture("yahoo", "chart_5m.json");
    for (body, content_type) in [
        (chart[..chart.len() / 2].to_string(), "application/json"),
        // One close fewer than there are timestamps.
        (
            chart.replace("\"close\": [169.0, ", "\"close\": ["),
            "application/json",
        ),
        (fixture("yahoo", "consent_page.html"), "text/html"),
    ] {
        let server = MockServer::start().await;
        serve_5m(&server, raw(200, &body, content_type)).await;
        let err = march_5m(&server).await.unwrap_err();
        assert!(matches!(err, ProviderError::Malformed { .. }), "{err}");
    }
}

#[tokio::test]
async fn intraday_data_older_than_yahoo_keeps_is_refused_in_yahoos_words_without_a_retry() {
    let server = MockServer::start().await;
    serve_5m(
        &server,
        raw(
            422,
            r#"{"chart":{"result":null,"error":{"code":"Unprocessable Entity","description":"5m data not available for startTime=1709769600 and endTime=1710287999. The requested range must be within the last 60 days."}}}"#,
            "application/json",
        ),
    )
    .await;
    let err = march_5m(&server).await.unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err}");
    assert!(err.to_string().contains("within the last 60 days"), "{err}");
    assert_eq!(request_count(&server).await, 1);
}

async fn search_with(
    response: ResponseTemplate,
) -> (MockServer, Result<Vec<SymbolMatch>, ProviderError>) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/finance/search"))
        .respond_with(response)
        .mount(&server)
        .await;
    let answer = client(&server).await.search(&search_query("apple")).await;
    (server, answer)
}

/// The search lives on the chart API's host: one base URL serves both.
#[tokio::test]
async fn a_symbol_search_keeps_yahoos_listings_that_are_ticker_symbols() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/finance/search"))
        .and(query_param("q", "apple"))
        .and(query_param("quotesCount", "10"))
        .and(query_param("newsCount", "0"))
        .respond_with(json("yahoo", "symbol_search.json"))
        .expect(1)
        .mount(&server)
        .await;

    let matches = client(&server)
        .await
        .search(&search_query("apple"))
        .await
        .unwrap();

    // `APPLE29474-USD` is too long for a ticker symbol; the last row is a company without quotes.
    let symbols: Vec<&str> = matches.iter().map(|m| m.symbol.as_str()).collect();
    assert_eq!(symbols, ["AAPL", "APLE", "AAPL.MX", "AAPB"]);
    let apple = &matches[0];
    assert_eq!(apple.name, "Apple Inc.");
    assert_eq!(apple.exchange.as_deref(), Some("NASDAQ"));
    assert_eq!(apple.kind.as_deref(), Some("Equity"));
    assert_eq!(apple.currency, None);
    assert_eq!(apple.region, None);
    // No `longname`: the short one.
    assert_eq!(matches[2].name, "APPLE INC");
    assert_eq!(matches[2].exchange.as_deref(), Some("Mexico"));
    assert_eq!(matches[3].kind.as_deref(), Some("ETF"));
}

#[tokio::test]
async fn a_symbol_search_keeps_indices_and_leaves_out_futures() {
    let (_server, answer) = search_with(json("yahoo", "symbol_search_sp500.json")).await;
    let matches = answer.unwrap();
    let symbols: Vec<&str> = matches.iter().map(|m| m.symbol.as_str()).collect();
    // `ES=F` is not a ticker symbol the app accepts.
    assert_eq!(symbols, ["^GSPC", "SPY", "VOO", "IVV"]);
    assert_eq!(matches[0].name, "S&P 500");
    assert_eq!(matches[0].kind.as_deref(), Some("Index"));
    assert_eq!(matches[1].name, "SPDR S&P 500 ETF Trust");
    assert_eq!(matches[1].exchange.as_deref(), Some("NYSEArca"));
}

#[tokio::test]
async fn a_symbol_search_without_a_match_is_empty_not_an_error() {
    let (_server, answer) = search_with(json("yahoo", "symbol_search_empty.json")).await;
    assert_eq!(answer.unwrap(), []);
}

#[tokio::test]
async fn a_rate_limited_symbol_search_is_rate_limited_after_its_retries() {
    let (server, answer) = search_with(raw(429, "Too Many Requests", "text/plain")).await;
    let err = answer.unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::RateLimited {
                provider: ProviderKind::Yahoo,
                retry_after: None,
            }
        ),
        "{err}"
    );
    assert_eq!(request_count(&server).await, 3);
}

#[tokio::test]
async fn a_malformed_symbol_search_is_malformed() {
    let text = fixture("yahoo", "symbol_search.json");
    for (body, content_type) in [
        (text[..text.len() / 2].to_string(), "application/json"),
        (
            r#"{"explains":[],"count":0}"#.to_string(),
            "application/json",
        ),
        (
            text.replace(r#""symbol": "AAPL","#, r#""symbol": 1,"#),
            "application/json",
        ),
        (fixture("yahoo", "consent_page.html"), "text/html"),
    ] {
        let (_server, answer) = search_with(raw(200, &body, content_type)).await;
        let err = answer.unwrap_err();
        assert!(matches!(err, ProviderError::Malformed { .. }), "{err}");
    }
}

#[tokio::test]
async fn a_refused_search_is_rejected_in_yahoos_words() {
    let (server, answer) = search_with(json_status(400, "yahoo", "search_bad_request.json")).await;
    let err = answer.unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err}");
    assert!(err.to_string().contains("Invalid Search Query"), "{err}");
    assert_eq!(request_count(&server).await, 1);
}

use server::market::providers::{
    ApiKey, Interval, MarketDataProvider, Polygon, ProviderError, ProviderKind, SymbolMatch,
};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer};

use super::support::{
    assert_close, day, fixture, json, json_status, range, raw, request_count, search_query,
    settings, symbol,
};

const AAPL_MAY: &str = "/v2/aggs/ticker/AAPL/range/1/day/2024-05-06/2024-05-10";
const AAPL_MARCH_5MIN: &str = "/v2/aggs/ticker/AAPL/range/5/minute/2024-03-08/2024-03-11";

async fn client(server: &MockServer) -> Polygon {
    Polygon::new(&server.uri(), ApiKey::new("test-key").unwrap(), &settings()).unwrap()
}

#[tokio::test]
async fn aggregates_become_daily_bars_on_new_york_days() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(AAPL_MAY))
        .and(query_param("adjusted", "true"))
        .and(query_param("sort", "asc"))
        .and(header("Authorization", "Bearer test-key"))
        .respond_with(json("polygon", "aggs.json"))
        .expect(1)
        .mount(&server)
        .await;

    let bars = client(&server)
        .await
        .daily_bars(&symbol("AAPL"), range("2024-05-06", "2024-05-10"))
        .await
        .unwrap();

    assert_eq!(bars.len(), 5);
    assert_eq!(bars[0].date, day("2024-05-06"));
    assert_eq!(bars[4].date, day("2024-05-10"));
    assert_close(bars[0].open, 182.354);
    assert_close(bars[0].low, 180.42);
    assert_close(bars[3].close, 184.57);
    // Written as 7.8569667e+07.
    assert_eq!(bars[0].volume, 78_569_667);
    // Aggregates carry no dividends or splits.
    assert!(bars
        .iter()
        .all(|b| b.dividend.is_none() && b.split_ratio.is_none()));
}

#[tokio::test]
async fn a_quote_compares_the_previous_day_with_the_close_before_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/aggs/ticker/AAPL/prev"))
        .respond_with(json("polygon", "prev.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/v2/aggs/ticker/AAPL/range/1/day/2024-04-29/2024-05-09",
        ))
        .respond_with(json("polygon", "prev_window.json"))
        .expect(1)
        .mount(&server)
        .await;

    let q = client(&server).await.quote(&symbol("AAPL")).await.unwrap();

    assert_close(q.price, 183.05);
    assert_close(q.previous_close, 184.57);
    assert_close(q.change, 183.05 - 184.57);
    assert_close(q.change_percent, (183.05 - 184.57) / 184.57 * 100.0);
    assert_eq!(q.as_of.date_naive(), day("2024-05-10"));
    assert_eq!(q.source, ProviderKind::Polygon);
}

#[tokio::test]
async fn ticker_details_become_an_overview() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3/reference/tickers/AAPL"))
        .respond_with(json("polygon", "ticker_details.json"))
        .mount(&server)
        .await;

    let o = client(&server)
        .await
        .overview(&symbol("AAPL"))
        .await
        .unwrap();

    assert_eq!(o.name.as_deref(), Some("Apple Inc."));
    assert_eq!(o.exchange.as_deref(), Some("XNAS"));
    assert_eq!(o.currency.as_deref(), Some("USD"));
    assert_eq!(o.industry.as_deref(), Some("ELECTRONIC COMPUTERS"));
    assert_eq!(o.ipo_date, Some(day("1980-12-12")));
    assert_close(o.market_cap.unwrap(), 2_826_637_532_800.0);
    assert_close(o.shares_outstanding.unwrap(), 15_441_881_000.0);
    assert!(o.logo_url.unwrap().ends_with("_logo.svg"));
    // Not in ticker details: absent, not zero.
    assert_eq!(o.pe_ratio, None);
    assert_eq!(o.beta, None);
}

async fn march_5min(
    server: &MockServer,
) -> Result<Vec<server::market::providers::IntradayBar>, ProviderError> {
    client(server)
        .await
        .intraday_bars(
            &symbol("AAPL"),
            range("2024-03-08", "2024-03-11"),
            Interval::Min5,
        )
        .await
}

/// The fixture holds pre- and post-market bars around 2024-03-08 (EST) and 2024-03-11 (EDT).
/// 14:00 UTC is 09:00 in New York on the first day, before the open, and 10:00 on the second.
#[tokio::test]
async fn minute_aggregates_keep_the_regular_session_across_daylight_saving() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(AAPL_MARCH_5MIN))
        .and(query_param("adjusted", "true"))
        .and(query_param("sort", "asc"))
        .and(header("Authorization", "Bearer test-key"))
        .respond_with(json("polygon", "aggs_5min.json"))
        .expect(1)
        .mount(&server)
        .await;

    let bars = march_5min(&server).await.unwrap();

    let starts: Vec<String> = bars.iter().map(|b| b.start.to_rfc3339()).collect();
    assert_eq!(
        starts,
        [
            "2024-03-08T14:30:00+00:00",
            "2024-03-08T14:35:00+00:00",
            "2024-03-08T20:55:00+00:00",
            "2024-03-11T13:30:00+00:00",
            "2024-03-11T14:00:00+00:00",
        ]
    );
    assert_close(bars[0].open, 170.2);
    assert_close(bars[0].high, 171.12);
    assert_close(bars[0].low, 170.12);
    assert_close(bars[0].close, 170.95);
    // Written as 2.135114e+06.
    assert_eq!(bars[0].volume, 2_135_114);
    assert_eq!(bars[4].volume, 611_508);
}

#[tokio::test]
async fn sixty_minute_bars_are_asked_for_as_sixty_minutes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(
            "/v2/aggs/ticker/AAPL/range/60/minute/2024-03-08/2024-03-08",
        ))
        .respond_with(json("polygon", "aggs_5min.json"))
        .expect(1)
        .mount(&server)
        .await;
    let bars = client(&server)
        .await
        .intraday_bars(
            &symbol("AAPL"),
            range("2024-03-08", "2024-03-08"),
            Interval::Min60,
        )
        .await
        .unwrap();
    assert_eq!(bars.len(), 3);
}

#[tokio::test]
async fn empty_minute_aggregates_are_no_data() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(AAPL_MARCH_5MIN))
        .respond_with(json("polygon", "empty_aggs.json"))
        .mount(&server)
        .await;
    let err = march_5min(&server).await.unwrap_err();
    assert!(matches!(err, ProviderError::NoData { .. }), "{err}");
}

#[tokio::test]
async fn a_rate_limit_on_minute_aggregates_is_rate_limited_whether_429_or_200() {
    for status in [429, 200] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(AAPL_MARCH_5MIN))
            .respond_with(
                json_status(status, "polygon", "rate_limit.json")
                    .insert_header("Retry-After", "60"),
            )
            .mount(&server)
            .await;
        let err = march_5min(&server).await.unwrap_err();
        assert!(
            matches!(
                err,
                ProviderError::RateLimited {
                    provider: ProviderKind::Polygon,
                    ..
                }
            ),
            "{status}: {err}"
        );
        // A minute's wait is not worth it: one request.
        assert_eq!(request_count(&server).await, 1, "{status}");
    }
}

#[tokio::test]
async fn malformed_minute_aggregates_are_malformed() {
    for body in [
        r#"{"ticker":"AAPL","results":[{"o":170.2,"c":170.95,"h":171.12,"l":170.12,"v":2135114}]}"#,
        r#"{"ticker":"AAPL","results":[{"o":-1,"c":170.95,"h":171.12,"l":170.12,"v":2135114,"t":1709908200000}]}"#,
        r#"{"ticker":"AAPL","results":["#,
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(AAPL_MARCH_5MIN))
            .respond_with(raw(200, body, "application/json"))
            .mount(&server)
            .await;
        let err = march_5min(&server).await.unwrap_err();
        assert!(
            matches!(err, ProviderError::Malformed { .. }),
            "{body}: {err}"
        );
    }
}

async fn search_with(
    response: wiremock::ResponseTemplate,
) -> (MockServer, Result<Vec<SymbolMatch>, ProviderError>) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3/reference/tickers"))
        .and(header("Authorization", "Bearer test-key"))
        .respond_with(response)
        .mount(&server)
        .await;
    let answer = client(&server).await.search(&search_query("apple")).await;
    (server, answer)
}

#[tokio::test]
async fn a_symbol_search_lists_active_stock_tickers_with_exchange_type_and_currency() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v3/reference/tickers"))
        .and(query_param("search", "apple"))
        .and(query_param("active", "true"))
        .and(query_param("market", "stocks"))
        .and(query_param("limit", "20"))
        .and(header("Authorization", "Bearer test-key"))
        .respond_with(json("polygon", "symbol_search.json"))
        .expect(1)
        .mount(&server)
        .await;

    let matches = client(&server)
        .await
        .search(&search_query("apple"))
        .await
        .unwrap();

    let symbols: Vec<&str> = matches.iter().map(|m| m.symbol.as_str()).collect();
    assert_eq!(symbols, ["AAPL", "APLE", "APPX"]);
    let apple = &matches[0];
    assert_eq!(apple.name, "Apple Inc.");
    assert_eq!(apple.exchange.as_deref(), Some("XNAS"));
    assert_eq!(apple.kind.as_deref(), Some("Common stock"));
    assert_eq!(apple.currency.as_deref(), Some("USD"));
    assert_eq!(apple.region.as_deref(), Some("United States"));
    assert_eq!(matches[2].kind.as_deref(), Some("ETF"));
    assert_eq!(matches[2].exchange.as_deref(), Some("BATS"));
}

#[tokio::test]
async fn a_symbol_search_without_a_match_is_empty_not_an_error() {
    let (_server, answer) = search_with(json("polygon", "symbol_search_empty.json")).await;
    assert_eq!(answer.unwrap(), []);
    // `results` left out altogether.
    let (_server, answer) = search_with(raw(
        200,
        r#"{"status":"OK","request_id":"1","count":0}"#,
        "application/json",
    ))
    .await;
    assert_eq!(answer.unwrap(), []);
}

#[tokio::test]
async fn a_rate_limited_symbol_search_is_rate_limited() {
    // The status in a 200 costs one request; a 429 is retried (no Retry-After) then reported.
    for (response, requests) in [
        (json("polygon", "rate_limit.json"), 1),
        (json_status(429, "polygon", "rate_limit.json"), 3),
    ] {
        let (server, answer) = search_with(response).await;
        let err = answer.unwrap_err();
        assert!(
            matches!(
                err,
                ProviderError::RateLimited {
                    provider: ProviderKind::Polygon,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(request_count(&server).await, requests);
    }
}

#[tokio::test]
async fn a_malformed_symbol_search_is_malformed() {
    let text = fixture("polygon", "symbol_search.json");
    for body in [
        text[..text.len() / 2].to_string(),
        // A row without its ticker.
        text.replace(r#""ticker": "APLE","#, ""),
        r#"{"results":{"ticker":"AAPL"},"status":"OK"}"#.to_string(),
        "<html><body>Service Unavailable</body></html>".to_string(),
    ] {
        let (_server, answer) = search_with(raw(200, &body, "application/json")).await;
        let err = answer.unwrap_err();
        assert!(
            matches!(err, ProviderError::Malformed { .. }),
            "{body}: {err}"
        );
    }
}

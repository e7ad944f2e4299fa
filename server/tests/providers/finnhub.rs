use server::market::providers::{
    ApiKey, Finnhub, Interval, MarketDataProvider, NewsQuery, ProviderError, ProviderKind,
    SymbolMatch,
};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{
    assert_close, day, fixture, json, json_status, range, raw, request_count, search_query,
    settings, symbol,
};

async fn client(server: &MockServer) -> Finnhub {
    Finnhub::new(
        &server.uri(),
        ApiKey::new("test-token").unwrap(),
        &settings(),
    )
    .unwrap()
}

async fn serve(server: &MockServer, endpoint: &str, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(endpoint))
        .and(header("X-Finnhub-Token", "test-token"))
        .respond_with(response)
        .mount(server)
        .await;
}

#[tokio::test]
async fn candles_become_daily_bars_on_their_utc_days() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/stock/candle"))
        .and(query_param("symbol", "AAPL"))
        .and(query_param("resolution", "D"))
        .and(query_param("from", "1714953600"))
        .and(header("X-Finnhub-Token", "test-token"))
        .respond_with(json("finnhub", "candle.json"))
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
    assert_close(bars[0].close, 181.71);
    assert_close(bars[4].high, 185.09);
    assert_eq!(bars[4].volume, 50_759_496);
    assert_eq!(bars[4].adjusted_close, None);
    // Candles carry no dividends or splits.
    assert!(bars
        .iter()
        .all(|b| b.dividend.is_none() && b.split_ratio.is_none()));
}

#[tokio::test]
async fn a_quote_keeps_finnhubs_change_figures() {
    let server = MockServer::start().await;
    serve(&server, "/quote", json("finnhub", "quote.json")).await;

    let q = client(&server).await.quote(&symbol("AAPL")).await.unwrap();

    assert_close(q.price, 183.05);
    assert_close(q.previous_close, 184.57);
    assert_close(q.change, -1.52);
    assert_close(q.change_percent, -0.8235);
    assert_eq!(q.as_of.timestamp(), 1_715_371_200);
    assert_eq!(q.source, ProviderKind::Finnhub);
}

#[tokio::test]
async fn an_all_zero_quote_is_not_found() {
    let server = MockServer::start().await;
    serve(&server, "/quote", json("finnhub", "unknown_quote.json")).await;
    let err = client(&server)
        .await
        .quote(&symbol("ZZZZ"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::NotFound { .. }), "{err}");
}

#[tokio::test]
async fn an_overview_merges_profile_and_metrics_in_whole_units() {
    let server = MockServer::start().await;
    serve(&server, "/stock/profile2", json("finnhub", "profile2.json")).await;
    Mock::given(method("GET"))
        .and(path("/stock/metric"))
        .and(query_param("metric", "all"))
        .respond_with(json("finnhub", "metric.json"))
        .mount(&server)
        .await;

    let o = client(&server)
        .await
        .overview(&symbol("AAPL"))
        .await
        .unwrap();

    assert_eq!(o.name.as_deref(), Some("Apple Inc"));
    assert_eq!(o.industry.as_deref(), Some("Technology"));
    assert_eq!(o.ipo_date, Some(day("1980-12-12")));
    // Finnhub reports millions.
    assert_close(o.market_cap.unwrap(), 2_826_637_500_000.0);
    assert_close(o.shares_outstanding.unwrap(), 15_441_880_000.0);
    assert_close(o.pe_ratio.unwrap(), 28.49);
    assert_close(o.eps.unwrap(), 6.4252);
    // 0.5463 percent.
    assert_close(o.dividend_yield.unwrap(), 0.005463);
    assert_close(o.week_52_low.unwrap(), 164.08);
    assert_eq!(o.description, None);
}

#[tokio::test]
async fn an_empty_profile_is_not_found() {
    let server = MockServer::start().await;
    serve(
        &server,
        "/stock/profile2",
        json("finnhub", "empty_profile.json"),
    )
    .await;
    let err = client(&server)
        .await
        .overview(&symbol("ZZZZ"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::NotFound { .. }), "{err}");
}

#[tokio::test]
async fn company_news_is_newest_first_with_empty_fields_absent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/company-news"))
        .and(query_param("symbol", "AAPL"))
        .and(query_param("from", "2024-05-01"))
        .and(query_param("to", "2024-05-10"))
        .respond_with(json("finnhub", "company_news.json"))
        .mount(&server)
        .await;
    let query = NewsQuery {
        symbol: Some(symbol("AAPL")),
        range: range("2024-05-01", "2024-05-10"),
        limit: 10,
    };

    let news = client(&server).await.news(&query).await.unwrap();

    assert_eq!(news.len(), 2);
    assert_eq!(news[0].title, "Apple's buyback is the largest ever");
    assert_eq!(news[0].image, None);
    assert_eq!(news[0].summary, None);
    assert_eq!(news[1].source, "Yahoo");
    assert_eq!(
        news[1].image.as_deref(),
        Some("https://www.example.com/images/ipad.jpg")
    );
    assert_eq!(news[1].published_at.timestamp(), 1_715_265_000);
    assert!(news.iter().all(|a| a.sentiment.is_none()));
}

#[tokio::test]
async fn general_news_is_kept_to_the_range_asked_for() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/news"))
        .and(query_param("category", "general"))
        .respond_with(json("finnhub", "general_news.json"))
        .mount(&server)
        .await;
    let query = NewsQuery {
        symbol: None,
        range: range("2024-05-01", "2024-05-10"),
        limit: 10,
    };

    let news = client(&server).await.news(&query).await.unwrap();

    assert_eq!(news.len(), 1);
    assert_eq!(news[0].title, "Stocks end the week higher");
}

#[tokio::test]
async fn empty_news_is_no_data() {
    let server = MockServer::start().await;
    serve(&server, "/company-news", raw(200, "[]", "application/json")).await;
    let query = NewsQuery {
        symbol: Some(symbol("AAPL")),
        range: range("2024-05-01", "2024-05-10"),
        limit: 10,
    };
    let err = client(&server).await.news(&query).await.unwrap_err();
    assert!(matches!(err, ProviderError::NoData { .. }), "{err}");
}

/// The fixture holds pre- and post-market candles around 2024-03-08 (EST) and 2024-03-11 (EDT).
/// 14:00 UTC is 09:00 in New York on the first day, before the open, and 10:00 on the second.
#[tokio::test]
async fn intraday_candles_keep_the_regular_session_across_daylight_saving() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/stock/candle"))
        .and(query_param("symbol", "AAPL"))
        .and(query_param("resolution", "5"))
        .and(query_param("from", "1709856000"))
        .and(query_param("to", "1710201599"))
        .and(header("X-Finnhub-Token", "test-token"))
        .respond_with(json("finnhub", "candle_5min.json"))
        .expect(1)
        .mount(&server)
        .await;

    let bars = client(&server)
        .await
        .intraday_bars(
            &symbol("AAPL"),
            range("2024-03-08", "2024-03-11"),
            Interval::Min5,
        )
        .await
        .unwrap();

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
    assert_eq!(bars[0].volume, 2_135_114);
    assert_close(bars[4].close, 173.41);
}

#[tokio::test]
async fn intraday_no_data_is_no_data() {
    let server = MockServer::start().await;
    serve(&server, "/stock/candle", json("finnhub", "no_data.json")).await;
    let err = client(&server)
        .await
        .intraday_bars(
            &symbol("AAPL"),
            range("2024-03-08", "2024-03-11"),
            Interval::Min15,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::NoData { .. }), "{err}");
}

#[tokio::test]
async fn intraday_candles_outside_the_session_only_are_no_data() {
    let server = MockServer::start().await;
    serve(
        &server,
        "/stock/candle",
        raw(
            200,
            // 2024-03-08 at 08:00 and 17:00 in New York.
            r#"{"c":[170.1,170.7],"h":[170.2,170.8],"l":[170.0,170.6],"o":[170.1,170.7],"s":"ok","t":[1709902800,1709935200],"v":[1200,800]}"#,
            "application/json",
        ),
    )
    .await;
    let err = client(&server)
        .await
        .intraday_bars(
            &symbol("AAPL"),
            range("2024-03-08", "2024-03-08"),
            Interval::Min5,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::NoData { .. }), "{err}");
}

#[tokio::test]
async fn an_intraday_rate_limit_is_rate_limited_whether_429_or_200() {
    for status in [429, 200] {
        let server = MockServer::start().await;
        serve(
            &server,
            "/stock/candle",
            json_status(status, "finnhub", "rate_limit.json").insert_header("Retry-After", "30"),
        )
        .await;
        let err = client(&server)
            .await
            .intraday_bars(
                &symbol("AAPL"),
                range("2024-03-08", "2024-03-11"),
                Interval::Min5,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                ProviderError::RateLimited {
                    provider: ProviderKind::Finnhub,
                    ..
                }
            ),
            "{status}: {err}"
        );
    }
}

#[tokio::test]
async fn intraday_candles_of_unequal_lengths_are_malformed() {
    let server = MockServer::start().await;
    serve(
        &server,
        "/stock/candle",
        raw(
            200,
            r#"{"c":[170.95],"h":[171.12],"l":[170.12],"o":[170.2,170.96],"s":"ok","t":[1709908200],"v":[2135114]}"#,
            "application/json",
        ),
    )
    .await;
    let err = client(&server)
        .await
        .intraday_bars(
            &symbol("AAPL"),
            range("2024-03-08", "2024-03-11"),
            Interval::Min5,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Malformed { .. }), "{err}");
}

async fn search_with(
    response: ResponseTemplate,
) -> (MockServer, Result<Vec<SymbolMatch>, ProviderError>) {
    let server = MockServer::start().await;
    serve(&server, "/search", response).await;
    let answer = client(&server).await.search(&search_query("apple")).await;
    (server, answer)
}

#[tokio::test]
async fn a_symbol_search_asks_for_us_listings_and_keeps_finnhubs_order() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/search"))
        .and(query_param("q", "apple"))
        .and(query_param("exchange", "US"))
        .and(header("X-Finnhub-Token", "test-token"))
        .respond_with(json("finnhub", "symbol_search.json"))
        .expect(1)
        .mount(&server)
        .await;

    let matches = client(&server)
        .await
        .search(&search_query("apple"))
        .await
        .unwrap();

    let symbols: Vec<&str> = matches.iter().map(|m| m.symbol.as_str()).collect();
    assert_eq!(symbols, ["AAPL", "APLE", "AMAT", "AAPU"]);
    assert_eq!(matches[0].name, "APPLE INC");
    assert_eq!(matches[0].kind.as_deref(), Some("Common stock"));
    assert_eq!(matches[1].kind.as_deref(), Some("REIT"));
    assert_eq!(matches[3].kind.as_deref(), Some("ETP"));
    // Finnhub's search names no exchange, currency or region.
    assert!(matches
        .iter()
        .all(|m| m.exchange.is_none() && m.currency.is_none() && m.region.is_none()));
}

#[tokio::test]
async fn a_ticker_found_twice_is_listed_once() {
    let doubled = fixture("finnhub", "symbol_search.json").replace(
        r#""type":"ETP"}"#,
        r#""type":"ETP"},{"description":"APPLE INC (2)","displaySymbol":"AAPL","symbol":"AAPL","type":"Common Stock"}"#,
    );
    let (_server, answer) = search_with(raw(200, &doubled, "application/json")).await;
    let matches = answer.unwrap();
    assert_eq!(matches.len(), 4);
    assert_eq!(matches[0].name, "APPLE INC");
}

#[tokio::test]
async fn a_symbol_search_without_a_match_is_empty_not_an_error() {
    let (_server, answer) = search_with(json("finnhub", "symbol_search_empty.json")).await;
    assert_eq!(answer.unwrap(), []);
}

#[tokio::test]
async fn a_rate_limited_symbol_search_is_rate_limited() {
    // Finnhub's 429, and the same body in a 200.
    for (response, requests) in [
        (
            json_status(429, "finnhub", "rate_limit.json").insert_header("Retry-After", "30"),
            1,
        ),
        (json("finnhub", "rate_limit.json"), 1),
    ] {
        let (server, answer) = search_with(response).await;
        let err = answer.unwrap_err();
        assert!(
            matches!(
                err,
                ProviderError::RateLimited {
                    provider: ProviderKind::Finnhub,
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
    for body in [
        r#"{"count":4,"result":[{"description":"APPLE INC","#,
        r#"{"count":0}"#,
        r#"{"count":1,"result":[{"description":"APPLE INC","symbol":1234}]}"#,
        "<!DOCTYPE html><html><body>Bad gateway</body></html>",
    ] {
        let (_server, answer) = search_with(raw(200, body, "application/json")).await;
        let err = answer.unwrap_err();
        assert!(
            matches!(err, ProviderError::Malformed { .. }),
            "{body}: {err}"
        );
    }
}

use server::market::providers::{
    AlphaVantage, ApiKey, MarketDataProvider, NewsQuery, ProviderError, ProviderKind,
    SentimentLabel,
};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer};

use super::support::{
    assert_close, day, fixture, json, range, raw, request_count, settings, symbol,
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
async fn a_rate_limit_note_in_a_200_is_rate_limited_and_not_retried() {
    for name in ["note_rate_limit.json", "information_rate_limit.json"] {
        let server = MockServer::start().await;
        serve(&server, "GLOBAL_QUOTE", json("alphavantage", name)).await;
        let err = client(&server)
            .await
            .quote(&symbol("IBM"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                ProviderError::RateLimited {
                    provider: ProviderKind::AlphaVantage,
                    retry_after: None
                }
            ),
            "{name}: {err}"
        );
        assert_eq!(request_count(&server).await, 1, "{name}");
    }
}

#[tokio::test]
async fn an_error_message_about_an_unknown_symbol_is_not_found() {
    let server = MockServer::start().await;
    serve(
        &server,
        "TIME_SERIES_DAILY_ADJUSTED",
        json("alphavantage", "error_message.json"),
    )
    .await;
    let err = client(&server)
        .await
        .daily_bars(&symbol("ZZZZ"), range("2024-05-01", "2024-05-10"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::NotFound { .. }), "{err}");
}

#[tokio::test]
async fn malformed_json_and_html_pages_are_malformed() {
    let broken = fixture("alphavantage", "daily_adjusted.json");
    let broken = &broken[..broken.len() / 2];
    for (body, content_type) in [
        (broken, "application/json"),
        (
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
            "text/html",
        ),
    ] {
        let server = MockServer::start().await;
        serve(
            &server,
            "TIME_SERIES_DAILY_ADJUSTED",
            raw(200, body, content_type),
        )
        .await;
        let err = client(&server)
            .await
            .daily_bars(&symbol("IBM"), range("2024-05-01", "2024-05-10"))
            .await
            .unwrap_err();
        assert!(matches!(err, ProviderError::Malformed { .. }), "{err}");
    }
}

#[tokio::test]
async fn an_empty_series_is_no_data() {
    let server = MockServer::start().await;
    serve(
        &server,
        "TIME_SERIES_DAILY_ADJUSTED",
        json("alphavantage", "empty_series.json"),
    )
    .await;
    let err = client(&server)
        .await
        .daily_bars(&symbol("IBM"), range("2024-05-01", "2024-05-10"))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::NoData { .. }), "{err}");
}

#[tokio::test]
async fn a_500_is_retried_then_reported_as_upstream() {
    let server = MockServer::start().await;
    serve(
        &server,
        "GLOBAL_QUOTE",
        raw(500, "Internal Server Error", "text/plain"),
    )
    .await;
    let err = client(&server)
        .await
        .quote(&symbol("IBM"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Upstream { status: 500, .. }),
        "{err}"
    );
    // The first attempt and two retries.
    assert_eq!(request_count(&server).await, 3);
}

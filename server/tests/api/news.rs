//! The news desk end to end: the scheduled refresh stores Alpha Vantage's NEWS_SENTIMENT answers
//! (fixtures in its real format, `tests/fixtures/news/`, served by a local mock), and `/news`,
//! `/news/{symbol}`, the landing page and `/api/v1/news*` serve them from the store, as plain
//! server-rendered HTML (no JavaScript needed), with real statuses.
//!
//! The app under test has its own Alpha Vantage mock with nothing mounted: a page request that
//! reached a provider would show up there. Its workers are off (`APP_WORKERS=0`), so no schedule
//! runs behind the test's back; the test runs the refresh the schedule runs.

use app::model::NewsDeskPage;
use chrono::{DateTime, Utc};
use server::cache::Cache;
use server::market::ingest::Ingestor;
use server::market::news_desk::{DeskRefresh, NewsDeskService};
use server::market::providers::{NewsArticle, ProviderKind, ProvidersConfig};
use server::market::store;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::kit::{assert_error, spawn_app, spawn_app_with, sym, Options, TestApp};

/// When the refresh runs: the fixtures' stories are from the week before.
fn refresh_time() -> DateTime<Utc> {
    "2024-05-10T18:00:00Z".parse().unwrap()
}

/// `tests/fixtures/news/{name}`, served as JSON.
fn fixture(name: &str) -> ResponseTemplate {
    let file = format!("{}/tests/fixtures/news/{name}", env!("CARGO_MANIFEST_DIR"));
    let body = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    ResponseTemplate::new(200).set_body_raw(body, "application/json")
}

/// Alpha Vantage answering NEWS_SENTIMENT: market news without `tickers`, MSFT's with it (any
/// other ticker finds no mock: a provider error the refresh logs and goes past).
async fn alpha_vantage() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/query"))
        .and(query_param("function", "NEWS_SENTIMENT"))
        .and(query_param_is_missing("tickers"))
        .respond_with(fixture("alphavantage_market.json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/query"))
        .and(query_param("function", "NEWS_SENTIMENT"))
        .and(query_param("tickers", "MSFT"))
        .respond_with(fixture("alphavantage_msft.json"))
        .mount(&server)
        .await;
    server
}

/// The app, configured with an Alpha Vantage key (so it is not offline) pointing at `pages`.
async fn online_app(pages: &MockServer) -> TestApp {
    spawn_app_with(Options {
        env: vec![
            ("MARKET_DATA_PROVIDERS".into(), "alphavantage".into()),
            ("ALPHAVANTAGE_API_KEY".into(), "av-key".into()),
            ("ALPHAVANTAGE_BASE_URL".into(), pages.uri()),
            ("MARKET_DATA_MAX_RETRIES".into(), "0".into()),
            ("APP_WORKERS".into(), "0".into()),
        ],
        ..Options::default()
    })
    .await
}

/// The desk the schedule refreshes, asking Alpha Vantage at `provider`, on `app`'s database.
fn desk(app: &TestApp, provider: &MockServer) -> NewsDeskService {
    let uri = provider.uri();
    let config = ProvidersConfig::from_lookup(|k| match k {
        "MARKET_DATA_PROVIDERS" => Some("alphavantage".into()),
        "ALPHAVANTAGE_API_KEY" => Some("av-key".into()),
        "ALPHAVANTAGE_BASE_URL" => Some(uri.clone()),
        "MARKET_DATA_MAX_RETRIES" => Some("0".into()),
        _ => None,
    })
    .unwrap();
    let ingestor = Ingestor::new(app.pool.clone(), config.build_chain().unwrap());
    NewsDeskService::new(app.pool.clone(), Cache::disabled(), Some(ingestor))
}

/// An MSFT story stored earlier by a provider that gives no sentiment, whose link is not a web
/// address (stored before links were checked).
async fn store_unscored_script_link(app: &TestApp) {
    let article = NewsArticle {
        title: "Old item with a script link".into(),
        source: "Legacy Wire".into(),
        url: "javascript:alert(document.cookie)".into(),
        image: None,
        published_at: "2024-05-05T12:00:00Z".parse().unwrap(),
        summary: None,
        sentiment: None,
    };
    store::upsert_news(
        &app.pool,
        Some(&sym("MSFT")),
        &[article],
        ProviderKind::Finnhub,
    )
    .await
    .unwrap();
}

/// An app whose desk the schedule's refresh has filled, with its (idle) provider mock.
async fn refreshed_app() -> (TestApp, MockServer) {
    let pages = MockServer::start().await;
    let app = online_app(&pages).await;
    let provider = alpha_vantage().await;
    desk(&app, &provider).refresh(refresh_time()).await.unwrap();
    store_unscored_script_link(&app).await;
    (app, pages)
}

/// A page as a browser without JavaScript gets it: status and HTML.
async fn html(app: &TestApp, path: &str) -> (u16, String) {
    let res = app.get(path).await;
    let status = res.status().as_u16();
    // Without the `<!>` markers hydration places between text nodes, to match text as read.
    let text = res.text().await.unwrap().replace("<!>", "");
    (status, text)
}

#[tokio::test]
async fn the_refresh_stores_market_and_ticker_news_once_without_script_links() {
    let pages = MockServer::start().await;
    let app = online_app(&pages).await;
    let provider = alpha_vantage().await;
    let desk = desk(&app, &provider);

    let first = desk.refresh(refresh_time()).await.unwrap();
    let again = desk.refresh(refresh_time()).await.unwrap();

    // Market news, MSFT and GOOG (the indices are skipped); GOOG finds no news.
    assert_eq!(
        first,
        DeskRefresh {
            feeds: 3,
            stored: 2,
            inserted: 27,
            updated: 0
        }
    );
    assert_eq!((again.inserted, again.updated), (0, 27));
    let count = |s| store::news::count_news(&app.pool, s);
    assert_eq!(
        count(None).await.unwrap(),
        22,
        "the javascript: item left out"
    );
    assert_eq!(count(Some(&sym("MSFT"))).await.unwrap(), 5);
    let requests = provider.received_requests().await.unwrap();
    assert_eq!(requests.len(), 6, "two refreshes of three feeds");
    assert!(
        requests
            .iter()
            .all(|r| !r.url.query().unwrap().contains("%5E")),
        "no news asked about an index"
    );
    assert!(pages.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_market_desk_is_rendered_on_the_server_with_sources_times_and_sentiment() {
    let (app, pages) = refreshed_app().await;

    let (status, page) = html(&app, "/news").await;

    assert_eq!(status, 200);
    // The whole desk is in the HTML as sent: nothing waits for JavaScript.
    assert!(page.contains(r#"data-testid="news-desk""#), "{page}");
    assert!(!page.contains("<template"), "streamed out of order: {page}");
    assert_eq!(page.matches(r#"data-testid="story""#).count(), 20);
    for title in ["Market story 01", "Market story 20"] {
        assert!(page.contains(title), "{title}");
    }
    assert!(!page.contains("Market story 21"), "on page two");
    assert!(page.contains(r#"class="story-source">Reuters</span>"#));
    assert!(page.contains("22 stories stored"));
    // Source, time (relative to when the page was read, with the exact time beside it), badge.
    assert!(page.contains(r#"<time datetime="2024-05-10T15:00:00+00:00""#));
    assert!(page.contains("Fri 10 May 2024, 11:00 New York time"));
    assert!(page.contains(r#"data-sentiment="bullish""#));
    assert!(page.contains(r#"data-sentiment="bearish""#));
    assert!(page.contains(r#"data-sentiment="neutral""#));
    // Summaries are text, never markup.
    assert!(page.contains("Stocks rose &amp; bonds fell &lt;b&gt;sharply&lt;/b&gt;"));
    // External links cannot reach back, and only web links exist.
    assert!(page.contains(
        r#"href="https://www.example.com/markets/story-01" rel="noopener noreferrer nofollow""#
    ));
    assert!(!page.contains("javascript:"));
    assert!(!page.contains("Sneaky headline"));
    assert!(page.contains(r#"<a rel="next" href="/news?page=2""#));
    assert!(!page.contains(r#"rel="prev""#));
    // Served from the store: the app's provider was never asked.
    assert!(pages.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn pages_step_back_in_time_and_a_page_past_the_end_is_404() {
    let (app, _pages) = refreshed_app().await;

    let (status, page) = html(&app, "/news?page=2").await;
    assert_eq!(status, 200);
    assert_eq!(page.matches(r#"data-testid="story""#).count(), 2);
    assert!(page.contains("Market story 21") && page.contains("Market story 22"));
    assert!(page.contains(r#"<a rel="prev" href="/news""#));
    assert!(!page.contains(r#"rel="next""#));
    assert!(page.contains("Page 2 of 2"));

    let (status, page) = html(&app, "/news?page=3").await;
    assert_eq!(status, 404);
    assert!(page.contains(r#"data-testid="not-found""#));
    assert!(page.contains("There is no page 3 of market news"));
    for bad in ["0", "abc", "1001", "-1"] {
        let (status, page) = html(&app, &format!("/news?page={bad}")).await;
        assert_eq!(status, 400, "page={bad}");
        assert!(
            page.contains("page must be a whole number from 1 to 1000"),
            "{bad}"
        );
    }

    let desk: NewsDeskPage = app.api_ok("/news?page=2").await;
    assert_eq!(
        (desk.page.get(), desk.total, desk.stories.len()),
        (2, 22, 2)
    );
    assert_eq!(desk.stories[0].title, "Market story 21");
    let (status, body) = app.api("/news?page=3").await;
    assert_error(status, &body, 404, "not_found");
    let (status, body) = app.api("/news?page=abc").await;
    assert_error(status, &body, 400, "bad_request");
    let (status, body) = app.api("/news/MSFT?page=2").await;
    assert_error(status, &body, 404, "not_found");
}

#[tokio::test]
async fn a_tickers_desk_summarises_its_sentiment_and_shows_a_script_link_as_text() {
    let (app, pages) = refreshed_app().await;

    let (status, page) = html(&app, "/news/MSFT").await;

    assert_eq!(status, 200);
    assert!(page.contains("News about MSFT"));
    assert!(page.contains("Microsoft beats on cloud revenue"));
    assert_eq!(page.matches(r#"data-testid="story""#).count(), 6);
    // Over the newest stories: (0.45 + 0.30 + 0.05 - 0.20 - 0.40) / 5 scored = +0.04; MSFT's own
    // label where the feed gives one, the overall score for the story that names no MSFT score.
    assert!(page.contains(r#"data-testid="sentiment-summary""#));
    assert!(page.contains(r#"<strong data-testid="sentiment-mean">+0.04</strong>"#));
    assert!(page.contains("5 of 6 articles carry a sentiment score."));
    for (bucket, n) in [("bullish", 2), ("neutral", 1), ("bearish", 2)] {
        assert!(
            page.contains(&format!(r#"data-sentiment="{bucket}" data-count="{n}""#)),
            "{bucket} {n}"
        );
    }
    // The stored script link is the headline as plain text, not a link.
    assert!(page.contains(r#"class="unlinked">Old item with a script link</span>"#));
    assert!(!page.contains("javascript:"));

    let desk: NewsDeskPage = app.api_ok("/news/msft").await;
    let summary = desk.sentiment.unwrap();
    assert_eq!((summary.articles, summary.scored), (6, 5));
    assert_eq!(
        (summary.bullish, summary.neutral, summary.bearish),
        (2, 1, 2)
    );
    assert!((summary.mean.unwrap() - 0.04).abs() < 1e-9);
    assert_eq!(desk.symbol, Some(sym("MSFT")));
    let scripted = desk
        .stories
        .iter()
        .find(|s| s.title == "Old item with a script link")
        .unwrap();
    assert_eq!(scripted.url, None, "a non-web link is not passed on");
    assert!(desk.name.is_some());
    // The same through `?symbol=` with `page`.
    let same: NewsDeskPage = app.api_ok("/news?symbol=MSFT&page=1").await;
    assert_eq!(same.stories, desk.stories);
    assert!(pages.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_unknown_ticker_is_404_and_a_known_one_without_stories_says_so() {
    let (app, _pages) = refreshed_app().await;

    for path in ["/news/ZZZZ", "/news/%24%24"] {
        let (status, page) = html(&app, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(page.contains(r#"data-testid="not-found""#), "{path}");
    }
    assert!(html(&app, "/news/ZZZZ")
        .await
        .1
        .contains("We have no data for the ticker ZZZZ."));

    let (status, page) = html(&app, "/news/GOOG").await;
    assert_eq!(status, 200);
    assert!(page.contains("No stories stored yet."));
    assert!(!page.contains(r#"data-testid="sentiment-summary""#));
    assert!(
        !page.contains(r#"data-testid="news-notice""#),
        "online: no key notice"
    );

    let (status, body) = app.api("/news/ZZZZ").await;
    assert_error(status, &body, 404, "unknown_symbol");
    let (status, body) = app.api("/news/%24%24").await;
    assert_error(status, &body, 400, "invalid_symbol");
}

#[tokio::test]
async fn the_landing_page_shows_the_six_latest_market_stories_above_the_tickers() {
    let (app, _pages) = refreshed_app().await;

    let (status, page) = html(&app, "/").await;

    assert_eq!(status, 200);
    let headlines = page.find(r#"data-testid="headlines""#).expect("headlines");
    let tickers = page.find(r#"data-testid="tickers""#).expect("tickers");
    assert!(headlines < tickers, "headlines above the tickers");
    for n in 1..=6 {
        assert!(page.contains(&format!("Market story {n:02}")), "story {n}");
    }
    assert!(!page.contains("Market story 07"));
    assert!(page.contains(r#"href="/news""#));
}

#[tokio::test]
async fn offline_the_desk_says_plainly_that_a_news_provider_key_is_needed() {
    let app = spawn_app().await;

    let (status, page) = html(&app, "/news").await;
    assert_eq!(status, 200);
    assert!(page.contains(r#"data-testid="news-notice""#), "{page}");
    assert!(page.contains("ALPHAVANTAGE_API_KEY") && page.contains("FINNHUB_API_KEY"));
    assert!(page.contains("No stories stored yet."));

    let (status, page) = html(&app, "/news/GOOG").await;
    assert_eq!(status, 200);
    assert!(page.contains("ALPHAVANTAGE_API_KEY"));

    // The landing page says it in one line.
    let (_, page) = html(&app, "/").await;
    assert!(page.contains(r#"data-testid="headlines-empty""#));
    assert!(page.contains("No news provider is configured"));

    let desk: NewsDeskPage = app.api_ok("/news?page=1").await;
    assert!(desk.stories.is_empty());
    assert!(desk.notice.unwrap().contains("ALPHAVANTAGE_API_KEY"));
    // Without `page`, the first page.
    let first: NewsDeskPage = app.api_ok("/news").await;
    assert_eq!(first.page.get(), 1);
}

#[tokio::test]
async fn offline_stories_stored_earlier_are_still_served_without_a_notice() {
    let app = spawn_app().await;
    store_unscored_script_link(&app).await;

    let (status, page) = html(&app, "/news/MSFT").await;

    assert_eq!(status, 200);
    assert!(page.contains("Old item with a script link"));
    assert!(!page.contains(r#"data-testid="news-notice""#));
    assert!(page.contains("0 of 1 articles carry a sentiment score."));
}

#[tokio::test]
async fn the_openapi_document_describes_the_news_desk() {
    let app = spawn_app().await;
    let (status, doc) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    let paths = &doc["paths"];
    assert!(paths["/api/v1/news/{symbol}"]["get"].is_object());
    let params = paths["/api/v1/news"]["get"]["parameters"]
        .as_array()
        .unwrap();
    assert!(params.iter().any(|p| p["name"] == "page"), "{params:?}");
    let schemas = &doc["components"]["schemas"];
    let answer = serde_json::to_string(&paths["/api/v1/news"]["get"]["responses"]["200"]).unwrap();
    assert!(answer.contains("NewsDeskPage"), "{answer}");
    for field in ["page", "per_page", "total", "stories", "as_of"] {
        assert!(
            schemas["NewsDeskPage"]["properties"][field].is_object(),
            "NewsDeskPage.{field}"
        );
    }
}

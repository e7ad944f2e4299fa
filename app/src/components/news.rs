//! News on the pages: the stock page's news panel, the news desk's story cards and sentiment
//! summary, and the landing page's headlines. Providers' links are followed only when they are
//! `http(s)`; anything else is shown as plain text.

use chrono::{DateTime, Utc};
use leptos::either::Either;
use leptos::prelude::*;

use super::format;
use crate::error::AppError;
use crate::model::{
    NewsFeed, NewsHeadlines, NewsItem, NewsStory, SentimentBucket, SentimentSummary,
};

/// The `rel` of every link to another site: no access to this page, no referrer, no endorsement.
pub const EXTERNAL_REL: &str = "noopener noreferrer nofollow";

/// How long before `now` something happened, in words: `just now`, `5 min ago`, `3 h ago`,
/// `2 days ago`; from a week on, its New York date (`Fri 1 Mar 2013`).
pub fn ago(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - t).num_seconds();
    match secs {
        s if s < 60 => "just now".into(),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s if s < 2 * 86_400 => "1 day ago".into(),
        s if s < 7 * 86_400 => format!("{} days ago", s / 86_400),
        _ => format::day(t.with_timezone(&chrono_tz::America::New_York).date_naive()),
    }
}

/// A score with its sign and two decimals (`+0.27`, `-0.05`, `0.00`).
pub fn signed2(x: f64) -> String {
    let rounded = (x * 100.0).round() / 100.0;
    if rounded == 0.0 {
        "0.00".into()
    } else {
        format!("{rounded:+.2}")
    }
}

/// Articles from `feed`, or its error said plainly. A missing news provider is a normal state of a
/// fresh install, so it never turns the page into an error page.
#[component]
pub fn NewsPanel(feed: Result<NewsFeed, AppError>) -> impl IntoView {
    let feed = match feed {
        Ok(NewsFeed {
            notice: Some(notice),
            ..
        }) => Err(AppError::Unavailable(notice)),
        other => other,
    };
    let body = match feed {
        Ok(feed) if feed.articles.is_empty() => Either::Left(Either::Left(view! {
            <p class="empty" data-testid="news-empty">"No recent articles."</p>
        })),
        Ok(feed) => Either::Left(Either::Right(view! {
            <ul class="news-list">{feed.articles.into_iter().map(article).collect_view()}</ul>
            <p class="fineprint">"Source: " {feed.source}</p>
        })),
        Err(e) => Either::Right(view! {
            <p class="empty" role="status" data-testid="news-unavailable">{e.to_string()}</p>
        }),
    };
    view! {
        <section class="panel news" data-testid="news" aria-labelledby="news-heading">
            <h2 id="news-heading">"News"</h2>
            {body}
        </section>
    }
}

fn article(a: NewsItem) -> impl IntoView {
    let sentiment = a.sentiment.filter(|s| s.is_finite()).map(|s| {
        let (word, class) = format::sentiment(s);
        view! {
            <span class=format!("badge sentiment {class}") aria-label=format!("Sentiment: {word} ({s:+.2})")>
                {word}
            </span>
        }
    });
    view! {
        <li class="article">
            {title_link(&a.url, a.title)}
            <span class="article-meta">
                {a.source} " · "
                <time datetime=a.published_at.to_rfc3339()>{format::exchange_time(a.published_at)}</time>
                " "
                {sentiment}
            </span>
            {a.summary.map(|s| view! { <p class="summary">{s}</p> })}
        </li>
    }
}

/// A headline that links to the article when its URL is a web link, else plain text.
fn title_link(url: &str, title: String) -> impl IntoView {
    match NewsStory::web_link(url) {
        Some(href) => Either::Left(view! {
            <a href=href.to_string() rel=EXTERNAL_REL target="_blank">{title}</a>
        }),
        None => {
            Either::Right(view! { <span class="unlinked" data-testid="unlinked">{title}</span> })
        }
    }
}

/// A story's sentiment: its bucket, and its score when there is one.
#[component]
pub fn SentimentBadge(bucket: SentimentBucket, score: Option<f64>) -> impl IntoView {
    let score = score.filter(|s| s.is_finite());
    let aria = match score {
        Some(s) => format!("Sentiment: {} ({})", bucket.label(), signed2(s)),
        None => format!("Sentiment: {}", bucket.label()),
    };
    view! {
        <span
            class=format!("badge sentiment {}", format::bucket_class(bucket))
            data-sentiment=bucket.as_str()
            aria-label=aria
        >
            {bucket.label()}
            {score.map(|s| view! { " " <small>{signed2(s)}</small> })}
        </span>
    }
}

/// One story as a card: headline (a link only when it is a web link), source, time, sentiment
/// badge and summary. `as_of` is when the list was read: relative times count from it, so the
/// server and the browser render the same words.
#[component]
pub fn StoryCard(story: NewsStory, as_of: DateTime<Utc>) -> impl IntoView {
    let badge = story
        .sentiment
        .map(|bucket| view! { <SentimentBadge bucket score=story.sentiment_score/> });
    let when = format::exchange_time(story.published_at);
    view! {
        <li class="story-card" data-testid="story">
            <h3 class="story-title">
                {title_link(story.url.as_deref().unwrap_or_default(), story.title)}
            </h3>
            <p class="story-meta">
                <span class="story-source" data-testid="story-source">{story.source}</span>
                " · "
                <time datetime=story.published_at.to_rfc3339() title=when>
                    {ago(story.published_at, as_of)}
                </time>
                {badge}
            </p>
            {story.summary.map(|s| view! { <p class="story-summary">{s}</p> })}
        </li>
    }
}

/// Story cards, newest first.
#[component]
pub fn StoryCards(stories: Vec<NewsStory>, as_of: DateTime<Utc>) -> impl IntoView {
    view! {
        <ol class="story-cards">
            {stories
                .into_iter()
                .map(|story| view! { <StoryCard story as_of/> })
                .collect_view()}
        </ol>
    }
}

/// A ticker's sentiment over its newest stories: mean score, the three counts, and how many
/// stories carry a score at all.
#[component]
pub fn SentimentSummaryPanel(summary: SentimentSummary) -> impl IntoView {
    let SentimentSummary {
        articles,
        scored,
        mean,
        bullish,
        neutral,
        bearish,
    } = summary;
    let heading = if articles == 1 {
        "Sentiment of the latest story".to_string()
    } else {
        format!("Sentiment over the latest {articles} stories")
    };
    let mean_text = mean.map_or_else(|| "—".to_string(), signed2);
    let mean_badge = mean
        .and_then(SentimentBucket::of_score)
        .map(|bucket| view! { " " <SentimentBadge bucket score=None/> });
    let count = |label: &'static str, bucket: SentimentBucket, n: u32| {
        view! {
            <li class=format::bucket_class(bucket) data-sentiment=bucket.as_str() data-count=n>
                {label} " " <strong>{n}</strong>
            </li>
        }
    };
    view! {
        <section class="panel sentiment-summary" data-testid="sentiment-summary" aria-labelledby="sentiment-heading">
            <h2 id="sentiment-heading">{heading}</h2>
            <p class="sentiment-mean">
                "Mean score " <strong data-testid="sentiment-mean">{mean_text}</strong> {mean_badge}
            </p>
            <ul class="sentiment-counts" data-testid="sentiment-counts">
                {count("Bullish", SentimentBucket::Bullish, bullish)}
                {count("Neutral", SentimentBucket::Neutral, neutral)}
                {count("Bearish", SentimentBucket::Bearish, bearish)}
            </ul>
            <p class="fineprint" data-testid="sentiment-coverage">
                {format!("{scored} of {articles} articles carry a sentiment score.")}
            </p>
        </section>
    }
}

/// The landing page's latest market stories as cards, or one line saying why there are none.
#[component]
pub fn HeadlineList(headlines: Result<NewsHeadlines, AppError>) -> impl IntoView {
    match headlines {
        Ok(h) if !h.stories.is_empty() => {
            Either::Left(view! { <StoryCards stories=h.stories as_of=h.as_of/> })
        }
        Ok(h) => Either::Right(view! {
            <p class="one-line" role="status" data-testid="headlines-empty">
                {h.notice.unwrap_or_else(|| "No market news is stored yet.".into())}
            </p>
        }),
        Err(e) => Either::Right(view! {
            <p class="one-line" role="status" data-testid="headlines-empty">{e.to_string()}</p>
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_and_https_urls_are_links() {
        for good in [
            "https://www.example.com/a",
            "http://example.com",
            "HTTPS://EXAMPLE.COM/x?y=1",
            "https://[::1]/a",
        ] {
            assert!(NewsStory::web_link(good).is_some(), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(document.cookie)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "//example.com/a",
            "/news/1",
            "ftp://example.com/a",
            "https://",
            "https:///path",
            "https://exa mple.com",
            "http://example.com/\u{0}",
            "",
        ] {
            assert!(NewsStory::web_link(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn times_read_as_how_long_ago_then_as_a_date() {
        let now: DateTime<Utc> = "2024-05-10T16:00:00Z".parse().unwrap();
        let before = |secs: i64| now - chrono::Duration::seconds(secs);
        assert_eq!(ago(before(5), now), "just now");
        assert_eq!(ago(before(-30), now), "just now", "a clock a little ahead");
        assert_eq!(ago(before(5 * 60), now), "5 min ago");
        assert_eq!(ago(before(3 * 3600 + 59), now), "3 h ago");
        assert_eq!(ago(before(30 * 3600), now), "1 day ago");
        assert_eq!(ago(before(3 * 86_400), now), "3 days ago");
        // A week or more: the New York date (00:30 UTC on the 3rd is the 2nd in New York).
        let old: DateTime<Utc> = "2024-05-03T00:30:00Z".parse().unwrap();
        assert_eq!(ago(old, now), "Thu 2 May 2024");
    }

    #[test]
    fn scores_show_their_sign_and_two_decimals() {
        assert_eq!(signed2(0.271), "+0.27");
        assert_eq!(signed2(-0.2), "-0.20");
        assert_eq!(signed2(-0.001), "0.00");
        assert_eq!(signed2(0.0), "0.00");
        assert_eq!(signed2(0.125), "+0.13");
    }
}

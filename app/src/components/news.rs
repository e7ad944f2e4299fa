//! The news panel: the latest articles, or a plain sentence saying why there are none.

use leptos::either::Either;
use leptos::prelude::*;

use super::format;
use crate::error::AppError;
use crate::model::{NewsFeed, NewsItem};

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
            // Providers' links are checked when fetched; one stored before that check that is not
            // http(s) is shown as plain text rather than followed.
            {if a.url.starts_with("https://") || a.url.starts_with("http://") {
                leptos::either::Either::Left(view! {
                    <a href=a.url rel="noopener noreferrer" target="_blank">{a.title}</a>
                })
            } else {
                leptos::either::Either::Right(view! { <span>{a.title}</span> })
            }}
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

//! `/search?q=…`: the search box's results without JavaScript. A stored ticker named exactly goes
//! straight to its stock page.

use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

use super::error::ErrorView;
use crate::api::lookup::search_symbols;
use crate::model::SearchResults;

/// The results page.
#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let results = Resource::new(q, search_symbols);
    view! {
        <Title text="Search"/>
        <Suspense fallback=|| view! { <p class="loading">"Searching…"</p> }>
            {move || Suspend::new(async move {
                match results.await {
                    Ok(r) => match exact_stored(&r) {
                        Some(path) => EitherOf3::A(view! { <Redirect path/> }),
                        None => EitherOf3::B(view! { <ResultsList results=r/> }),
                    },
                    Err(error) => EitherOf3::C(view! { <ErrorView error/> }),
                }
            })}
        </Suspense>
    }
}

/// The stock page of a stored ticker whose symbol is exactly what was typed.
fn exact_stored(r: &SearchResults) -> Option<String> {
    let wanted = crate::domain::Symbol::parse(&r.query).ok()?;
    r.matches
        .iter()
        .find(|m| m.stored && m.symbol == wanted)
        .map(|m| format!("/stock/{}", m.symbol.url_segment()))
}

#[component]
fn ResultsList(results: SearchResults) -> impl IntoView {
    let count = results.matches.len();
    let heading = format!("Results for “{}”", results.query);
    view! {
        <section class="search-results" data-testid="search-results">
            <h1>{heading}</h1>
            {results.notice.clone().map(|n| view! { <p class="notice" role="status">{n}</p> })}
            {(count == 0).then(|| view! {
                <p class="empty" role="status">
                    "No ticker matches. Try the company's name, or its symbol as the exchange lists it."
                </p>
            })}
            <ul class="result-list">
                {results
                    .matches
                    .into_iter()
                    .map(|m| {
                        let href = format!("/stock/{}", m.symbol.url_segment());
                        let meta = [m.exchange, m.kind].into_iter().flatten().collect::<Vec<_>>().join(" · ");
                        let stored = if m.stored { "stored" } else { "fetched on first visit" };
                        view! {
                            <li data-symbol=m.symbol.to_string()>
                                <a href=href>
                                    <strong>{m.symbol.to_string()}</strong> " " {m.name}
                                </a>
                                <small class="meta">{meta}</small>
                                <small class=if m.stored { "badge stored" } else { "badge fetch" }>{stored}</small>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            {results.source.map(|s| view! { <p class="fineprint">"Provider matches from " {s} "."</p> })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Symbol;
    use crate::model::SymbolSuggestion;

    fn suggestion(symbol: &str, stored: bool) -> SymbolSuggestion {
        SymbolSuggestion {
            symbol: Symbol::parse(symbol).unwrap(),
            name: symbol.into(),
            exchange: None,
            kind: None,
            stored,
        }
    }

    #[test]
    fn only_a_stored_exact_symbol_skips_the_results() {
        let r = |q: &str, matches| SearchResults {
            query: q.into(),
            matches,
            source: None,
            notice: None,
        };
        assert_eq!(
            exact_stored(&r("^gspc", vec![suggestion("^GSPC", true)])).as_deref(),
            Some("/stock/%5EGSPC")
        );
        assert_eq!(
            exact_stored(&r("aapl", vec![suggestion("AAPL", false)])),
            None
        );
        assert_eq!(
            exact_stored(&r("app", vec![suggestion("AAPL", true)])),
            None
        );
        assert_eq!(
            exact_stored(&r("apple inc", vec![suggestion("AAPL", true)])),
            None
        );
    }
}

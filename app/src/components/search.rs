//! The ticker search box: a plain GET form to `/search` (so it works before hydration and without
//! JavaScript), and once hydrated a type-ahead list of suggestions — stored tickers and what the
//! market-data providers know — navigable with the arrow keys.

use leptos::prelude::*;
use leptos_router::components::Form;
#[cfg(feature = "browser")]
use leptos_router::hooks::use_navigate;

use crate::model::SymbolSuggestion;

/// The shortest text the type-ahead asks about.
const MIN_CHARS: usize = 1;

/// The search box. `id` tells two boxes on one page (header and landing) apart.
#[component]
pub fn TickerSearch(#[prop(default = "search")] id: &'static str) -> impl IntoView {
    let suggestions = RwSignal::new(Vec::<SymbolSuggestion>::new());
    let active = RwSignal::new(None::<usize>);
    let open = RwSignal::new(false);
    let list_id = format!("{id}-suggestions");
    let option_id = move |i: usize| format!("{id}-option-{i}");

    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        active.set(None);
        typeahead::ask(text, suggestions, open);
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let n = suggestions.with(Vec::len);
        match ev.key().as_str() {
            "ArrowDown" if n > 0 => {
                ev.prevent_default();
                open.set(true);
                active.update(|a| *a = Some(a.map_or(0, |i| (i + 1) % n)));
            }
            "ArrowUp" if n > 0 => {
                ev.prevent_default();
                active.update(|a| *a = Some(a.map_or(n - 1, |i| (i + n - 1) % n)));
            }
            "Escape" => {
                open.set(false);
                active.set(None);
            }
            "Enter" => {
                if let Some(s) = active
                    .get()
                    .and_then(|i| suggestions.with(|l| l.get(i).cloned()))
                {
                    ev.prevent_default();
                    open.set(false);
                    go_to(&s);
                }
            }
            _ => {}
        }
    };

    view! {
        <Form method="GET" action="/search" attr:class="ticker-search" attr:role="search">
            <div class="combo">
                <input
                    type="search"
                    name="q"
                    placeholder="Ticker or company, e.g. GOOG"
                    aria-label="Ticker symbol or company name"
                    maxlength="40"
                    required
                    autocomplete="off"
                    role="combobox"
                    aria-autocomplete="list"
                    aria-controls=list_id.clone()
                    aria-expanded=move || (open.get() && suggestions.with(|s| !s.is_empty())).to_string()
                    aria-activedescendant=move || active.get().map(option_id)
                    on:input=on_input
                    on:keydown=on_keydown
                    on:blur=move |_| typeahead::close_soon(open)
                    on:focus=move |_| open.set(true)
                />
                <ul
                    id=list_id
                    role="listbox"
                    class="suggestions"
                    aria-label="Suggestions"
                    hidden=move || !open.get() || suggestions.with(Vec::is_empty)
                >
                    <For
                        each=move || suggestions.get().into_iter().enumerate()
                        key=|(i, s)| (*i, s.symbol.clone())
                        children=move |(i, s)| {
                            let href = format!("/stock/{}", s.symbol.url_segment());
                            let meta = [s.exchange.clone(), s.kind.clone()]
                                .into_iter()
                                .flatten()
                                .collect::<Vec<_>>()
                                .join(" · ");
                            view! {
                                <li
                                    id=option_id(i)
                                    role="option"
                                    aria-selected=move || (active.get() == Some(i)).to_string()
                                    data-symbol=s.symbol.to_string()
                                >
                                    // A mouse-down keeps the focus from leaving before the click lands.
                                    <a href=href tabindex="-1" on:mousedown=|ev| ev.prevent_default()>
                                        <strong>{s.symbol.to_string()}</strong>
                                        " " <span class="name">{s.name.clone()}</span>
                                        <small class="meta">{meta}</small>
                                        {(!s.stored).then(|| view! { <small class="fetch">"fetched on first visit"</small> })}
                                    </a>
                                </li>
                            }
                        }
                    />
                </ul>
            </div>
            <button type="submit">"Go"</button>
        </Form>
    }
}

/// Opens the stock page of a suggestion.
fn go_to(s: &SymbolSuggestion) {
    #[cfg(feature = "browser")]
    use_navigate()(
        &format!("/stock/{}", s.symbol.url_segment()),
        Default::default(),
    );
    #[cfg(not(feature = "browser"))]
    let _ = s;
}

/// Asking the server as the person types: one question in flight at a time, the latest text
/// wins, and a pause of a quarter second first so each keystroke does not cost a search.
#[cfg(feature = "browser")]
mod typeahead {
    use std::cell::Cell;
    use std::time::Duration;

    use leptos::prelude::*;

    use super::MIN_CHARS;
    use crate::api::lookup::search_symbols;
    use crate::model::SymbolSuggestion;

    thread_local! {
        static LATEST: Cell<u64> = const { Cell::new(0) };
    }

    pub fn ask(text: String, suggestions: RwSignal<Vec<SymbolSuggestion>>, open: RwSignal<bool>) {
        let ticket = LATEST.with(|l| {
            l.set(l.get() + 1);
            l.get()
        });
        if text.trim().chars().count() < MIN_CHARS {
            suggestions.set(Vec::new());
            return;
        }
        set_timeout(
            move || {
                if LATEST.with(Cell::get) != ticket {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let found = search_symbols(text).await;
                    if LATEST.with(Cell::get) != ticket {
                        return;
                    }
                    // A failed or refused search shows nothing; the form still works.
                    suggestions.try_set(found.map(|r| r.matches).unwrap_or_default());
                    open.try_set(true);
                });
            },
            Duration::from_millis(250),
        );
    }

    pub fn close_soon(open: RwSignal<bool>) {
        set_timeout(
            move || {
                open.try_set(false);
            },
            Duration::from_millis(150),
        );
    }
}

#[cfg(not(feature = "browser"))]
mod typeahead {
    use leptos::prelude::*;

    use crate::model::SymbolSuggestion;

    pub fn ask(_: String, _: RwSignal<Vec<SymbolSuggestion>>, _: RwSignal<bool>) {
        let _ = super::MIN_CHARS;
    }

    pub fn close_soon(_: RwSignal<bool>) {}
}

//! The ticker search box. A plain GET form, so it works before hydration too.

use leptos::prelude::*;
use leptos_router::components::Form;

/// A search box that goes to `/stock?symbol=…`, which redirects to the stock page.
#[component]
pub fn TickerSearch() -> impl IntoView {
    view! {
        <Form method="GET" action="/stock" attr:class="ticker-search" attr:role="search">
            <input
                type="search"
                name="symbol"
                placeholder="Ticker, e.g. GOOG"
                aria-label="Ticker symbol"
                maxlength="10"
                required
                autocomplete="off"
            />
            <button type="submit">"Go"</button>
        </Form>
    }
}

use leptos::prelude::*;
use leptos_meta::Title;

/// Sets the HTTP status of the page being rendered (SSR only; no-op in the browser).
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = axum::http::StatusCode::from_u16(code) {
            res.set_status(status);
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

/// The router's fallback: a 404 for any unknown path.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! { <NotFound message="There is no page at this address.".to_string()/> }
}

/// A 404 page with a message that says what was not found.
#[component]
pub fn NotFound(message: String) -> impl IntoView {
    set_status(404);
    view! {
        <Title text="Not found"/>
        <section class="not-found" data-testid="not-found">
            <h1>"Not found"</h1>
            <p>{message}</p>
            <p><a href="/">"See the tickers we have"</a></p>
        </section>
    }
}

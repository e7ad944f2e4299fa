//! The browser entry point: hydrates the server-rendered page, once the code of the page's route
//! (a chunk of its own, `app::pages::split`) has arrived.

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // `hydrate_lazy`, then the mark that the page is live (`hydrate_from_async` starts Leptos's
    // executor on this same wasm-bindgen one).
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::prelude::document()
            .body()
            .expect("a page has a body");
        leptos::mount::hydrate_from_async(body, app::App)
            .await
            .forget();
        app::mark_hydrated();
    });
}

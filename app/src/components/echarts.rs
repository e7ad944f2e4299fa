//! The few ECharts calls the charts need, bound directly, for options built as JSON (charming's
//! renderer takes only its own types, and some options need keys charming has no setter for).
//! ECharts itself (the global `echarts`) is loaded by the first chart a page draws
//! ([`when_ready`]): a page without charts never fetches it.

use wasm_bindgen::prelude::*;

/// A handler of chart events.
pub type PointerHandler = Closure<dyn FnMut(JsValue)>;

#[wasm_bindgen]
extern "C" {
    /// A chart on the page.
    pub type Instance;
    #[wasm_bindgen(js_namespace = echarts, js_name = init)]
    fn init(el: &web_sys::Element) -> Instance;
    #[wasm_bindgen(js_namespace = echarts, js_name = getInstanceByDom)]
    fn instance_by_dom(el: &web_sys::Element) -> Option<Instance>;
    #[wasm_bindgen(method)]
    fn dispose(this: &Instance);
    #[wasm_bindgen(method, js_name = setOption)]
    fn set_option(this: &Instance, option: JsValue);
    /// Triggers a chart action (`showTip`, …).
    #[wasm_bindgen(method, js_name = dispatchAction)]
    pub fn dispatch_action(this: &Instance, action: JsValue);
    /// Listens to a chart event.
    #[wasm_bindgen(method)]
    pub fn on(this: &Instance, event: &str, handler: &PointerHandler);
    /// `JSON.parse`: the option crosses into JavaScript as text.
    #[wasm_bindgen(js_namespace = JSON, js_name = parse)]
    pub fn json_parse(text: &str) -> JsValue;
}

fn element(id: &str) -> Option<web_sys::Element> {
    web_sys::window()?.document()?.get_element_by_id(id)
}

/// Whether the container `#id` is on the page (a chart drawn after the library arrived may find
/// the page already left).
pub fn present(id: &str) -> bool {
    element(id).is_some()
}

/// The chart drawn in `#id`, if any.
pub fn instance(id: &str) -> Option<Instance> {
    element(id).and_then(|el| instance_by_dom(&el))
}

/// Draws `option` into `#id`, replacing a chart already there (so a redraw picks up a new
/// container size instead of stacking a second chart).
pub fn replace(id: &str, option: &serde_json::Value) -> Option<Instance> {
    // No container: the page was left before the library arrived; nothing to draw.
    let el = element(id)?;
    if let Some(old) = instance_by_dom(&el) {
        old.dispose();
    }
    let chart = init(&el);
    chart.set_option(json_parse(&option.to_string()));
    Some(chart)
}

const LIBRARY_ID: &str = "echarts-library";

/// Where the library is served (a file of the site, allowed by the page's script policy): the
/// content-named URL the page's `<meta>` gives, else the plain one.
fn library_url(document: &web_sys::Document) -> String {
    document
        .query_selector(&format!(
            "meta[name=\"{}\"]",
            crate::site_files::CHARTS_META
        ))
        .ok()
        .flatten()
        .and_then(|meta| meta.get_attribute("content"))
        .filter(|url| url.starts_with('/'))
        .unwrap_or_else(|| crate::site_files::PLAIN_CHARTS.to_string())
}

/// Runs `draw` once ECharts is on the page, adding its script first if no chart has yet. Drawn on
/// the next animation frame at the earliest: after client-side navigation a chart's effect can run
/// before its container is attached.
pub fn when_ready(draw: impl FnOnce() + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if js_sys::Reflect::has(&window, &"echarts".into()).unwrap_or(false) {
        leptos::prelude::request_animation_frame(draw);
        return;
    }
    let Some(document) = window.document() else {
        return;
    };
    let script = match document.get_element_by_id(LIBRARY_ID) {
        Some(script) => script,
        None => {
            let Ok(script) = document.create_element("script") else {
                return;
            };
            script.set_id(LIBRARY_ID);
            let _ = script.set_attribute("src", &library_url(&document));
            if let Some(head) = document.head() {
                let _ = head.append_child(&script);
            }
            script
        }
    };
    // Charts asking while the script loads each wait for its `load`.
    let callback = Closure::once_into_js(draw);
    if script
        .add_event_listener_with_callback("load", callback.unchecked_ref())
        .is_err()
    {
        leptos::logging::error!("the chart library could not be loaded");
    }
}

//! The few ECharts calls the charts need, bound directly, for options built as JSON (charming's
//! renderer takes only its own types, and some options need keys charming has no setter for).
//! ECharts itself is the global `echarts` the page loads before hydration.

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

/// The chart drawn in `#id`, if any.
pub fn instance(id: &str) -> Option<Instance> {
    element(id).and_then(|el| instance_by_dom(&el))
}

/// Draws `option` into `#id`, replacing a chart already there (so a redraw picks up a new
/// container size instead of stacking a second chart).
pub fn replace(id: &str, option: &serde_json::Value) -> Option<Instance> {
    let Some(el) = element(id) else {
        leptos::logging::error!("chart could not be drawn: no element #{id}");
        return None;
    };
    if let Some(old) = instance_by_dom(&el) {
        old.dispose();
    }
    let chart = init(&el);
    chart.set_option(json_parse(&option.to_string()));
    Some(chart)
}

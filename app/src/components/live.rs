//! The browser's end of `/api/v1/stream`: one `EventSource`, its events decoded into
//! [`LiveEvent`]s. The browser reconnects on its own with `Last-Event-ID`; a stream that cannot be
//! opened at all is reported once, so the caller can fall back to polling.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{EventSource, MessageEvent};

use crate::model::LiveEvent;

/// The `event:` names a stream sends with a [`LiveEvent`] as data.
const KINDS: [&str; 6] = ["bars", "predictions", "job", "alert", "circuit", "resync"];

/// An open stream; [`Live::close`] ends it.
#[derive(Clone)]
pub struct Live {
    source: Rc<RefCell<Option<EventSource>>>,
}

impl Live {
    /// Opens the stream with `query` (`kind=job`, `symbol=AAPL`, …). `on_ready` runs each time it
    /// (re)connects, `on_event` with each event, and `on_lost` once if it cannot connect (then the
    /// stream is closed): at the first attempt, or when the browser gives up reconnecting. `None`
    /// when the browser cannot open one at all.
    pub fn open(
        query: &str,
        on_ready: impl Fn(&Live) + 'static,
        on_event: impl Fn(&Live, LiveEvent) + 'static,
        on_lost: impl Fn() + 'static,
    ) -> Option<Live> {
        let url = crate::site_files::on_server(&format!("/api/v1/stream?{query}"));
        let source = if crate::site_files::server_elsewhere() {
            let init = web_sys::EventSourceInit::new();
            init.set_with_credentials(true);
            EventSource::new_with_event_source_init_dict(&url, &init).ok()?
        } else {
            EventSource::new(&url).ok()?
        };
        let live = Live {
            source: Rc::new(RefCell::new(Some(source.clone()))),
        };
        // The closures live as long as the page: a handful per stream.
        let connected = Rc::new(Cell::new(false));
        let me = live.clone();
        let was = connected.clone();
        let ready = Closure::<dyn Fn(MessageEvent)>::new(move |_: MessageEvent| {
            was.set(true);
            on_ready(&me)
        });
        let _ = source.add_event_listener_with_callback("ready", ready.as_ref().unchecked_ref());
        ready.forget();
        let me = live.clone();
        let on_event = Rc::new(on_event);
        for kind in KINDS {
            let me = me.clone();
            let on_event = on_event.clone();
            let handler = Closure::<dyn Fn(MessageEvent)>::new(move |m: MessageEvent| {
                let Some(text) = m.data().as_string() else {
                    return;
                };
                match serde_json::from_str::<LiveEvent>(&text) {
                    Ok(event) => on_event(&me, event),
                    Err(e) => leptos::logging::warn!("undecodable event: {e}"),
                }
            });
            let _ = source.add_event_listener_with_callback(kind, handler.as_ref().unchecked_ref());
            handler.forget();
        }
        let me = live.clone();
        let error = Closure::<dyn Fn(web_sys::Event)>::new(move |_: web_sys::Event| {
            // Once connected, a CONNECTING stream is the browser retrying by itself; CLOSED means
            // it gave up. Never connected: polling will do better than waiting.
            let closed = me
                .source
                .borrow()
                .as_ref()
                .is_none_or(|s| s.ready_state() == EventSource::CLOSED);
            if (closed || !connected.get()) && me.close() {
                on_lost();
            }
        });
        source.set_onerror(Some(error.as_ref().unchecked_ref()));
        error.forget();
        Some(live)
    }

    /// Ends the stream; `false` when it was ended already.
    pub fn close(&self) -> bool {
        match self.source.borrow_mut().take() {
            Some(source) => {
                source.close();
                true
            }
            None => false,
        }
    }
}

/// Hands the events of the stream with `query` to `on_event` for as long as the calling
/// component lives (the stream is closed when it is cleaned up). Nothing happens when the browser
/// cannot open a stream: what the page shows then stays as it was rendered.
pub fn while_mounted(query: &str, on_event: impl Fn(LiveEvent) + 'static) {
    let live = Live::open(query, |_| {}, move |_, event| on_event(event), || {});
    if let Some(live) = live.map(send_wrapper::SendWrapper::new) {
        leptos::prelude::on_cleanup(move || {
            live.close();
        });
    }
}

//! Answers of the read-only market and prediction routes, kept in this process already encoded:
//! a repeat request costs a map lookup and a copy of shared bytes — no Postgres query, no Redis
//! round trip, no JSON decode or encode. Each answer carries a strong `ETag`, so a client that
//! has it gets a `304`, and `Cache-Control` says how long it may be reused without asking.
//!
//! An entry is dropped when the event bus says its symbol got new bars or new predictions (every
//! instance hears it), and in any case after [`FRESH_FOR`]: that bounds how stale an instance can
//! be when an event was lost (Redis down) or an answer changes without one (a provider's quote).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use app::domain::Symbol;
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::events::Events;
use crate::routes::assets::{hex16, matches};

/// The longest an answer is served from memory.
pub const FRESH_FOR: Duration = Duration::from_secs(60);
/// More entries than this and the map is emptied (a flood of distinct keys must not grow it).
const MAX_ENTRIES: usize = 10_000;

/// One encoded answer.
#[derive(Debug, Clone)]
pub struct Encoded {
    body: Bytes,
    etag: HeaderValue,
    stored: Instant,
}

impl Encoded {
    fn of<T: Serialize>(value: &T) -> Result<Self, serde_json::Error> {
        let body = Bytes::from(serde_json::to_vec(value)?);
        let etag = format!("\"{}\"", hex16(&Sha256::digest(&body)));
        Ok(Encoded {
            etag: HeaderValue::from_str(&etag).expect("hex is a valid header value"),
            body,
            stored: Instant::now(),
        })
    }

    /// `200` with the bytes, or `304` when the request already has them (`If-None-Match`).
    pub fn respond(&self, request: &HeaderMap) -> Response {
        let left = FRESH_FOR.saturating_sub(self.stored.elapsed()).as_secs();
        let mut headers = HeaderMap::new();
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_str(&format!("max-age={left}, must-revalidate"))
                .expect("digits are a valid header value"),
        );
        if matches(request, &self.etag) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        (StatusCode::OK, headers, Body::from(self.body.clone())).into_response()
    }
}

#[derive(Debug, Default)]
struct Entries {
    /// By route key (`predictions:GOOG`, `timeseries:GOOG:1Y`).
    answers: HashMap<String, (Symbol, Encoded)>,
}

/// The encoded answers of this process.
#[derive(Debug, Clone, Default)]
pub struct EncodedCache {
    entries: Arc<RwLock<Entries>>,
}

impl EncodedCache {
    /// An empty cache that forgets a symbol's answers when `events` says they changed.
    pub fn listening(events: &Events) -> Self {
        let cache = EncodedCache::default();
        let mut rx = events.subscribe();
        let entries = Arc::downgrade(&cache.entries);
        tokio::spawn(async move {
            loop {
                let event = rx.recv().await;
                let Some(entries) = entries.upgrade() else {
                    return;
                };
                let mut e = entries.write().unwrap_or_else(|p| p.into_inner());
                match event {
                    Ok(stamped) => match stamped.event.stales() {
                        Some(Some(symbol)) => e.answers.retain(|_, (s, _)| s != symbol),
                        Some(None) => e.answers.clear(),
                        None => {}
                    },
                    // Events were missed: anything may have changed.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => e.answers.clear(),
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        cache
    }

    /// The fresh answer under `key`, if any.
    fn get(&self, key: &str) -> Option<Encoded> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries
            .answers
            .get(key)
            .filter(|(_, e)| e.stored.elapsed() < FRESH_FOR)
            .map(|(_, e)| e.clone())
    }

    /// Encodes `value` once and keeps it under `key` for `symbol`. An answer that cannot be
    /// encoded is not kept (the caller answers it the ordinary way).
    pub fn put<T: Serialize>(&self, key: String, symbol: &Symbol, value: &T) -> Option<Encoded> {
        let encoded = match Encoded::of(value) {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(error = %e, "answer not encodable");
                return None;
            }
        };
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.answers.len() >= MAX_ENTRIES {
            entries.answers.clear();
        }
        entries
            .answers
            .insert(key, (symbol.clone(), encoded.clone()));
        Some(encoded)
    }

    /// The kept answer under `key` for this request (`200` or `304`), if there is a fresh one.
    pub fn hit(&self, key: &str, request: &HeaderMap) -> Option<Response> {
        self.get(key).map(|e| e.respond(request))
    }

    /// Keeps `value` under `key` for `symbol` and answers this request with it; plain JSON when
    /// it cannot be encoded (then nothing is kept).
    pub fn keep<T: Serialize>(
        &self,
        key: String,
        symbol: &Symbol,
        value: &T,
        request: &HeaderMap,
    ) -> Response {
        match self.put(key, symbol, value) {
            Some(encoded) => encoded.respond(request),
            None => axum::Json(value).into_response(),
        }
    }

    /// How many answers are held.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .answers
            .len()
    }

    /// Whether none are.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::Cache;
    use crate::events::Event;

    fn symbol(s: &str) -> Symbol {
        Symbol::parse(s).unwrap()
    }

    #[tokio::test]
    async fn an_event_for_a_symbol_drops_its_answers_and_only_those() {
        let events = Events::new(Cache::disabled());
        let cache = EncodedCache::listening(&events);
        cache.put("predictions:GOOG".into(), &symbol("GOOG"), &[1, 2, 3]);
        cache.put("timeseries:GOOG:1Y".into(), &symbol("GOOG"), &"x");
        cache.put("predictions:MSFT".into(), &symbol("MSFT"), &[4]);
        assert!(cache.get("predictions:GOOG").is_some());
        events
            .publish(Event::BarsChanged {
                symbol: symbol("GOOG"),
            })
            .await;
        for _ in 0..50 {
            if cache.len() == 1 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(cache.get("predictions:GOOG").is_none());
        assert!(cache.get("timeseries:GOOG:1Y").is_none());
        assert!(cache.get("predictions:MSFT").is_some());
        events.publish(Event::Resync).await;
        for _ in 0..50 {
            if cache.is_empty() {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(cache.is_empty());
    }

    #[test]
    fn a_client_with_the_answer_gets_a_304_and_everyone_is_told_how_long_to_keep_it() {
        let e = Encoded::of(&serde_json::json!({"symbol": "GOOG"})).unwrap();
        let fresh = e.respond(&HeaderMap::new());
        assert_eq!(fresh.status(), StatusCode::OK);
        let cc = fresh.headers()[header::CACHE_CONTROL].to_str().unwrap();
        assert!(
            cc.starts_with("max-age=") && cc.ends_with("must-revalidate"),
            "{cc}"
        );
        let mut again = HeaderMap::new();
        again.insert(header::IF_NONE_MATCH, fresh.headers()[header::ETAG].clone());
        assert_eq!(e.respond(&again).status(), StatusCode::NOT_MODIFIED);
        let mut other = HeaderMap::new();
        other.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"0000\""));
        assert_eq!(e.respond(&other).status(), StatusCode::OK);
    }
}

//! `GET /api/v1/stream`: the caller's events as Server-Sent Events, filtered by symbol and kind,
//! resumed from `Last-Event-ID`, with heartbeats.
//!
//! Every stream reads the process's one event broadcast ([`crate::events`]); none has a queue of
//! its own. A client that falls [`crate::events::BACKLOG`] events behind is told so (`dropped`)
//! and disconnected, and reconnects with its last id: memory per stream stays a few kilobytes
//! however slow the client. Streams are counted apart from ordinary requests (they last), and
//! bounded by `APP_MAX_STREAMS`.

use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, OwnedSemaphorePermit, Semaphore};

use app::domain::{Caller, EventId, EventKinds, Symbol, UserId};

use super::error::{ApiError, ErrorBody};
use crate::events::{Event, Events, Stamped};
use crate::routes::access::caller_of;
use crate::routes::AppState;

/// Where the stream is served.
pub const STREAM_PATH: &str = "/api/v1/stream";
/// Symbols one stream may name.
const MAX_SYMBOLS: usize = 20;

/// The streams of this instance: the bus they read and how many may be open.
#[derive(Clone, Debug)]
pub struct Streams {
    events: Events,
    open: Arc<Semaphore>,
    heartbeat: Duration,
}

impl Streams {
    /// At most `max` streams over `events`, each with a heartbeat every `heartbeat`.
    pub fn new(events: Events, max: usize, heartbeat: Duration) -> Self {
        Streams {
            events,
            open: Arc::new(Semaphore::new(max.max(1))),
            heartbeat,
        }
    }
}

/// One event of the stream, as an SSE parser reads it (for the OpenAPI document).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // never built: it only describes the stream
pub struct StreamEventDoc {
    /// `ready`, `bars`, `predictions`, `job`, `alert`, `circuit`, `resync` or `dropped`.
    event: String,
    /// The event as JSON (`kind` and its fields).
    data: String,
    /// Its place in the log (absent on `ready` and `dropped`).
    id: Option<String>,
}

/// `?symbol=AAPL,MSFT&kind=job,predictions&last_event_id=`.
#[derive(Debug, Deserialize)]
pub struct StreamParams {
    symbol: Option<String>,
    kind: Option<String>,
    last_event_id: Option<String>,
}

/// What one client asked to hear.
#[derive(Debug, Clone)]
struct Filter {
    user: Option<UserId>,
    symbols: Option<HashSet<Symbol>>,
    kinds: EventKinds,
}

impl Filter {
    fn parse(caller: &Caller, params: &StreamParams) -> Result<Self, ApiError> {
        let symbols = match params.symbol.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(list) => {
                let symbols = list
                    .split(',')
                    .map(|s| Symbol::parse(s.trim()).map_err(ApiError::invalid_symbol))
                    .collect::<Result<HashSet<_>, _>>()?;
                if symbols.len() > MAX_SYMBOLS {
                    return Err(ApiError::bad_request(format!(
                        "A stream follows at most {MAX_SYMBOLS} symbols; open another for more."
                    )));
                }
                Some(symbols)
            }
        };
        Ok(Filter {
            user: caller.user(),
            symbols,
            kinds: EventKinds::parse(params.kind.as_deref()).map_err(ApiError::bad_request)?,
        })
    }

    /// Whether this client hears `event` (a resync, always).
    fn admits(&self, event: &Event) -> bool {
        let Some(kind) = event.kind() else {
            return true;
        };
        self.kinds.contains(kind)
            && event.visible_to(self.user)
            && match (&self.symbols, event.symbol()) {
                (Some(wanted), Some(symbol)) => wanted.contains(symbol),
                _ => true,
            }
    }
}

/// The `event:` name of an event.
fn name(event: &Event) -> &'static str {
    event.kind().map_or("resync", |k| k.as_str())
}

fn sse(stamped: &Stamped) -> SseEvent {
    let event = SseEvent::default()
        .id(stamped.id.to_string())
        .event(name(&stamped.event));
    match event.json_data(&stamped.event) {
        Ok(event) => event,
        Err(e) => {
            tracing::error!(error = %e, "event not encodable");
            SseEvent::default()
                .event("resync")
                .data("{\"kind\":\"resync\"}")
        }
    }
}

/// One client's stream: the replay, then the live events, until it lags or the bus closes.
struct Feed {
    replay: VecDeque<Stamped>,
    live: broadcast::Receiver<Stamped>,
    filter: Filter,
    _permit: OwnedSemaphorePermit,
    first: Option<SseEvent>,
    done: bool,
}

fn feed(feed: Feed) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    stream::unfold(feed, |mut f| async move {
        if let Some(first) = f.first.take() {
            return Some((Ok(first), f));
        }
        if f.done {
            return None;
        }
        while let Some(stamped) = f.replay.pop_front() {
            if f.filter.admits(&stamped.event) {
                return Some((Ok(sse(&stamped)), f));
            }
        }
        loop {
            match f.live.recv().await {
                Ok(stamped) if f.filter.admits(&stamped.event) => {
                    return Some((Ok(sse(&stamped)), f));
                }
                Ok(_) => {}
                Err(RecvError::Lagged(missed)) => {
                    metrics::counter!("event_streams_dropped_total").increment(1);
                    tracing::info!(missed, "slow event-stream client dropped");
                    f.done = true;
                    let said = SseEvent::default().event("dropped").data(format!(
                        "{{\"reason\":\"too slow: {missed} events behind; reconnect with Last-Event-ID\"}}"
                    ));
                    return Some((Ok(said), f));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}

/// The caller's events as they happen. Anyone may listen to market events (bars, predictions,
/// jobs, circuits); a fired alert goes to its owner only. Each event has an `id:` (resume with
/// `Last-Event-ID`, or `?last_event_id=`), an `event:` name (`bars`, `predictions`, `job`,
/// `alert`, `circuit`; `resync` when events may have been missed and what was shown should be
/// fetched again; `dropped` before a client that fell too far behind is disconnected) and JSON
/// `data:`. The first event, `ready`, says the stream is listening; an idle stream gets a
/// `: heartbeat` comment line every 15 seconds.
#[utoipa::path(
    get,
    path = "/api/v1/stream",
    tag = "live",
    params(
        ("symbol" = Option<String>, Query, description = "Comma-separated symbols (at most 20); absent: all"),
        ("kind" = Option<String>, Query, description = "Comma-separated kinds: bars, predictions, job, alert, circuit; absent: all", pattern = "^((bars|predictions|job|alert|circuit)(,(bars|predictions|job|alert|circuit))*)?$"),
        ("last_event_id" = Option<String>, Query, description = "Resume after this event id (the `Last-Event-ID` header wins)", pattern = "^([0-9]{1,19}-[0-9]{1,19})?$"),
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id; one that is not an id starts the stream with a `resync`"),
    ),
    responses(
        (status = 200, description = "An endless `text/event-stream`", content_type = "text/event-stream", body = StreamEventDoc),
        (status = 400, description = "Unknown kind, bad symbol or event id", body = ErrorBody),
        (status = 503, description = "Too many streams open on this instance", body = ErrorBody),
    ),
    security((), ("api_key" = []), ("bearer" = []))
)]
pub async fn stream(
    State(state): State<AppState>,
    caller: Option<axum::Extension<Caller>>,
    query: Result<Query<StreamParams>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Query(params) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let filter = Filter::parse(&caller_of(caller), &params)?;
    // The header is what a browser sends back by itself: one this server cannot read (another
    // version's, a proxy's) leaves the position unknown, so the stream starts with a resync. The
    // query parameter is the caller's own, and must parse.
    let after = match headers
        .get("last-event-id")
        .map(|v| v.to_str().map(str::trim))
    {
        Some(Ok("")) | None => params
            .last_event_id
            .filter(|s| !s.trim().is_empty())
            .map(|raw| EventId::parse(&raw))
            .transpose()
            .map_err(ApiError::bad_request)?,
        Some(Ok(raw)) => Some(EventId::parse(raw).unwrap_or(EventId::new(0, 0))),
        Some(Err(_)) => Some(EventId::new(0, 0)),
    };
    let streams = &state.streams;
    let Ok(permit) = streams.open.clone().try_acquire_owned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Too many event streams are open on this server; please retry in a moment.",
        )
        .retry_after(5));
    };
    let (replay, live, resumed) = match after {
        None => (VecDeque::new(), streams.events.subscribe(), false),
        Some(after) => match streams.events.resume(after) {
            (Some(replay), live) => (replay.into(), live, true),
            // Some events after `after` are gone: start with a resync.
            (None, live) => (
                VecDeque::from([Stamped {
                    id: after,
                    event: Event::Resync,
                }]),
                live,
                false,
            ),
        },
    };
    let ready = SseEvent::default()
        .event("ready")
        .data(format!("{{\"resumed\":{resumed}}}"));
    let body = feed(Feed {
        replay,
        live,
        filter,
        _permit: permit,
        first: Some(ready),
        done: false,
    });
    let mut response = Sse::new(body)
        .keep_alive(
            KeepAlive::new()
                .interval(streams.heartbeat)
                .text("heartbeat"),
        )
        .into_response();
    // Tell buffering proxies (nginx) to pass events through as they come.
    response.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::Cache;

    fn caller(user: Option<u128>) -> Caller {
        match user {
            None => Caller::Anonymous,
            Some(n) => Caller::Member {
                user: UserId::from(uuid::Uuid::from_u128(n)),
                tier: app::domain::Tier::Free,
                role: app::domain::Role::User,
            },
        }
    }

    fn params(symbol: Option<&str>, kind: Option<&str>) -> StreamParams {
        StreamParams {
            symbol: symbol.map(Into::into),
            kind: kind.map(Into::into),
            last_event_id: None,
        }
    }

    fn bars(s: &str) -> Event {
        Event::BarsChanged {
            symbol: Symbol::parse(s).unwrap(),
        }
    }

    #[test]
    fn a_filter_admits_its_symbols_and_kinds_and_always_a_resync() {
        let f = Filter::parse(&caller(None), &params(Some("AAPL, msft"), Some("bars"))).unwrap();
        assert!(f.admits(&bars("AAPL")) && f.admits(&bars("MSFT")));
        assert!(!f.admits(&bars("GOOG")));
        assert!(!f.admits(&Event::PredictionsChanged {
            symbol: Symbol::parse("AAPL").unwrap()
        }));
        assert!(f.admits(&Event::Resync));
        let circuit = Event::Circuit {
            provider: "yahoo".into(),
            open: true,
        };
        let all = Filter::parse(&caller(Some(1)), &params(Some("AAPL"), None)).unwrap();
        assert!(
            all.admits(&circuit),
            "not about a symbol: every stream of its kind"
        );
    }

    #[test]
    fn bad_filters_are_refused_in_words() {
        for (symbol, kind) in [(Some("AAPL,??"), None), (None, Some("weather"))] {
            assert!(Filter::parse(&caller(None), &params(symbol, kind)).is_err());
        }
        let many = (0..21)
            .map(|i| format!("S{i}"))
            .collect::<Vec<_>>()
            .join(",");
        let err = Filter::parse(&caller(None), &params(Some(&many), None)).unwrap_err();
        assert!(err.message().contains("at most 20"));
    }

    #[tokio::test]
    async fn a_client_that_falls_behind_is_told_and_dropped() {
        use futures::StreamExt;
        let events = Events::new(Cache::disabled());
        let streams = Streams::new(events.clone(), 1, Duration::from_secs(15));
        let permit = streams.open.clone().try_acquire_owned().unwrap();
        let mut body = Box::pin(feed(Feed {
            replay: VecDeque::new(),
            live: events.subscribe(),
            filter: Filter::parse(&caller(None), &params(None, None)).unwrap(),
            _permit: permit,
            first: None,
            done: false,
        }));
        for _ in 0..crate::events::BACKLOG + 10 {
            events.publish(bars("AAPL")).await;
        }
        let said = format!("{:?}", body.next().await.unwrap().unwrap());
        assert!(said.contains("dropped"), "{said}");
        assert!(body.next().await.is_none(), "disconnected");
        assert!(
            streams.open.clone().try_acquire_owned().is_ok(),
            "its place is free again"
        );
    }
}

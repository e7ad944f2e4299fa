//! What changed, told to every process: new bars or new predictions for a symbol. A process hears
//! its own events at once (an in-process broadcast) and other processes' through Redis pub/sub,
//! which every instance behind the balancer and every `server worker` already shares; Postgres
//! `LISTEN/NOTIFY` would need a connection per process held out of the pool for nothing more.
//!
//! Pub/sub delivers only to whoever listens at that moment, so a listener that (re)connects
//! announces [`Event::Resync`]: whatever was derived before may be stale. Without Redis, events
//! stay in their process, and caches fall back on their time limits.

use std::time::Duration;

use app::domain::Symbol;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::cache::Cache;

/// The pub/sub channel, under the cache's key prefix.
const CHANNEL: &str = "events";
/// How many events a slow in-process listener may fall behind before it is told it lagged.
const BACKLOG: usize = 1024;
/// Wait between attempts to reach Redis for the subscription.
const RETRY: Duration = Duration::from_secs(2);

/// Something that happened to a symbol's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// Daily bars were added or corrected.
    BarsChanged { symbol: Symbol },
    /// Predictions were recorded, or a model version was promoted or rolled back.
    PredictionsChanged { symbol: Symbol },
    /// Events may have been missed: forget whatever was derived from earlier ones.
    Resync,
}

impl Event {
    /// The symbol the event is about; `None` for [`Event::Resync`].
    pub fn symbol(&self) -> Option<&Symbol> {
        match self {
            Event::BarsChanged { symbol } | Event::PredictionsChanged { symbol } => Some(symbol),
            Event::Resync => None,
        }
    }
}

/// An event as it crosses Redis, with the process it came from (a process skips its own).
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    from: u64,
    event: Event,
}

/// The event bus of this process.
#[derive(Clone)]
pub struct Events {
    local: broadcast::Sender<Event>,
    cache: Cache,
    origin: u64,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events").finish_non_exhaustive()
    }
}

impl Events {
    /// A bus over `cache`'s Redis (a disabled cache: this process only).
    pub fn new(cache: Cache) -> Self {
        let (local, _) = broadcast::channel(BACKLOG);
        Events {
            local,
            cache,
            origin: rand::random(),
        }
    }

    /// Tells this process and every other one. Never fails: an event Redis could not carry is
    /// logged, and the other processes' caches expire on their own.
    pub async fn publish(&self, event: Event) {
        let _ = self.local.send(event.clone());
        let envelope = Envelope {
            from: self.origin,
            event,
        };
        match serde_json::to_string(&envelope) {
            Ok(text) => {
                if !self.cache.publish(CHANNEL, &text).await {
                    tracing::debug!(event = ?envelope.event, "event not sent to other processes");
                }
            }
            Err(e) => tracing::error!(error = %e, "event not encodable"),
        }
    }

    /// This process's events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.local.subscribe()
    }

    /// Relays other processes' events into this one until the task is aborted, reconnecting
    /// when Redis goes away (each connection announces a [`Event::Resync`]).
    pub fn relay(&self) -> tokio::task::JoinHandle<()> {
        let bus = self.clone();
        tokio::spawn(async move {
            loop {
                let Some(pubsub) = bus.cache.subscribe(CHANNEL).await else {
                    tokio::time::sleep(RETRY).await;
                    continue;
                };
                tracing::debug!("listening to other processes' events");
                let _ = bus.local.send(Event::Resync);
                let mut messages = pubsub.into_on_message();
                while let Some(message) = messages.next().await {
                    let Ok(text) = message.get_payload::<String>() else {
                        continue;
                    };
                    match serde_json::from_str::<Envelope>(&text) {
                        Ok(e) if e.from == bus.origin => {}
                        Ok(e) => {
                            let _ = bus.local.send(e.event);
                        }
                        Err(e) => tracing::warn!(error = %e, "undecodable event skipped"),
                    }
                }
                tracing::warn!("event subscription lost; reconnecting");
                let _ = bus.local.send(Event::Resync);
                tokio::time::sleep(RETRY).await;
            }
        })
    }
}

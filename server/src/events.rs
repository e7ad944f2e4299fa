//! What happened, told to every process and to every stream client: new bars or predictions for
//! a symbol, a job's progress, a fired alert, a provider's circuit.
//!
//! Events go through a Redis stream (`XADD`, capped at about [`LOG_KEEP`] entries) that every
//! instance behind the balancer and every `server worker` already shares, and each process
//! follows it (`XREAD`). Unlike pub/sub or Postgres `LISTEN/NOTIFY`, the stream gives each event
//! one id that orders it the same way on every instance, so a client that reconnects to another
//! instance resumes from its `Last-Event-ID`; and a process that loses Redis for a moment picks up
//! where it stopped. A process hears its own events at once, and keeps the newest
//! [`BACKLOG`] in memory to replay. Without Redis, events stay in their process (with ids of their
//! own), and caches fall back on their time limits.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::domain::EventId;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::cache::Cache;

pub use app::model::LiveEvent as Event;

/// The event log's key, under the cache's key prefix.
const LOG: &str = "events";
/// About how many events the shared log keeps.
const LOG_KEEP: usize = 10_000;
/// How many events a process keeps to replay, and how far a listener may fall behind before it
/// is told it lagged (a stream client is then dropped, not buffered for).
pub const BACKLOG: usize = 1024;
/// Wait between attempts to reach Redis for the log.
const RETRY: Duration = Duration::from_secs(2);

/// An event with its place in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Stamped {
    /// Its id: the order every instance sees.
    pub id: EventId,
    /// What happened.
    pub event: Event,
}

/// An event as it crosses Redis, with the process it came from (a process skips its own).
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    from: u64,
    event: Event,
}

/// What this process heard lately, in the order it heard it.
struct Recent {
    events: VecDeque<Stamped>,
    /// The newest id no longer kept (or older than this process): a resume from before it may
    /// have missed something.
    forgotten: EventId,
}

/// The event bus of this process.
#[derive(Clone)]
pub struct Events {
    local: broadcast::Sender<Stamped>,
    recent: Arc<Mutex<Recent>>,
    cache: Cache,
    origin: u64,
    sequence: Arc<AtomicU64>,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events").finish_non_exhaustive()
    }
}

/// Milliseconds since the epoch.
fn now_ms() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0)
}

impl Events {
    /// A bus over `cache`'s Redis (a disabled cache: this process only).
    pub fn new(cache: Cache) -> Self {
        let (local, _) = broadcast::channel(BACKLOG);
        Events {
            local,
            recent: Arc::new(Mutex::new(Recent {
                events: VecDeque::with_capacity(BACKLOG),
                forgotten: EventId::new(now_ms(), 0),
            })),
            cache,
            origin: rand::random(),
            // From 1: `ms-0` is before every event of that millisecond.
            sequence: Arc::new(AtomicU64::new(1)),
        }
    }

    /// Tells this process and every other one. Never fails: an event Redis could not carry is
    /// logged, gets an id of this process, and the other processes' caches expire on their own.
    pub async fn publish(&self, event: Event) {
        let envelope = Envelope {
            from: self.origin,
            event,
        };
        let id = match serde_json::to_string(&envelope) {
            Ok(text) => self.cache.append(LOG, LOG_KEEP, &text).await,
            Err(e) => {
                tracing::error!(error = %e, "event not encodable");
                None
            }
        };
        let id = match id.as_deref().map(EventId::parse) {
            Some(Ok(id)) => id,
            _ => {
                tracing::debug!(event = ?envelope.event, "event not sent to other processes");
                self.local_id()
            }
        };
        self.deliver(Stamped {
            id,
            event: envelope.event,
        });
    }

    /// An id for an event only this process hears.
    fn local_id(&self) -> EventId {
        EventId::new(now_ms(), self.sequence.fetch_add(1, Ordering::Relaxed))
    }

    /// Hands an event to this process's listeners and keeps it to replay. One lock for both, so
    /// that [`Events::resume`] sees each event either in its replay or on its receiver.
    fn deliver(&self, stamped: Stamped) {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if recent.events.len() == BACKLOG {
            if let Some(old) = recent.events.pop_front() {
                recent.forgotten = recent.forgotten.max(old.id);
            }
        }
        recent.events.push_back(stamped.clone());
        let _ = self.local.send(stamped);
    }

    /// This process's events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Stamped> {
        self.local.subscribe()
    }

    /// The events after `after` that this process still holds, and a receiver of every later
    /// one. The replay is `None` when some events after `after` may be gone (it is older than
    /// what this process keeps, or than the process itself).
    pub fn resume(&self, after: EventId) -> (Option<Vec<Stamped>>, broadcast::Receiver<Stamped>) {
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        let receiver = self.local.subscribe();
        if after < recent.forgotten {
            return (None, receiver);
        }
        let replay = recent
            .events
            .iter()
            .filter(|e| e.id > after)
            .cloned()
            .collect();
        (Some(replay), receiver)
    }

    /// Follows the other processes' events into this one until the task is aborted, reconnecting
    /// when Redis goes away and going on from the last event it read. Each (re)connection
    /// announces a [`Event::Resync`]: while Redis was away, events could not cross it.
    pub fn relay(&self) -> tokio::task::JoinHandle<()> {
        let bus = self.clone();
        tokio::spawn(async move {
            let mut last: Option<String> = None;
            loop {
                let Some(mut reader) = bus.cache.log_reader(LOG).await else {
                    tokio::time::sleep(RETRY).await;
                    continue;
                };
                let mut after = match last.clone() {
                    Some(id) => id,
                    None => match reader.newest().await {
                        Ok(id) => id,
                        Err(e) => {
                            tracing::debug!(error = %e, "event log not readable");
                            tokio::time::sleep(RETRY).await;
                            continue;
                        }
                    },
                };
                tracing::debug!(after, "following other processes' events");
                bus.deliver(Stamped {
                    id: bus.local_id(),
                    event: Event::Resync,
                });
                loop {
                    match reader.after(&after, 256).await {
                        Ok(entries) => {
                            for (id, payload) in entries {
                                after = id.clone();
                                bus.relay_one(&id, &payload);
                            }
                            last = Some(after.clone());
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "event log lost; reconnecting");
                            break;
                        }
                    }
                }
                tokio::time::sleep(RETRY).await;
            }
        })
    }

    /// Delivers one entry of the log unless this process wrote it (it heard it already).
    fn relay_one(&self, id: &str, payload: &str) {
        match (
            EventId::parse(id),
            serde_json::from_str::<Envelope>(payload),
        ) {
            (Ok(_), Ok(e)) if e.from == self.origin => {}
            (Ok(id), Ok(e)) => self.deliver(Stamped { id, event: e.event }),
            (_, Err(e)) => tracing::warn!(error = %e, "undecodable event skipped"),
            (Err(e), _) => tracing::warn!(error = %e, "event with an unreadable id skipped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::Symbol;

    fn bars(s: &str) -> Event {
        Event::BarsChanged {
            symbol: Symbol::parse(s).unwrap(),
        }
    }

    #[tokio::test]
    async fn a_resume_replays_what_came_after_and_then_follows() {
        let bus = Events::new(Cache::disabled());
        let before = EventId::new(now_ms(), 0);
        bus.publish(bars("AAPL")).await;
        bus.publish(bars("MSFT")).await;
        let (replay, mut rx) = bus.resume(before);
        let replay = replay.expect("nothing was forgotten");
        assert_eq!(replay.len(), 2);
        assert!(replay[0].id < replay[1].id, "ids grow");
        let (after_first, _) = bus.resume(replay[0].id);
        assert_eq!(after_first.unwrap(), vec![replay[1].clone()]);
        bus.publish(bars("GOOG")).await;
        assert_eq!(rx.recv().await.unwrap().event, bars("GOOG"));
    }

    #[tokio::test]
    async fn a_resume_from_before_what_is_kept_says_events_may_be_gone() {
        let bus = Events::new(Cache::disabled());
        assert!(
            bus.resume(EventId::new(1, 0)).0.is_none(),
            "older than the process"
        );
        let start = EventId::new(now_ms(), 0);
        bus.publish(bars("AAPL")).await;
        let first = bus.resume(start).0.unwrap()[0].id;
        for _ in 0..BACKLOG {
            bus.publish(bars("MSFT")).await;
        }
        // Only the first is gone, and nothing after it was: the replay is whole.
        assert_eq!(bus.resume(first).0.map(|r| r.len()), Some(BACKLOG));
        bus.publish(bars("GOOG")).await;
        assert!(
            bus.resume(first).0.is_none(),
            "an event after it was dropped"
        );
        assert_eq!(bus.recent.lock().unwrap().events.len(), BACKLOG, "bounded");
    }
}

//! [`MarketCache`]: market data cached in Redis per kind, loaded at most once at a time.
//!
//! `get_or_load(kind, key, loader)` answers from Redis when it can. On a miss only one loader runs
//! per key: within the process, concurrent callers await the same load (a `tokio::sync::OnceCell`
//! per key in flight: no extra crate, and if the caller running the load goes away another waiter
//! takes over); across processes, a short Redis lock (`SET lock NX PX`) makes another process wait
//! for the value instead of asking the provider too.
//!
//! Errors are not cached: they are shared only by the callers that waited on that one load. A
//! provider that failed a moment ago is the breaker's business, and a cached "not found" would hide
//! a symbol for the whole TTL. When Redis is down the loader still runs, still once per key at a
//! time within the process, and nothing is stored.
//!
//! Metric: `tickercast_cache_requests_total{kind, outcome}` with `outcome` `hit`, `miss` or `error`
//! (Redis could not be asked).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::cache::Cache;
use crate::cache::Lookup;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::OnceCell;

/// What is cached, which decides the key space and the time to live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheKind {
    /// Latest price: 10 minutes.
    Quote,
    /// Daily bars: 30 minutes.
    Daily,
    /// Intraday bars: 60 seconds.
    Intraday,
    /// Company overview: 24 hours.
    Overview,
    /// News: 12 hours.
    News,
}

impl CacheKind {
    /// How long an entry of this kind is served.
    pub fn ttl(self) -> Duration {
        Duration::from_secs(match self {
            CacheKind::Quote => 10 * 60,
            CacheKind::Daily => 30 * 60,
            CacheKind::Intraday => 60,
            CacheKind::Overview => 24 * 3600,
            CacheKind::News => 12 * 3600,
        })
    }

    /// The name in keys and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheKind::Quote => "quote",
            CacheKind::Daily => "daily",
            CacheKind::Intraday => "intraday",
            CacheKind::Overview => "overview",
            CacheKind::News => "news",
        }
    }
}

/// How long the cross-process lock lives if its holder dies: longer than a provider call with its
/// retries usually takes.
const LOCK_TTL: Duration = Duration::from_secs(10);
/// How long a process waits for another one's load before loading itself.
const PEER_WAIT: Duration = Duration::from_secs(3);
/// How often a waiting process looks for the value.
const POLL: Duration = Duration::from_millis(25);

type Flights = HashMap<(String, TypeId), Arc<dyn Any + Send + Sync>>;

/// A single-flight cache over [`Cache`]. Cheap to clone; clones share their flights.
#[derive(Debug, Clone)]
pub struct MarketCache {
    cache: Cache,
    flights: Arc<Mutex<Flights>>,
    lock_ttl: Duration,
    peer_wait: Duration,
}

impl MarketCache {
    /// A cache over `cache` (its key prefix included).
    pub fn new(cache: Cache) -> Self {
        MarketCache {
            cache,
            flights: Arc::default(),
            lock_ttl: LOCK_TTL,
            peer_wait: PEER_WAIT,
        }
    }

    /// Changes how long the cross-process lock lives and how long another process waits on it.
    pub fn with_lock(mut self, ttl: Duration, peer_wait: Duration) -> Self {
        self.lock_ttl = ttl;
        self.peer_wait = peer_wait;
        self
    }

    /// The Redis key of an entry: `md:{kind}:{key}` under the cache's prefix.
    pub fn entry_key(kind: CacheKind, key: &str) -> String {
        format!("md:{}:{key}", kind.as_str())
    }

    /// Drops the entry of `kind` under `key` (the next request loads it again).
    pub async fn forget(&self, kind: CacheKind, key: &str) {
        self.cache.delete(&Self::entry_key(kind, key)).await;
    }

    /// The cached value of `kind` under `key`, or `loader`'s answer (stored for the kind's TTL when
    /// it is `Ok`). Concurrent calls for one key share one load; see the module docs.
    pub async fn get_or_load<T, E, F, Fut>(
        &self,
        kind: CacheKind,
        key: &str,
        loader: F,
    ) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
        E: Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let entry = Self::entry_key(kind, key);
        let outcome = match self.cache.lookup_json::<T>(&entry).await {
            Lookup::Hit(value) => {
                count(kind, "hit");
                return Ok(value);
            }
            Lookup::Miss => "miss",
            Lookup::Unavailable => "error",
        };
        count(kind, outcome);

        // Keyed by the value type too, so the cell can be downcast back to what this caller holds.
        let flight_key = (entry.clone(), TypeId::of::<Result<T, E>>());
        let shared = self
            .lock_flights()
            .entry(flight_key.clone())
            .or_insert_with(|| Arc::new(OnceCell::<Result<T, E>>::new()))
            .clone();
        let Ok(cell) = shared.downcast::<OnceCell<Result<T, E>>>() else {
            // Unreachable by construction (the type is part of the key); load without sharing.
            return self.load(kind, &entry, loader).await;
        };
        let result = cell
            .get_or_init(|| self.load(kind, &entry, loader))
            .await
            .clone();

        // The flight is over: the next miss starts a new one (and will usually find the value in
        // Redis). Only remove our own cell, not a newer flight's.
        let mut flights = self.lock_flights();
        if flights
            .get(&flight_key)
            .is_some_and(|c| Arc::as_ptr(c) as *const () == Arc::as_ptr(&cell) as *const ())
        {
            flights.remove(&flight_key);
        }
        result
    }

    /// Runs the one load of a flight, coordinating with other processes through a Redis lock.
    async fn load<T, E, F, Fut>(&self, kind: CacheKind, entry: &str, loader: F) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        // A flight that just ended (here or elsewhere) may have filled the entry since our lookup.
        if let Lookup::Hit(value) = self.cache.lookup_json(entry).await {
            return Ok(value);
        }
        let lock = format!("lock:{entry}");
        let token = uuid::Uuid::new_v4().simple().to_string();
        let mut held = self.cache.try_lock(&lock, &token, self.lock_ttl).await;
        if held == Some(false) {
            if let Some(value) = self.wait_for_peer(entry, &lock).await {
                return Ok(value);
            }
            // The other process failed or is slow: load ourselves, under the lock if it is free.
            held = self.cache.try_lock(&lock, &token, self.lock_ttl).await;
        }
        let result = loader().await;
        if let Ok(value) = &result {
            self.cache.set_json(entry, value, kind.ttl()).await;
        }
        if held == Some(true) {
            self.cache.unlock(&lock, &token).await;
        }
        result
    }

    /// The value another process is loading, if it arrives within the wait.
    async fn wait_for_peer<T: DeserializeOwned>(&self, entry: &str, lock: &str) -> Option<T> {
        let deadline = Instant::now() + self.peer_wait;
        while Instant::now() < deadline {
            tokio::time::sleep(POLL).await;
            match self.cache.lookup_json(entry).await {
                Lookup::Hit(value) => return Some(value),
                Lookup::Unavailable => return None,
                Lookup::Miss => {}
            }
            if self.cache.is_locked(lock).await != Some(true) {
                // Released without a value (its load failed), or the value landed just now.
                return match self.cache.lookup_json(entry).await {
                    Lookup::Hit(value) => Some(value),
                    _ => None,
                };
            }
        }
        tracing::debug!(key = entry, "gave up waiting for another process's load");
        None
    }

    fn lock_flights(&self) -> std::sync::MutexGuard<'_, Flights> {
        // The map holds no invariant a panicking holder could break.
        self.flights.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn count(kind: CacheKind, outcome: &'static str) {
    metrics::counter!(
        "tickercast_cache_requests_total",
        "kind" => kind.as_str(),
        "outcome" => outcome,
    )
    .increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn every_kind_has_the_documented_time_to_live() {
        assert_eq!(CacheKind::Quote.ttl(), Duration::from_secs(600));
        assert_eq!(CacheKind::Daily.ttl(), Duration::from_secs(1800));
        assert_eq!(CacheKind::Intraday.ttl(), Duration::from_secs(60));
        assert_eq!(CacheKind::Overview.ttl(), Duration::from_secs(86_400));
        assert_eq!(CacheKind::News.ttl(), Duration::from_secs(43_200));
        assert_eq!(
            MarketCache::entry_key(CacheKind::Daily, "AAPL"),
            "md:daily:AAPL"
        );
    }

    #[tokio::test]
    async fn without_redis_concurrent_callers_still_share_one_load_and_errors_are_not_kept() {
        let cache = MarketCache::new(Cache::disabled());
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let (cache, calls) = (cache.clone(), calls.clone());
            tasks.spawn(async move {
                cache
                    .get_or_load(CacheKind::Quote, "AAPL", || async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Err::<u32, String>("upstream down".into())
                    })
                    .await
            });
        }
        let results = tasks.join_all().await;
        assert!(results
            .iter()
            .all(|r| r == &Err("upstream down".to_string())));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let again: Result<u32, String> = cache
            .get_or_load(CacheKind::Quote, "AAPL", || async { Ok(7) })
            .await;
        assert_eq!(again, Ok(7), "the error was not cached");
    }
}

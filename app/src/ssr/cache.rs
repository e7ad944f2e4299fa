//! Redis as a cache that may vanish: every call has a short timeout and a failure is a logged miss,
//! never an error for the page.

use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::AsyncCommands;
use serde::{de::DeserializeOwned, Serialize};
use tokio::sync::Mutex;

/// How long one cache call may take before it counts as a miss.
const CALL_TIMEOUT: Duration = Duration::from_millis(300);
/// After a failed connect, wait this long before trying again (so a down Redis costs nothing).
const RECONNECT_BACKOFF: Duration = Duration::from_secs(5);

/// A namespaced JSON cache over Redis; `Cache::disabled()` when no Redis is configured.
#[derive(Clone)]
pub struct Cache {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    client: redis::Client,
    prefix: String,
    conn: Mutex<ConnState>,
}

enum ConnState {
    Connected(ConnectionManager),
    Down { since: Instant },
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            Some(i) => write!(f, "Cache(redis, prefix {:?})", i.prefix),
            None => f.write_str("Cache(disabled)"),
        }
    }
}

impl Cache {
    /// A cache over `client`, with every key under `prefix` (e.g. `tc:`; tests use a unique one).
    /// Connecting is lazy: a Redis that is down at start-up is picked up once it comes back.
    pub fn new(client: redis::Client, prefix: impl Into<String>) -> Self {
        Self {
            inner: Some(Arc::new(Inner {
                client,
                prefix: prefix.into(),
                conn: Mutex::new(ConnState::Down {
                    since: Instant::now() - RECONNECT_BACKOFF,
                }),
            })),
        }
    }

    /// A cache that stores nothing.
    pub fn disabled() -> Self {
        Self { inner: None }
    }

    async fn connection(&self) -> Option<(ConnectionManager, &Inner)> {
        let inner = self.inner.as_deref()?;
        let mut state = inner.conn.lock().await;
        match &*state {
            ConnState::Connected(c) => Some((c.clone(), inner)),
            ConnState::Down { since } if since.elapsed() < RECONNECT_BACKOFF => None,
            ConnState::Down { .. } => {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(CALL_TIMEOUT))
                    .set_response_timeout(Some(CALL_TIMEOUT))
                    .set_number_of_retries(1);
                match tokio::time::timeout(
                    CALL_TIMEOUT * 2,
                    ConnectionManager::new_with_config(inner.client.clone(), config),
                )
                .await
                {
                    Ok(Ok(c)) => {
                        *state = ConnState::Connected(c.clone());
                        Some((c, inner))
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "Redis unavailable; serving without cache");
                        *state = ConnState::Down {
                            since: Instant::now(),
                        };
                        None
                    }
                    Err(_) => {
                        tracing::warn!("Redis connect timed out; serving without cache");
                        *state = ConnState::Down {
                            since: Instant::now(),
                        };
                        None
                    }
                }
            }
        }
    }

    /// Stop using the connection for a while: a Redis that just failed is probably down, and every
    /// request should not pay a timeout to find out again.
    async fn mark_down(&self) {
        if let Some(inner) = self.inner.as_deref() {
            *inner.conn.lock().await = ConnState::Down {
                since: Instant::now(),
            };
        }
    }

    /// The cached value under `key`, or `None` on a miss, a decode failure or any Redis trouble.
    pub async fn get_json<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let (mut conn, inner) = self.connection().await?;
        let full = format!("{}{key}", inner.prefix);
        match tokio::time::timeout(CALL_TIMEOUT, conn.get::<_, Option<Vec<u8>>>(&full)).await {
            Ok(Ok(Some(bytes))) => serde_json::from_slice(&bytes)
                .inspect_err(|e| tracing::warn!(key = full, error = %e, "undecodable cache entry"))
                .ok(),
            Ok(Ok(None)) => None,
            Ok(Err(e)) => {
                tracing::warn!(key = full, error = %e, "Redis GET failed; treating as a miss");
                self.mark_down().await;
                None
            }
            Err(_) => {
                tracing::warn!(key = full, "Redis GET timed out; treating as a miss");
                self.mark_down().await;
                None
            }
        }
    }

    /// Stores `value` under `key` for `ttl`; failures are logged and otherwise ignored.
    pub async fn set_json<T: Serialize>(&self, key: &str, value: &T, ttl: Duration) {
        let Some((mut conn, inner)) = self.connection().await else {
            return;
        };
        let full = format!("{}{key}", inner.prefix);
        let Ok(bytes) = serde_json::to_vec(value) else {
            return;
        };
        let secs = ttl.as_secs().max(1);
        match tokio::time::timeout(CALL_TIMEOUT, conn.set_ex::<_, _, ()>(&full, bytes, secs)).await
        {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!(key = full, error = %e, "Redis SET failed");
                self.mark_down().await;
            }
            Err(_) => {
                tracing::warn!(key = full, "Redis SET timed out");
                self.mark_down().await;
            }
        }
    }

    /// Round-trip time of a PING, or the reason it failed.
    pub async fn ping(&self) -> Result<Duration, String> {
        if self.inner.is_none() {
            return Err("no Redis configured".into());
        }
        let start = Instant::now();
        let (mut conn, _) = self.connection().await.ok_or("not connected")?;
        match tokio::time::timeout(
            CALL_TIMEOUT,
            redis::cmd("PING").query_async::<String>(&mut conn),
        )
        .await
        {
            Ok(Ok(_)) => Ok(start.elapsed()),
            Ok(Err(e)) => {
                self.mark_down().await;
                Err(e.to_string())
            }
            Err(_) => {
                self.mark_down().await;
                Err("timed out".into())
            }
        }
    }
}

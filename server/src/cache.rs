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

/// What [`Cache::lookup_json`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<T> {
    /// A decodable value.
    Hit(T),
    /// Nothing usable under the key.
    Miss,
    /// Redis is disabled, down or too slow; nothing is known.
    Unavailable,
}

/// A Lua script run with `EVALSHA`, loaded into Redis on first use and again after a Redis restart
/// (`NOSCRIPT`), so the script text crosses the network once per Redis rather than once per call.
#[derive(Debug)]
pub struct LuaScript {
    source: &'static str,
    sha: std::sync::OnceLock<String>,
}

impl LuaScript {
    /// A script with this source; usable in a `static`.
    pub const fn new(source: &'static str) -> Self {
        Self {
            source,
            sha: std::sync::OnceLock::new(),
        }
    }
}

/// Deletes a lock only if it still holds our token, so a lock that expired and was taken by
/// someone else is not released by us.
static UNLOCK: LuaScript = LuaScript::new(
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end",
);

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
        match self.lookup_json(key).await {
            Lookup::Hit(value) => Some(value),
            Lookup::Miss | Lookup::Unavailable => None,
        }
    }

    /// Like [`Cache::get_json`], but tells a miss from a Redis that could not be asked, so callers
    /// can count them apart. An undecodable entry is a miss (it will be overwritten).
    pub async fn lookup_json<T: DeserializeOwned>(&self, key: &str) -> Lookup<T> {
        let Some((mut conn, inner)) = self.connection().await else {
            return Lookup::Unavailable;
        };
        let full = format!("{}{key}", inner.prefix);
        match tokio::time::timeout(CALL_TIMEOUT, conn.get::<_, Option<Vec<u8>>>(&full)).await {
            Ok(Ok(Some(bytes))) => match serde_json::from_slice(&bytes) {
                Ok(value) => Lookup::Hit(value),
                Err(e) => {
                    tracing::warn!(key = full, error = %e, "undecodable cache entry");
                    Lookup::Miss
                }
            },
            Ok(Ok(None)) => Lookup::Miss,
            Ok(Err(e)) => {
                tracing::warn!(key = full, error = %e, "Redis GET failed; treating as a miss");
                self.mark_down().await;
                Lookup::Unavailable
            }
            Err(_) => {
                tracing::warn!(key = full, "Redis GET timed out; treating as a miss");
                self.mark_down().await;
                Lookup::Unavailable
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

    /// Removes `key`; when Redis cannot be asked, the entry expires on its own.
    pub async fn delete(&self, key: &str) {
        let Some((mut conn, inner)) = self.connection().await else {
            return;
        };
        let full = format!("{}{key}", inner.prefix);
        match tokio::time::timeout(CALL_TIMEOUT, conn.del::<_, i64>(&full)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::warn!(key = full, error = %e, "Redis DEL failed");
                self.mark_down().await;
            }
            Err(_) => {
                tracing::warn!(key = full, "Redis DEL timed out");
                self.mark_down().await;
            }
        }
    }

    /// Takes the lock `key` for `ttl` with `SET key token NX PX`: `Some(true)` when taken,
    /// `Some(false)` when someone else holds it, `None` when Redis cannot be asked.
    pub async fn try_lock(&self, key: &str, token: &str, ttl: Duration) -> Option<bool> {
        let (mut conn, inner) = self.connection().await?;
        let full = format!("{}{key}", inner.prefix);
        let ms = (ttl.as_millis() as u64).max(1);
        let mut cmd = redis::cmd("SET");
        cmd.arg(&full).arg(token).arg("NX").arg("PX").arg(ms);
        let set = cmd.query_async::<Option<String>>(&mut conn);
        let taken = self.settle(&full, "SET NX", set).await?;
        Some(taken.is_some())
    }

    /// Whether the lock `key` is held by anyone; `None` when Redis cannot be asked.
    pub async fn is_locked(&self, key: &str) -> Option<bool> {
        let (mut conn, inner) = self.connection().await?;
        let full = format!("{}{key}", inner.prefix);
        let exists = conn.exists::<_, bool>(&full);
        self.settle(&full, "EXISTS", exists).await
    }

    /// Releases the lock `key` if it still holds `token`; failures are logged and the lock expires.
    pub async fn unlock(&self, key: &str, token: &str) {
        let _: Option<i64> = self.eval(&UNLOCK, &[key], &[token]).await;
    }

    /// Runs `script` on `keys` (namespaced like every other key) and `args`; `None` when Redis
    /// cannot be asked or the script fails.
    pub async fn eval<T, A>(&self, script: &LuaScript, keys: &[&str], args: &[A]) -> Option<T>
    where
        T: redis::FromRedisValue,
        A: redis::ToRedisArgs + Sync,
    {
        let (mut conn, inner) = self.connection().await?;
        let keys: Vec<String> = keys
            .iter()
            .map(|k| format!("{}{k}", inner.prefix))
            .collect();
        let call = async {
            if let Some(sha) = script.sha.get() {
                let first = evalsha::<T, A>(&mut conn, sha, &keys, args).await;
                match first {
                    Err(e)
                        if e.kind()
                            == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {}
                    other => return other,
                }
            }
            let sha: String = redis::cmd("SCRIPT")
                .arg("LOAD")
                .arg(script.source)
                .query_async(&mut conn)
                .await?;
            let result = evalsha::<T, A>(&mut conn, &sha, &keys, args).await;
            let _ = script.sha.set(sha);
            result
        };
        let what = keys.first().cloned().unwrap_or_default();
        self.settle(&what, "EVALSHA", call).await
    }

    /// Awaits one Redis call under the call timeout; a failure is logged, marks Redis down and
    /// becomes `None`.
    async fn settle<T>(
        &self,
        key: &str,
        what: &'static str,
        call: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Option<T> {
        match tokio::time::timeout(CALL_TIMEOUT, call).await {
            Ok(Ok(value)) => Some(value),
            Ok(Err(e)) => {
                tracing::warn!(key, error = %e, "Redis {what} failed");
                if !matches!(e.kind(), redis::ErrorKind::Server(_)) {
                    self.mark_down().await;
                }
                None
            }
            Err(_) => {
                tracing::warn!(key, "Redis {what} timed out");
                self.mark_down().await;
                None
            }
        }
    }

    /// Appends `payload` to the event log `stream` (under the key prefix), which keeps about its
    /// newest `keep` entries; the entry's id, or `None` when Redis could not be asked.
    pub async fn append(&self, stream: &str, keep: usize, payload: &str) -> Option<String> {
        let (mut conn, inner) = self.connection().await?;
        let full = format!("{}{stream}", inner.prefix);
        let fields = [("e", payload)];
        let add = conn.xadd_maxlen::<_, _, _, _, Option<String>>(
            &full,
            redis::streams::StreamMaxlen::Approx(keep),
            "*",
            &fields,
        );
        match tokio::time::timeout(CALL_TIMEOUT, add).await {
            Ok(Ok(id)) => id,
            Ok(Err(e)) => {
                tracing::warn!(stream = full, error = %e, "Redis XADD failed");
                self.mark_down().await;
                None
            }
            Err(_) => {
                tracing::warn!(stream = full, "Redis XADD timed out");
                self.mark_down().await;
                None
            }
        }
    }

    /// A reader of the event log `stream` on a connection of its own (its reads block, which
    /// would hold up every other call on the shared one). `None` without Redis or when it cannot
    /// connect.
    pub async fn log_reader(&self, stream: &str) -> Option<LogReader> {
        let inner = self.inner.as_deref()?;
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CALL_TIMEOUT * 4))
            .set_response_timeout(Some(LogReader::BLOCK + CALL_TIMEOUT * 4));
        match inner
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
        {
            Ok(conn) => Some(LogReader {
                conn,
                key: format!("{}{stream}", inner.prefix),
            }),
            Err(e) => {
                tracing::debug!(stream, error = %e, "Redis event-log connection failed");
                None
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

async fn evalsha<T, A>(
    conn: &mut ConnectionManager,
    sha: &str,
    keys: &[String],
    args: &[A],
) -> redis::RedisResult<T>
where
    T: redis::FromRedisValue,
    A: redis::ToRedisArgs + Sync,
{
    let mut cmd = redis::cmd("EVALSHA");
    cmd.arg(sha).arg(keys.len()).arg(keys);
    for a in args {
        cmd.arg(a);
    }
    cmd.query_async(conn).await
}

/// Reads an event log in order: entries after an id, waiting a while for new ones.
pub struct LogReader {
    conn: redis::aio::MultiplexedConnection,
    key: String,
}

impl LogReader {
    /// How long one read waits for a new entry before answering with none.
    pub const BLOCK: Duration = Duration::from_secs(5);

    /// The id of the newest entry (`0-0` for an empty log).
    pub async fn newest(&mut self) -> redis::RedisResult<String> {
        let reply: redis::streams::StreamRangeReply =
            self.conn.xrevrange_count(&self.key, "+", "-", 1).await?;
        Ok(reply
            .ids
            .into_iter()
            .next()
            .map_or_else(|| "0-0".to_owned(), |e| e.id))
    }

    /// Up to `count` entries after `after`, as (id, payload), waiting up to [`Self::BLOCK`].
    pub async fn after(
        &mut self,
        after: &str,
        count: usize,
    ) -> redis::RedisResult<Vec<(String, String)>> {
        let options = redis::streams::StreamReadOptions::default()
            .block(Self::BLOCK.as_millis() as usize)
            .count(count);
        let reply: Option<redis::streams::StreamReadReply> = self
            .conn
            .xread_options(&[&self.key], &[after], &options)
            .await?;
        Ok(reply
            .into_iter()
            .flat_map(|r| r.keys)
            .flat_map(|k| k.ids)
            .filter_map(|e| {
                let payload = e.get::<String>("e")?;
                Some((e.id, payload))
            })
            .collect())
    }
}

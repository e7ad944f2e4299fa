//! Growing delays after failures: a login that keeps failing for one account, or from one
//! address, has to wait longer and longer (1 s, 2 s, 4 s … up to 15 minutes) before the next try
//! is even checked, so guessing passwords gets nowhere and costs no password hash. The counts live
//! in Redis, shared by every instance, for an hour after the last failure; when Redis is down this
//! process keeps them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::cache::{Cache, LuaScript};

/// The longest delay.
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// How long failures are remembered after the last one.
const MEMORY: Duration = Duration::from_secs(3600);

/// Counts a failure under `KEYS[1]` and, past the free ones, locks `KEYS[2]` for a doubling delay.
/// ARGV: free failures, max delay ms, memory ms. Returns the failure count.
static FAIL: LuaScript = LuaScript::new(
    r#"
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
local over = n - tonumber(ARGV[1])
if over > 0 then
  local delay = math.min(tonumber(ARGV[2]), 1000 * 2 ^ (over - 1))
  redis.call('SET', KEYS[2], 1, 'PX', math.floor(delay))
end
return n
"#,
);

/// Milliseconds `KEYS[1]` is still locked for (0 when it is not).
static LOCKED: LuaScript = LuaScript::new(
    r#"
local ms = redis.call('PTTL', KEYS[1])
if ms < 0 then return 0 end
return ms
"#,
);

#[derive(Debug, Clone, Copy)]
struct Local {
    failures: i64,
    last: Instant,
    locked_until: Option<Instant>,
}

/// Failure counting and lock-outs, per subject (`login:user:alice`, `login:ip:10.0.0.7`).
#[derive(Clone)]
pub struct Throttle {
    cache: Cache,
    free: i64,
    local: Arc<Mutex<HashMap<String, Local>>>,
}

impl std::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttle").finish_non_exhaustive()
    }
}

fn delay_for(failures: i64, free: i64) -> Option<Duration> {
    let over = failures - free;
    (over > 0).then(|| {
        Duration::from_millis(1000u64.saturating_mul(1 << (over - 1).min(20))).min(MAX_DELAY)
    })
}

impl Throttle {
    /// Counts through `cache`; waits start after `free` failures.
    pub fn new(cache: Cache, free: u32) -> Self {
        Self {
            cache,
            free: i64::from(free),
            local: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// How long `subject` must still wait, if at all.
    pub async fn wait(&self, subject: &str) -> Option<Duration> {
        let lock = format!("throttle:lock:{subject}");
        match self.cache.eval::<i64, i64>(&LOCKED, &[&lock], &[]).await {
            Some(ms) => (ms > 0).then(|| Duration::from_millis(ms as u64)),
            None => {
                let local = self.local.lock().await;
                let until = local.get(subject)?.locked_until?;
                until
                    .checked_duration_since(Instant::now())
                    .filter(|d| !d.is_zero())
            }
        }
    }

    /// Counts a failure of `subject`.
    pub async fn fail(&self, subject: &str) {
        let (count, lock) = (
            format!("throttle:fails:{subject}"),
            format!("throttle:lock:{subject}"),
        );
        let args = [
            self.free,
            MAX_DELAY.as_millis() as i64,
            MEMORY.as_millis() as i64,
        ];
        if self
            .cache
            .eval::<i64, i64>(&FAIL, &[&count, &lock], &args)
            .await
            .is_some()
        {
            return;
        }
        let mut local = self.local.lock().await;
        let now = Instant::now();
        local.retain(|_, l| now.duration_since(l.last) < MEMORY);
        let entry = local.entry(subject.to_string()).or_insert(Local {
            failures: 0,
            last: now,
            locked_until: None,
        });
        entry.failures += 1;
        entry.last = now;
        entry.locked_until = delay_for(entry.failures, self.free).map(|d| now + d);
    }

    /// Forgets `subject`'s failures (after a success).
    pub async fn clear(&self, subject: &str) {
        // An expired count is as good as a deleted one; the lock expires by itself.
        let count = format!("throttle:fails:{subject}");
        let _: Option<i64> = self
            .cache
            .eval(&CLEAR, &[count.as_str()], &[] as &[i64])
            .await;
        self.local.lock().await.remove(subject);
    }
}

static CLEAR: LuaScript = LuaScript::new("return redis.call('DEL', KEYS[1])");

#[cfg(test)]
mod tests {
    use super::*;

    const F: i64 = 5;

    #[test]
    fn delays_start_after_the_free_failures_and_double_up_to_the_cap() {
        assert_eq!(delay_for(F, F), None);
        assert_eq!(delay_for(F + 1, F), Some(Duration::from_secs(1)));
        assert_eq!(delay_for(F + 3, F), Some(Duration::from_secs(4)));
        assert_eq!(delay_for(F + 40, F), Some(MAX_DELAY));
    }

    #[tokio::test]
    async fn without_redis_failures_lock_the_subject_here() {
        let t = Throttle::new(Cache::disabled(), F as u32);
        for _ in 0..F {
            t.fail("login:user:alice").await;
        }
        assert_eq!(t.wait("login:user:alice").await, None);
        t.fail("login:user:alice").await;
        assert!(t.wait("login:user:alice").await.is_some());
        assert_eq!(t.wait("login:user:bob").await, None);
        t.clear("login:user:alice").await;
        assert_eq!(t.wait("login:user:alice").await, None);
    }
}

//! Inbound limits: requests per minute (a burst-tolerant rate) and per UTC day (a quota), per
//! caller, shared by every instance through one Lua script in Redis.
//!
//! **Why GCRA.** The generic cell rate algorithm keeps one timestamp per caller (the "theoretical
//! arrival time") instead of a list of request times (a sliding log) or two counters (a sliding
//! window approximation): O(1) memory and one round trip, exact at every instant (no boundary
//! bursts of twice the limit as with fixed windows), and its state answers the `RateLimit-*`
//! headers directly (remaining = how far the timestamp is from the limit, reset = when it returns
//! to now). The daily quota is a plain counter that expires at midnight UTC.
//!
//! When Redis cannot be asked the same arithmetic runs in this process, so a Redis outage never
//! means unlimited (each instance then enforces the limit on its own share) and never a 500.
//!
//! **Busy callers reserve in batches.** A round trip per request caps what an instance serves at
//! what Redis answers. So a caller whose last reservation was used up within a second reserves
//! twice as many requests the next time (up to 1% of its minute's allowance) and spends them in
//! this process. The shared count stays exact to within that 1%: requests reserved and not used
//! within the second count as used. A limit under 200 a minute is never batched.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::Mutex;

use crate::cache::{Cache, LuaScript};

/// A limit: `per_minute` requests a minute (with a burst of the same size) and `per_day` a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Requests a minute.
    pub per_minute: u32,
    /// Requests a UTC day.
    pub per_day: u32,
}

impl Limit {
    /// Parses `100/min,5000/day` (either part may be left out: no limit of that kind is not
    /// allowed, so a missing part takes `default`'s).
    pub fn parse(text: &str, default: Limit) -> Result<Limit, String> {
        let mut out = default;
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (n, unit) = part
                .split_once('/')
                .ok_or_else(|| format!("`{part}`: expected N/min or N/day"))?;
            let n: u32 = n
                .trim()
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("`{part}`: expected a positive whole number"))?;
            match unit.trim() {
                "min" | "minute" => out.per_minute = n,
                "day" => out.per_day = n,
                other => return Err(format!("`{part}`: unknown unit `{other}` (min or day)")),
            }
        }
        Ok(out)
    }
}

/// The outcome of one check, with what the `RateLimit-*` headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may go on.
    pub allowed: bool,
    /// The per-minute limit.
    pub limit: u32,
    /// Requests left in the current minute's allowance.
    pub remaining: u32,
    /// Seconds until the allowance is whole again.
    pub reset_secs: u64,
    /// When denied: seconds to wait.
    pub retry_after_secs: u64,
    /// Requests counted today (this one included when allowed).
    pub used_today: u64,
    /// The daily quota.
    pub per_day: u32,
    /// Whether the daily quota (rather than the rate) denied it.
    pub quota_exhausted: bool,
}

/// GCRA over `KEYS[1]` (the arrival-time key) and the daily counter `KEYS[2]`.
/// ARGV: emission interval µs, window µs, cost, daily quota, µs until midnight UTC. In
/// microseconds, so that limits above 60,000 a minute keep their meaning.
/// Returns {allowed, remaining, reset_us, retry_after_us, used_today, quota_exhausted}.
static GCRA: LuaScript = LuaScript::new(
    r#"
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local quota = tonumber(ARGV[4])
local to_midnight = tonumber(ARGV[5])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local remaining_of = function(tat_)
  return math.max(0, math.floor((window - (tat_ - now)) / interval))
end
if used + cost > quota then
  return {0, remaining_of(tat), tat - now, to_midnight, used, 1}
end
local new_tat = tat + interval * cost
if new_tat - now > window then
  return {0, 0, tat - now, new_tat - now - window, used, 0}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.max(1, math.ceil((new_tat - now) / 1000)))
used = redis.call('INCRBY', KEYS[2], cost)
redis.call('PEXPIRE', KEYS[2], math.max(1, math.ceil(to_midnight / 1000)))
return {1, remaining_of(new_tat), new_tat - now, 0, used, 0}
"#,
);

static USED: LuaScript = LuaScript::new("return tonumber(redis.call('GET', KEYS[1]) or '0')");

/// Most callers tracked in this process while Redis is down (beyond it the oldest are dropped).
const FALLBACK_CAPACITY: usize = 50_000;

#[derive(Debug, Clone, Copy)]
struct Local {
    tat_us: i64,
    day: i64,
    used: u64,
}

/// How long requests reserved in a batch may be spent.
const LEASE_FOR: Duration = Duration::from_secs(1);
/// The largest batch, as a share of the minute's allowance.
const LEASE_SHARE: u32 = 100;

/// Requests a busy caller reserved in the shared count and spends in this process.
#[derive(Debug, Clone, Copy)]
struct Lease {
    /// How many were reserved.
    size: u32,
    /// How many are left to spend.
    left: u32,
    until: Instant,
    /// The shared count's answer when they were reserved.
    reserved: Decision,
}

impl Lease {
    /// The decision for a request spent from the lease: the shared answer, with what is still
    /// reserved counted as remaining rather than used.
    fn decision(&self) -> Decision {
        Decision {
            remaining: self.reserved.remaining.saturating_add(self.left),
            used_today: self
                .reserved
                .used_today
                .saturating_sub(u64::from(self.left)),
            ..self.reserved
        }
    }
}

/// The shared limiter (cheap to clone).
#[derive(Clone)]
pub struct InboundLimiter {
    cache: Cache,
    local: Arc<Mutex<HashMap<String, Local>>>,
    leases: Arc<std::sync::Mutex<HashMap<String, Lease>>>,
}

impl std::fmt::Debug for InboundLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboundLimiter").finish_non_exhaustive()
    }
}

const WINDOW_US: i64 = 60_000_000;

/// How long until the next UTC midnight, when daily allowances renew.
pub fn until_midnight(now: DateTime<Utc>) -> Duration {
    Duration::from_millis(ms_to_midnight(now).unsigned_abs())
}

fn ms_to_midnight(now: DateTime<Utc>) -> i64 {
    let tomorrow = now.date_naive().succ_opt().unwrap_or(now.date_naive());
    let midnight = tomorrow
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now);
    (midnight - now).num_milliseconds().max(1)
}

impl InboundLimiter {
    /// A limiter over `cache` (which prefixes its keys).
    pub fn new(cache: Cache) -> Self {
        Self {
            cache,
            local: Arc::new(Mutex::new(HashMap::new())),
            leases: Arc::new(std::sync::Mutex::new(HashMap::new())),
        }
    }

    /// The cache the limiter keeps its state in.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Requests `who` made today, when Redis can tell (this process's count otherwise).
    pub async fn used_today(&self, who: &str) -> Option<u64> {
        let day = Utc::now().date_naive().to_string();
        let key = format!("quota:{who}:{day}");
        match self
            .cache
            .eval::<i64, i64>(&USED, &[key.as_str()], &[])
            .await
        {
            Some(n) => Some(n.max(0) as u64),
            None => {
                let today = Utc::now().timestamp() / 86_400;
                self.local
                    .lock()
                    .await
                    .get(who)
                    .map(|l| if l.day == today { l.used } else { 0 })
            }
        }
    }

    /// Counts a request of `cost` by `who` against `limit`: from a batch this process reserved
    /// when `who` is busy, in the shared count otherwise.
    pub async fn check(&self, who: &str, limit: Limit, cost: u32) -> Decision {
        let max_batch = limit.per_minute / LEASE_SHARE;
        if max_batch <= 1 {
            return self.check_shared(who, limit, cost).await;
        }
        let now = Instant::now();
        let previous = {
            let mut leases = self.leases.lock().unwrap_or_else(|p| p.into_inner());
            match leases.get_mut(who) {
                Some(lease) if lease.until > now && lease.left >= cost => {
                    lease.left -= cost;
                    return lease.decision();
                }
                other => other.copied(),
            }
        };
        // A batch used up within its second doubles; otherwise the caller is not busy.
        let size = match previous {
            Some(l) if l.left == 0 && l.until > now => l.size.saturating_mul(2),
            _ => 1,
        }
        .clamp(cost, max_batch.max(cost));
        let reserved = self.check_shared(who, limit, size).await;
        if !reserved.allowed {
            // Less than a batch may be left: then ask for this request alone.
            return if size > cost {
                self.check_shared(who, limit, cost).await
            } else {
                reserved
            };
        }
        // Kept even when it holds nothing more (a batch of one), so that a busy caller's next
        // batch doubles.
        let lease = Lease {
            size,
            left: size - cost,
            until: now + LEASE_FOR,
            reserved,
        };
        let mut leases = self.leases.lock().unwrap_or_else(|p| p.into_inner());
        if leases.len() >= FALLBACK_CAPACITY {
            leases.retain(|_, l| l.until > now);
        }
        leases.insert(who.to_string(), lease);
        lease.decision()
    }

    /// Counts `cost` requests by `who` in the shared count (this process's when Redis is down).
    async fn check_shared(&self, who: &str, limit: Limit, cost: u32) -> Decision {
        let interval = (WINDOW_US / i64::from(limit.per_minute.max(1))).max(1);
        let now = Utc::now();
        let to_midnight = ms_to_midnight(now) * 1000;
        let day = now.date_naive().to_string();
        let keys = [format!("rl:{who}"), format!("quota:{who}:{day}")];
        let key_refs = [keys[0].as_str(), keys[1].as_str()];
        let args = [
            interval,
            WINDOW_US,
            i64::from(cost),
            i64::from(limit.per_day),
            to_midnight,
        ];
        match self
            .cache
            .eval::<Vec<i64>, i64>(&GCRA, &key_refs, &args)
            .await
        {
            Some(r) if r.len() == 6 => decision(limit, &r),
            _ => {
                tracing::warn!("rate limiter: Redis unavailable, limiting in this process");
                self.check_locally(who, limit, cost, interval, to_midnight, now)
                    .await
            }
        }
    }

    async fn check_locally(
        &self,
        who: &str,
        limit: Limit,
        cost: u32,
        interval: i64,
        to_midnight: i64,
        now: DateTime<Utc>,
    ) -> Decision {
        let now_us = now.timestamp_micros();
        let day = now.timestamp() / 86_400;
        let mut local = self.local.lock().await;
        if local.len() >= FALLBACK_CAPACITY && !local.contains_key(who) {
            if let Some(oldest) = local
                .iter()
                .min_by_key(|(_, l)| l.tat_us)
                .map(|(k, _)| k.clone())
            {
                local.remove(&oldest);
            }
        }
        let entry = local.entry(who.to_string()).or_insert(Local {
            tat_us: now_us,
            day,
            used: 0,
        });
        if entry.day != day {
            entry.day = day;
            entry.used = 0;
        }
        let tat = entry.tat_us.max(now_us);
        let remaining_of = |tat: i64| ((WINDOW_US - (tat - now_us)).max(0) / interval).max(0);
        let r = if entry.used + u64::from(cost) > u64::from(limit.per_day) {
            [
                0,
                remaining_of(tat),
                tat - now_us,
                to_midnight,
                entry.used as i64,
                1,
            ]
        } else {
            let new_tat = tat + interval * i64::from(cost);
            if new_tat - now_us > WINDOW_US {
                [
                    0,
                    0,
                    tat - now_us,
                    new_tat - now_us - WINDOW_US,
                    entry.used as i64,
                    0,
                ]
            } else {
                entry.tat_us = new_tat;
                entry.used += u64::from(cost);
                [
                    1,
                    remaining_of(new_tat),
                    new_tat - now_us,
                    0,
                    entry.used as i64,
                    0,
                ]
            }
        };
        decision(limit, &r)
    }
}

fn decision(limit: Limit, r: &[i64]) -> Decision {
    let secs = |us: i64| (us.max(0) as u64).div_ceil(1_000_000);
    Decision {
        allowed: r[0] == 1,
        limit: limit.per_minute,
        remaining: u32::try_from(r[1].max(0)).unwrap_or(u32::MAX),
        reset_secs: secs(r[2]),
        retry_after_secs: secs(r[3]).max(u64::from(r[0] != 1)),
        used_today: r[4].max(0) as u64,
        per_day: limit.per_day,
        quota_exhausted: r[5] == 1,
    }
}

/// Adds `ARGV[1]` to the set `KEYS[1]` unless it holds `ARGV[2]` members already; an item
/// already in the set is free. The set expires at midnight UTC (`ARGV[3]` ms from now).
/// Returns {allowed, members}.
static SPEND_ONCE: LuaScript = LuaScript::new(
    r#"
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then
  return {1, redis.call('SCARD', KEYS[1])}
end
local n = redis.call('SCARD', KEYS[1])
if n >= tonumber(ARGV[2]) then
  return {0, n}
end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, n + 1}
"#,
);

/// A daily budget of distinct items (e.g. symbols whose models may be trained) per caller: an
/// item counts once a day however often it is asked for, so concurrent requests for one symbol
/// cost one.
#[derive(Clone, Debug)]
pub struct DailyBudget {
    cache: Cache,
    what: &'static str,
    local: Arc<Mutex<HashMap<String, SpentToday>>>,
}

/// The fallback's record of one caller: the day (days since the epoch) and the items spent on.
type SpentToday = (i64, std::collections::HashSet<String>);

impl DailyBudget {
    /// A budget named `what` (part of its keys) kept in `limiter`'s store.
    pub fn new(limiter: InboundLimiter, what: &'static str) -> Self {
        Self {
            cache: limiter.cache,
            what,
            local: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Spends one of `who`'s `per_day` on `item` (free if `item` was spent on today); `false`
    /// when `per_day` other items were spent on already.
    pub async fn spend(&self, who: &str, item: &str, per_day: u32) -> bool {
        let now = Utc::now();
        let key = format!("{}:{who}:{}", self.what, now.date_naive());
        let args = [
            item.to_string(),
            per_day.to_string(),
            ms_to_midnight(now).to_string(),
        ];
        match self
            .cache
            .eval::<Vec<i64>, String>(&SPEND_ONCE, &[key.as_str()], &args)
            .await
        {
            Some(r) if r.len() == 2 => r[0] == 1,
            _ => {
                let today = now.timestamp() / 86_400;
                let mut local = self.local.lock().await;
                if local.len() >= FALLBACK_CAPACITY {
                    local.retain(|_, (day, _)| *day == today);
                }
                let (day, items) = local
                    .entry(format!("{}:{who}", self.what))
                    .or_insert_with(|| (today, Default::default()));
                if *day != today {
                    *day = today;
                    items.clear();
                }
                if items.contains(item) {
                    return true;
                }
                if items.len() >= per_day as usize {
                    return false;
                }
                items.insert(item.to_string());
                true
            }
        }
    }
}

/// How long a denied caller is told to wait at most (a day's quota resets at midnight UTC).
pub fn retry_after(d: &Decision) -> Duration {
    Duration::from_secs(d.retry_after_secs)
}

/// The name an anonymous caller is limited under: its IPv4 address, or its IPv6 /64 (one host
/// usually holds a whole /64, so counting single IPv6 addresses would be no limit at all).
pub fn ip_subject(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("ip:{v4}"),
        IpAddr::V6(v6) => {
            let net = u128::from(v6) & !((1u128 << 64) - 1);
            format!("ip:{}/64", Ipv6Addr::from(net))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_minutes_and_days_and_keep_defaults_for_what_is_left_out() {
        let d = Limit {
            per_minute: 100,
            per_day: 5000,
        };
        assert_eq!(
            Limit::parse("7/min", d).unwrap(),
            Limit {
                per_minute: 7,
                per_day: 5000
            }
        );
        assert_eq!(
            Limit::parse("10/min, 20/day", d).unwrap(),
            Limit {
                per_minute: 10,
                per_day: 20
            }
        );
        assert!(Limit::parse("0/min", d).is_err());
        assert!(Limit::parse("5/hour", d).unwrap_err().contains("hour"));
        assert!(Limit::parse("lots", d).is_err());
    }

    #[tokio::test]
    async fn without_redis_the_process_still_limits_at_the_rate_and_the_quota() {
        let limiter = InboundLimiter::new(Cache::disabled());
        let limit = Limit {
            per_minute: 3,
            per_day: 1000,
        };
        let mut allowed = 0;
        for _ in 0..5 {
            if limiter.check("ip:10.0.0.1", limit, 1).await.allowed {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 3, "a burst of the minute's limit, then denied");
        let denied = limiter.check("ip:10.0.0.1", limit, 1).await;
        assert!(!denied.allowed && denied.retry_after_secs >= 1);
        assert!(limiter.check("ip:10.0.0.2", limit, 1).await.allowed);

        let quota = Limit {
            per_minute: 1000,
            per_day: 2,
        };
        assert!(limiter.check("key:a", quota, 2).await.allowed);
        let over = limiter.check("key:a", quota, 1).await;
        assert!(!over.allowed && over.quota_exhausted);
    }

    #[tokio::test]
    async fn limits_beyond_a_thousand_a_second_keep_their_meaning() {
        let limiter = InboundLimiter::new(Cache::disabled());
        let fast = Limit {
            per_minute: 6_000_000,
            per_day: u32::MAX,
        };
        let d = limiter.check("key:fast", fast, 1).await;
        // Kept in milliseconds, the interval would round up to 1 ms: 60,000 a minute at most.
        assert!(d.allowed && d.remaining > 5_000_000, "{d:?}");
    }

    #[tokio::test]
    async fn a_busy_caller_reserves_in_batches_and_still_gets_exactly_its_limit() {
        let limiter = InboundLimiter::new(Cache::disabled());
        let limit = Limit {
            per_minute: 1000,
            per_day: 1_000_000,
        };
        let mut allowed = 0;
        let mut last_remaining = u32::MAX;
        for _ in 0..1200 {
            let d = limiter.check("key:busy", limit, 1).await;
            if d.allowed {
                allowed += 1;
                assert!(d.remaining < last_remaining, "{d:?}");
                last_remaining = d.remaining;
            }
        }
        assert_eq!(
            allowed, 1000,
            "the minute's allowance, not a request more or less"
        );
        let counted = limiter.used_today("key:busy").await.unwrap();
        assert_eq!(counted, 1000);
        // The batches grew: the shared count was asked far less often than once a request.
        let lease = limiter.leases.lock().unwrap()["key:busy"];
        assert!(lease.size > 1, "{lease:?}");
    }

    #[tokio::test]
    async fn a_small_limit_is_never_batched() {
        let limiter = InboundLimiter::new(Cache::disabled());
        let limit = Limit {
            per_minute: 60,
            per_day: 2000,
        };
        for _ in 0..10 {
            limiter.check("ip:10.0.0.9", limit, 1).await;
        }
        assert!(limiter.leases.lock().unwrap().is_empty());
        assert_eq!(limiter.used_today("ip:10.0.0.9").await, Some(10));
    }

    #[tokio::test]
    async fn a_budget_counts_each_item_once_a_day() {
        let budget = DailyBudget::new(InboundLimiter::new(Cache::disabled()), "train");
        assert!(budget.spend("u1", "GOOG", 2).await);
        assert!(
            budget.spend("u1", "GOOG", 2).await,
            "the same symbol again is free"
        );
        assert!(budget.spend("u1", "MSFT", 2).await);
        assert!(
            !budget.spend("u1", "AAPL", 2).await,
            "a third symbol is over"
        );
        assert!(
            budget.spend("u2", "AAPL", 2).await,
            "another caller has its own"
        );
    }
}

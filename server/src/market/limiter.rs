//! Provider rate limits as token buckets in Redis, so every process sharing a Redis (and a key
//! prefix) shares one quota per provider.
//!
//! A provider may have several windows (Alpha Vantage: 5 a minute *and* 500 a day). Each window is a
//! bucket of `capacity` tokens refilled continuously at `capacity / period`; a call takes one token
//! from every window, atomically, in one Lua script, or takes none and is told how long to wait.
//! The script reads Redis's own clock, so processes with skewed clocks still agree.
//!
//! When Redis cannot be asked the limiter falls back to the same buckets in this process (logged
//! once per outage): each process then keeps the quota on its own, which is the best that can be
//! done without a shared store, and no request waits on a Redis that is down.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::cache::Cache;
use crate::cache::LuaScript;

use super::providers::{ProviderKind, ProvidersConfigError};

/// One window of a provider's quota: `capacity` calls per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateWindow {
    capacity: u32,
    period: Duration,
}

impl RateWindow {
    /// `capacity` calls per `period`; `None` when either is zero.
    pub fn new(capacity: u32, period: Duration) -> Option<Self> {
        (capacity > 0 && period.as_millis() > 0).then_some(RateWindow { capacity, period })
    }

    /// `capacity` calls a minute.
    pub const fn per_minute(capacity: u32) -> Self {
        RateWindow {
            capacity,
            period: Duration::from_secs(60),
        }
    }

    /// `capacity` calls a day.
    pub const fn per_day(capacity: u32) -> Self {
        RateWindow {
            capacity,
            period: Duration::from_secs(86_400),
        }
    }

    /// Calls per period.
    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    fn period_ms(&self) -> u64 {
        self.period.as_millis() as u64
    }

    /// Tokens regained per millisecond.
    fn rate(&self) -> f64 {
        f64::from(self.capacity) / self.period_ms() as f64
    }
}

impl fmt::Display for RateWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.period.as_secs() {
            1 => write!(f, "{}/s", self.capacity),
            60 => write!(f, "{}/min", self.capacity),
            3600 => write!(f, "{}/h", self.capacity),
            86_400 => write!(f, "{}/day", self.capacity),
            _ => write!(f, "{}/{}ms", self.capacity, self.period_ms()),
        }
    }
}

impl FromStr for RateWindow {
    type Err = String;

    /// `5/min`, `500/day`, `2/s`, `100/h`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (n, unit) = s
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not of the form N/unit (5/min)"))?;
        let capacity: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("`{n}` is not a whole number of calls"))?;
        let secs = match unit.trim().to_ascii_lowercase().as_str() {
            "s" | "sec" | "second" => 1,
            "m" | "min" | "minute" => 60,
            "h" | "hour" => 3600,
            "d" | "day" => 86_400,
            other => return Err(format!("unknown unit `{other}` (s, min, h, day)")),
        };
        RateWindow::new(capacity, Duration::from_secs(secs))
            .ok_or_else(|| format!("`{s}`: a window needs at least one call"))
    }
}

/// The windows of every provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    windows: HashMap<ProviderKind, Vec<RateWindow>>,
}

impl Default for RateLimits {
    /// The free plans: Alpha Vantage 5/min and 500/day, Finnhub 60/min, Polygon 5/min; Yahoo has
    /// no published limit, so a polite 30/min.
    fn default() -> Self {
        RateLimits {
            windows: HashMap::from([
                (
                    ProviderKind::AlphaVantage,
                    vec![RateWindow::per_minute(5), RateWindow::per_day(500)],
                ),
                (ProviderKind::Finnhub, vec![RateWindow::per_minute(60)]),
                (ProviderKind::Polygon, vec![RateWindow::per_minute(5)]),
                (ProviderKind::Yahoo, vec![RateWindow::per_minute(30)]),
            ]),
        }
    }
}

impl RateLimits {
    /// The variable that overrides `provider`'s windows: `RATE_LIMIT_ALPHAVANTAGE`,
    /// `RATE_LIMIT_FINNHUB`, `RATE_LIMIT_POLYGON`, `RATE_LIMIT_YAHOO`. Its value is a comma-separated
    /// list of windows (`5/min,500/day`), or `off` for no limit.
    pub fn env_var(provider: ProviderKind) -> &'static str {
        match provider {
            ProviderKind::AlphaVantage => "RATE_LIMIT_ALPHAVANTAGE",
            ProviderKind::Finnhub => "RATE_LIMIT_FINNHUB",
            ProviderKind::Polygon => "RATE_LIMIT_POLYGON",
            ProviderKind::Yahoo => "RATE_LIMIT_YAHOO",
        }
    }

    /// The defaults, overridden by the `RATE_LIMIT_*` variables read through `get`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ProvidersConfigError> {
        let mut limits = RateLimits::default();
        for provider in ProviderKind::ALL {
            let var = Self::env_var(provider);
            let Some(value) = get(var).filter(|v| !v.trim().is_empty()) else {
                continue;
            };
            let windows = if value.trim().eq_ignore_ascii_case("off") {
                vec![]
            } else {
                value
                    .split(',')
                    .filter(|w| !w.trim().is_empty())
                    .map(str::parse)
                    .collect::<Result<Vec<RateWindow>, String>>()
                    .map_err(|reason| ProvidersConfigError {
                        var,
                        value: value.clone(),
                        reason,
                    })?
            };
            limits.windows.insert(provider, windows);
        }
        Ok(limits)
    }

    /// Replaces `provider`'s windows (an empty list means no limit).
    pub fn with(mut self, provider: ProviderKind, windows: Vec<RateWindow>) -> Self {
        self.windows.insert(provider, windows);
        self
    }

    /// `provider`'s windows; empty when it is not limited.
    pub fn windows(&self, provider: ProviderKind) -> &[RateWindow] {
        self.windows.get(&provider).map_or(&[], Vec::as_slice)
    }
}

/// The limiter's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A token was taken from every window: call the provider.
    Allowed,
    /// Some window is empty; nothing was taken.
    Denied {
        /// When the emptiest window will hold a token again.
        retry_after: Duration,
    },
}

/// Takes one token from every window or none; answers `{1, 0}` or `{0, wait_ms}`.
/// KEYS: one hash per window; ARGV: capacity and period in ms for each window, in order.
static TAKE: LuaScript = LuaScript::new(
    r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local levels = {}
local wait = 0
for i = 1, #KEYS do
  local cap = tonumber(ARGV[2 * i - 1])
  local period = tonumber(ARGV[2 * i])
  local rate = cap / period
  local saved = redis.call('HMGET', KEYS[i], 'tokens', 'ts')
  local level = tonumber(saved[1])
  local ts = tonumber(saved[2])
  if level == nil or ts == nil then
    level = cap
    ts = now
  end
  if now > ts then
    level = math.min(cap, level + (now - ts) * rate)
  end
  levels[i] = level
  if level < 1 then
    local w = math.ceil((1 - level) * period / cap)
    if w > wait then wait = w end
  end
end
if wait > 0 then
  return {0, wait}
end
for i = 1, #KEYS do
  redis.call('HSET', KEYS[i], 'tokens', tostring(levels[i] - 1), 'ts', now)
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2 * i]) + 1000)
end
return {1, 0}
"#,
);

/// One window's bucket kept in this process (the fallback), with the same arithmetic as the script.
#[derive(Debug, Clone, Copy, PartialEq)]
struct LocalBucket {
    window: RateWindow,
    level: f64,
    at: Instant,
}

impl LocalBucket {
    fn full(window: RateWindow, now: Instant) -> Self {
        LocalBucket {
            window,
            level: f64::from(window.capacity),
            at: now,
        }
    }

    /// The level at `now`, refilled since the last look and capped at the capacity.
    fn level_at(&self, now: Instant) -> f64 {
        let elapsed_ms = now.saturating_duration_since(self.at).as_secs_f64() * 1000.0;
        (self.level + elapsed_ms * self.window.rate()).min(f64::from(self.window.capacity))
    }

    /// How long until a token is available at `now` (zero when one is).
    fn wait_at(&self, now: Instant) -> Duration {
        let level = self.level_at(now);
        if level >= 1.0 {
            Duration::ZERO
        } else {
            // Multiply before dividing: `1 / rate` rounds up a whole millisecond too often.
            let ms =
                (1.0 - level) * self.window.period_ms() as f64 / f64::from(self.window.capacity);
            Duration::from_millis(ms.ceil() as u64)
        }
    }
}

/// Takes one token from each bucket, or none and the longest wait.
fn take_local(buckets: &mut [LocalBucket], now: Instant) -> Decision {
    let wait = buckets
        .iter()
        .map(|b| b.wait_at(now))
        .max()
        .unwrap_or(Duration::ZERO);
    if !wait.is_zero() {
        return Decision::Denied { retry_after: wait };
    }
    for b in buckets.iter_mut() {
        b.level = b.level_at(now) - 1.0;
        b.at = now;
    }
    Decision::Allowed
}

/// The shared rate limiter. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    cache: Cache,
    limits: Arc<RateLimits>,
    local: Arc<Mutex<HashMap<ProviderKind, Vec<LocalBucket>>>>,
    degraded: Arc<AtomicBool>,
}

impl RateLimiter {
    /// A limiter keeping its buckets in `cache`'s Redis (under its key prefix).
    pub fn new(cache: Cache, limits: RateLimits) -> Self {
        RateLimiter {
            cache,
            limits: Arc::new(limits),
            local: Arc::default(),
            degraded: Arc::default(),
        }
    }

    /// The configured windows.
    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Takes a token for one call to `provider`, or says how long to wait. Never waits itself.
    pub async fn acquire(&self, provider: ProviderKind) -> Decision {
        let windows = self.limits.windows(provider);
        if windows.is_empty() {
            return Decision::Allowed;
        }
        let keys: Vec<String> = windows
            .iter()
            .map(|w| format!("ratelimit:{provider}:{}ms", w.period_ms()))
            .collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let args: Vec<u64> = windows
            .iter()
            .flat_map(|w| [u64::from(w.capacity), w.period_ms()])
            .collect();
        match self
            .cache
            .eval::<(i64, i64), u64>(&TAKE, &keys, &args)
            .await
        {
            Some((allowed, wait_ms)) => {
                if self.degraded.swap(false, Ordering::Relaxed) {
                    tracing::info!("Redis is back: provider rate limits are shared again");
                }
                if allowed == 1 {
                    Decision::Allowed
                } else {
                    Decision::Denied {
                        retry_after: Duration::from_millis(wait_ms.max(1) as u64),
                    }
                }
            }
            None => {
                if !self.degraded.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        "Redis unavailable: provider rate limits are kept per process until it is back"
                    );
                }
                self.acquire_local(provider, windows, Instant::now())
            }
        }
    }

    fn acquire_local(
        &self,
        provider: ProviderKind,
        windows: &[RateWindow],
        now: Instant,
    ) -> Decision {
        let mut local = self.local.lock().unwrap_or_else(|e| e.into_inner());
        let buckets = local.entry(provider).or_default();
        if buckets.len() != windows.len()
            || buckets.iter().zip(windows).any(|(b, w)| b.window != *w)
        {
            *buckets = windows.iter().map(|w| LocalBucket::full(*w, now)).collect();
        }
        take_local(buckets, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_five_a_minute_bucket_allows_five_calls_then_says_wait_twelve_seconds() {
        let t0 = Instant::now();
        let mut buckets = vec![LocalBucket::full(RateWindow::per_minute(5), t0)];
        for _ in 0..5 {
            assert_eq!(take_local(&mut buckets, t0), Decision::Allowed);
        }
        assert_eq!(
            take_local(&mut buckets, t0),
            Decision::Denied {
                retry_after: ms(12_000)
            }
        );
        assert_eq!(take_local(&mut buckets, t0 + ms(12_000)), Decision::Allowed);
    }

    #[test]
    fn the_bucket_refills_continuously_but_never_above_its_capacity() {
        let t0 = Instant::now();
        let window = RateWindow::per_minute(5);
        let mut b = LocalBucket::full(window, t0);
        b.level = 0.0;
        assert!((b.level_at(t0 + ms(6_000)) - 0.5).abs() < 1e-9);
        assert_eq!(b.wait_at(t0 + ms(6_000)), ms(6_000));
        assert_eq!(b.level_at(t0 + Duration::from_secs(3_600)), 5.0);
    }

    #[test]
    fn every_window_must_have_a_token_and_a_denial_takes_none() {
        let t0 = Instant::now();
        let mut buckets = vec![
            LocalBucket::full(RateWindow::per_minute(5), t0),
            LocalBucket::full(RateWindow::new(2, Duration::from_secs(3_600)).unwrap(), t0),
        ];
        assert_eq!(take_local(&mut buckets, t0), Decision::Allowed);
        assert_eq!(take_local(&mut buckets, t0), Decision::Allowed);
        // The hourly window is empty: one token back takes 30 minutes.
        assert_eq!(
            take_local(&mut buckets, t0),
            Decision::Denied {
                retry_after: ms(1_800_000)
            }
        );
        assert!(
            (buckets[0].level_at(t0) - 3.0).abs() < 1e-9,
            "minute window untouched"
        );
    }

    #[test]
    fn windows_are_parsed_from_their_written_form() {
        assert_eq!(
            "5/min".parse::<RateWindow>().unwrap(),
            RateWindow::per_minute(5)
        );
        assert_eq!(
            " 500/day ".parse::<RateWindow>().unwrap(),
            RateWindow::per_day(500)
        );
        assert_eq!(
            "2/s".parse::<RateWindow>().unwrap().period(),
            Duration::from_secs(1)
        );
        assert!("0/min".parse::<RateWindow>().is_err());
        assert!("5/fortnight".parse::<RateWindow>().is_err());
        assert!("five".parse::<RateWindow>().is_err());
        assert_eq!(RateWindow::per_day(500).to_string(), "500/day");
    }

    #[test]
    fn limits_default_to_the_free_plans_and_can_be_overridden_or_switched_off() {
        let defaults = RateLimits::from_lookup(|_| None).unwrap();
        assert_eq!(
            defaults.windows(ProviderKind::AlphaVantage),
            &[RateWindow::per_minute(5), RateWindow::per_day(500)]
        );
        assert_eq!(
            defaults.windows(ProviderKind::Finnhub),
            &[RateWindow::per_minute(60)]
        );
        let custom = RateLimits::from_lookup(|k| match k {
            "RATE_LIMIT_POLYGON" => Some("100/min, 10/s".into()),
            "RATE_LIMIT_YAHOO" => Some("off".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(custom.windows(ProviderKind::Polygon).len(), 2);
        assert!(custom.windows(ProviderKind::Yahoo).is_empty());
        let err = RateLimits::from_lookup(|k| (k == "RATE_LIMIT_FINNHUB").then(|| "lots".into()))
            .unwrap_err();
        assert_eq!(err.var, "RATE_LIMIT_FINNHUB");
    }

    #[tokio::test]
    async fn without_redis_the_limiter_keeps_the_quota_in_process() {
        let limiter = RateLimiter::new(
            Cache::disabled(),
            RateLimits::default().with(ProviderKind::Polygon, vec![RateWindow::per_minute(2)]),
        );
        assert_eq!(
            limiter.acquire(ProviderKind::Polygon).await,
            Decision::Allowed
        );
        assert_eq!(
            limiter.acquire(ProviderKind::Polygon).await,
            Decision::Allowed
        );
        assert!(matches!(
            limiter.acquire(ProviderKind::Polygon).await,
            Decision::Denied { .. }
        ));
    }
}

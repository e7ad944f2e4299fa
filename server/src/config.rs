//! Typed configuration, read once from the environment at start-up.
//!
//! Every variable is documented in `.env.example`. Unset optional URLs switch on the embedded default:
//! a private Postgres cluster and Redis server under `APP_DATA_DIR`, started and stopped with the app.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::jobs::JobSettings;
use crate::market::breaker::BreakerSettings;
use crate::market::limiter::RateLimits;
use crate::market::providers::{ProvidersConfig, ProvidersConfigError};
use crate::ratelimit::Limit;

pub use crate::telemetry::LogFormat;

/// Everything the server needs to start.
#[derive(Clone)]
pub struct Settings {
    /// `APP_ADDR`: where to listen. Port 0 picks a free port (tests).
    pub addr: SocketAddr,
    /// `DATABASE_URL`: an external Postgres. Unset: start a private cluster under `data_dir`.
    pub database_url: Option<String>,
    /// `REDIS_URL`: an external Redis. Unset: start a private Redis under `data_dir`.
    pub redis_url: Option<String>,
    /// `APP_DATA_DIR`: where the embedded Postgres and Redis keep their files.
    pub data_dir: PathBuf,
    /// `LEPTOS_SITE_ROOT`: the built site (wasm, JS, CSS, public assets).
    pub site_root: PathBuf,
    /// `LOG_FORMAT`: `human` (default) or `json`.
    pub log_format: LogFormat,
    /// `COOKIE_SECURE`: mark the session cookie `Secure`. Set it when served behind TLS.
    pub cookie_secure: bool,
    /// `APP_SEED_BUNDLED`: load the bundled real price series into Postgres at start (default true).
    pub seed_bundled: bool,
    /// `DATABASE_MAX_CONNECTIONS`: pool size. Postgres allows 100 connections by default, shared by
    /// every app process behind a load balancer, so keep this × processes below that.
    pub db_max_connections: u32,
    /// `APP_CACHE_PREFIX`: prefix of every Redis key (instances sharing a Redis share the cache).
    pub cache_prefix: String,
    /// Market-data providers: keys, order, base URLs (`MARKET_DATA_PROVIDERS`, `*_API_KEY`, …).
    /// No keys: no provider; the bundled history is the data.
    pub providers: ProvidersConfig,
    /// Provider rate limits shared through Redis (`RATE_LIMIT_<PROVIDER>`, e.g. `5/min,500/day`
    /// or `off`). Defaults: the providers' free tiers.
    pub rate_limits: RateLimits,
    /// Circuit breaker per provider (`CIRCUIT_BREAKER_FAILURES`, `CIRCUIT_BREAKER_COOLDOWN_SECS`).
    pub breaker: BreakerSettings,
    /// `APP_WORKERS`: jobs run concurrently by this process (default 1; 0 = none, for web-only
    /// instances when `server worker` processes do the work).
    pub workers: usize,
    /// `ARTIFACT_STORE_URL`: where model artifacts go: `s3://bucket/prefix` (credentials and
    /// endpoint from the usual `AWS_*` variables) or `file:///dir`. Unset: `APP_DATA_DIR/artifacts`.
    pub artifact_store_url: Option<String>,
    /// Job retries, heartbeats, polling and the training evaluation protocol (`APP_JOB_*`,
    /// `APP_EVAL_*`).
    pub jobs: JobSettings,
    /// API access: limits per tier, trusted proxies, tokens, request bounds.
    pub access: AccessSettings,
    /// Webhook deliveries: retries, timeouts, which targets are allowed (`WEBHOOK_*`).
    pub webhooks: WebhookSettings,
}

/// How webhook deliveries are made.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookSettings {
    /// The wait before the second attempt, doubled for each after it (`WEBHOOK_RETRY_BASE_MS`,
    /// 30 000).
    pub retry_base: std::time::Duration,
    /// The longest wait between attempts (`WEBHOOK_RETRY_CAP_SECS`, 7 200).
    pub retry_cap: std::time::Duration,
    /// A delivery is given up once it is this old (`WEBHOOK_GIVE_UP_HOURS`, 24).
    pub give_up_after: std::time::Duration,
    /// A webhook is switched off after this many failed attempts in a row
    /// (`WEBHOOK_DISABLE_AFTER`, 25: more than a day of retries of one delivery).
    pub disable_after: u32,
    /// Longest an attempt may take (`WEBHOOK_TIMEOUT_SECS`, 10).
    pub timeout: std::time::Duration,
    /// Targets on loopback, private or link-local addresses are allowed
    /// (`WEBHOOK_ALLOW_PRIVATE`, off: such requests would reach this network, not the internet).
    pub allow_private: bool,
    /// Where the operator's failure alerts go (`ALERT_WEBHOOK_URL`): training that failed for
    /// good, a provider's circuit opening. Unset: nowhere (they are logged).
    pub operator_url: Option<String>,
    /// Signs the operator's alerts like any webhook's (`ALERT_WEBHOOK_SECRET`); unset: unsigned.
    pub operator_secret: Option<String>,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            retry_base: std::time::Duration::from_secs(30),
            retry_cap: std::time::Duration::from_secs(7_200),
            give_up_after: std::time::Duration::from_secs(24 * 3_600),
            disable_after: 25,
            timeout: std::time::Duration::from_secs(10),
            allow_private: false,
            operator_url: None,
            operator_secret: None,
        }
    }
}

/// What callers may do and how the server protects itself (`API_LIMIT_*`, `TRAIN_BUDGET_*`,
/// `TRUSTED_PROXIES`, `JWT_*`, `APP_REQUEST_TIMEOUT_SECS`, `APP_MAX_CONCURRENT_REQUESTS`,
/// `APP_BODY_LIMIT_BYTES`, `DATABASE_STATEMENT_TIMEOUT_MS`, `AUTH_MAX_CONCURRENT_HASHES`,
/// `METRICS_TOKEN`).
#[derive(Clone, PartialEq)]
pub struct AccessSettings {
    /// Requests of a caller without key, token or session, by client address.
    pub anonymous: Limit,
    /// Requests of the free tier.
    pub free: Limit,
    /// Requests of the pro tier.
    pub pro: Limit,
    /// Requests of the admin tier.
    pub admin: Limit,
    /// Symbols whose models a free account may have trained a day.
    pub train_free: u32,
    /// The same for pro.
    pub train_pro: u32,
    /// The same for admin.
    pub train_admin: u32,
    /// Peers whose `X-Forwarded-For` is believed (load balancers): addresses or CIDR blocks.
    pub trusted_proxies: Vec<IpBlock>,
    /// `JWT_SECRET` (at least 32 bytes). Unset: the embedded default generates one in its data
    /// folder; with external services, token exchange is off.
    pub jwt_secret: Option<String>,
    /// How long an access token lives (`JWT_LIFETIME_SECS`, 900).
    pub jwt_lifetime: std::time::Duration,
    /// Longest a request may take before a 503 (`APP_REQUEST_TIMEOUT_SECS`, 30).
    pub request_timeout: std::time::Duration,
    /// Requests served at once before the rest are shed with 503 (`APP_MAX_CONCURRENT_REQUESTS`).
    pub max_concurrent_requests: usize,
    /// Largest request body (`APP_BODY_LIMIT_BYTES`, 64 KiB): above it, 413.
    pub body_limit: usize,
    /// Longest a single SQL statement may run (`DATABASE_STATEMENT_TIMEOUT_MS`, 10 000).
    pub statement_timeout: std::time::Duration,
    /// Password hashes computed at once (`AUTH_MAX_CONCURRENT_HASHES`, 4; 19 MiB each).
    pub concurrent_hashes: usize,
    /// Failed logins per account or address, and registrations per address, before growing
    /// waits start (`AUTH_FREE_ATTEMPTS`, 5).
    pub free_attempts: u32,
    /// How long an API key's owner and an account's role and tier are trusted from memory
    /// (`AUTH_CACHE_SECS`, 30): the longest a revoked key or a changed role takes to show on
    /// another instance.
    pub auth_cache: std::time::Duration,
    /// `METRICS_TOKEN`: bearer token `/metrics` requires; unset, it is open (loopback deployments).
    pub metrics_token: Option<String>,
    /// A session ends after this long without a visit (`APP_SESSION_IDLE_SECS`, 7 days).
    pub session_idle: std::time::Duration,
    /// Event streams open at once on this instance before more are refused with 503
    /// (`APP_MAX_STREAMS`, 2 000); they are outside `max_concurrent_requests`.
    pub max_streams: usize,
    /// A comment line on every idle event stream this often, so proxies keep it open and a
    /// client notices a dead one (`STREAM_HEARTBEAT_SECS`, 15).
    pub stream_heartbeat: std::time::Duration,
    /// Other origins whose pages may call this server with the person's cookies: the static
    /// build's hosts (`APP_CORS_ORIGINS`, comma-separated; none by default).
    pub cors_origins: Vec<WebOrigin>,
}

impl std::fmt::Debug for AccessSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessSettings")
            .field("anonymous", &self.anonymous)
            .field("free", &self.free)
            .field("pro", &self.pro)
            .field("admin", &self.admin)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "<set>"))
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "<set>"),
            )
            .finish_non_exhaustive()
    }
}

impl AccessSettings {
    /// The limit of `caller`.
    pub fn limit(&self, caller: &app::domain::Caller) -> Limit {
        use app::domain::{Caller, Tier};
        match caller {
            Caller::Anonymous => self.anonymous,
            Caller::Member { tier, .. } => match tier {
                Tier::Free => self.free,
                Tier::Pro => self.pro,
                Tier::Admin => self.admin,
            },
        }
    }

    /// Symbols `caller` may have trained a day (`None`: anonymous callers queue no training).
    pub fn training_budget(&self, caller: &app::domain::Caller) -> Option<u32> {
        use app::domain::{Caller, Tier};
        match caller {
            Caller::Anonymous => None,
            Caller::Member { tier, .. } => Some(match tier {
                Tier::Free => self.train_free,
                Tier::Pro => self.train_pro,
                Tier::Admin => self.train_admin,
            }),
        }
    }

    /// Whether `peer` is a trusted proxy.
    pub fn trusts(&self, peer: std::net::IpAddr) -> bool {
        self.trusted_proxies.iter().any(|b| b.contains(peer))
    }
}

/// A web origin (`https://app.example`, `http://127.0.0.1:8080`): scheme and host, with the port
/// when it is not the scheme's default, lower-cased as browsers send it in `Origin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebOrigin(String);

impl WebOrigin {
    /// Parses `scheme://host[:port]` (a trailing `/` allowed; no path, query or credentials).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let uri: axum::http::Uri = text.parse().map_err(|_| format!("`{text}` is not a URL"))?;
        let scheme = match uri.scheme_str() {
            Some(s @ ("http" | "https")) => s,
            _ => {
                return Err(format!(
                    "`{text}`: an origin starts with http:// or https://"
                ))
            }
        };
        let authority = uri
            .authority()
            .filter(|a| !a.as_str().contains('@') && !a.host().is_empty())
            .ok_or_else(|| format!("`{text}`: an origin names a host"))?;
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(format!("`{text}`: an origin has no path or query"));
        }
        let default_port = if scheme == "https" { 443 } else { 80 };
        let host = authority.host().to_ascii_lowercase();
        Ok(WebOrigin(match authority.port_u16() {
            Some(p) if p != default_port => format!("{scheme}://{host}:{p}"),
            _ => format!("{scheme}://{host}"),
        }))
    }

    /// As an `Origin` header carries it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An address block (`10.0.0.0/8`, `::1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpBlock {
    addr: std::net::IpAddr,
    prefix: u8,
}

impl IpBlock {
    /// Parses `ADDR` or `ADDR/PREFIX`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text.trim(), None),
        };
        let addr: std::net::IpAddr = addr
            .parse()
            .map_err(|_| format!("`{text}` is not an address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{text}`: prefix must be 0–{max}"))?,
        };
        Ok(IpBlock { addr, prefix })
    }

    /// Whether `ip` is in the block.
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr::{V4, V6};
        let bits = |a: u128, b: u128, width: u32| {
            let shift = width - u32::from(self.prefix);
            self.prefix == 0 || (a >> shift) == (b >> shift)
        };
        match (self.addr, ip) {
            (V4(a), V4(b)) => bits(u32::from(a).into(), u32::from(b).into(), 32),
            (V6(a), V6(b)) => bits(u128::from(a), u128::from(b), 128),
            _ => false,
        }
    }
}

impl std::fmt::Debug for Settings {
    // URLs may carry passwords: never print them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("addr", &self.addr)
            .field("database_url", &self.database_url.as_ref().map(|_| "<set>"))
            .field("redis_url", &self.redis_url.as_ref().map(|_| "<set>"))
            .field("data_dir", &self.data_dir)
            .field("site_root", &self.site_root)
            .field("log_format", &self.log_format)
            .field("cookie_secure", &self.cookie_secure)
            .field("seed_bundled", &self.seed_bundled)
            .field("db_max_connections", &self.db_max_connections)
            .field("cache_prefix", &self.cache_prefix)
            .field("providers", &self.providers)
            .field("rate_limits", &self.rate_limits)
            .field("breaker", &self.breaker)
            .field("workers", &self.workers)
            .field(
                "artifact_store_url",
                &self.artifact_store_url.as_ref().map(|_| "<set>"),
            )
            .field("jobs", &self.jobs)
            .field("access", &self.access)
            .finish()
    }
}

/// A configuration variable that could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error("{var} = {value:?}: {reason}")]
pub struct ConfigError {
    var: &'static str,
    value: String,
    reason: String,
}

impl From<ProvidersConfigError> for ConfigError {
    fn from(e: ProvidersConfigError) -> Self {
        ConfigError {
            var: e.var,
            value: e.value,
            reason: e.reason,
        }
    }
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let non_empty = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let addr = match non_empty("APP_ADDR") {
            Some(v) => v.parse().map_err(|_| ConfigError {
                var: "APP_ADDR",
                value: v,
                reason: "expected HOST:PORT, e.g. 127.0.0.1:3000".into(),
            })?,
            None => SocketAddr::from(([127, 0, 0, 1], 3000)),
        };
        let log_format = match non_empty("LOG_FORMAT").as_deref() {
            None | Some("human") => LogFormat::Human,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError {
                    var: "LOG_FORMAT",
                    value: other.into(),
                    reason: "expected `human` or `json`".into(),
                })
            }
        };
        let flag = |var: &'static str, default: bool| -> Result<bool, ConfigError> {
            match non_empty(var).as_deref() {
                None => Ok(default),
                Some("1" | "true" | "yes" | "on") => Ok(true),
                Some("0" | "false" | "no" | "off") => Ok(false),
                Some(other) => Err(ConfigError {
                    var,
                    value: other.into(),
                    reason: "expected true or false".into(),
                }),
            }
        };
        let db_max_connections = match non_empty("DATABASE_MAX_CONNECTIONS") {
            None => 10,
            Some(v) => v.parse().ok().filter(|n| *n > 0).ok_or(ConfigError {
                var: "DATABASE_MAX_CONNECTIONS",
                value: v,
                reason: "expected a positive integer".into(),
            })?,
        };
        let number = |var: &'static str, default: u64, min: u64| -> Result<u64, ConfigError> {
            match non_empty(var) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| *n >= min)
                    .ok_or(ConfigError {
                        var,
                        value: v,
                        reason: format!("expected a whole number of at least {min}"),
                    }),
            }
        };
        let defaults = JobSettings::default();
        let secs = |var: &'static str, default: std::time::Duration| {
            number(var, default.as_secs(), 1).map(std::time::Duration::from_secs)
        };
        let jobs = JobSettings {
            max_attempts: number("APP_JOB_MAX_ATTEMPTS", defaults.max_attempts as u64, 1)?.min(100)
                as i32,
            retry_initial: secs("APP_JOB_RETRY_SECS", defaults.retry_initial)?,
            heartbeat: secs("APP_JOB_HEARTBEAT_SECS", defaults.heartbeat)?,
            poll: secs("APP_JOB_POLL_SECS", defaults.poll)?,
            timeout: secs("APP_JOB_TIMEOUT_SECS", defaults.timeout)?,
            eval_origins: number("APP_EVAL_ORIGINS", defaults.eval_origins as u64, 1)? as usize,
            eval_refit_every: number("APP_EVAL_REFIT_EVERY", defaults.eval_refit_every as u64, 1)?
                as usize,
            model_max_age: std::time::Duration::from_secs(
                number(
                    "APP_MODEL_MAX_AGE_DAYS",
                    defaults.model_max_age.as_secs() / 86_400,
                    1,
                )? * 86_400,
            ),
        };
        Ok(Settings {
            workers: number("APP_WORKERS", 1, 0)? as usize,
            artifact_store_url: non_empty("ARTIFACT_STORE_URL"),
            jobs,
            addr,
            database_url: non_empty("DATABASE_URL"),
            redis_url: non_empty("REDIS_URL"),
            data_dir: non_empty("APP_DATA_DIR")
                .unwrap_or_else(|| ".data".into())
                .into(),
            site_root: non_empty("LEPTOS_SITE_ROOT")
                .unwrap_or_else(|| "target/site".into())
                .into(),
            log_format,
            cookie_secure: flag("COOKIE_SECURE", false)?,
            seed_bundled: flag("APP_SEED_BUNDLED", true)?,
            db_max_connections,
            cache_prefix: non_empty("APP_CACHE_PREFIX").unwrap_or_else(|| "tc:".into()),
            providers: ProvidersConfig::from_lookup(&get)?,
            rate_limits: RateLimits::from_lookup(&get)?,
            breaker: BreakerSettings::from_lookup(&get)?,
            access: access(&non_empty, &number)?,
            webhooks: WebhookSettings {
                retry_base: std::time::Duration::from_millis(number(
                    "WEBHOOK_RETRY_BASE_MS",
                    30_000,
                    10,
                )?),
                retry_cap: std::time::Duration::from_secs(number(
                    "WEBHOOK_RETRY_CAP_SECS",
                    7_200,
                    1,
                )?),
                give_up_after: std::time::Duration::from_secs(
                    number("WEBHOOK_GIVE_UP_HOURS", 24, 1)? * 3_600,
                ),
                disable_after: number("WEBHOOK_DISABLE_AFTER", 25, 1)?.min(10_000) as u32,
                timeout: std::time::Duration::from_secs(number("WEBHOOK_TIMEOUT_SECS", 10, 1)?),
                allow_private: flag("WEBHOOK_ALLOW_PRIVATE", false)?,
                operator_url: match non_empty("ALERT_WEBHOOK_URL") {
                    None => None,
                    Some(url) => Some(
                        app::domain::WebhookUrl::parse(&url)
                            .map_err(|reason| ConfigError {
                                var: "ALERT_WEBHOOK_URL",
                                value: url.clone(),
                                reason,
                            })?
                            .as_str()
                            .to_owned(),
                    ),
                },
                operator_secret: non_empty("ALERT_WEBHOOK_SECRET"),
            },
        })
    }
}

/// `var` as a comma-separated list, each item read by `parse` (empty items skipped); unset: none.
fn comma_list<T>(
    non_empty: &dyn Fn(&str) -> Option<String>,
    var: &'static str,
    parse: fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, ConfigError> {
    let Some(value) = non_empty(var) else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        .filter(|item| !item.trim().is_empty())
        .map(parse)
        .collect::<Result<_, _>>()
        .map_err(|reason| ConfigError {
            var,
            value: value.clone(),
            reason,
        })
}

/// Reads [`AccessSettings`].
fn access(
    non_empty: &dyn Fn(&str) -> Option<String>,
    number: &dyn Fn(&'static str, u64, u64) -> Result<u64, ConfigError>,
) -> Result<AccessSettings, ConfigError> {
    let limit = |var: &'static str, per_minute: u32, per_day: u32| -> Result<Limit, ConfigError> {
        let default = Limit {
            per_minute,
            per_day,
        };
        match non_empty(var) {
            None => Ok(default),
            Some(v) => Limit::parse(&v, default).map_err(|reason| ConfigError {
                var,
                value: v,
                reason,
            }),
        }
    };
    let trusted_proxies = comma_list(non_empty, "TRUSTED_PROXIES", IpBlock::parse)?;
    let cors_origins = comma_list(non_empty, "APP_CORS_ORIGINS", WebOrigin::parse)?;
    let jwt_secret = match non_empty("JWT_SECRET") {
        Some(s) if s.len() < 32 => {
            return Err(ConfigError {
                var: "JWT_SECRET",
                value: "<hidden>".into(),
                reason: "must be at least 32 bytes".into(),
            })
        }
        other => other,
    };
    let secs = std::time::Duration::from_secs;
    Ok(AccessSettings {
        anonymous: limit("API_LIMIT_ANONYMOUS", 60, 2_000)?,
        free: limit("API_LIMIT_FREE", 100, 10_000)?,
        pro: limit("API_LIMIT_PRO", 1_000, 200_000)?,
        admin: limit("API_LIMIT_ADMIN", 10_000, 5_000_000)?,
        train_free: number("TRAIN_BUDGET_FREE", 10, 0)? as u32,
        train_pro: number("TRAIN_BUDGET_PRO", 100, 0)? as u32,
        train_admin: number("TRAIN_BUDGET_ADMIN", 10_000, 0)? as u32,
        trusted_proxies,
        jwt_secret,
        jwt_lifetime: secs(number("JWT_LIFETIME_SECS", 900, 60)?),
        request_timeout: secs(number("APP_REQUEST_TIMEOUT_SECS", 30, 1)?),
        max_concurrent_requests: number("APP_MAX_CONCURRENT_REQUESTS", 512, 1)? as usize,
        body_limit: number("APP_BODY_LIMIT_BYTES", 64 * 1024, 1024)? as usize,
        statement_timeout: std::time::Duration::from_millis(number(
            "DATABASE_STATEMENT_TIMEOUT_MS",
            10_000,
            100,
        )?),
        concurrent_hashes: number("AUTH_MAX_CONCURRENT_HASHES", 4, 1)? as usize,
        free_attempts: number("AUTH_FREE_ATTEMPTS", 5, 1)?.min(1000) as u32,
        auth_cache: secs(number("AUTH_CACHE_SECS", 30, 1)?.min(3600)),
        metrics_token: non_empty("METRICS_TOKEN"),
        session_idle: secs(number("APP_SESSION_IDLE_SECS", 7 * 24 * 3600, 5)?),
        max_streams: number("APP_MAX_STREAMS", 2_000, 1)? as usize,
        stream_heartbeat: secs(number("STREAM_HEARTBEAT_SECS", 15, 1)?),
        cors_origins,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_use_the_embedded_services_on_loopback() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.addr.to_string(), "127.0.0.1:3000");
        assert!(s.database_url.is_none() && s.redis_url.is_none());
        assert_eq!(s.log_format, LogFormat::Human);
        assert!(!s.cookie_secure);
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = settings(&[("APP_ADDR", "nowhere")]).unwrap_err();
        assert!(err.to_string().starts_with("APP_ADDR"), "{err}");
        let err = settings(&[("LOG_FORMAT", "xml")]).unwrap_err();
        assert!(err.to_string().contains("LOG_FORMAT"), "{err}");
        assert!(settings(&[("COOKIE_SECURE", "maybe")]).is_err());
    }

    #[test]
    fn empty_urls_count_as_unset() {
        let s = settings(&[("DATABASE_URL", " "), ("REDIS_URL", "")]).unwrap();
        assert!(s.database_url.is_none() && s.redis_url.is_none());
    }

    #[test]
    fn job_settings_default_to_the_reference_protocol_and_one_worker() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.workers, 1);
        assert_eq!(s.jobs, JobSettings::default());
        assert_eq!(s.jobs.protocol(), forecast::eval::Protocol::default());
        let s = settings(&[
            ("APP_WORKERS", "0"),
            ("APP_JOB_HEARTBEAT_SECS", "1"),
            ("APP_EVAL_ORIGINS", "30"),
        ])
        .unwrap();
        assert_eq!(s.workers, 0);
        assert_eq!(s.jobs.heartbeat, std::time::Duration::from_secs(1));
        assert_eq!(s.jobs.protocol().origins, 30);
    }

    #[test]
    fn bad_job_settings_name_the_variable() {
        for var in [
            "APP_WORKERS",
            "APP_JOB_HEARTBEAT_SECS",
            "APP_EVAL_REFIT_EVERY",
        ] {
            let err = settings(&[(var, "soon")]).unwrap_err();
            assert!(err.to_string().starts_with(var), "{err}");
        }
        assert!(settings(&[("APP_JOB_MAX_ATTEMPTS", "0")]).is_err());
    }

    #[test]
    fn debug_output_hides_urls() {
        let s = settings(&[
            ("DATABASE_URL", "postgres://u:pw-hunter2@h/db"),
            ("JWT_SECRET", "jwt-hunter2-0123456789abcdef0123456789"),
            ("METRICS_TOKEN", "metrics-hunter2"),
        ])
        .unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn access_limits_default_to_the_tiers_and_parse_overrides() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.access.free.per_minute, 100);
        assert_eq!(s.access.pro.per_minute, 1_000);
        assert_eq!(s.access.admin.per_minute, 10_000);
        assert!(s.access.anonymous.per_minute < s.access.free.per_minute);
        assert!(s.access.anonymous.per_day < s.access.free.per_day);
        let s = settings(&[("API_LIMIT_FREE", "7/min,70/day")]).unwrap();
        assert_eq!((s.access.free.per_minute, s.access.free.per_day), (7, 70));
        assert!(settings(&[("API_LIMIT_PRO", "fast")]).is_err());
        assert!(settings(&[("JWT_SECRET", "short")])
            .unwrap_err()
            .to_string()
            .starts_with("JWT_SECRET"));
    }

    #[test]
    fn cors_origins_are_bare_origins_as_browsers_send_them() {
        let s = settings(&[(
            "APP_CORS_ORIGINS",
            "https://App.Example, http://127.0.0.1:8080/, https://x.example:443",
        )])
        .unwrap();
        let origins: Vec<&str> = s
            .access
            .cors_origins
            .iter()
            .map(WebOrigin::as_str)
            .collect();
        assert_eq!(
            origins,
            [
                "https://app.example",
                "http://127.0.0.1:8080",
                "https://x.example"
            ]
        );
        for bad in [
            "app.example",
            "ftp://app.example",
            "https://app.example/path",
            "https://user@app.example",
            "*",
        ] {
            assert!(settings(&[("APP_CORS_ORIGINS", bad)]).is_err(), "{bad}");
        }
        assert!(settings(&[]).unwrap().access.cors_origins.is_empty());
    }

    #[test]
    fn trusted_proxies_are_addresses_and_blocks() {
        let s = settings(&[("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8, ::1")]).unwrap();
        assert!(s.access.trusts("127.0.0.1".parse().unwrap()));
        assert!(s.access.trusts("10.20.30.40".parse().unwrap()));
        assert!(!s.access.trusts("11.0.0.1".parse().unwrap()));
        assert!(s.access.trusts("::1".parse().unwrap()));
        assert!(!s.access.trusts("127.0.0.2".parse().unwrap()));
        assert!(settings(&[("TRUSTED_PROXIES", "10.0.0.0/33")]).is_err());
    }
}

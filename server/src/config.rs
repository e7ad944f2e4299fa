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
    /// `ADMIN_TOKEN`: bearer token of the admin endpoints (`POST /api/v1/admin/precompute`).
    /// Unset: those endpoints answer 503.
    pub admin_token: Option<String>,
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
            .field("admin_token", &self.admin_token.as_ref().map(|_| "<set>"))
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
            admin_token: non_empty("ADMIN_TOKEN"),
        })
    }
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
        let s = settings(&[("DATABASE_URL", "postgres://u:secret@h/db")]).unwrap();
        assert!(!format!("{s:?}").contains("secret"));
    }
}

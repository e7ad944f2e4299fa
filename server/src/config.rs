//! Typed configuration, read once from the environment at start-up.
//!
//! Every variable is documented in `.env.example`. Unset optional URLs switch on the embedded default:
//! a private Postgres cluster and Redis server under `APP_DATA_DIR`, started and stopped with the app.

use std::net::SocketAddr;
use std::path::PathBuf;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable, coloured when on a terminal (development).
    Human,
    /// One JSON object per line (production, log shippers).
    Json,
}

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
            .finish()
    }
}

/// A configuration variable that could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error("{var} = {value:?}: {reason}")]
pub struct ConfigError {
    var: &'static str,
    value: String,
    reason: &'static str,
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
                reason: "expected HOST:PORT, e.g. 127.0.0.1:3000",
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
                    reason: "expected `human` or `json`",
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
                    reason: "expected true or false",
                }),
            }
        };
        let db_max_connections = match non_empty("DATABASE_MAX_CONNECTIONS") {
            None => 10,
            Some(v) => v.parse().ok().filter(|n| *n > 0).ok_or(ConfigError {
                var: "DATABASE_MAX_CONNECTIONS",
                value: v,
                reason: "expected a positive integer",
            })?,
        };
        Ok(Settings {
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
    fn debug_output_hides_urls() {
        let s = settings(&[("DATABASE_URL", "postgres://u:secret@h/db")]).unwrap();
        assert!(!format!("{s:?}").contains("secret"));
    }
}

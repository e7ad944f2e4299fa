//! Which providers to use, in which order, with which keys: read from the environment.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{
    AlphaVantage, Finnhub, HttpSettings, MarketDataProvider, Polygon, ProviderChain, ProviderError,
    ProviderKind, RetryPolicy, Yahoo, ALPHA_VANTAGE_URL, FINNHUB_URL, POLYGON_URL, YAHOO_URL,
};

/// A provider's API key. Never printed: `Debug` shows `ApiKey(<redacted>)`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// A key; `None` when blank.
    pub fn new(key: impl Into<String>) -> Option<Self> {
        let key = key.into().trim().to_string();
        (!key.is_empty()).then_some(ApiKey(key))
    }

    /// The key itself, to put in a request.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Where each provider lives. The defaults are the real hosts; tests and proxies override them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrls {
    /// `ALPHAVANTAGE_BASE_URL`.
    pub alphavantage: String,
    /// `FINNHUB_BASE_URL` (including `/api/v1`).
    pub finnhub: String,
    /// `POLYGON_BASE_URL`.
    pub polygon: String,
    /// `YAHOO_BASE_URL`.
    pub yahoo: String,
}

impl Default for BaseUrls {
    fn default() -> Self {
        BaseUrls {
            alphavantage: ALPHA_VANTAGE_URL.into(),
            finnhub: FINNHUB_URL.into(),
            polygon: POLYGON_URL.into(),
            yahoo: YAHOO_URL.into(),
        }
    }
}

/// Market-data settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvidersConfig {
    /// `MARKET_DATA_PROVIDERS`: the order providers are asked in, e.g. `yahoo,alphavantage`. Unset: every
    /// provider with a key (polygon, alphavantage, finnhub); yahoo (keyless, unofficial) only when listed.
    pub priority: Vec<ProviderKind>,
    /// `ALPHAVANTAGE_API_KEY`.
    pub alphavantage_key: Option<ApiKey>,
    /// `FINNHUB_API_KEY`.
    pub finnhub_key: Option<ApiKey>,
    /// `POLYGON_API_KEY`.
    pub polygon_key: Option<ApiKey>,
    /// `*_BASE_URL`: where the providers live.
    pub base_urls: BaseUrls,
    /// `MARKET_DATA_TIMEOUT_SECS` (default 10) and `MARKET_DATA_MAX_RETRIES` (default 2).
    pub http: HttpSettings,
}

/// A market-data variable that could not be used. The value is shown except for keys.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var} = {value:?}: {reason}")]
pub struct ProvidersConfigError {
    /// The variable.
    pub var: &'static str,
    /// Its value.
    pub value: String,
    /// What is wrong with it.
    pub reason: String,
}

impl ProvidersConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ProvidersConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the settings through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ProvidersConfigError> {
        let non_empty = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let alphavantage_key = non_empty("ALPHAVANTAGE_API_KEY").and_then(ApiKey::new);
        let finnhub_key = non_empty("FINNHUB_API_KEY").and_then(ApiKey::new);
        let polygon_key = non_empty("POLYGON_API_KEY").and_then(ApiKey::new);
        let has_key = |kind: ProviderKind| match kind {
            ProviderKind::AlphaVantage => alphavantage_key.is_some(),
            ProviderKind::Finnhub => finnhub_key.is_some(),
            ProviderKind::Polygon => polygon_key.is_some(),
            ProviderKind::Yahoo => true,
        };

        let priority = match non_empty("MARKET_DATA_PROVIDERS") {
            // Yahoo's chart API is keyless and unofficial: used only when listed explicitly, so a
            // machine with no keys stays offline on the bundled history instead of timing out.
            None => ProviderKind::ALL
                .into_iter()
                .filter(|k| *k != ProviderKind::Yahoo && has_key(*k))
                .collect(),
            Some(list) => {
                let error = |reason: String| ProvidersConfigError {
                    var: "MARKET_DATA_PROVIDERS",
                    value: list.clone(),
                    reason,
                };
                let mut priority = Vec::new();
                for name in list.split(',').filter(|n| !n.trim().is_empty()) {
                    let kind: ProviderKind = name.parse().map_err(|e| error(format!("{e}")))?;
                    if priority.contains(&kind) {
                        return Err(error(format!("{kind} is listed twice")));
                    }
                    if !has_key(kind) {
                        return Err(error(format!(
                            "{kind} needs {}",
                            match kind {
                                ProviderKind::AlphaVantage => "ALPHAVANTAGE_API_KEY",
                                ProviderKind::Finnhub => "FINNHUB_API_KEY",
                                _ => "POLYGON_API_KEY",
                            }
                        )));
                    }
                    priority.push(kind);
                }
                priority
            }
        };

        let defaults = BaseUrls::default();
        let base_urls = BaseUrls {
            alphavantage: non_empty("ALPHAVANTAGE_BASE_URL").unwrap_or(defaults.alphavantage),
            finnhub: non_empty("FINNHUB_BASE_URL").unwrap_or(defaults.finnhub),
            polygon: non_empty("POLYGON_BASE_URL").unwrap_or(defaults.polygon),
            yahoo: non_empty("YAHOO_BASE_URL").unwrap_or(defaults.yahoo),
        };

        let mut http = HttpSettings::default();
        if let Some(v) = non_empty("MARKET_DATA_TIMEOUT_SECS") {
            let secs: u64 =
                v.trim()
                    .parse()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| ProvidersConfigError {
                        var: "MARKET_DATA_TIMEOUT_SECS",
                        value: v.clone(),
                        reason: "expected a positive number of seconds".into(),
                    })?;
            http.timeout = Duration::from_secs(secs);
        }
        if let Some(v) = non_empty("MARKET_DATA_MAX_RETRIES") {
            let max_retries = v.trim().parse().map_err(|_| ProvidersConfigError {
                var: "MARKET_DATA_MAX_RETRIES",
                value: v.clone(),
                reason: "expected a whole number".into(),
            })?;
            http.retry = RetryPolicy {
                max_retries,
                ..http.retry
            };
        }

        Ok(ProvidersConfig {
            priority,
            alphavantage_key,
            finnhub_key,
            polygon_key,
            base_urls,
            http,
        })
    }

    /// The clients in priority order (to wrap them, e.g. behind rate limits, before chaining).
    pub fn build_providers(&self) -> Result<Vec<Arc<dyn MarketDataProvider>>, ProviderError> {
        self.priority
            .iter()
            .map(|kind| self.build_provider(*kind))
            .collect()
    }

    /// The clients in priority order, chained.
    pub fn build_chain(&self) -> Result<ProviderChain, ProviderError> {
        Ok(ProviderChain::new(self.build_providers()?))
    }

    fn build_provider(
        &self,
        kind: ProviderKind,
    ) -> Result<Arc<dyn MarketDataProvider>, ProviderError> {
        // `from_lookup` only lists keyed providers whose key is set; a hand-built config may not.
        let missing = || ProviderError::Unauthorized {
            provider: kind,
            detail: "no API key configured".into(),
        };
        let urls = &self.base_urls;
        Ok(match kind {
            ProviderKind::AlphaVantage => Arc::new(AlphaVantage::new(
                &urls.alphavantage,
                self.alphavantage_key.clone().ok_or_else(missing)?,
                &self.http,
            )?),
            ProviderKind::Finnhub => Arc::new(Finnhub::new(
                &urls.finnhub,
                self.finnhub_key.clone().ok_or_else(missing)?,
                &self.http,
            )?),
            ProviderKind::Polygon => Arc::new(Polygon::new(
                &urls.polygon,
                self.polygon_key.clone().ok_or_else(missing)?,
                &self.http,
            )?),
            ProviderKind::Yahoo => Arc::new(Yahoo::new(&urls.yahoo, &self.http)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<ProvidersConfig, ProvidersConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ProvidersConfig::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn without_keys_no_provider_is_used() {
        let c = config(&[]).unwrap();
        assert!(c.priority.is_empty());
        assert_eq!(c.base_urls, BaseUrls::default());
    }

    #[test]
    fn by_default_every_keyed_provider_is_used_and_yahoo_is_not() {
        let c = config(&[("FINNHUB_API_KEY", "f"), ("POLYGON_API_KEY", "p")]).unwrap();
        assert_eq!(
            c.priority,
            vec![ProviderKind::Polygon, ProviderKind::Finnhub]
        );
    }

    #[test]
    fn the_priority_list_is_taken_in_its_order() {
        let c = config(&[
            ("ALPHAVANTAGE_API_KEY", "k"),
            ("MARKET_DATA_PROVIDERS", "yahoo, alphavantage"),
        ])
        .unwrap();
        assert_eq!(
            c.priority,
            vec![ProviderKind::Yahoo, ProviderKind::AlphaVantage]
        );
        assert_eq!(c.build_chain().unwrap().order(), c.priority);
    }

    #[test]
    fn a_listed_provider_without_its_key_is_rejected() {
        let err = config(&[("MARKET_DATA_PROVIDERS", "finnhub,yahoo")]).unwrap_err();
        assert_eq!(err.var, "MARKET_DATA_PROVIDERS");
        assert!(err.reason.contains("FINNHUB_API_KEY"), "{err}");
    }

    #[test]
    fn unknown_or_repeated_providers_are_rejected() {
        assert!(config(&[("MARKET_DATA_PROVIDERS", "yahoo,bloomberg")])
            .unwrap_err()
            .reason
            .contains("bloomberg"));
        assert!(config(&[("MARKET_DATA_PROVIDERS", "yahoo,yahoo")])
            .unwrap_err()
            .reason
            .contains("twice"));
    }

    #[test]
    fn timeouts_and_retries_are_read_and_checked() {
        let c = config(&[
            ("MARKET_DATA_TIMEOUT_SECS", "3"),
            ("MARKET_DATA_MAX_RETRIES", "0"),
        ])
        .unwrap();
        assert_eq!(c.http.timeout, Duration::from_secs(3));
        assert_eq!(c.http.retry.max_retries, 0);
        assert!(config(&[("MARKET_DATA_TIMEOUT_SECS", "0")]).is_err());
        assert!(config(&[("MARKET_DATA_MAX_RETRIES", "-1")]).is_err());
    }

    #[test]
    fn base_urls_can_be_pointed_elsewhere() {
        let c = config(&[("YAHOO_BASE_URL", "http://127.0.0.1:9999")]).unwrap();
        assert_eq!(c.base_urls.yahoo, "http://127.0.0.1:9999");
        assert_eq!(c.base_urls.polygon, POLYGON_URL);
    }

    #[test]
    fn debug_output_hides_the_keys() {
        let c = config(&[("POLYGON_API_KEY", "s3cr3t-key")]).unwrap();
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }
}

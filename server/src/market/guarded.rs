//! [`GuardedProvider`]: any provider client behind its circuit breaker and the shared rate limiter,
//! with every call counted. A refused call never reaches the provider and fails with
//! [`ProviderError::RateLimited`], so a [`ProviderChain`] moves on to the next provider.
//!
//! Metrics:
//! - `tickercast_provider_calls_total{provider, operation, outcome}`: `outcome` is `ok`, the error
//!   kind the provider answered with (`timeout`, `transport`, `upstream_error`, `rate_limited`,
//!   `not_found`, `no_data`, `malformed`, `unauthorized`, `other`), or `skipped_circuit_open` /
//!   `skipped_rate_limit` for calls that were never made.
//! - `tickercast_provider_rate_limited_total{provider}`: calls our own limiter refused.
//! - `tickercast_circuit_state{provider}`: 0 closed, 1 half-open, 2 open (see [`super::breaker`]).
//!
//! One token is taken per call to the client; the client's own retries of a transient failure
//! (after the provider's `Retry-After`) are not charged again.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use app::domain::Symbol;
use async_trait::async_trait;

use super::breaker::{counts_as_failure, BreakerSettings, CircuitBreaker, CircuitWatch, Outcome};
use super::limiter::{Decision, RateLimiter};
use super::providers::{
    CompanyOverview, DailyBar, DateRange, Interval, IntradayBar, MarketDataProvider, NewsArticle,
    NewsQuery, Operation, ProviderChain, ProviderError, ProviderKind, ProvidersConfig, Quote,
    SearchText, SymbolMatch,
};

/// A provider behind a breaker and a rate limiter.
pub struct GuardedProvider {
    inner: Arc<dyn MarketDataProvider>,
    limiter: RateLimiter,
    breaker: CircuitBreaker,
    /// Operations the provider said it does not offer (one bit per [`Operation`]): asked again
    /// without spending a token.
    unsupported: AtomicU8,
}

impl fmt::Debug for GuardedProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardedProvider")
            .field("inner", &self.inner)
            .field("circuit", &self.breaker.state())
            .finish()
    }
}

impl GuardedProvider {
    /// `inner` behind a new breaker and the shared `limiter`.
    pub fn new(
        inner: Arc<dyn MarketDataProvider>,
        limiter: RateLimiter,
        breaker: BreakerSettings,
    ) -> Self {
        GuardedProvider {
            breaker: CircuitBreaker::new(inner.kind(), breaker),
            inner,
            limiter,
            unsupported: AtomicU8::new(0),
        }
    }

    /// The provider, its breaker telling `watch` when its circuit opens or closes.
    pub fn watched(mut self, watch: Option<CircuitWatch>) -> Self {
        self.breaker = self.breaker.watched(watch);
        self
    }

    /// This provider's breaker.
    pub fn breaker(&self) -> &CircuitBreaker {
        &self.breaker
    }

    async fn guard<T>(
        &self,
        operation: Operation,
        call: impl Future<Output = Result<T, ProviderError>>,
    ) -> Result<T, ProviderError> {
        let provider = self.inner.kind();
        if self.unsupported.load(Ordering::Relaxed) & bit(operation) != 0 {
            return Err(ProviderError::Unsupported {
                provider,
                operation,
            });
        }
        let count = |outcome: &'static str| {
            metrics::counter!(
                "tickercast_provider_calls_total",
                "provider" => provider.as_str(),
                "operation" => operation_label(operation),
                "outcome" => outcome,
            )
            .increment(1);
        };
        let permit = match self.breaker.try_acquire() {
            Ok(permit) => permit,
            Err(wait) => {
                count("skipped_circuit_open");
                tracing::debug!(%provider, "circuit open: provider skipped");
                return Err(ProviderError::RateLimited {
                    provider,
                    retry_after: Some(wait),
                });
            }
        };
        if let Decision::Denied { retry_after } = self.limiter.acquire(provider).await {
            self.breaker.release(permit);
            count("skipped_rate_limit");
            metrics::counter!("tickercast_provider_rate_limited_total", "provider" => provider.as_str())
                .increment(1);
            tracing::debug!(%provider, retry_after_ms = retry_after.as_millis() as u64, "rate limit reached: provider skipped");
            return Err(ProviderError::RateLimited {
                provider,
                retry_after: Some(retry_after),
            });
        }
        match call.await {
            Ok(value) => {
                self.breaker.record(permit, Outcome::Answered);
                count("ok");
                Ok(value)
            }
            Err(error) => {
                if matches!(error, ProviderError::Unsupported { .. }) {
                    self.unsupported.fetch_or(bit(operation), Ordering::Relaxed);
                    self.breaker.release(permit);
                } else if counts_as_failure(&error) {
                    self.breaker.record(permit, Outcome::Failed);
                } else {
                    self.breaker.record(permit, Outcome::Answered);
                }
                count(error_label(&error));
                Err(error)
            }
        }
    }
}

fn bit(operation: Operation) -> u8 {
    match operation {
        Operation::DailyBars => 1,
        Operation::IntradayBars => 2,
        Operation::Quote => 4,
        Operation::Overview => 8,
        Operation::News => 16,
        Operation::Search => 32,
    }
}

fn operation_label(operation: Operation) -> &'static str {
    match operation {
        Operation::DailyBars => "daily_bars",
        Operation::IntradayBars => "intraday_bars",
        Operation::Quote => "quote",
        Operation::Overview => "overview",
        Operation::News => "news",
        Operation::Search => "search",
    }
}

fn error_label(error: &ProviderError) -> &'static str {
    match error {
        ProviderError::Timeout { .. } => "timeout",
        ProviderError::Transport { .. } => "transport",
        ProviderError::Upstream { .. } => "upstream_error",
        ProviderError::RateLimited { .. } => "rate_limited",
        ProviderError::NotFound { .. } => "not_found",
        ProviderError::NoData { .. } => "no_data",
        ProviderError::Malformed { .. } => "malformed",
        ProviderError::Unauthorized { .. } => "unauthorized",
        ProviderError::Unsupported { .. } => "unsupported",
        _ => "other",
    }
}

#[async_trait]
impl MarketDataProvider for GuardedProvider {
    fn kind(&self) -> ProviderKind {
        self.inner.kind()
    }

    async fn daily_bars(
        &self,
        symbol: &Symbol,
        range: DateRange,
    ) -> Result<Vec<DailyBar>, ProviderError> {
        self.guard(Operation::DailyBars, self.inner.daily_bars(symbol, range))
            .await
    }

    async fn intraday_bars(
        &self,
        symbol: &Symbol,
        range: DateRange,
        interval: Interval,
    ) -> Result<Vec<IntradayBar>, ProviderError> {
        self.guard(
            Operation::IntradayBars,
            self.inner.intraday_bars(symbol, range, interval),
        )
        .await
    }

    async fn quote(&self, symbol: &Symbol) -> Result<Quote, ProviderError> {
        self.guard(Operation::Quote, self.inner.quote(symbol)).await
    }

    async fn overview(&self, symbol: &Symbol) -> Result<CompanyOverview, ProviderError> {
        self.guard(Operation::Overview, self.inner.overview(symbol))
            .await
    }

    async fn news(&self, query: &NewsQuery) -> Result<Vec<NewsArticle>, ProviderError> {
        self.guard(Operation::News, self.inner.news(query)).await
    }

    async fn search(&self, query: &SearchText) -> Result<Vec<SymbolMatch>, ProviderError> {
        self.guard(Operation::Search, self.inner.search(query))
            .await
    }
}

/// Every provider of `providers` behind its own breaker and the shared `limiter`, order kept.
pub fn guard_all(
    providers: Vec<Arc<dyn MarketDataProvider>>,
    limiter: &RateLimiter,
    breaker: BreakerSettings,
    watch: Option<CircuitWatch>,
) -> Vec<Arc<dyn MarketDataProvider>> {
    providers
        .into_iter()
        .map(|p| {
            Arc::new(GuardedProvider::new(p, limiter.clone(), breaker).watched(watch.clone()))
                as Arc<dyn MarketDataProvider>
        })
        .collect()
}

/// The chain `config` describes, every client guarded: what the app should ask.
pub fn guarded_chain(
    config: &ProvidersConfig,
    limiter: &RateLimiter,
    breaker: BreakerSettings,
    watch: Option<CircuitWatch>,
) -> Result<ProviderChain, ProviderError> {
    let providers = config.build_providers()?;
    Ok(ProviderChain::new(guard_all(
        providers, limiter, breaker, watch,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::Cache;
    use crate::market::limiter::{RateLimits, RateWindow};
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    /// A provider that counts its calls and answers with whatever `fail` says.
    #[derive(Debug)]
    struct Scripted {
        calls: AtomicUsize,
        fail: fn() -> Option<ProviderError>,
    }

    #[async_trait]
    impl MarketDataProvider for Scripted {
        fn kind(&self) -> ProviderKind {
            ProviderKind::Finnhub
        }
        async fn daily_bars(
            &self,
            _: &Symbol,
            _: DateRange,
        ) -> Result<Vec<DailyBar>, ProviderError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            match (self.fail)() {
                Some(e) => Err(e),
                None => Ok(vec![]),
            }
        }
        async fn quote(&self, _: &Symbol) -> Result<Quote, ProviderError> {
            unreachable!("not used")
        }
    }

    fn range() -> DateRange {
        let d = chrono::NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        DateRange::new(d, d).unwrap()
    }

    #[tokio::test]
    async fn a_denied_token_fails_over_without_calling_the_provider() {
        let inner = Arc::new(Scripted {
            calls: AtomicUsize::new(0),
            fail: || None,
        });
        let limiter = RateLimiter::new(
            Cache::disabled(),
            RateLimits::default().with(ProviderKind::Finnhub, vec![RateWindow::per_minute(1)]),
        );
        let guarded = GuardedProvider::new(inner.clone(), limiter, BreakerSettings::default());
        let aapl = Symbol::parse("AAPL").unwrap();
        guarded.daily_bars(&aapl, range()).await.unwrap();
        let err = guarded.daily_bars(&aapl, range()).await.unwrap_err();
        assert!(matches!(
            err,
            ProviderError::RateLimited {
                retry_after: Some(_),
                ..
            }
        ));
        assert_eq!(inner.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn not_found_answers_never_open_the_circuit() {
        let inner = Arc::new(Scripted {
            calls: AtomicUsize::new(0),
            fail: || {
                Some(ProviderError::NotFound {
                    provider: ProviderKind::Finnhub,
                    detail: "unknown".into(),
                })
            },
        });
        let limiter = RateLimiter::new(
            Cache::disabled(),
            RateLimits::default().with(ProviderKind::Finnhub, vec![]),
        );
        let settings = BreakerSettings {
            failure_threshold: 2,
            cool_down: Duration::from_secs(60),
        };
        let guarded = GuardedProvider::new(inner.clone(), limiter, settings);
        let zzzz = Symbol::parse("ZZZZ").unwrap();
        for _ in 0..5 {
            assert!(matches!(
                guarded.daily_bars(&zzzz, range()).await,
                Err(ProviderError::NotFound { .. })
            ));
        }
        assert_eq!(inner.calls.load(Ordering::SeqCst), 5);
    }

    /// A provider without a search says so once: the next searches are answered without a call or a
    /// token, and its other operations are untouched.
    #[tokio::test]
    async fn an_unsupported_search_costs_one_token_once_and_leaves_other_operations_alone() {
        let inner = Arc::new(Scripted {
            calls: AtomicUsize::new(0),
            fail: || None,
        });
        let limiter = RateLimiter::new(
            Cache::disabled(),
            RateLimits::default().with(ProviderKind::Finnhub, vec![RateWindow::per_minute(2)]),
        );
        let guarded = GuardedProvider::new(inner.clone(), limiter, BreakerSettings::default());
        let query = SearchText::parse("apple").unwrap();
        for _ in 0..3 {
            assert!(matches!(
                guarded.search(&query).await,
                Err(ProviderError::Unsupported {
                    operation: Operation::Search,
                    ..
                })
            ));
        }
        let aapl = Symbol::parse("AAPL").unwrap();
        guarded.daily_bars(&aapl, range()).await.unwrap();
        assert_eq!(inner.calls.load(Ordering::SeqCst), 1);
        assert!(matches!(
            guarded.daily_bars(&aapl, range()).await,
            Err(ProviderError::RateLimited { .. })
        ));
    }
}

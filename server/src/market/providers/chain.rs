//! Asking providers in order of preference and falling through on failure.

use std::fmt;
use std::sync::Arc;

use app::domain::Symbol;
use tracing::Instrument;

use super::{
    CompanyOverview, DailyBar, DateRange, Interval, IntradayBar, MarketDataProvider, NewsArticle,
    NewsQuery, Operation, ProviderError, ProviderKind, Quote, SearchText, SymbolMatch,
};

/// An answer and the provider that gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    /// The data.
    pub value: T,
    /// Who answered.
    pub source: ProviderKind,
}

/// Every provider of a chain failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The chain holds no provider.
    #[error("no market-data provider is configured")]
    NoProviders,
    /// Each provider's error, in the order they were asked.
    #[error("every market-data provider failed: {}", join(.0))]
    AllFailed(Vec<ProviderError>),
}

fn join(errors: &[ProviderError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl ChainError {
    /// Whether every provider asked said there is nothing (an unknown symbol, no data in range,
    /// or no such kind of data), as opposed to one failing.
    pub fn nobody_has_it(&self) -> bool {
        !self.attempts().is_empty()
            && self.attempts().iter().all(|a| {
                matches!(
                    a,
                    ProviderError::NotFound { .. }
                        | ProviderError::NoData { .. }
                        | ProviderError::Unsupported { .. }
                )
            })
    }

    /// The errors of the providers asked, in order (empty for [`ChainError::NoProviders`]).
    pub fn attempts(&self) -> &[ProviderError] {
        match self {
            ChainError::NoProviders => &[],
            ChainError::AllFailed(errors) => errors,
        }
    }
}

/// Providers in order of preference. Each call goes to the first; on any error (rate limit, unknown
/// symbol, outage, a provider without that kind of data) the next one is asked, and the answer says
/// which provider gave it.
#[derive(Clone, Default)]
pub struct ProviderChain {
    providers: Vec<Arc<dyn MarketDataProvider>>,
}

impl fmt::Debug for ProviderChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.providers.iter().map(|p| p.kind()))
            .finish()
    }
}

/// Tries `$call` on each provider in turn; `$p` names the provider inside `$call`.
macro_rules! first_answer {
    ($chain:expr, $operation:expr, |$p:ident| $call:expr) => {{
        if $chain.providers.is_empty() {
            return Err(ChainError::NoProviders);
        }
        let mut failures = Vec::new();
        for $p in &$chain.providers {
            match $call.await {
                Ok(value) => {
                    let source = $p.kind();
                    tracing::Span::current().record("source", source.as_str());
                    tracing::debug!(%source, operation = %$operation, "market data answered");
                    return Ok(Sourced { value, source });
                }
                Err(err) => {
                    if matches!(err, ProviderError::Unsupported { .. }) {
                        tracing::debug!(error = %err, "provider skipped");
                    } else {
                        tracing::warn!(error = %err, "market-data provider failed, trying the next");
                    }
                    failures.push(err);
                }
            }
        }
        Err(ChainError::AllFailed(failures))
    }};
}

impl ProviderChain {
    /// A chain asking `providers` in this order.
    pub fn new(providers: Vec<Arc<dyn MarketDataProvider>>) -> Self {
        ProviderChain { providers }
    }

    /// The providers, in the order they are asked.
    pub fn order(&self) -> Vec<ProviderKind> {
        self.providers.iter().map(|p| p.kind()).collect()
    }

    /// Whether the chain holds no provider (offline).
    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// The providers' names in order ("polygon, yahoo"), for what people are told.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.providers.iter().map(|p| p.kind().as_str()).collect();
        names.join(", ")
    }

    /// Daily bars from the first provider that has them.
    pub async fn daily_bars(
        &self,
        symbol: &Symbol,
        range: DateRange,
    ) -> Result<Sourced<Vec<DailyBar>>, ChainError> {
        let span = tracing::info_span!("market_data.daily_bars", symbol = %symbol, source = tracing::field::Empty);
        async { first_answer!(self, Operation::DailyBars, |p| p.daily_bars(symbol, range)) }
            .instrument(span)
            .await
    }

    /// Intraday bars from the first provider that has them.
    pub async fn intraday_bars(
        &self,
        symbol: &Symbol,
        range: DateRange,
        interval: Interval,
    ) -> Result<Sourced<Vec<IntradayBar>>, ChainError> {
        let span = tracing::info_span!("market_data.intraday_bars", symbol = %symbol, interval = %interval, source = tracing::field::Empty);
        async {
            first_answer!(self, Operation::IntradayBars, |p| p
                .intraday_bars(symbol, range, interval))
        }
        .instrument(span)
        .await
    }

    /// A quote from the first provider that answers.
    pub async fn quote(&self, symbol: &Symbol) -> Result<Sourced<Quote>, ChainError> {
        let span = tracing::info_span!("market_data.quote", symbol = %symbol, source = tracing::field::Empty);
        async { first_answer!(self, Operation::Quote, |p| p.quote(symbol)) }
            .instrument(span)
            .await
    }

    /// A company overview from the first provider that has one.
    pub async fn overview(&self, symbol: &Symbol) -> Result<Sourced<CompanyOverview>, ChainError> {
        let span = tracing::info_span!("market_data.overview", symbol = %symbol, source = tracing::field::Empty);
        async { first_answer!(self, Operation::Overview, |p| p.overview(symbol)) }
            .instrument(span)
            .await
    }

    /// News from the first provider that has some; only articles that link to the web
    /// ([`NewsArticle::web_only`]).
    pub async fn news(&self, query: &NewsQuery) -> Result<Sourced<Vec<NewsArticle>>, ChainError> {
        let symbol = query.symbol.as_ref().map_or("", |s| s.as_str());
        let span = tracing::info_span!("market_data.news", symbol, source = tracing::field::Empty);
        let answer: Sourced<Vec<NewsArticle>> =
            async { first_answer!(self, Operation::News, |p| p.news(query)) }
                .instrument(span)
                .await?;
        Ok(Sourced {
            value: answer
                .value
                .into_iter()
                .filter_map(NewsArticle::web_only)
                .collect(),
            source: answer.source,
        })
    }

    /// Listings matching `query` from the first provider that answers. An empty list is an answer
    /// (no provider is asked after it): "nothing matches" is not "every provider failed".
    pub async fn search(
        &self,
        query: &SearchText,
    ) -> Result<Sourced<Vec<SymbolMatch>>, ChainError> {
        let span = tracing::info_span!("market_data.search", query = %query, source = tracing::field::Empty);
        async { first_answer!(self, Operation::Search, |p| p.search(query)) }
            .instrument(span)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn not_found(provider: ProviderKind) -> ProviderError {
        ProviderError::NotFound {
            provider,
            detail: "unknown symbol".into(),
        }
    }

    #[test]
    fn only_answers_that_there_is_nothing_mean_nobody_has_it() {
        let all = ChainError::AllFailed(vec![
            not_found(ProviderKind::Yahoo),
            ProviderError::Unsupported {
                provider: ProviderKind::Polygon,
                operation: Operation::News,
            },
        ]);
        assert!(all.nobody_has_it());
        let one_failed = ChainError::AllFailed(vec![
            not_found(ProviderKind::Yahoo),
            ProviderError::RateLimited {
                provider: ProviderKind::Polygon,
                retry_after: None,
            },
        ]);
        assert!(!one_failed.nobody_has_it());
        assert!(!ChainError::NoProviders.nobody_has_it());
    }
}

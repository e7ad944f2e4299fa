//! Finding tickers and fetching the ones asked for the first time (the `Lookup` port).
//!
//! A search lists the stored tickers that match, then what the provider chain finds (cached for an
//! hour, so type-ahead does not spend the providers' quota). The first request for a symbol that
//! is not stored asks the chain whether it exists — by an exact search match, else a quote — and
//! then stores the ticker and queues its backfill as a `refresh` job; concurrent first requests
//! join that one job through its idempotency key. A symbol no provider knows is remembered for ten
//! minutes, so random symbols cost one provider call, and nothing is stored for it.

use std::time::Duration;

use app::domain::{SearchText, Symbol};
use app::model::{JobStatus, Onboarding, SearchResults, SymbolSuggestion};
use app::ssr::{Lookup, ServiceError};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::cache::Cache;
use crate::jobs::{JobError, JobRecord, JobSpec, Jobs};
use crate::market::ingest::DEFAULT_HISTORY_YEARS;
use crate::market::providers::{
    ChainError, ProviderChain, ProviderError, ProviderKind, Sourced, SymbolMatch,
};
use crate::market::store::{self, bars, tickers, NewTicker};

/// How long a provider's search answer is reused.
const SEARCH_TTL: Duration = Duration::from_secs(3600);
/// How long a symbol no provider knows is answered from memory.
const UNKNOWN_TTL: Duration = Duration::from_secs(600);
/// Stored tickers listed before the providers' matches.
const STORED_MATCHES: i64 = 10;
/// The most suggestions an answer holds.
const MAX_SUGGESTIONS: usize = 20;

/// The `Lookup` port over the store, the guarded provider chain and the job queue.
#[derive(Clone)]
pub struct LookupService {
    pool: PgPool,
    cache: Cache,
    chain: ProviderChain,
    jobs: Jobs,
}

/// A provider's search answer as cached.
#[derive(Serialize, Deserialize)]
struct CachedSearch {
    source: ProviderKind,
    matches: Vec<SymbolMatch>,
}

impl LookupService {
    /// The service; an empty `chain` means offline (stored tickers only).
    pub fn new(pool: PgPool, cache: Cache, chain: ProviderChain, jobs: Jobs) -> Self {
        Self {
            pool,
            cache,
            chain,
            jobs,
        }
    }

    fn online(&self) -> bool {
        !self.chain.order().is_empty()
    }

    fn provider_names(&self) -> String {
        let names: Vec<&str> = self.chain.order().iter().map(|k| k.as_str()).collect();
        names.join(", ")
    }

    /// The chain's matches for `query`, from the cache when asked within the hour.
    async fn provider_matches(
        &self,
        query: &SearchText,
    ) -> Result<Sourced<Vec<SymbolMatch>>, ChainError> {
        let key = format!("search:{}", query.as_str().to_lowercase());
        if let Some(hit) = self.cache.get_json::<CachedSearch>(&key).await {
            return Ok(Sourced {
                value: hit.matches,
                source: hit.source,
            });
        }
        let answer = self.chain.search(query).await?;
        let cached = CachedSearch {
            source: answer.source,
            matches: answer.value.clone(),
        };
        self.cache.set_json(&key, &cached, SEARCH_TTL).await;
        Ok(answer)
    }

    /// What a provider knows of `symbol`: its exact search match, else a bare match when it
    /// quotes it; `None` when every provider says it does not exist.
    async fn identify(&self, symbol: &Symbol) -> Result<Option<SymbolMatch>, ServiceError> {
        if let Ok(text) = SearchText::parse(symbol.as_str()) {
            match self.provider_matches(&text).await {
                Ok(found) => {
                    if let Some(m) = found
                        .value
                        .into_iter()
                        .find(|m| same_listing(&m.symbol, symbol))
                    {
                        return Ok(Some(m));
                    }
                }
                Err(e) => tracing::info!(error = %e, "no search answer; asking for a quote"),
            }
        }
        match self.chain.quote(symbol).await {
            Ok(_) => Ok(Some(SymbolMatch {
                symbol: symbol.clone(),
                name: symbol.to_string(),
                exchange: None,
                kind: None,
                currency: None,
                region: None,
            })),
            Err(e) if nobody_knows(&e) => Ok(None),
            Err(e) => {
                tracing::warn!(error = %e, "cannot tell whether a symbol exists");
                Err(ServiceError::Unavailable(
                    "The market-data providers are not answering right now; please try again in a minute."
                        .into(),
                ))
            }
        }
    }

    /// Why `symbol` cannot be had without a provider, and what would bring it.
    async fn offline(&self, symbol: &Symbol) -> ServiceError {
        let stored = match tickers::summaries(&self.pool).await {
            Ok(all) => all
                .into_iter()
                .map(|t| t.symbol.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            Err(e) => return ServiceError::from(e),
        };
        ServiceError::NotAvailable {
            symbol: symbol.clone(),
            reason: format!(
                "No market-data provider is configured, so only the stored tickers are available \
                 offline: {stored}. To add more, set a provider key (ALPHAVANTAGE_API_KEY, \
                 FINNHUB_API_KEY or POLYGON_API_KEY, or MARKET_DATA_PROVIDERS=yahoo) and restart, \
                 or import a CSV file of daily prices at /admin/import."
            ),
        }
    }

    fn unknown(&self, symbol: &Symbol) -> ServiceError {
        ServiceError::NotAvailable {
            symbol: symbol.clone(),
            reason: format!(
                "No market-data provider ({}) knows this symbol. Check the spelling, or search by \
                 the company's name.",
                self.provider_names()
            ),
        }
    }

    fn onboarding(&self, symbol: &Symbol, name: String, job: &JobRecord) -> Onboarding {
        Onboarding {
            symbol: symbol.clone(),
            name,
            providers: self.provider_names(),
            years: DEFAULT_HISTORY_YEARS,
            job: JobStatus {
                id: job.id,
                status: job.status,
                progress: job.progress,
                step: Some(job.step.clone()).filter(|s| !s.is_empty()),
                error: job.error.clone(),
            },
        }
    }
}

/// Whether a provider's listing is the symbol asked for (`BRK-B` at Yahoo is `BRK.B` elsewhere).
fn same_listing(found: &Symbol, wanted: &Symbol) -> bool {
    found.as_str().replace('-', ".") == wanted.as_str().replace('-', ".")
}

/// Whether every provider said the symbol does not exist (or cannot be asked about it).
fn nobody_knows(e: &ChainError) -> bool {
    !e.attempts().is_empty()
        && e.attempts().iter().all(|a| {
            matches!(
                a,
                ProviderError::NotFound { .. }
                    | ProviderError::NoData { .. }
                    | ProviderError::Unsupported { .. }
            )
        })
}

/// The stored ticker kind for a provider's instrument label.
fn ticker_kind(symbol: &Symbol, label: Option<&str>) -> &'static str {
    let label = label.unwrap_or_default().to_ascii_lowercase();
    if symbol.as_str().starts_with('^') || label == "index" {
        "index"
    } else if label.starts_with("et") || label.contains("fund") {
        "etf"
    } else {
        "stock"
    }
}

fn job_error(e: JobError) -> ServiceError {
    match e {
        JobError::Db(e) => ServiceError::from(e),
        other => ServiceError::internal("queueing a ticker's backfill", other),
    }
}

#[async_trait]
impl Lookup for LookupService {
    #[tracing::instrument(skip(self), fields(query = %query), err(level = "info"))]
    async fn search(&self, query: &SearchText) -> Result<SearchResults, ServiceError> {
        let stored = tickers::search(&self.pool, query.as_str(), STORED_MATCHES).await?;
        let mut matches: Vec<SymbolSuggestion> = stored
            .into_iter()
            .map(|t| SymbolSuggestion {
                symbol: t.symbol,
                name: t.name,
                exchange: t.exchange,
                kind: Some(capitalised(&t.kind)),
                stored: true,
            })
            .collect();
        let mut source = None;
        let mut notice = None;
        if !self.online() {
            notice = Some(
                "No market-data provider is configured: only stored tickers are listed.".into(),
            );
        } else {
            match self.provider_matches(query).await {
                Ok(found) => {
                    let symbols: Vec<Symbol> =
                        found.value.iter().map(|m| m.symbol.clone()).collect();
                    let with_bars = tickers::with_bars(&self.pool, &symbols).await?;
                    for m in found.value {
                        if matches.iter().any(|s| s.symbol == m.symbol) {
                            continue;
                        }
                        matches.push(SymbolSuggestion {
                            stored: with_bars.contains(&m.symbol),
                            symbol: m.symbol,
                            name: m.name,
                            exchange: m.exchange,
                            kind: m.kind,
                        });
                    }
                    source = Some(found.source.to_string());
                }
                Err(e) => {
                    tracing::warn!(error = %e, "symbol search failed at every provider");
                    notice = Some(
                        "The market-data providers are not answering right now: only stored \
                         tickers are listed."
                            .into(),
                    );
                }
            }
        }
        matches.truncate(MAX_SUGGESTIONS);
        Ok(SearchResults {
            query: query.to_string(),
            matches,
            source,
            notice,
        })
    }

    #[tracing::instrument(skip(self), fields(symbol = %symbol), err(level = "info"))]
    async fn onboard(&self, symbol: &Symbol) -> Result<Option<Onboarding>, ServiceError> {
        if bars::last_bar_date(&self.pool, symbol).await?.is_some() {
            return Ok(None);
        }
        let known = store::ticker(&self.pool, symbol).await?;
        if !self.online() {
            // A stored ticker without bars answers as it is (an empty chart with its reason).
            return match known {
                Some(_) => Ok(None),
                None => Err(self.offline(symbol).await),
            };
        }
        let spec = JobSpec::refresh(symbol);
        // A backfill under way answers at once, with no provider call; a known ticker whose
        // backfill is not under way (a first one that failed) is fetched again.
        if let Some(t) = known {
            let job = match self.jobs.active(&spec).await.map_err(job_error)? {
                Some(job) => job,
                None => self.jobs.enqueue(spec).await.map_err(job_error)?,
            };
            return Ok(Some(self.onboarding(symbol, t.name, &job)));
        }
        let unknown_key = format!("unknown-symbol:{symbol}");
        if self.cache.get_json::<bool>(&unknown_key).await == Some(true) {
            return Err(self.unknown(symbol));
        }
        let Some(found) = self.identify(symbol).await? else {
            self.cache.set_json(&unknown_key, &true, UNKNOWN_TTL).await;
            return Err(self.unknown(symbol));
        };
        let ticker = NewTicker {
            symbol: symbol.clone(),
            name: found.name.clone(),
            exchange: found.exchange.clone(),
            currency: found.currency.clone(),
            kind: ticker_kind(symbol, found.kind.as_deref()),
            sector: None,
            industry: None,
            source: format!("Market data from {}", self.provider_names()),
        };
        store::insert_ticker_if_missing(&self.pool, &ticker).await?;
        let job = self.jobs.enqueue(spec).await.map_err(job_error)?;
        tracing::info!(job_id = %job.id, "new ticker: backfill queued");
        Ok(Some(self.onboarding(symbol, found.name, &job)))
    }
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(s: &str) -> Symbol {
        Symbol::parse(s).unwrap()
    }

    #[test]
    fn a_listing_matches_across_the_providers_share_class_spellings() {
        assert!(same_listing(&sym("BRK-B"), &sym("BRK.B")));
        assert!(same_listing(&sym("AAPL"), &sym("aapl")));
        assert!(!same_listing(&sym("AAPL"), &sym("AAPLW")));
    }

    #[test]
    fn provider_labels_map_onto_the_stored_kinds() {
        assert_eq!(ticker_kind(&sym("^GSPC"), None), "index");
        assert_eq!(ticker_kind(&sym("SPY"), Some("ETF")), "etf");
        assert_eq!(ticker_kind(&sym("VFIAX"), Some("Mutual fund")), "etf");
        assert_eq!(ticker_kind(&sym("AAPL"), Some("Common stock")), "stock");
        assert_eq!(ticker_kind(&sym("AAPL"), Some("Equity")), "stock");
    }

    #[test]
    fn only_not_found_answers_from_every_provider_mean_nobody_knows_a_symbol() {
        let nf = |provider| ProviderError::NotFound {
            provider,
            detail: "unknown symbol".into(),
        };
        assert!(nobody_knows(&ChainError::AllFailed(vec![
            nf(ProviderKind::Yahoo),
            nf(ProviderKind::Polygon)
        ])));
        assert!(!nobody_knows(&ChainError::AllFailed(vec![
            nf(ProviderKind::Yahoo),
            ProviderError::RateLimited {
                provider: ProviderKind::Polygon,
                retry_after: None
            }
        ])));
        assert!(!nobody_knows(&ChainError::NoProviders));
    }
}

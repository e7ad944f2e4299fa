//! Finding tickers and fetching the ones asked for the first time (the `Lookup` port).
//!
//! A search lists the stored tickers that match, then what the provider chain finds (cached for an
//! hour; a letter or two lists stored tickers only, so type-ahead does not spend a provider call
//! on every keystroke). The first request for a symbol that
//! is not stored asks the chain whether it exists — by an exact search match, else a quote — and
//! then stores the ticker and queues its backfill as a `refresh` job; concurrent first requests
//! join that one job through its idempotency key. A symbol no provider knows is remembered for ten
//! minutes, so random symbols cost one provider call, and nothing is stored for it. Every caller
//! (an account, or an address) may have a few new symbols fetched a day; a backfill that failed
//! is tried again after ten minutes, not on every request.

use std::time::Duration;

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use app::domain::{Caller, SearchText, Symbol, Tier};
use app::model::{JobStatus, Onboarding, SearchResults, SymbolSuggestion};
use app::ssr::{Lookup, ServiceError};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::cache::Cache;
use crate::jobs::{JobError, JobRecord, JobSpec, Jobs};
use crate::market::ingest::DEFAULT_HISTORY_YEARS;
use crate::market::providers::{ChainError, ProviderChain, ProviderKind, Sourced, SymbolMatch};
use crate::market::store::tickers::ticker_kind;
use crate::market::store::{self, bars, tickers, NewTicker};
use crate::ratelimit::{ip_subject, until_midnight, DailyBudget};
use chrono::Utc;

/// How long a provider's search answer is reused.
const SEARCH_TTL: Duration = Duration::from_secs(3600);
/// How long a symbol no provider knows is answered from memory.
const UNKNOWN_TTL: Duration = Duration::from_secs(600);
/// Stored tickers listed before the providers' matches.
const STORED_MATCHES: i64 = 10;
/// The most suggestions an answer holds.
const MAX_SUGGESTIONS: usize = 20;
/// Shorter searches list stored tickers only: a letter or two matches half the market, and
/// type-ahead would spend a provider call on every keystroke.
const PROVIDER_SEARCH_CHARS: usize = 2;
/// A backfill that finished without bars is tried again only after this long.
const RETRY_BACKFILL_AFTER: Duration = Duration::from_secs(600);
/// The stored tickers the offline answer names before it says how many more there are.
const OFFLINE_LISTED: usize = 12;

/// The `Lookup` port over the store, the guarded provider chain and the job queue.
#[derive(Clone)]
pub struct LookupService {
    pool: PgPool,
    cache: Cache,
    chain: ProviderChain,
    jobs: Jobs,
    allowance: DailyBudget,
    // Symbols seen with bars: bars are never deleted, so such a symbol needs no query here again
    // (this check runs ahead of every symbol route).
    with_bars: Arc<RwLock<HashSet<Symbol>>>,
}

/// A provider's search answer as cached.
#[derive(Serialize, Deserialize)]
struct CachedSearch {
    source: ProviderKind,
    matches: Vec<SymbolMatch>,
}

impl LookupService {
    /// The service; an empty `chain` means offline (stored tickers only).
    pub fn new(
        pool: PgPool,
        cache: Cache,
        chain: ProviderChain,
        jobs: Jobs,
        allowance: DailyBudget,
    ) -> Self {
        Self {
            pool,
            cache,
            chain,
            jobs,
            allowance,
            with_bars: Arc::default(),
        }
    }

    fn online(&self) -> bool {
        !self.chain.is_empty()
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
                    // The exact listing only: another spelling (`BRK-B` for `BRK.B`) is another
                    // provider's symbol, and the backfill asks for the one requested.
                    if let Some(m) = found.value.into_iter().find(|m| m.symbol == *symbol) {
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
            Err(e) if e.nobody_has_it() => Ok(None),
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
        let all = match tickers::summaries(&self.pool).await {
            Ok(all) => all,
            Err(e) => return ServiceError::from(e),
        };
        let mut stored = all
            .iter()
            .take(OFFLINE_LISTED)
            .map(|t| t.symbol.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        if all.len() > OFFLINE_LISTED {
            stored.push_str(&format!(" and {} more", all.len() - OFFLINE_LISTED));
        }
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
                self.chain.names()
            ),
        }
    }

    /// Counts `symbol` against the caller's daily allowance of new symbols (the same symbol
    /// again the same day is free).
    async fn spend_allowance(
        &self,
        symbol: &Symbol,
        caller: &Caller,
        client: IpAddr,
    ) -> Result<(), ServiceError> {
        let who = caller
            .user()
            .map_or_else(|| ip_subject(client), |u| format!("user:{u}"));
        let per_day = daily_allowance(caller);
        if self.allowance.spend(&who, symbol.as_str(), per_day).await {
            return Ok(());
        }
        Err(ServiceError::TooManyRequests {
            message: format!(
                "{symbol} is not stored yet, and fetching it would exceed the {per_day} new tickers a \
                 day you may add; the allowance renews at midnight UTC."
            ),
            retry_after: until_midnight(Utc::now()),
        })
    }

    /// The answer for a ticker whose backfill finished lately without bars.
    fn backfill_failed(&self, symbol: &Symbol, job: &JobRecord) -> ServiceError {
        let why = match &job.error {
            Some(e) => format!(
                "fetching its history from {} failed ({e})",
                self.chain.names()
            ),
            None => format!("{} returned no daily bars for it", self.chain.names()),
        };
        ServiceError::NotAvailable {
            symbol: symbol.clone(),
            reason: format!(
                "Its ticker is known, but {why}. It is tried again {} minutes after that attempt.",
                RETRY_BACKFILL_AFTER.as_secs() / 60
            ),
        }
    }

    fn onboarding(&self, symbol: &Symbol, name: String, job: &JobRecord) -> Onboarding {
        Onboarding {
            symbol: symbol.clone(),
            name,
            providers: self.chain.names(),
            years: DEFAULT_HISTORY_YEARS,
            job: JobStatus::from(job),
        }
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
        } else if query.as_str().chars().count() < PROVIDER_SEARCH_CHARS {
            // Stored tickers only; the providers are asked from the second character on.
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

    #[tracing::instrument(skip(self, caller), fields(symbol = %symbol), err(level = "info"))]
    async fn onboard(
        &self,
        symbol: &Symbol,
        caller: &Caller,
        client: IpAddr,
    ) -> Result<Option<Onboarding>, ServiceError> {
        if self
            .with_bars
            .read()
            .is_ok_and(|known| known.contains(symbol))
        {
            return Ok(None);
        }
        // One read says both: an unknown ticker (`None`), or a known one and whether it has bars.
        let known = match bars::last_bar(&self.pool, symbol).await? {
            Some(Some(_)) => {
                if let Ok(mut known) = self.with_bars.write() {
                    known.insert(symbol.clone());
                }
                return Ok(None);
            }
            Some(None) => true,
            None => false,
        };
        if !self.online() {
            // A stored ticker without bars answers as it is (an empty chart with its reason).
            return if known {
                Ok(None)
            } else {
                Err(self.offline(symbol).await)
            };
        }
        let spec = JobSpec::refresh(symbol);
        if known {
            // A backfill under way answers at once, with no provider call. One that finished
            // lately without bars is not tried again on every request; later it is.
            let latest = self.jobs.latest_backfill(symbol).await.map_err(job_error)?;
            let job = match latest {
                Some(job) if !job.status.is_finished() => job,
                Some(job) if recently_finished(&job) => {
                    return Err(self.backfill_failed(symbol, &job));
                }
                _ => {
                    self.spend_allowance(symbol, caller, client).await?;
                    self.jobs.enqueue(spec).await.map_err(job_error)?
                }
            };
            let name = store::ticker(&self.pool, symbol)
                .await?
                .map_or_else(|| symbol.to_string(), |t| t.name);
            return Ok(Some(self.onboarding(symbol, name, &job)));
        }
        let unknown_key = format!("unknown-symbol:{symbol}");
        if self.cache.get_json::<bool>(&unknown_key).await == Some(true) {
            return Err(self.unknown(symbol));
        }
        self.spend_allowance(symbol, caller, client).await?;
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
            source: format!("Market data from {}", self.chain.names()),
        };
        store::insert_ticker_if_missing(&self.pool, &ticker).await?;
        let job = self.jobs.enqueue(spec).await.map_err(job_error)?;
        tracing::info!(job_id = %job.id, "new ticker: backfill queued");
        Ok(Some(self.onboarding(symbol, found.name, &job)))
    }

    #[tracing::instrument(skip(self), fields(symbol = %symbol), err(level = "info"))]
    async fn refresh(&self, symbol: &Symbol) -> Result<JobStatus, ServiceError> {
        if store::ticker(&self.pool, symbol).await?.is_none() {
            return Err(ServiceError::UnknownSymbol(symbol.clone()));
        }
        if !self.online() {
            return Err(ServiceError::Unavailable(
                "No market-data provider is configured, so there is nothing to refresh from."
                    .into(),
            ));
        }
        let job = self
            .jobs
            .enqueue(JobSpec::refresh(symbol))
            .await
            .map_err(job_error)?;
        Ok(JobStatus::from(&job))
    }
}

/// Whether `job` finished less than [`RETRY_BACKFILL_AFTER`] ago.
fn recently_finished(job: &JobRecord) -> bool {
    job.finished_at.is_some_and(|t| {
        Utc::now() - t < chrono::Duration::from_std(RETRY_BACKFILL_AFTER).unwrap_or_default()
    })
}

/// How many new symbols a caller may have fetched per UTC day: each costs provider calls now and
/// a refresh after every close from then on.
fn daily_allowance(caller: &Caller) -> u32 {
    match caller {
        Caller::Anonymous => 5,
        c if c.is_admin() => u32::MAX,
        Caller::Member {
            tier: Tier::Pro, ..
        } => 100,
        Caller::Member { .. } => 20,
    }
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

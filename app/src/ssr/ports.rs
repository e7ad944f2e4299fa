//! The ports: what the server functions need from the server, as traits. The UI says what it needs;
//! the `server` crate implements it (Postgres, Redis, providers, the model registry, the queue)
//! and the JSON API under `/api/v1` calls the same implementations, so pages and API users always
//! see the same data.
//!
//! Every port answers [`ServiceError`], which says what went wrong in domain terms and keeps the
//! cause of an internal failure for the log. It is mapped once to the UI's [`AppError`] (here) and
//! once to the REST error (in the server's `/api/v1` edge).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use std::net::IpAddr;

use crate::domain::{
    ApiKeyId, Caller, ChartRange, DateWindow, HistoryDays, IndicatorSet, JobId, KeyName, Password,
    Role, SearchText, Symbol, Tier, UserId, Username,
};
use crate::error::AppError;
use crate::model::{
    ApiKeyInfo, CompanyProfile, EvaluationRow, ImportReport, IndicatorSeries, JobStatus,
    MarketStatus, ModelId, ModelRecord, ModelVersionSummary, NewApiKey, NewsFeed, Onboarding,
    PredictionHistory, PredictionRow, Predictions, PriceRow, Quote, SearchResults, StockOverview,
    TickerSummary, TimeSeries, User,
};

/// A shared cause, kept for the log (shared so one failure can answer every caller waiting on the
/// same load).
pub type Cause = std::sync::Arc<dyn std::error::Error + Send + Sync + 'static>;

/// What a service can answer instead of a result.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ServiceError {
    /// No ticker with this symbol is known.
    #[error("We have no data for the ticker {0}.")]
    UnknownSymbol(Symbol),
    /// No ticker with this symbol is stored and none can be fetched; `reason` says why and what
    /// can be done (a provider key, an import, the spelling).
    #[error("We have no data for the ticker {symbol}. {reason}")]
    NotAvailable {
        /// The symbol asked for.
        symbol: Symbol,
        /// Why, and what to do.
        reason: String,
    },
    /// The ticker is known but has no stored prices.
    #[error("{0} has no stored prices yet.")]
    NoData(Symbol),
    /// No job with this id.
    #[error("No job {0}.")]
    UnknownJob(JobId),
    /// None of the caller's alerts has this id.
    #[error("You have no alert {0}.")]
    UnknownAlert(crate::domain::AlertId),
    /// None of the caller's webhooks has this id.
    #[error("You have no webhook {0}.")]
    UnknownWebhook(crate::domain::WebhookId),
    /// The input was well-formed but cannot be acted on; the message says why.
    #[error("{0}")]
    InvalidInput(String),
    /// Wrong credentials, or the action needs a logged-in user.
    #[error("{0}")]
    Unauthorized(String),
    /// The request conflicts with what is stored (a taken username).
    #[error("{0}")]
    Conflict(String),
    /// The caller may not do this (an admin route, someone else's key).
    #[error("{0}")]
    Forbidden(String),
    /// Too many attempts: wait `retry_after` before the next.
    #[error("{message}")]
    TooManyRequests {
        /// What to tell the person.
        message: String,
        /// How long to wait.
        retry_after: std::time::Duration,
    },
    /// A dependency is missing or down (no provider key, queue unreachable), said plainly.
    #[error("{0}")]
    Unavailable(String),
    /// A dependency failed; `context` says what was being done, `source` why (logged, never shown).
    #[error("{context}")]
    Internal {
        /// What was being done, e.g. "reading the daily bars".
        context: &'static str,
        /// The cause.
        #[source]
        source: Cause,
    },
}

impl ServiceError {
    /// An internal failure while doing `context`.
    pub fn internal(
        context: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        ServiceError::Internal {
            context,
            source: std::sync::Arc::from(source.into()),
        }
    }

    /// The error and every cause below it, for the log.
    pub fn chain(&self) -> String {
        let mut out = self.to_string();
        let mut next = std::error::Error::source(self);
        while let Some(e) = next {
            out.push_str(": ");
            out.push_str(&e.to_string());
            next = e.source();
        }
        out
    }
}

/// A database failure is internal: its text goes to the log, never to a client.
impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        if database_unreachable(&e) {
            // Said as "down, retry" (503), which clients and balancers may retry; not a fault.
            tracing::warn!(error = %e, "Postgres unreachable");
            return ServiceError::Unavailable(
                "The database is unreachable; please retry shortly.".to_string(),
            );
        }
        ServiceError::internal("querying Postgres", e)
    }
}

/// Whether `e` says Postgres cannot be reached (no connection within the pool's wait, a broken
/// connection, the server shutting down or starting) rather than that a query failed.
pub fn database_unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        // Class 08: connection exceptions; 57P01–57P03: shutting down, crashed, starting up.
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03")),
        _ => false,
    }
}

/// The server-function edge: internal detail goes to the log, the page gets a safe variant.
impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::UnknownSymbol(_)
            | ServiceError::NotAvailable { .. }
            | ServiceError::NoData(_)
            | ServiceError::UnknownJob(_)
            | ServiceError::UnknownAlert(_)
            | ServiceError::UnknownWebhook(_) => AppError::NotFound(e.to_string()),
            ServiceError::InvalidInput(m) => AppError::BadRequest(m),
            ServiceError::Unauthorized(m) => AppError::Unauthorized(m),
            ServiceError::Conflict(m) => AppError::Conflict(m),
            ServiceError::Forbidden(m) => AppError::Unauthorized(m),
            ServiceError::TooManyRequests { message, .. } => AppError::TooManyRequests(message),
            ServiceError::Unavailable(m) => AppError::Unavailable(m),
            ServiceError::Internal { .. } => {
                tracing::error!(error = %e.chain(), "service failed");
                AppError::Internal
            }
        }
    }
}

/// Finding tickers, and fetching the history of one asked for the first time.
#[async_trait]
pub trait Lookup: Send + Sync {
    /// Stored tickers matching `query` first, then the market-data providers' matches.
    async fn search(&self, query: &SearchText) -> Result<SearchResults, ServiceError>;

    /// `None` when `symbol` is stored; otherwise, when a provider knows it, its backfill job (one
    /// for every concurrent first request). A symbol nobody knows, or no provider configured:
    /// `NotAvailable`, saying what to do. Each caller (an account, or an address for anonymous
    /// ones at `client`) has a daily allowance of new symbols: `TooManyRequests` beyond it.
    async fn onboard(
        &self,
        symbol: &Symbol,
        caller: &Caller,
        client: std::net::IpAddr,
    ) -> Result<Option<Onboarding>, ServiceError>;

    /// Queues a refresh of a stored ticker's bars from the providers now (the one running, if
    /// any). Not stored: `UnknownSymbol`; no provider configured: `Unavailable`.
    async fn refresh(&self, symbol: &Symbol) -> Result<crate::model::JobStatus, ServiceError>;
}

/// Downloads of a ticker's data, page by page so a file is never held whole.
#[async_trait]
pub trait Exports: Send + Sync {
    /// Up to `limit` days of `symbol` in `window` after `after` (oldest first). Unknown ticker:
    /// `UnknownSymbol`.
    async fn prices(
        &self,
        symbol: &Symbol,
        window: DateWindow,
        after: Option<chrono::NaiveDate>,
        limit: usize,
    ) -> Result<Vec<PriceRow>, ServiceError>;

    /// Up to `limit` recorded predictions of `symbol` whose target day is in `window`, skipping
    /// the first `skip` (by as-of, model, version, horizon).
    async fn predictions(
        &self,
        symbol: &Symbol,
        window: DateWindow,
        skip: usize,
        limit: usize,
    ) -> Result<Vec<PredictionRow>, ServiceError>;

    /// Every model version's walk-forward record per horizon (a few hundred rows at most).
    async fn evaluation(&self, symbol: &Symbol) -> Result<Vec<EvaluationRow>, ServiceError>;
}

/// A file of daily prices to import.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The ticker it is for (created when new).
    pub symbol: Symbol,
    /// The instrument's name, for a new ticker (the symbol otherwise).
    pub name: Option<crate::domain::TickerName>,
    /// The file's bytes.
    pub csv: Vec<u8>,
    /// `false`: read and check only, store nothing (a preview).
    pub commit: bool,
    /// Record each suspected split (a one-day move over 50%) as a split.
    pub record_splits: bool,
}

/// Importing daily prices from the files people have (administrators only).
#[async_trait]
pub trait Imports: Send + Sync {
    /// Reads, checks and (when `commit`) stores the file, all or nothing. A file with problems
    /// changes nothing and answers `InvalidInput` listing each with its line.
    async fn import_prices(
        &self,
        caller: &Caller,
        request: ImportRequest,
    ) -> Result<ImportReport, ServiceError>;
}

/// Market data: Postgres is the truth, Redis a cache, providers the upstream.
#[async_trait]
pub trait MarketData: Send + Sync + 'static {
    /// Every ticker with data, by symbol, with its last close and one-day change.
    async fn tickers(&self) -> Result<Vec<TickerSummary>, ServiceError>;

    /// The stock page's header facts.
    async fn stock_overview(&self, symbol: &Symbol) -> Result<StockOverview, ServiceError>;

    /// The latest price.
    async fn quote(&self, symbol: &Symbol) -> Result<Quote, ServiceError>;

    /// OHLCV points over `range`, downsampled so long ranges stay light. A known symbol without
    /// data in range is an empty series with a reason.
    async fn timeseries(
        &self,
        symbol: &Symbol,
        range: ChartRange,
    ) -> Result<TimeSeries, ServiceError>;

    /// Technical indicators over the points of the `range` chart (daily and longer ranges; an
    /// intraday range answers an empty series with a reason).
    async fn indicators(
        &self,
        symbol: &Symbol,
        range: ChartRange,
    ) -> Result<IndicatorSeries, ServiceError>;

    /// Company facts; unknown fields absent.
    async fn overview(&self, symbol: &Symbol) -> Result<CompanyProfile, ServiceError>;

    /// Latest news for the market (`None`) or one ticker. No news provider configured:
    /// `Unavailable` saying so.
    async fn news(&self, symbol: Option<&Symbol>) -> Result<NewsFeed, ServiceError>;

    /// Whether the exchange is open at `now`.
    fn market_status(&self, now: DateTime<Utc>) -> MarketStatus;
}

/// Model predictions, their recorded history and the jobs that train the models.
#[async_trait]
pub trait PredictionService: Send + Sync + 'static {
    /// Every served model's predictions from the last stored bar. While models are being
    /// trained, the answer holds what is ready (the baselines at least) and the job to follow.
    /// Training is queued only for a caller whose daily training budget allows it; anonymous
    /// callers get what is ready, and the missing models say how to have them trained.
    async fn predictions(
        &self,
        symbol: &Symbol,
        caller: &Caller,
    ) -> Result<Predictions, ServiceError>;

    /// Computes and records now what can be predicted and queues training for the models that
    /// have no version yet (admin precompute).
    async fn precompute(&self, symbol: &Symbol) -> Result<Predictions, ServiceError>;

    /// A job's status.
    async fn job(&self, id: JobId) -> Result<JobStatus, ServiceError>;

    /// Recorded predictions against actuals whose target date lies in the last `days` days.
    async fn history(
        &self,
        symbol: &Symbol,
        days: HistoryDays,
    ) -> Result<PredictionHistory, ServiceError>;

    /// Every current model version with its walk-forward record.
    async fn models(&self) -> Result<Vec<ModelVersionSummary>, ServiceError>;

    /// Every trained version of every model of `symbol`, with the current versions' reliability
    /// and strategy backtests.
    async fn model_records(&self, symbol: &Symbol) -> Result<Vec<ModelRecord>, ServiceError>;

    /// Makes `version` of `symbol`'s `model` current again (the caller's role is checked by the
    /// edge).
    async fn roll_back(
        &self,
        symbol: &Symbol,
        model: ModelId,
        version: i32,
    ) -> Result<(), ServiceError>;
}

/// Who is logged in, as the session stores it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionUser {
    /// Account id.
    pub id: UserId,
    /// Username, for display.
    pub username: String,
    /// Role when logged in (the server re-reads it for anything it guards).
    #[serde(default = "default_role")]
    pub role: Role,
    /// Tier when logged in.
    #[serde(default = "default_tier")]
    pub tier: Tier,
}

fn default_role() -> Role {
    Role::User
}

fn default_tier() -> Tier {
    Tier::Free
}

impl SessionUser {
    /// The header's view of the user.
    pub fn to_wire(&self) -> User {
        User {
            username: self.username.clone(),
            admin: self.role == Role::Admin,
        }
    }

    /// The caller this session makes.
    pub fn caller(&self) -> Caller {
        Caller::Member {
            user: self.id,
            tier: self.tier,
            role: self.role,
        }
    }
}

/// Accounts and watchlists.
#[async_trait]
pub trait Accounts: Send + Sync + 'static {
    /// Creates an account. A taken username (case-insensitively): `Conflict`. Registrations from
    /// one address are throttled like logins.
    async fn register(
        &self,
        username: Username,
        password: Password,
        from: IpAddr,
    ) -> Result<SessionUser, ServiceError>;

    /// Checks a username and password. Wrong password and unknown user answer the same
    /// `Unauthorized`, in the same time; repeated failures for an account or from an address
    /// answer `TooManyRequests` with growing waits.
    async fn authenticate(
        &self,
        username: &str,
        password: String,
        from: IpAddr,
    ) -> Result<SessionUser, ServiceError>;

    /// The account's API keys, revoked ones too.
    async fn api_keys(&self, user: UserId) -> Result<Vec<ApiKeyInfo>, ServiceError>;

    /// Makes a key (its secret is in the answer, and nowhere else ever).
    async fn create_api_key(&self, user: UserId, name: KeyName) -> Result<NewApiKey, ServiceError>;

    /// Revokes one of the account's keys. Not its key (or no such key): `Forbidden`.
    async fn revoke_api_key(&self, user: UserId, key_id: &ApiKeyId) -> Result<(), ServiceError>;

    /// The user's watchlist, in the order the tickers were added.
    async fn watchlist(&self, user: UserId) -> Result<Vec<TickerSummary>, ServiceError>;

    /// Adds a known ticker to the watchlist (twice is a no-op). Unknown ticker: `UnknownSymbol`.
    async fn watch(&self, user: UserId, symbol: &Symbol) -> Result<(), ServiceError>;

    /// Removes a ticker from the watchlist.
    async fn unwatch(&self, user: UserId, symbol: &Symbol) -> Result<(), ServiceError>;

    /// The price chart's indicators `user` chose; `None` until they choose.
    async fn chart_indicators(&self, user: UserId) -> Result<Option<IndicatorSet>, ServiceError>;

    /// Remembers the price chart's indicators `user` chose.
    async fn set_chart_indicators(
        &self,
        user: UserId,
        indicators: IndicatorSet,
    ) -> Result<(), ServiceError>;
}

/// Alert rules and the notifications they fire, each user's own.
#[async_trait]
pub trait Alerts: Send + Sync + 'static {
    /// `user`'s rules, newest first.
    async fn alerts(&self, user: UserId) -> Result<Vec<crate::model::Alert>, ServiceError>;

    /// Sets a rule on a stored ticker (`UnknownSymbol` otherwise); at most 100 a user.
    async fn create_alert(
        &self,
        user: UserId,
        alert: crate::model::NewAlert,
    ) -> Result<crate::model::Alert, ServiceError>;

    /// Deletes one of `user`'s rules (`UnknownAlert` for anyone else's); its history goes too.
    async fn delete_alert(
        &self,
        user: UserId,
        alert: crate::domain::AlertId,
    ) -> Result<(), ServiceError>;

    /// `user`'s newest `limit` notifications and the unread count.
    async fn notifications(
        &self,
        user: UserId,
        limit: u32,
    ) -> Result<crate::model::Notifications, ServiceError>;

    /// Marks `user`'s notifications read (all of them, or up to and including `through`);
    /// answers how many are still unread.
    async fn mark_read(&self, user: UserId, through: Option<i64>) -> Result<i64, ServiceError>;
}

/// Webhooks: each user's, with their delivery logs.
#[async_trait]
pub trait Webhooks: Send + Sync + 'static {
    /// `user`'s webhooks, newest first.
    async fn webhooks(&self, user: UserId) -> Result<Vec<crate::model::Webhook>, ServiceError>;

    /// Makes a webhook with a new secret (at most 10 a user).
    async fn create_webhook(
        &self,
        user: UserId,
        url: crate::domain::WebhookUrl,
        kinds: crate::domain::WebhookKinds,
    ) -> Result<crate::model::CreatedWebhook, ServiceError>;

    /// Deletes one of `user`'s webhooks (`UnknownWebhook` for anyone else's).
    async fn delete_webhook(
        &self,
        user: UserId,
        id: crate::domain::WebhookId,
    ) -> Result<(), ServiceError>;

    /// Queues a `test` event to one of `user`'s webhooks (it is switched back on if it was off).
    async fn test_webhook(
        &self,
        user: UserId,
        id: crate::domain::WebhookId,
    ) -> Result<crate::model::WebhookDelivery, ServiceError>;

    /// The newest `limit` deliveries to one of `user`'s webhooks, with their attempts.
    async fn deliveries(
        &self,
        user: UserId,
        id: crate::domain::WebhookId,
        limit: u32,
    ) -> Result<Vec<crate::model::WebhookDelivery>, ServiceError>;
}

/// The news desk: stored news, page by page, read from Postgres through the cache. Never asks a
/// provider (the scheduler keeps the store fresh). With no news provider configured and nothing
/// stored, the answer carries a notice saying which key to set, never an error.
#[async_trait]
pub trait NewsDesk: Send + Sync + 'static {
    /// A page of market news, newest first. `None`: a page past the last (the first page always
    /// exists, empty or not).
    async fn market_news(
        &self,
        page: crate::domain::PageNumber,
    ) -> Result<Option<crate::model::NewsDeskPage>, ServiceError>;

    /// A page of `symbol`'s news, newest first, with its sentiment over its newest stories.
    /// Unknown ticker: `UnknownSymbol`. `None`: a page past the last.
    async fn symbol_news(
        &self,
        symbol: &Symbol,
        page: crate::domain::PageNumber,
    ) -> Result<Option<crate::model::NewsDeskPage>, ServiceError>;

    /// The landing page's latest market stories.
    async fn headlines(&self) -> Result<crate::model::NewsHeadlines, ServiceError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_database_is_unavailable_and_a_failed_query_internal() {
        assert!(matches!(
            ServiceError::from(sqlx::Error::PoolTimedOut),
            ServiceError::Unavailable(_)
        ));
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(matches!(
            ServiceError::from(sqlx::Error::Io(io)),
            ServiceError::Unavailable(_)
        ));
        assert!(matches!(
            ServiceError::from(sqlx::Error::RowNotFound),
            ServiceError::Internal { .. }
        ));
    }
}

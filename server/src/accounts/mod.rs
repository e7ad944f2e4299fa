//! Accounts, watchlists and API access: the server's implementation of the UI's [`Accounts`]
//! port, and what the API's access layer asks of accounts (who a key or token belongs to).
//!
//! Passwords are hashed with argon2id on the blocking pool, a bounded number at a time (each hash
//! takes 19 MiB: a flood of logins waits briefly or is told to come back, never exhausts memory).
//! Failed logins are throttled per account and per address with growing waits.

mod keys;
mod password;
pub mod store;
mod throttle;
pub mod tokens;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::domain::{
    ApiKeyId, Caller, IndicatorSet, KeyName, Password, Role, Symbol, Tier, UserId, Username,
};
use app::model::{ApiKeyInfo, NewApiKey, TickerSummary};
use app::ssr::{Accounts, ServiceError, SessionUser};
use async_trait::async_trait;
use sqlx::PgPool;
use tokio::sync::{Mutex, Semaphore};

use crate::market::store as market_store;
use crate::ratelimit::InboundLimiter;
use crate::telemetry::spawn_blocking_in_span;
use throttle::Throttle;
use tokens::Tokens;

pub use keys::parse as parse_key;

/// One message for a wrong password and an unknown user, so the form does not reveal which
/// usernames exist.
pub const BAD_CREDENTIALS: &str = app::api::auth::BAD_CREDENTIALS;

/// Most keys remembered at once.
const KEY_CACHE_CAPACITY: usize = 10_000;
/// How often a key's use is written to its row.
const USE_FLUSH: Duration = Duration::from_secs(60);
/// How long a login may wait for a free password-hashing slot before it is told to retry.
const HASH_WAIT: Duration = Duration::from_secs(3);
/// Live keys one account may hold.
const MAX_LIVE_KEYS: i64 = 20;
/// Registrations one address may make an hour before waits start.
const REGISTRATION_SUBJECT: &str = "register:ip";

/// How hard sign-ins may be pushed.
#[derive(Debug, Clone, Copy)]
pub struct AccountLimits {
    /// Password hashes computed at once (19 MiB each).
    pub concurrent_hashes: usize,
    /// Failed logins (per account, per address) and registrations (per address) before waits start.
    pub free_attempts: u32,
    /// How long a key's owner and an account's standing are trusted from memory before Postgres
    /// is asked again: the longest a revoked key keeps working, or a changed role takes to show,
    /// on another instance.
    pub trust_for: Duration,
}

/// Who a bearer credential belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The account, its tier and role.
    pub caller: Caller,
    /// The API key used, directly or through a token.
    pub key_id: Option<ApiKeyId>,
}

/// Why a credential was refused (every case is a 401 to the client).
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// Not one of our keys or tokens, a wrong secret, a revoked key, an expired or tampered token.
    #[error("{0}")]
    Invalid(&'static str),
    /// The check itself failed (Postgres down): not the caller's fault.
    #[error("checking the credential: {0}")]
    Unavailable(#[from] sqlx::Error),
}

#[derive(Debug, Clone)]
struct CachedKey {
    auth: store::KeyAuth,
    at: Instant,
}

/// Accounts over Postgres, with throttles and caches in Redis and in this process.
#[derive(Clone)]
pub struct AccountService {
    pool: PgPool,
    throttle: Throttle,
    limiter: InboundLimiter,
    hashing: Arc<Semaphore>,
    hash_memory: Arc<password::Memory>,
    tokens: Option<Tokens>,
    keys: Arc<Mutex<HashMap<ApiKeyId, CachedKey>>>,
    standing: Arc<Mutex<HashMap<UserId, (store::Standing, Instant)>>>,
    uses: Arc<Mutex<HashMap<ApiKeyId, (i64, Instant)>>>,
    trust_for: Duration,
}

impl std::fmt::Debug for AccountService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountService").finish_non_exhaustive()
    }
}

impl AccountService {
    /// The service on `pool`; `limiter`'s store counts failures and key use; `limits` bound the
    /// hashing and the attempts; `tokens` signs access tokens (`None`: token exchange is not
    /// configured).
    pub fn new(
        pool: PgPool,
        limiter: InboundLimiter,
        limits: AccountLimits,
        tokens: Option<Tokens>,
    ) -> Self {
        Self {
            throttle: Throttle::new(limiter.cache().clone(), limits.free_attempts),
            pool,
            limiter,
            hashing: Arc::new(Semaphore::new(limits.concurrent_hashes.max(1))),
            hash_memory: Arc::new(password::Memory::default()),
            tokens,
            keys: Arc::new(Mutex::new(HashMap::new())),
            standing: Arc::new(Mutex::new(HashMap::new())),
            uses: Arc::new(Mutex::new(HashMap::new())),
            trust_for: limits.trust_for,
        }
    }

    /// The token signer, when configured.
    pub fn tokens(&self) -> Option<&Tokens> {
        self.tokens.as_ref()
    }

    /// Runs `f` (a password hash or check, given the working memory to use) on the blocking pool
    /// once a hashing slot is free.
    async fn hash_slot<R: Send + 'static>(
        &self,
        f: impl FnOnce(&password::Memory) -> R + Send + 'static,
    ) -> Result<R, ServiceError> {
        let permit = tokio::time::timeout(HASH_WAIT, self.hashing.clone().acquire_owned())
            .await
            .map_err(|_| {
                ServiceError::Unavailable(
                    "Too many sign-ins at once; please try again in a moment.".into(),
                )
            })?
            .map_err(|e| ServiceError::internal("waiting for a hashing slot", e))?;
        let memory = self.hash_memory.clone();
        let out = spawn_blocking_in_span(move || {
            let out = f(&memory);
            drop(permit);
            out
        })
        .await
        .map_err(|e| ServiceError::internal("hashing a password", e))?;
        Ok(out)
    }

    async fn refuse_if_throttled(&self, subjects: &[String]) -> Result<(), ServiceError> {
        for s in subjects {
            if let Some(wait) = self.throttle.wait(s).await {
                let secs = wait.as_secs().max(1);
                return Err(ServiceError::TooManyRequests {
                    message: format!(
                        "Too many failed attempts; try again in {secs} second{}.",
                        if secs == 1 { "" } else { "s" }
                    ),
                    retry_after: Duration::from_secs(secs),
                });
            }
        }
        Ok(())
    }

    /// The account's role and tier (from memory for a little while).
    pub async fn standing(&self, user: UserId) -> Result<Option<store::Standing>, sqlx::Error> {
        if let Some((s, at)) = self.standing.lock().await.get(&user) {
            if at.elapsed() < self.trust_for {
                return Ok(Some(*s));
            }
        }
        let found = store::standing(&self.pool, user).await?;
        if let Some(s) = found {
            let mut cache = self.standing.lock().await;
            if cache.len() >= KEY_CACHE_CAPACITY {
                cache.clear();
            }
            cache.insert(user, (s, Instant::now()));
        }
        Ok(found)
    }

    async fn key_auth(&self, id: &ApiKeyId) -> Result<Option<store::KeyAuth>, sqlx::Error> {
        if let Some(c) = self.keys.lock().await.get(id) {
            if c.at.elapsed() < self.trust_for {
                return Ok(Some(c.auth.clone()));
            }
        }
        let found = store::key_auth(&self.pool, id).await?;
        if let Some(auth) = &found {
            let mut cache = self.keys.lock().await;
            if cache.len() >= KEY_CACHE_CAPACITY {
                cache.retain(|_, c| c.at.elapsed() < self.trust_for);
            }
            cache.insert(
                id.clone(),
                CachedKey {
                    auth: auth.clone(),
                    at: Instant::now(),
                },
            );
        }
        Ok(found)
    }

    /// The account behind an API key's text.
    pub async fn verify_key(&self, text: &str) -> Result<Credential, CredentialError> {
        let (id, secret) =
            keys::parse(text).ok_or(CredentialError::Invalid("That is not an API key."))?;
        let auth = self
            .key_auth(&id)
            .await?
            .filter(|a| keys::matches(secret, &a.secret_sha256))
            .ok_or(CredentialError::Invalid("That API key is not valid."))?;
        if auth.revoked_at.is_some() {
            return Err(CredentialError::Invalid("That API key was revoked."));
        }
        Ok(Credential {
            caller: Caller::Member {
                user: auth.user_id,
                tier: auth.tier,
                role: auth.role,
            },
            key_id: Some(id),
        })
    }

    /// The account behind an access token (and the key it came from, which must still be live).
    pub async fn verify_token(&self, text: &str) -> Result<Credential, CredentialError> {
        let tokens = self.tokens.as_ref().ok_or(CredentialError::Invalid(
            "Access tokens are not enabled here.",
        ))?;
        let claims = tokens.verify(text).map_err(|e| {
            tracing::info!(error = %e, "access token refused");
            CredentialError::Invalid("That access token is not valid or has expired.")
        })?;
        if let Some(id) = &claims.key_id {
            let live = self
                .key_auth(id)
                .await?
                .is_some_and(|a| a.revoked_at.is_none() && a.user_id == claims.sub);
            if !live {
                return Err(CredentialError::Invalid(
                    "The API key this token came from was revoked.",
                ));
            }
        }
        Ok(Credential {
            caller: Caller::Member {
                user: claims.sub,
                tier: claims.tier,
                role: claims.role,
            },
            key_id: claims.key_id,
        })
    }

    /// An access token for a verified credential.
    pub fn issue_token(&self, c: &Credential) -> Result<String, ServiceError> {
        let tokens = self.tokens.as_ref().ok_or_else(|| {
            ServiceError::Unavailable(
                "Access tokens are not enabled here: the server has no JWT_SECRET.".into(),
            )
        })?;
        let Caller::Member { user, tier, role } = &c.caller else {
            return Err(ServiceError::Unauthorized(
                "No account to issue a token for.".into(),
            ));
        };
        tokens
            .issue(*user, *tier, *role, c.key_id.clone())
            .map_err(|e| ServiceError::internal("signing an access token", e))
    }

    /// Counts one request made with key `id`; the row is written at most once a minute.
    pub async fn count_key_use(&self, id: &ApiKeyId) {
        let flush = {
            let mut uses = self.uses.lock().await;
            let entry = uses
                .entry(id.clone())
                .or_insert((0, Instant::now() - USE_FLUSH));
            entry.0 += 1;
            if entry.1.elapsed() >= USE_FLUSH {
                let n = entry.0;
                *entry = (0, Instant::now());
                Some(n)
            } else {
                None
            }
        };
        if let Some(n) = flush {
            let (pool, id) = (self.pool.clone(), id.clone());
            tokio::spawn(async move {
                if let Err(e) = store::count_use(&pool, &id, n).await {
                    tracing::warn!(error = %e, "key use not recorded");
                }
            });
        }
    }

    /// Makes the account named `username` an administrator with the admin tier; `false` when there
    /// is no such account.
    pub async fn grant_admin(&self, username: &str) -> Result<bool, sqlx::Error> {
        store::set_standing(&self.pool, username, Role::Admin, Tier::Admin).await
    }

    /// Sets the tier of the account named `username`.
    pub async fn set_tier(&self, username: &str, tier: Tier) -> Result<bool, sqlx::Error> {
        let Some(user) = store::find_user(&self.pool, username).await? else {
            return Ok(false);
        };
        let role = store::standing(&self.pool, user.id)
            .await?
            .map_or(Role::User, |s| s.role);
        store::set_standing(&self.pool, username, role, tier).await
    }

    async fn session_user(
        &self,
        id: UserId,
        username: String,
    ) -> Result<SessionUser, ServiceError> {
        let s = self.standing(id).await?.unwrap_or(store::Standing {
            role: Role::User,
            tier: Tier::Free,
        });
        Ok(SessionUser {
            id,
            username,
            role: s.role,
            tier: s.tier,
        })
    }

    fn info(&self, k: store::KeyRow, today: Option<u64>) -> ApiKeyInfo {
        ApiKeyInfo {
            display: keys::display(&k.id),
            id: k.id,
            name: k.name,
            tier: k.tier,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
            requests: k.requests,
            requests_today: today,
        }
    }
}

/// The rate limiter's name for a key's caller.
pub fn key_subject(id: &ApiKeyId) -> String {
    format!("key:{id}")
}

#[async_trait]
impl Accounts for AccountService {
    #[tracing::instrument(skip_all, fields(username = username.as_str()), err(level = "info"))]
    async fn register(
        &self,
        username: Username,
        password: Password,
        from: IpAddr,
    ) -> Result<SessionUser, ServiceError> {
        // A taken username tells whether an account exists: registrations are throttled per address
        // like failed logins, every attempt counting.
        let subject = format!("{REGISTRATION_SUBJECT}:{from}");
        self.refuse_if_throttled(std::slice::from_ref(&subject))
            .await?;
        self.throttle.fail(&subject).await;
        let hash = self
            .hash_slot(move |memory| password::hash(password.expose(), memory))
            .await?
            .map_err(|e| ServiceError::internal("hashing a password", e.to_string()))?;
        let id = store::create_user(&self.pool, username.as_str(), &hash)
            .await?
            .ok_or_else(|| {
                ServiceError::Conflict("That username is taken; pick another.".into())
            })?;
        tracing::info!(user = %id, "account created");
        self.session_user(id, username.as_str().to_string()).await
    }

    #[tracing::instrument(skip_all, err(level = "info"))]
    async fn authenticate(
        &self,
        username: &str,
        password: String,
        from: IpAddr,
    ) -> Result<SessionUser, ServiceError> {
        let subjects = [
            format!("login:user:{}", username.to_lowercase()),
            format!("login:ip:{from}"),
        ];
        self.refuse_if_throttled(&subjects).await?;
        let user = store::find_user(&self.pool, username).await?;
        let (stored, found) = match &user {
            Some(u) => (u.password_hash.clone(), true),
            // Verify against a fixed hash anyway: an unknown user costs the same time as a wrong
            // password.
            None => (password::DUMMY_HASH.clone(), false),
        };
        let ok = self
            .hash_slot(move |memory| password::verify(&password, &stored, memory))
            .await?;
        match (user, ok && found) {
            (Some(u), true) => {
                self.throttle.clear(&subjects[0]).await;
                self.session_user(u.id, u.username).await
            }
            _ => {
                for s in &subjects {
                    self.throttle.fail(s).await;
                }
                Err(ServiceError::Unauthorized(BAD_CREDENTIALS.into()))
            }
        }
    }

    async fn watchlist(&self, user: UserId) -> Result<Vec<TickerSummary>, ServiceError> {
        let symbols = store::watchlist(&self.pool, user).await?;
        Ok(market_store::tickers::summaries_of(&self.pool, &symbols).await?)
    }

    async fn watch(&self, user: UserId, symbol: &Symbol) -> Result<(), ServiceError> {
        if market_store::ticker(&self.pool, symbol).await?.is_none() {
            return Err(ServiceError::UnknownSymbol(symbol.clone()));
        }
        Ok(store::watch(&self.pool, user, symbol).await?)
    }

    async fn unwatch(&self, user: UserId, symbol: &Symbol) -> Result<(), ServiceError> {
        Ok(store::unwatch(&self.pool, user, symbol).await?)
    }

    async fn chart_indicators(&self, user: UserId) -> Result<Option<IndicatorSet>, ServiceError> {
        Ok(store::chart_indicators(&self.pool, user)
            .await?
            .map(|list| IndicatorSet::from_list(&list)))
    }

    async fn set_chart_indicators(
        &self,
        user: UserId,
        indicators: IndicatorSet,
    ) -> Result<(), ServiceError> {
        Ok(store::set_chart_indicators(&self.pool, user, &indicators.to_list()).await?)
    }

    async fn api_keys(&self, user: UserId) -> Result<Vec<ApiKeyInfo>, ServiceError> {
        let rows = store::keys(&self.pool, user).await?;
        let mut out = Vec::with_capacity(rows.len());
        for k in rows {
            let today = self.limiter.used_today(&key_subject(&k.id)).await;
            out.push(self.info(k, today));
        }
        Ok(out)
    }

    #[tracing::instrument(skip(self), err(level = "info"))]
    async fn create_api_key(&self, user: UserId, name: KeyName) -> Result<NewApiKey, ServiceError> {
        if store::live_keys(&self.pool, user).await? >= MAX_LIVE_KEYS {
            return Err(ServiceError::Conflict(format!(
                "You have {MAX_LIVE_KEYS} live keys, the most an account may have; revoke one first."
            )));
        }
        let tier = self.standing(user).await?.map_or(Tier::Free, |s| s.tier);
        let k = keys::generate();
        let row = store::create_key(
            &self.pool,
            user,
            &k.id,
            name.as_str(),
            &k.secret_sha256,
            tier,
        )
        .await?;
        tracing::info!(key = %row.id, %tier, "API key created");
        Ok(NewApiKey {
            key: self.info(row, Some(0)),
            secret: k.text,
        })
    }

    #[tracing::instrument(skip(self), err(level = "info"))]
    async fn revoke_api_key(&self, user: UserId, key_id: &ApiKeyId) -> Result<(), ServiceError> {
        if !store::revoke_key(&self.pool, user, key_id).await? {
            return Err(ServiceError::Forbidden(
                "You have no live API key with that id.".into(),
            ));
        }
        // This instance stops accepting it at once; others within the key cache's lifetime.
        self.keys.lock().await.remove(key_id);
        tracing::info!(key = %key_id, "API key revoked");
        Ok(())
    }
}

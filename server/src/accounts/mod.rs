//! Accounts and watchlists: the server's implementation of the UI's [`Accounts`] port. Passwords
//! are hashed with argon2id on the blocking pool, so a login never stalls the async workers.

mod password;
pub mod store;

use app::domain::{Password, Symbol, UserId, Username};
use app::model::TickerSummary;
use app::ssr::{Accounts, ServiceError, SessionUser};
use async_trait::async_trait;
use sqlx::PgPool;

use crate::market::store as market_store;
use crate::telemetry::spawn_blocking_in_span;

/// One message for a wrong password and an unknown user, so the form does not reveal which
/// usernames exist.
pub const BAD_CREDENTIALS: &str = app::api::auth::BAD_CREDENTIALS;

/// Accounts over Postgres.
#[derive(Debug, Clone)]
pub struct AccountService {
    pool: PgPool,
}

impl AccountService {
    /// The service on `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl Accounts for AccountService {
    #[tracing::instrument(skip_all, fields(username = username.as_str()), err(level = "info"))]
    async fn register(
        &self,
        username: Username,
        password: Password,
    ) -> Result<SessionUser, ServiceError> {
        let hash = spawn_blocking_in_span(move || password::hash(password.expose()))
            .await
            .map_err(|e| ServiceError::internal("hashing a password", e))?
            .map_err(|e| ServiceError::internal("hashing a password", e.to_string()))?;
        let id = store::create_user(&self.pool, username.as_str(), &hash)
            .await?
            .ok_or_else(|| {
                ServiceError::Conflict("That username is taken; pick another.".into())
            })?;
        tracing::info!(user = %id, "account created");
        Ok(SessionUser {
            id,
            username: username.as_str().to_string(),
        })
    }

    #[tracing::instrument(skip_all, err(level = "info"))]
    async fn authenticate(
        &self,
        username: &str,
        password: String,
    ) -> Result<SessionUser, ServiceError> {
        let user = store::find_user(&self.pool, username).await?;
        let (stored, found) = match &user {
            Some(u) => (u.password_hash.clone(), true),
            // Verify against a fixed hash anyway: an unknown user costs the same time as a wrong
            // password.
            None => (password::DUMMY_HASH.clone(), false),
        };
        let ok = spawn_blocking_in_span(move || password::verify(&password, &stored))
            .await
            .map_err(|e| ServiceError::internal("checking a password", e))?;
        match (user, ok && found) {
            (Some(u), true) => Ok(SessionUser {
                id: u.id,
                username: u.username,
            }),
            _ => Err(ServiceError::Unauthorized(BAD_CREDENTIALS.into())),
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
}

//! The `users`, `watchlist` and `api_keys` tables.

use app::domain::{ApiKeyId, Role, Symbol, Tier, UserId};
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// A stored account.
#[derive(Debug, Clone)]
pub struct UserRow {
    /// Account id.
    pub id: UserId,
    /// Username as registered.
    pub username: String,
    /// PHC-format argon2id hash.
    pub password_hash: String,
}

/// Creates an account; `Ok(None)` when the username is taken (case-insensitively).
#[tracing::instrument(skip_all, fields(username = username), err)]
pub async fn create_user(
    ex: impl PgExecutor<'_>,
    username: &str,
    password_hash: &str,
) -> Result<Option<UserId>, sqlx::Error> {
    let id = UserId::random();
    let res = sqlx::query!(
        "insert into users (id, username, password_hash) values ($1, $2, $3)",
        id.as_uuid(),
        username,
        password_hash,
    )
    .execute(ex)
    .await;
    match res {
        Ok(_) => Ok(Some(id)),
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("users_username_key") => Ok(None),
        Err(e) => Err(e),
    }
}

/// Finds an account by username, case-insensitively.
pub async fn find_user(
    ex: impl PgExecutor<'_>,
    username: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as!(
        UserRow,
        r#"select id as "id: UserId", username, password_hash from users
           where lower(username) = lower($1)"#,
        username,
    )
    .fetch_optional(ex)
    .await
}

/// The symbols on `user`'s watchlist, in the order they were added.
pub async fn watchlist(ex: impl PgExecutor<'_>, user: UserId) -> Result<Vec<Symbol>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select symbol as "symbol: Symbol" from watchlist where user_id = $1
           order by added_at, symbol"#,
        user.as_uuid(),
    )
    .fetch_all(ex)
    .await
}

/// Every symbol on anybody's watchlist (the scheduler refreshes them).
pub async fn watched_symbols(ex: impl PgExecutor<'_>) -> Result<Vec<Symbol>, sqlx::Error> {
    sqlx::query_scalar!(r#"select distinct symbol as "symbol: Symbol" from watchlist"#)
        .fetch_all(ex)
        .await
}

/// Adds a ticker to a watchlist (adding twice is a no-op).
pub async fn watch(
    ex: impl PgExecutor<'_>,
    user: UserId,
    symbol: &Symbol,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into watchlist (user_id, symbol) values ($1, $2) on conflict do nothing",
        user.as_uuid(),
        symbol.as_str(),
    )
    .execute(ex)
    .await?;
    Ok(())
}

/// Removes a ticker from a watchlist.
pub async fn unwatch(
    ex: impl PgExecutor<'_>,
    user: UserId,
    symbol: &Symbol,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "delete from watchlist where user_id = $1 and symbol = $2",
        user.as_uuid(),
        symbol.as_str(),
    )
    .execute(ex)
    .await?;
    Ok(())
}

/// An account's role and tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// What it may administer.
    pub role: Role,
    /// Its limits.
    pub tier: Tier,
}

/// The role and tier of `user`, `None` when the account is gone.
pub async fn standing(
    ex: impl PgExecutor<'_>,
    user: UserId,
) -> Result<Option<Standing>, sqlx::Error> {
    sqlx::query_as!(
        Standing,
        r#"select role as "role: Role", tier as "tier: Tier" from users where id = $1"#,
        user.as_uuid(),
    )
    .fetch_optional(ex)
    .await
}

/// Sets the role and tier of the account named `username` (and the tier of its live keys);
/// `false` when there is none.
pub async fn set_standing(
    ex: impl PgExecutor<'_>,
    username: &str,
    role: Role,
    tier: Tier,
) -> Result<bool, sqlx::Error> {
    // The account and its live keys in one statement: a key's tier follows its owner's.
    let done = sqlx::query!(
        "with account as (
             update users set role = $2, tier = $3 where lower(username) = lower($1)
             returning id
         ), keys as (
             update api_keys set tier = $3
             where user_id in (select id from account) and revoked_at is null
         )
         select count(*) as \"n!\" from account",
        username,
        role.as_str(),
        tier.as_str(),
    )
    .fetch_one(ex)
    .await?;
    Ok(done.n == 1)
}

/// A stored API key (never its secret).
#[derive(Debug, Clone)]
pub struct KeyRow {
    /// Public id.
    pub id: ApiKeyId,
    /// Owner.
    pub user_id: UserId,
    /// Owner's name for it.
    pub name: String,
    /// Its limits.
    pub tier: Tier,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last used (counted in batches).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Requests counted so far.
    pub requests: i64,
}

/// Stores a new key of `user`.
pub async fn create_key(
    ex: impl PgExecutor<'_>,
    user: UserId,
    id: &ApiKeyId,
    name: &str,
    secret_sha256: &str,
    tier: Tier,
) -> Result<KeyRow, sqlx::Error> {
    sqlx::query_as!(
        KeyRow,
        r#"insert into api_keys (id, user_id, name, secret_sha256, tier)
           values ($1, $2, $3, $4, $5)
           returning id as "id: ApiKeyId", user_id as "user_id: UserId", name, tier as "tier: Tier",
                     created_at as "created_at: DateTime<Utc>",
                     last_used_at as "last_used_at: DateTime<Utc>",
                     revoked_at as "revoked_at: DateTime<Utc>", requests"#,
        id.as_str(),
        user.as_uuid(),
        name,
        secret_sha256,
        tier.as_str(),
    )
    .fetch_one(ex)
    .await
}

/// Every key of `user`, oldest first (revoked ones too).
pub async fn keys(ex: impl PgExecutor<'_>, user: UserId) -> Result<Vec<KeyRow>, sqlx::Error> {
    sqlx::query_as!(
        KeyRow,
        r#"select id as "id: ApiKeyId", user_id as "user_id: UserId", name, tier as "tier: Tier",
                  created_at as "created_at: DateTime<Utc>",
                  last_used_at as "last_used_at: DateTime<Utc>",
                  revoked_at as "revoked_at: DateTime<Utc>", requests
           from api_keys where user_id = $1 order by created_at, id"#,
        user.as_uuid(),
    )
    .fetch_all(ex)
    .await
}

/// How many live keys `user` has.
pub async fn live_keys(ex: impl PgExecutor<'_>, user: UserId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from api_keys where user_id = $1 and revoked_at is null"#,
        user.as_uuid(),
    )
    .fetch_one(ex)
    .await
}

/// Revokes `user`'s key `id`; `false` when `user` has no such live key.
pub async fn revoke_key(
    ex: impl PgExecutor<'_>,
    user: UserId,
    id: &ApiKeyId,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "update api_keys set revoked_at = now()
         where id = $1 and user_id = $2 and revoked_at is null",
        id.as_str(),
        user.as_uuid(),
    )
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What authenticating with a key needs: its secret's hash, whether it is live, and its owner's
/// standing.
#[derive(Debug, Clone)]
pub struct KeyAuth {
    /// Owner.
    pub user_id: UserId,
    /// SHA-256 of the secret.
    pub secret_sha256: String,
    /// The key's tier.
    pub tier: Tier,
    /// The owner's role.
    pub role: Role,
    /// Revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The key `id` with its owner's role.
pub async fn key_auth(
    ex: impl PgExecutor<'_>,
    id: &ApiKeyId,
) -> Result<Option<KeyAuth>, sqlx::Error> {
    sqlx::query_as!(
        KeyAuth,
        r#"select k.user_id as "user_id: UserId", k.secret_sha256, k.tier as "tier: Tier",
                  u.role as "role: Role", k.revoked_at as "revoked_at: DateTime<Utc>"
           from api_keys k join users u on u.id = k.user_id
           where k.id = $1"#,
        id.as_str(),
    )
    .fetch_optional(ex)
    .await
}

/// Adds `requests` to key `id`'s count and stamps its last use.
pub async fn count_use(
    ex: impl PgExecutor<'_>,
    id: &ApiKeyId,
    requests: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update api_keys set requests = requests + $2, last_used_at = now() where id = $1",
        id.as_str(),
        requests,
    )
    .execute(ex)
    .await?;
    Ok(())
}

/// The chart indicators `user` chose, as stored (`None` until they choose).
pub async fn chart_indicators(
    ex: impl PgExecutor<'_>,
    user: UserId,
) -> Result<Option<String>, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        "select chart_indicators from users where id = $1",
        user.as_uuid(),
    )
    .fetch_optional(ex)
    .await?
    .flatten())
}

/// Stores the chart indicators `user` chose.
pub async fn set_chart_indicators(
    ex: impl PgExecutor<'_>,
    user: UserId,
    list: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update users set chart_indicators = $2 where id = $1",
        user.as_uuid(),
        list,
    )
    .execute(ex)
    .await?;
    Ok(())
}

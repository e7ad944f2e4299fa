//! The `users` and `watchlist` tables.

use app::domain::{Symbol, UserId};
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

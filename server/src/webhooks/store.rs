//! The `webhooks`, `webhook_deliveries` and `webhook_attempts` tables.

use app::domain::{UserId, WebhookId};
use app::model::{DeliveryAttempt, Webhook, WebhookDelivery};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use crate::market::store::StoreResult;

struct HookRow {
    id: uuid::Uuid,
    url: String,
    kinds: Vec<String>,
    active: bool,
    disabled_reason: Option<String>,
    consecutive_failures: i32,
    created_at: DateTime<Utc>,
}

impl From<HookRow> for Webhook {
    fn from(r: HookRow) -> Self {
        Webhook {
            id: WebhookId::from(r.id),
            url: r.url,
            kinds: r.kinds,
            active: r.active,
            disabled_reason: r.disabled_reason,
            consecutive_failures: r.consecutive_failures,
            created_at: r.created_at,
        }
    }
}

/// `user`'s webhooks, newest first.
pub async fn for_user(ex: impl PgExecutor<'_>, user: UserId) -> StoreResult<Vec<Webhook>> {
    let rows = sqlx::query_as!(
        HookRow,
        r#"select id, url, kinds, active, disabled_reason, consecutive_failures,
                  created_at as "created_at: DateTime<Utc>"
           from webhooks where user_id = $1 order by created_at desc"#,
        user.as_uuid(),
    )
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().map(Webhook::from).collect())
}

/// How many webhooks `user` has.
pub async fn count(ex: impl PgExecutor<'_>, user: UserId) -> StoreResult<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from webhooks where user_id = $1"#,
        user.as_uuid()
    )
    .fetch_one(ex)
    .await
}

/// Stores a new webhook.
pub async fn insert(
    ex: impl PgExecutor<'_>,
    user: UserId,
    url: &str,
    kinds: &[String],
    secret: &str,
) -> StoreResult<Webhook> {
    let row = sqlx::query_as!(
        HookRow,
        r#"insert into webhooks (id, user_id, url, kinds, secret) values ($1, $2, $3, $4, $5)
           returning id, url, kinds, active, disabled_reason, consecutive_failures,
                     created_at as "created_at: DateTime<Utc>""#,
        WebhookId::random().as_uuid(),
        user.as_uuid(),
        url,
        kinds,
        secret,
    )
    .fetch_one(ex)
    .await?;
    Ok(row.into())
}

/// Deletes `user`'s webhook `id`; whether there was one.
pub async fn delete(ex: impl PgExecutor<'_>, user: UserId, id: WebhookId) -> StoreResult<bool> {
    let done = sqlx::query!(
        "delete from webhooks where id = $1 and user_id = $2",
        id.as_uuid(),
        user.as_uuid()
    )
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether `id` is `user`'s; switches it back on (a test event is how an owner revives one).
pub async fn revive(ex: impl PgExecutor<'_>, user: UserId, id: WebhookId) -> StoreResult<bool> {
    let done = sqlx::query!(
        "update webhooks set active = true, disabled_reason = null, consecutive_failures = 0
         where id = $1 and user_id = $2",
        id.as_uuid(),
        user.as_uuid()
    )
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records one delivery of an event to every active webhook that takes `kind` (only `owner`'s
/// when given), each once however many processes record it; the ids of those recorded here.
pub async fn record_event(
    conn: &mut PgConnection,
    event_id: &str,
    kind: &str,
    body: &str,
    owner: Option<UserId>,
) -> StoreResult<Vec<i64>> {
    sqlx::query_scalar!(
        "insert into webhook_deliveries (webhook_id, event_id, kind, body)
         select id, $1, $2, $3 from webhooks
         where active and $2 = any(kinds) and ($4::uuid is null or user_id = $4)
         on conflict (webhook_id, event_id) do nothing
         returning id",
        event_id,
        kind,
        body,
        owner.map(|u| u.as_uuid()),
    )
    .fetch_all(conn)
    .await
}

/// Records a delivery to one webhook (a test event).
pub async fn record_one(
    conn: &mut PgConnection,
    hook: WebhookId,
    event_id: &str,
    kind: &str,
    body: &str,
) -> StoreResult<i64> {
    sqlx::query_scalar!(
        "insert into webhook_deliveries (webhook_id, event_id, kind, body)
         values ($1, $2, $3, $4) returning id",
        hook.as_uuid(),
        event_id,
        kind,
        body,
    )
    .fetch_one(conn)
    .await
}

/// What sending a delivery needs.
pub struct Outgoing {
    pub webhook: uuid::Uuid,
    pub url: String,
    pub secret: String,
    pub active: bool,
    pub event_id: String,
    pub kind: String,
    pub body: String,
    pub pending: bool,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
}

/// Delivery `id` with its webhook, if both still exist.
pub async fn outgoing(ex: impl PgExecutor<'_>, id: i64) -> StoreResult<Option<Outgoing>> {
    sqlx::query_as!(
        Outgoing,
        r#"select w.id as webhook, w.url, w.secret, w.active, d.event_id, d.kind,
                  d.body, d.status = 'pending' as "pending!", d.attempts,
                  d.created_at as "created_at: DateTime<Utc>"
           from webhook_deliveries d join webhooks w on w.id = d.webhook_id
           where d.id = $1"#,
        id,
    )
    .fetch_optional(ex)
    .await
}

/// Logs attempt `attempt` of delivery `id`; `delivered` ends it.
pub async fn record_attempt(
    ex: impl PgExecutor<'_>,
    id: i64,
    attempt: i32,
    status_code: Option<i32>,
    latency_ms: i32,
    error: Option<&str>,
    delivered: bool,
) -> StoreResult<()> {
    sqlx::query!(
        "with logged as (
             insert into webhook_attempts (delivery_id, attempt, status_code, latency_ms, error)
             values ($1, $2, $3, $4, $5)
         )
         update webhook_deliveries
         set attempts = $2,
             status = case when $6 then 'delivered' else status end,
             finished_at = case when $6 then now() else finished_at end
         where id = $1",
        id,
        attempt,
        status_code,
        latency_ms,
        error,
        delivered,
    )
    .execute(ex)
    .await?;
    Ok(())
}

/// Gives delivery `id` up.
pub async fn give_up(ex: impl PgExecutor<'_>, id: i64) -> StoreResult<()> {
    sqlx::query!(
        "update webhook_deliveries set status = 'failed', finished_at = now()
         where id = $1 and status = 'pending'",
        id
    )
    .execute(ex)
    .await?;
    Ok(())
}

/// Counts a failed attempt of `hook`; its failures in a row.
pub async fn failed(ex: impl PgExecutor<'_>, hook: WebhookId) -> StoreResult<i32> {
    sqlx::query_scalar!(
        "update webhooks set consecutive_failures = consecutive_failures + 1 where id = $1
         returning consecutive_failures",
        hook.as_uuid()
    )
    .fetch_one(ex)
    .await
}

/// A delivery reached `hook`: its failures in a row start again from nought.
pub async fn succeeded(ex: impl PgExecutor<'_>, hook: WebhookId) -> StoreResult<()> {
    sqlx::query!(
        "update webhooks set consecutive_failures = 0 where id = $1",
        hook.as_uuid()
    )
    .execute(ex)
    .await?;
    Ok(())
}

/// Switches `hook` off, saying why; its pending deliveries are given up.
pub async fn disable(ex: &mut PgConnection, hook: WebhookId, reason: &str) -> StoreResult<()> {
    sqlx::query!(
        "update webhooks set active = false, disabled_reason = $2 where id = $1",
        hook.as_uuid(),
        reason
    )
    .execute(&mut *ex)
    .await?;
    sqlx::query!(
        "update webhook_deliveries set status = 'failed', finished_at = now()
         where webhook_id = $1 and status = 'pending'",
        hook.as_uuid()
    )
    .execute(ex)
    .await?;
    Ok(())
}

/// The newest `limit` deliveries of `user`'s webhook `hook` with their attempts; `None` when
/// it is not theirs.
pub async fn deliveries(
    ex: &mut PgConnection,
    user: UserId,
    hook: WebhookId,
    limit: i64,
) -> StoreResult<Option<Vec<WebhookDelivery>>> {
    let mine = sqlx::query_scalar!(
        r#"select exists(select 1 from webhooks where id = $1 and user_id = $2) as "mine!""#,
        hook.as_uuid(),
        user.as_uuid()
    )
    .fetch_one(&mut *ex)
    .await?;
    if !mine {
        return Ok(None);
    }
    let rows = sqlx::query!(
        r#"select d.id, d.event_id, d.kind, d.status,
                  d.created_at as "created_at: DateTime<Utc>",
                  d.finished_at as "finished_at: DateTime<Utc>",
                  coalesce(json_agg(json_build_object(
                      'attempt', a.attempt, 'at', a.at, 'status_code', a.status_code,
                      'latency_ms', a.latency_ms, 'error', a.error) order by a.attempt)
                    filter (where a.attempt is not null), '[]') as "attempts!: serde_json::Value"
           from webhook_deliveries d left join webhook_attempts a on a.delivery_id = d.id
           where d.webhook_id = $1
           group by d.id order by d.id desc limit $2"#,
        hook.as_uuid(),
        limit,
    )
    .fetch_all(&mut *ex)
    .await?;
    Ok(Some(
        rows.into_iter()
            .map(|r| WebhookDelivery {
                id: r.id,
                event_id: r.event_id,
                kind: r.kind,
                status: r.status,
                created_at: r.created_at,
                finished_at: r.finished_at,
                attempts: serde_json::from_value::<Vec<DeliveryAttempt>>(r.attempts)
                    .unwrap_or_default(),
            })
            .collect(),
    ))
}

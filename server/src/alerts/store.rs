//! The `alerts` and `alert_firings` tables: rules, and what they fired.

use app::domain::{AlertId, AlertRule, CooldownHours, PriceLevel, Symbol, UserId};
use app::model::{Alert, Notification};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgExecutor;

use crate::market::store::StoreResult;

/// A rule as stored, before it is checked back into domain types.
struct AlertRow {
    id: uuid::Uuid,
    symbol: String,
    rule: String,
    level: Option<f64>,
    model: Option<String>,
    repeat_hours: Option<i32>,
    active: bool,
    created_at: DateTime<Utc>,
    last_fired_at: Option<DateTime<Utc>>,
}

impl AlertRow {
    /// The wire rule; `None` (logged) for a row the checks should have kept out.
    fn into_alert(self) -> Option<Alert> {
        let parsed = (|| {
            let rule = AlertRule::from_parts(&self.rule, self.level, self.model.as_deref())?;
            let repeat_hours = self
                .repeat_hours
                .map(|h| CooldownHours::new(u32::try_from(h).unwrap_or(0)))
                .transpose()?;
            Ok::<_, String>(Alert {
                id: AlertId::from(self.id),
                symbol: Symbol::parse(&self.symbol)?,
                description: rule.describe(),
                rule,
                repeat_hours,
                active: self.active,
                created_at: self.created_at,
                last_fired_at: self.last_fired_at,
            })
        })();
        parsed
            .inspect_err(|e| tracing::error!(alert = %self.id, error = %e, "unreadable alert row"))
            .ok()
    }
}

/// `user`'s rules, newest first.
pub async fn for_user(ex: impl PgExecutor<'_>, user: UserId) -> StoreResult<Vec<Alert>> {
    let rows = sqlx::query_as!(
        AlertRow,
        r#"select id, symbol, rule, level, model, repeat_hours, active,
                  created_at as "created_at: DateTime<Utc>",
                  last_fired_at as "last_fired_at: DateTime<Utc>"
           from alerts where user_id = $1 order by created_at desc"#,
        user.as_uuid(),
    )
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().filter_map(AlertRow::into_alert).collect())
}

/// How many rules `user` has.
pub async fn count(ex: impl PgExecutor<'_>, user: UserId) -> StoreResult<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from alerts where user_id = $1"#,
        user.as_uuid()
    )
    .fetch_one(ex)
    .await
}

/// Stores a new rule.
pub async fn insert(
    ex: impl PgExecutor<'_>,
    user: UserId,
    symbol: &Symbol,
    rule: AlertRule,
    repeat: Option<CooldownHours>,
) -> StoreResult<Option<Alert>> {
    let row = sqlx::query_as!(
        AlertRow,
        r#"insert into alerts (id, user_id, symbol, rule, level, model, repeat_hours)
           values ($1, $2, $3, $4, $5, $6, $7)
           returning id, symbol, rule, level, model, repeat_hours, active,
                     created_at as "created_at: DateTime<Utc>",
                     last_fired_at as "last_fired_at: DateTime<Utc>""#,
        AlertId::random().as_uuid(),
        user.as_uuid(),
        symbol.as_str(),
        rule.name(),
        rule.level().map(PriceLevel::get),
        rule.model().map(|m| m.as_str()),
        repeat.map(|h| h.get() as i32),
    )
    .fetch_one(ex)
    .await?;
    Ok(row.into_alert())
}

/// Deletes `user`'s rule `id`; whether there was one.
pub async fn delete(ex: impl PgExecutor<'_>, user: UserId, id: AlertId) -> StoreResult<bool> {
    let done = sqlx::query!(
        "delete from alerts where id = $1 and user_id = $2",
        id.as_uuid(),
        user.as_uuid(),
    )
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A rule that may fire on `symbol`'s newest close: active and out of its cool-down.
pub struct Armed {
    /// Its id.
    pub id: AlertId,
    /// Its owner.
    pub user: UserId,
    /// What it watches.
    pub rule: AlertRule,
    /// Whether it keeps watching after it fires.
    pub repeats: bool,
}

/// `symbol`'s rules that may fire now.
pub async fn armed(ex: impl PgExecutor<'_>, symbol: &Symbol) -> StoreResult<Vec<Armed>> {
    let rows = sqlx::query!(
        "select id, user_id, rule, level, model, repeat_hours from alerts
         where symbol = $1 and active
           and (last_fired_at is null or repeat_hours is null
                or last_fired_at + make_interval(hours => repeat_hours) <= now())",
        symbol.as_str(),
    )
    .fetch_all(ex)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let rule = AlertRule::from_parts(&r.rule, r.level, r.model.as_deref());
            match rule {
                Ok(rule) => Some(Armed {
                    id: AlertId::from(r.id),
                    user: UserId::from(r.user_id),
                    rule,
                    repeats: r.repeat_hours.is_some(),
                }),
                Err(e) => {
                    tracing::error!(alert = %r.id, error = %e, "unreadable alert row");
                    None
                }
            }
        })
        .collect())
}

/// The two newest split- and dividend-adjusted closes of `symbol` (newest first), so a split
/// between them is not a crossing.
pub async fn last_two_closes(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
) -> StoreResult<Vec<(NaiveDate, f64)>> {
    let rows = sqlx::query!(
        r#"select date as "date!: NaiveDate", close as "close!" from daily_bars_adjusted($1, null, null)
           order by date desc limit 2"#,
        symbol.as_str(),
    )
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().map(|r| (r.date, r.close)).collect())
}

/// What a firing records.
pub struct Firing<'a> {
    pub alert: &'a Armed,
    pub symbol: &'a Symbol,
    pub date: NaiveDate,
    pub close: f64,
    pub previous_close: f64,
    pub message: &'a str,
}

/// Records that `firing.alert` fired on `firing.date` and updates the rule (a one-shot rule
/// stops). `None` when it had fired on that session already: whichever process evaluates a
/// session first records it, and only that one.
pub async fn fire(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    firing: Firing<'_>,
) -> StoreResult<Option<Notification>> {
    let row = sqlx::query!(
        r#"insert into alert_firings
               (alert_id, user_id, symbol, bar_date, close, previous_close, level, message)
           values ($1, $2, $3, $4, $5, $6, $7, $8)
           on conflict (alert_id, bar_date) do nothing
           returning id, fired_at as "fired_at: DateTime<Utc>""#,
        firing.alert.id.as_uuid(),
        firing.alert.user.as_uuid(),
        firing.symbol.as_str(),
        firing.date as _,
        firing.close,
        firing.previous_close,
        firing.alert.rule.level().map(PriceLevel::get),
        firing.message,
    )
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    sqlx::query!(
        "update alerts set last_fired_at = $2, active = $3 where id = $1",
        firing.alert.id.as_uuid(),
        row.fired_at as _,
        firing.alert.repeats,
    )
    .execute(&mut **tx)
    .await?;
    Ok(Some(Notification {
        id: row.id,
        alert: firing.alert.id,
        symbol: firing.symbol.clone(),
        message: firing.message.to_owned(),
        date: firing.date,
        close: firing.close,
        previous_close: firing.previous_close,
        level: firing.alert.rule.level().map(PriceLevel::get),
        fired_at: row.fired_at,
        read: false,
    }))
}

/// `user`'s newest `limit` notifications.
pub async fn notifications(
    ex: impl PgExecutor<'_>,
    user: UserId,
    limit: i64,
) -> StoreResult<Vec<Notification>> {
    let rows = sqlx::query!(
        r#"select id, alert_id, symbol, bar_date as "bar_date: NaiveDate", close, previous_close,
                  level, message, fired_at as "fired_at: DateTime<Utc>",
                  read_at is not null as "read!"
           from alert_firings where user_id = $1 order by id desc limit $2"#,
        user.as_uuid(),
        limit,
    )
    .fetch_all(ex)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(Notification {
                id: r.id,
                alert: AlertId::from(r.alert_id),
                symbol: Symbol::parse(&r.symbol).ok()?,
                message: r.message,
                date: r.bar_date,
                close: r.close,
                previous_close: r.previous_close,
                level: r.level,
                fired_at: r.fired_at,
                read: r.read,
            })
        })
        .collect())
}

/// How many of `user`'s notifications are unread.
pub async fn unread(ex: impl PgExecutor<'_>, user: UserId) -> StoreResult<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from alert_firings where user_id = $1 and read_at is null"#,
        user.as_uuid()
    )
    .fetch_one(ex)
    .await
}

/// Marks `user`'s notifications read, all or up to `through`.
pub async fn mark_read(
    ex: impl PgExecutor<'_>,
    user: UserId,
    through: Option<i64>,
) -> StoreResult<()> {
    sqlx::query!(
        "update alert_firings set read_at = now()
         where user_id = $1 and read_at is null and ($2::bigint is null or id <= $2)",
        user.as_uuid(),
        through,
    )
    .execute(ex)
    .await?;
    Ok(())
}

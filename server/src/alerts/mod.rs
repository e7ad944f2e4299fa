//! The `Alerts` port: each user's alert rules and the notifications they fire.
//!
//! Rules are evaluated when a symbol's bars change ([`AlertService::listen`]), in every process
//! that hears the event: the one that stored the bars hears it at once, the others through the
//! bus. Whichever records a rule's firing for a session first is the only one that does (a unique
//! key on rule and session), so an alert fires once however many instances evaluate it; that
//! process announces it on the bus, to the owner's streams.

pub mod store;

use app::domain::{AlertId, Symbol, UserId};
use app::model::{Alert, NewAlert, Notifications};
use app::ssr::{Alerts, ServiceError};
use async_trait::async_trait;
use sqlx::PgPool;
use tokio::sync::broadcast::error::RecvError;
use tracing::Instrument;

use crate::events::{Event, Events, Stamped};
use crate::market::store as market_store;

/// Rules one user may keep.
pub const MAX_ALERTS: i64 = 100;
/// Notifications listed at most.
pub const MAX_LISTED: u32 = 200;

/// Alerts in Postgres, announced on the bus.
#[derive(Clone, Debug)]
pub struct AlertService {
    pool: PgPool,
    events: Events,
}

impl AlertService {
    /// The service over `pool`, announcing fired alerts on `events`.
    pub fn new(pool: PgPool, events: Events) -> Self {
        Self { pool, events }
    }

    /// Evaluates `symbol`'s rules whenever its bars change, until the task is aborted.
    pub fn listen(&self) -> tokio::task::JoinHandle<()> {
        let service = self.clone();
        let mut rx = self.events.subscribe();
        tokio::spawn(async move {
            loop {
                let symbol = match rx.recv().await {
                    Ok(Stamped {
                        event: Event::BarsChanged { symbol },
                        ..
                    }) => symbol,
                    Ok(_) => continue,
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "alert evaluation fell behind the events");
                        continue;
                    }
                    Err(RecvError::Closed) => return,
                };
                let span = tracing::info_span!("alerts.evaluate", %symbol);
                if let Err(e) = service.evaluate(&symbol).instrument(span).await {
                    tracing::error!(%symbol, error = %e, "alerts not evaluated");
                }
            }
        })
    }

    /// Fires `symbol`'s rules that its newest close crossed; how many fired here.
    pub async fn evaluate(&self, symbol: &Symbol) -> Result<usize, sqlx::Error> {
        let armed = store::armed(&self.pool, symbol).await?;
        if armed.is_empty() {
            return Ok(0);
        }
        let closes = store::last_two_closes(&self.pool, symbol).await?;
        let [(date, close), (_, previous)] = closes[..] else {
            return Ok(0);
        };
        let mut fired = 0;
        for alert in armed.iter().filter(|a| a.rule.crossed(previous, close)) {
            let message = format!(
                "{symbol} closed at {close:.2} on {date} (from {previous:.2}): {}.",
                alert.rule.describe()
            );
            let mut tx = self.pool.begin().await?;
            let firing = store::Firing {
                alert,
                symbol,
                date,
                close,
                previous_close: previous,
                message: &message,
            };
            let notification = store::fire(&mut tx, firing).await?;
            tx.commit().await?;
            if let Some(notification) = notification {
                tracing::info!(alert = %alert.id, user = %alert.user, "alert fired");
                metrics::counter!("alerts_fired_total").increment(1);
                fired += 1;
                self.events
                    .publish(Event::AlertFired {
                        user: alert.user,
                        notification,
                    })
                    .await;
            }
        }
        Ok(fired)
    }
}

#[async_trait]
impl Alerts for AlertService {
    async fn alerts(&self, user: UserId) -> Result<Vec<Alert>, ServiceError> {
        Ok(store::for_user(&self.pool, user).await?)
    }

    #[tracing::instrument(skip(self), err(level = "info"))]
    async fn create_alert(&self, user: UserId, alert: NewAlert) -> Result<Alert, ServiceError> {
        if market_store::ticker(&self.pool, &alert.symbol)
            .await?
            .is_none()
        {
            return Err(ServiceError::UnknownSymbol(alert.symbol));
        }
        if store::count(&self.pool, user).await? >= MAX_ALERTS {
            return Err(ServiceError::Conflict(format!(
                "You have {MAX_ALERTS} alerts, the most one account may keep; delete one first."
            )));
        }
        store::insert(
            &self.pool,
            user,
            &alert.symbol,
            alert.rule,
            alert.repeat_hours,
        )
        .await?
        .ok_or_else(|| {
            ServiceError::internal("storing an alert", "the stored alert does not read back")
        })
    }

    #[tracing::instrument(skip(self), err(level = "info"))]
    async fn delete_alert(&self, user: UserId, alert: AlertId) -> Result<(), ServiceError> {
        if store::delete(&self.pool, user, alert).await? {
            Ok(())
        } else {
            Err(ServiceError::UnknownAlert(alert))
        }
    }

    async fn notifications(&self, user: UserId, limit: u32) -> Result<Notifications, ServiceError> {
        let limit = i64::from(limit.clamp(1, MAX_LISTED));
        Ok(Notifications {
            unread: store::unread(&self.pool, user).await?,
            items: store::notifications(&self.pool, user, limit).await?,
        })
    }

    async fn mark_read(&self, user: UserId, through: Option<i64>) -> Result<i64, ServiceError> {
        store::mark_read(&self.pool, user, through).await?;
        Ok(store::unread(&self.pool, user).await?)
    }
}

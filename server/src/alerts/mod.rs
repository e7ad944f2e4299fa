//! The `Alerts` port: each user's alert rules and the notifications they fire.
//!
//! Rules are evaluated when a symbol's bars change or new predictions are recorded for it
//! ([`AlertService::listen`]), in every process that hears the event: the one that stored the bars hears it at once, the others through the
//! bus. Whichever records a rule's firing for a session first is the only one that does (a unique
//! key on rule and session), so an alert fires once however many instances evaluate it; that
//! process announces it on the bus, to the owner's streams.

pub mod store;

use app::domain::{AlertId, AlertRule, Symbol, UserId};
use app::model::ModelId;
use app::model::{Alert, NewAlert, Notifications};
use app::ssr::{Alerts, ServiceError};
use async_trait::async_trait;
use sqlx::PgPool;
use tokio::sync::broadcast::error::RecvError;
use tracing::Instrument;

use crate::events::{Event, Events, Stamped};
use crate::market::store as market_store;
use crate::predictions::store as predictions_store;

/// Filled forecasts a model's live error is measured over.
pub const DRIFT_WINDOW: i64 = 20;
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

    /// Evaluates `symbol`'s rules whenever its bars change (price and range rules) or new
    /// predictions are recorded for it (signal rules), until the task is aborted.
    pub fn listen(&self) -> tokio::task::JoinHandle<()> {
        let service = self.clone();
        let mut rx = self.events.subscribe();
        tokio::spawn(async move {
            loop {
                let (symbol, bars) = match rx.recv().await {
                    Ok(Stamped {
                        event: Event::BarsChanged { symbol },
                        ..
                    }) => (symbol, true),
                    Ok(Stamped {
                        event: Event::PredictionsChanged { symbol },
                        ..
                    }) => (symbol, false),
                    Ok(_) => continue,
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "alert evaluation fell behind the events");
                        continue;
                    }
                    Err(RecvError::Closed) => return,
                };
                let span = tracing::info_span!("alerts.evaluate", %symbol, bars);
                let done = if bars {
                    service.evaluate_bars(&symbol).instrument(span).await
                } else {
                    service.evaluate_signals(&symbol).instrument(span).await
                };
                if let Err(e) = done {
                    tracing::error!(%symbol, error = %e, "alerts not evaluated");
                }
            }
        })
    }

    /// Fires `symbol`'s price rules that its newest close crossed, and its range rules whose
    /// model's forecast range that close left; how many fired here.
    pub async fn evaluate_bars(&self, symbol: &Symbol) -> Result<usize, sqlx::Error> {
        let armed = store::armed(&self.pool, symbol).await?;
        if armed.is_empty() {
            return Ok(0);
        }
        let closes = store::last_two_closes(&self.pool, symbol).await?;
        let [(date, close), (_, previous)] = closes[..] else {
            return Ok(0);
        };
        // Read once for every drift rule of this symbol, and only when there is one.
        let live = if armed
            .iter()
            .any(|a| matches!(a.rule, AlertRule::Drift { .. }))
        {
            predictions_store::live_errors(&self.pool, Some(symbol), DRIFT_WINDOW).await?
        } else {
            Vec::new()
        };
        let mut fired = 0;
        for alert in &armed {
            let firing = match alert.rule {
                AlertRule::PriceAbove { .. } | AlertRule::PriceBelow { .. } => {
                    if !alert.rule.crossed(previous, close) {
                        continue;
                    }
                    let message = format!(
                        "{symbol} closed at {close:.2} on {date} (from {previous:.2}): {}.",
                        alert.rule.describe()
                    );
                    (close, previous, message)
                }
                AlertRule::OutsideRange { model } => {
                    let Some(f) =
                        predictions_store::one_day_forecast(&self.pool, symbol, model, date)
                            .await?
                    else {
                        continue;
                    };
                    let (Some(lo), Some(hi), Some(actual)) = (f.lo95, f.hi95, f.actual) else {
                        continue;
                    };
                    if (lo..=hi).contains(&actual) {
                        continue;
                    }
                    let message = format!(
                        "{symbol} closed at {actual:.2} on {date}, outside {model}'s 95% range \
                         [{lo:.2}, {hi:.2}] forecast from {:.2}.",
                        f.last_close
                    );
                    (actual, f.last_close, message)
                }
                AlertRule::Drift { model } => {
                    let Some(drift) = drift(&live, symbol, model) else {
                        continue;
                    };
                    (close, previous, drift)
                }
                AlertRule::SignalChange { .. } => continue,
            };
            fired += self.fire(alert, symbol, date, firing).await? as usize;
        }
        Ok(fired)
    }

    /// Fires `symbol`'s signal rules whose model's newest one-day signal differs from the one
    /// before; how many fired here.
    pub async fn evaluate_signals(&self, symbol: &Symbol) -> Result<usize, sqlx::Error> {
        let armed = store::armed(&self.pool, symbol).await?;
        let mut fired = 0;
        for alert in &armed {
            let AlertRule::SignalChange { model } = alert.rule else {
                continue;
            };
            let signals = predictions_store::last_two_signals(&self.pool, symbol, model).await?;
            let [(as_of, now, close), (_, before, previous)] = signals[..] else {
                continue;
            };
            if now == before {
                continue;
            }
            let message = format!(
                "{model}'s 1-day signal for {symbol} changed from {} to {} (as of {as_of}, close \
                 {close:.2}).",
                before.as_str(),
                now.as_str()
            );
            fired += self
                .fire(alert, symbol, as_of, (close, previous, message))
                .await? as usize;
        }
        Ok(fired)
    }

    /// Records that `alert` fired for session `date` (once, whichever process gets there first)
    /// and announces it; whether it was recorded here.
    async fn fire(
        &self,
        alert: &store::Armed,
        symbol: &Symbol,
        date: chrono::NaiveDate,
        (close, previous_close, message): (f64, f64, String),
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let firing = store::Firing {
            alert,
            symbol,
            date,
            close,
            previous_close,
            message: &message,
        };
        let notification = store::fire(&mut tx, firing).await?;
        tx.commit().await?;
        let Some(notification) = notification else {
            return Ok(false);
        };
        tracing::info!(alert = %alert.id, user = %alert.user, "alert fired");
        metrics::counter!("alerts_fired_total").increment(1);
        self.events
            .publish(Event::AlertFired {
                user: alert.user,
                notification,
            })
            .await;
        Ok(true)
    }
}

/// Why `model`'s live error on `symbol` (in `live`) has drifted past its walk-forward error, if it
/// has: over its last [`DRIFT_WINDOW`] filled forecasts, MAE over the random walk's above the
/// current version's walk-forward figure.
fn drift(live: &[predictions_store::LiveError], symbol: &Symbol, model: ModelId) -> Option<String> {
    let e = live
        .iter()
        .find(|e| &e.symbol == symbol && e.model == model.as_str())?;
    let (Some(score), Some(live)) = (e.score, e.live) else {
        return None;
    };
    (e.filled >= DRIFT_WINDOW && live > score).then(|| {
        format!(
            "{model}'s live error on {symbol} over its last {} forecasts is {live:.2} times the \
             random walk's, past its walk-forward {score:.2}.",
            e.filled
        )
    })
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

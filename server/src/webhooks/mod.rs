//! The `Webhooks` port: each user's webhooks, the deliveries made to them, and the listener that
//! turns events on the bus into deliveries.
//!
//! Every process listens; whichever records an event's delivery to a webhook first queues it
//! (one row per event and webhook), so an event is delivered once however many instances hear it.
//! A fired alert goes to its owner's webhooks only; market events to every webhook that takes
//! their kind; a job only when it finishes.

pub mod delivery;
pub mod operator;
pub mod signature;
pub mod store;

use app::domain::{JobState, UserId, WebhookId, WebhookKinds, WebhookUrl};
use app::model::{CreatedWebhook, Webhook, WebhookDelivery};
use app::ssr::{ServiceError, Webhooks};
use async_trait::async_trait;
use sqlx::PgPool;
use tokio::sync::broadcast::error::RecvError;

use crate::events::{Event, Events, Stamped};
use delivery::{DeliveryInput, DeliveryQueue, DeliveryTask};

/// Webhooks one account may keep.
pub const MAX_WEBHOOKS: i64 = 10;

/// Webhooks in Postgres, delivered through their queue.
#[derive(Clone)]
pub struct WebhookService {
    pool: PgPool,
    queue: DeliveryQueue,
}

impl std::fmt::Debug for WebhookService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookService").finish_non_exhaustive()
    }
}

/// The JSON a receiver gets.
fn body(id: &str, kind: &str, data: &impl serde::Serialize) -> String {
    serde_json::json!({ "id": id, "kind": kind, "data": data }).to_string()
}

impl WebhookService {
    /// The service over `pool`, queueing deliveries on `queue`.
    pub fn new(pool: PgPool, queue: DeliveryQueue) -> Self {
        Self { pool, queue }
    }

    /// Records and queues the deliveries of every event on `events`, until the task is aborted.
    pub fn listen(&self, events: &Events) -> tokio::task::JoinHandle<()> {
        let service = self.clone();
        let mut rx = events.subscribe();
        tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(stamped) => {
                        if let Err(e) = service.record(&stamped).await {
                            tracing::error!(error = %e, event = %stamped.id, "webhook deliveries not recorded");
                        }
                    }
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "webhook deliveries fell behind the events");
                    }
                    Err(RecvError::Closed) => return,
                }
            }
        })
    }

    /// The deliveries of one event.
    async fn record(&self, stamped: &Stamped) -> Result<(), sqlx::Error> {
        let Some(kind) = stamped.event.kind() else {
            return Ok(());
        };
        let owner = match &stamped.event {
            Event::Job { job, .. } if !matches!(job.status, JobState::Done | JobState::Failed) => {
                return Ok(());
            }
            Event::AlertFired { user, .. } => Some(*user),
            _ => None,
        };
        let id = stamped.id.to_string();
        let text = body(&id, kind.as_str(), &stamped.event);
        let mut tx = self.pool.begin().await?;
        let made = store::record_event(&mut tx, &id, kind.as_str(), &text, owner).await?;
        for delivery in &made {
            self.enqueue(&mut tx, *delivery).await?;
        }
        tx.commit().await?;
        if !made.is_empty() {
            tracing::info!(event = %id, deliveries = made.len(), "webhook deliveries queued");
        }
        Ok(())
    }

    async fn enqueue(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        delivery: i64,
    ) -> Result<(), sqlx::Error> {
        self.queue
            .enqueue(
                &mut **tx,
                &DeliveryTask::for_enqueue(),
                &DeliveryInput { delivery },
            )
            .await
            .map(|_| ())
            .map_err(|e| sqlx::Error::Protocol(format!("delivery not queued: {e}")))
    }
}

#[async_trait]
impl Webhooks for WebhookService {
    async fn webhooks(&self, user: UserId) -> Result<Vec<Webhook>, ServiceError> {
        Ok(store::for_user(&self.pool, user).await?)
    }

    #[tracing::instrument(skip(self, url), err(level = "info"))]
    async fn create_webhook(
        &self,
        user: UserId,
        url: WebhookUrl,
        kinds: WebhookKinds,
    ) -> Result<CreatedWebhook, ServiceError> {
        if store::count(&self.pool, user).await? >= MAX_WEBHOOKS {
            return Err(ServiceError::Conflict(format!(
                "You have {MAX_WEBHOOKS} webhooks, the most one account may keep; delete one first."
            )));
        }
        let secret = format!("whsec_{}", hex::encode(rand::random::<[u8; 24]>()));
        let webhook =
            store::insert(&self.pool, user, url.as_str(), &kinds.names(), &secret).await?;
        Ok(CreatedWebhook { webhook, secret })
    }

    #[tracing::instrument(skip(self), err(level = "info"))]
    async fn delete_webhook(&self, user: UserId, id: WebhookId) -> Result<(), ServiceError> {
        if store::delete(&self.pool, user, id).await? {
            Ok(())
        } else {
            Err(ServiceError::UnknownWebhook(id))
        }
    }

    #[tracing::instrument(skip(self), err(level = "info"))]
    async fn test_webhook(
        &self,
        user: UserId,
        id: WebhookId,
    ) -> Result<WebhookDelivery, ServiceError> {
        let mut tx = self.pool.begin().await?;
        if !store::revive(&mut *tx, user, id).await? {
            return Err(ServiceError::UnknownWebhook(id));
        }
        let event_id = format!("test-{}", uuid::Uuid::new_v4().simple());
        let data = serde_json::json!({ "message": "A test event from Tickercast." });
        let text = body(&event_id, "test", &data);
        let delivery = store::record_one(&mut tx, id, &event_id, "test", &text).await?;
        self.enqueue(&mut tx, delivery)
            .await
            .map_err(|e| ServiceError::internal("queueing a test delivery", e))?;
        tx.commit().await?;
        Ok(WebhookDelivery {
            id: delivery,
            event_id,
            kind: "test".into(),
            status: "pending".into(),
            created_at: chrono::Utc::now(),
            finished_at: None,
            attempts: vec![],
        })
    }

    async fn deliveries(
        &self,
        user: UserId,
        id: WebhookId,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>, ServiceError> {
        let mut conn = self.pool.acquire().await?;
        store::deliveries(&mut conn, user, id, i64::from(limit.clamp(1, 100)))
            .await?
            .ok_or(ServiceError::UnknownWebhook(id))
    }
}

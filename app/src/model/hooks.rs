//! Wire types of webhooks: the hook as its owner sees it, and its delivery log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::WebhookId;

/// A webhook (never its secret, which is shown once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Webhook {
    /// Its id.
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = Uuid))]
    pub id: WebhookId,
    /// Where deliveries go.
    pub url: String,
    /// The event kinds sent.
    pub kinds: Vec<String>,
    /// Whether deliveries are made (off after repeated failure).
    pub active: bool,
    /// Why it was switched off.
    pub disabled_reason: Option<String>,
    /// Failed attempts in a row.
    pub consecutive_failures: i32,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// A new webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where to send: an absolute URL, https (or http), with a host and no credentials.
    #[cfg_attr(
        feature = "ssr",
        schema(
            pattern = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[!-~]*)?$",
            max_length = 2048
        )
    )]
    pub url: String,
    /// Event kinds to send: bars, predictions, job, alert, circuit (absent: alert).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Vec<KindName>>, min_items = 1))]
    pub kinds: Option<Vec<String>>,
}

/// An event kind's name (for the OpenAPI document).
#[cfg(feature = "ssr")]
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // never built: it only describes the names
#[schema(rename_all = "lowercase")]
pub enum KindName {
    /// New daily bars.
    Bars,
    /// New predictions.
    Predictions,
    /// A job finished or failed.
    Job,
    /// An alert fired.
    Alert,
    /// A provider's circuit opened or closed.
    Circuit,
}

/// A webhook just made, with its signing secret: the only time it is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedWebhook {
    /// The webhook.
    pub webhook: Webhook,
    /// The HMAC-SHA256 key of its `Tickercast-Signature` header.
    pub secret: String,
}

/// One try at delivering an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeliveryAttempt {
    /// 1 for the first try.
    pub attempt: i32,
    /// When it was made.
    pub at: DateTime<Utc>,
    /// The receiver's status code; absent when it did not answer (or was not allowed).
    pub status_code: Option<i32>,
    /// How long it took.
    pub latency_ms: i32,
    /// What went wrong.
    pub error: Option<String>,
}

/// An event sent (or being sent) to a webhook, with its attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    /// Its number.
    pub id: i64,
    /// The event's id (`Tickercast-Event-Id`).
    pub event_id: String,
    /// The event's kind, or `test`.
    pub kind: String,
    /// `pending` (retries to come), `delivered` or `failed`.
    pub status: String,
    /// When the event was queued for this webhook.
    pub created_at: DateTime<Utc>,
    /// When it was delivered or given up.
    pub finished_at: Option<DateTime<Utc>>,
    /// Every try, oldest first.
    pub attempts: Vec<DeliveryAttempt>,
}

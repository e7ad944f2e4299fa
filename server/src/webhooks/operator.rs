//! The operator's failure alert (`ALERT_WEBHOOK_URL`): a training job that failed for good, or a
//! market-data provider whose circuit opened, POSTed as `{"text", "kind", "event"}` (the `text`
//! reads in a chat channel). Every process hears the event; a short Redis lock per event lets one
//! of them send it, and a provider's circuit is reported at most every ten minutes. With Redis
//! down each process sends its own (a duplicate beats a silence).

use std::time::Duration;

use app::domain::JobState;
use tokio::sync::broadcast::error::RecvError;

use super::signature;
use crate::cache::Cache;
use crate::events::{Event, Events, Stamped};

/// How often one provider's circuit is reported.
const CIRCUIT_QUIET: Duration = Duration::from_secs(600);

/// Where the operator's alerts go.
#[derive(Clone)]
pub struct OperatorAlerts {
    url: String,
    secret: Option<String>,
    cache: Cache,
    http: reqwest::Client,
}

/// What an event means to an operator: a key it is sent once under (for how long), and the words.
fn alert_for(stamped: &Stamped) -> Option<(String, Duration, &'static str, String)> {
    match &stamped.event {
        Event::Job {
            symbol,
            activity,
            job,
        } if job.status == JobState::Failed && activity == "train" => Some((
            format!("operator-alert:{}", stamped.id),
            Duration::from_secs(3600),
            "training_failed",
            format!(
                "Training failed for good: {symbol} (job {}): {}",
                job.id,
                job.error.as_deref().unwrap_or("no reason recorded")
            ),
        )),
        Event::Circuit {
            provider,
            open: true,
        } => Some((
            format!("operator-alert:circuit:{provider}"),
            CIRCUIT_QUIET,
            "circuit_open",
            format!("Market-data provider {provider} keeps failing: its circuit is open, and it is skipped until it answers again."),
        )),
        _ => None,
    }
}

impl OperatorAlerts {
    /// Alerts to `url`, signed with `secret` when there is one, sent once across processes through
    /// `cache`.
    pub fn new(url: String, secret: Option<String>, cache: Cache) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self {
            url,
            secret,
            cache,
            http,
        }
    }

    /// Sends the alerts `events` call for, until the task is aborted.
    pub fn listen(self, events: &Events) -> tokio::task::JoinHandle<()> {
        let mut rx = events.subscribe();
        tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(stamped) => {
                        if let Some((key, quiet, kind, text)) = alert_for(&stamped) {
                            self.send_once(&key, quiet, kind, &text, &stamped.event)
                                .await;
                        }
                    }
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                }
            }
        })
    }

    async fn send_once(&self, key: &str, quiet: Duration, kind: &str, text: &str, event: &Event) {
        let token = uuid::Uuid::new_v4().simple().to_string();
        if self.cache.try_lock(key, &token, quiet).await == Some(false) {
            return; // another process sends it (or sent it lately)
        }
        let body = serde_json::json!({ "text": text, "kind": kind, "event": event }).to_string();
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json");
        if let Some(secret) = &self.secret {
            let t = chrono::Utc::now().timestamp();
            request = request.header("tickercast-signature", signature::sign(secret, t, &body));
        }
        match request.body(body).send().await {
            Ok(res) if res.status().is_success() => tracing::info!(kind, "operator alerted"),
            Ok(res) => tracing::error!(kind, status = %res.status(), "operator alert refused"),
            Err(e) => tracing::error!(kind, error = %e.without_url(), "operator alert not sent"),
        }
    }
}

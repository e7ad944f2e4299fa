//! Sending deliveries: a task of the Postgres queue per attempt, so a delivery survives a restart
//! and any worker process may make the next attempt. Each failed attempt queues the next after an
//! exponential backoff with jitter, until the delivery is a day old; a webhook that keeps failing
//! is switched off.
//!
//! Outbound requests are guarded: a timeout, redirects followed only on the same host, and the
//! target's addresses checked before connecting (loopback, private, link-local and other
//! non-public addresses are refused unless `WEBHOOK_ALLOW_PRIVATE` says otherwise); the request
//! then goes to the address that was checked, so a DNS answer cannot change in between.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::domain::WebhookId;
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Postgres, Transaction};
use underway::task::{Result as TaskResult, RetryPolicy};
use underway::{Queue, Task};

use super::{signature, store};
use crate::config::WebhookSettings;
use crate::jobs::span_of;

/// The queue's name in underway's tables.
pub const QUEUE_NAME: &str = "tickercast-webhooks";

/// A queued attempt.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct DeliveryInput {
    /// The `webhook_deliveries` row.
    pub delivery: i64,
}

/// The queue task: one attempt of a delivery.
pub struct DeliveryTask {
    sender: Option<Arc<Sender>>,
}

impl DeliveryTask {
    /// A task value for enqueuing.
    pub fn for_enqueue() -> Self {
        Self { sender: None }
    }
}

impl Task for DeliveryTask {
    type Input = DeliveryInput;
    type Output = ();

    async fn execute(
        &self,
        _tx: Transaction<'_, Postgres>,
        input: DeliveryInput,
    ) -> TaskResult<()> {
        match &self.sender {
            Some(sender) => sender
                .attempt(input.delivery)
                .await
                .map_err(|e| underway::task::Error::Retryable(e.to_string())),
            None => Err(underway::task::Error::Fatal(
                "this task value only enqueues".into(),
            )),
        }
    }

    // Our own backoff schedules the next attempt; the queue only retries a database hiccup.
    fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy::builder()
            .max_attempts(3)
            .initial_interval_ms(1_000)
            .build()
    }

    fn timeout(&self) -> jiff::Span {
        span_of(Duration::from_secs(120))
    }
}

/// The delivery queue's client.
pub type DeliveryQueue = Arc<Queue<DeliveryTask>>;

/// Opens the queue (its tables are the job queue's).
pub async fn queue(pool: &PgPool) -> Result<DeliveryQueue, underway::queue::Error> {
    Ok(Arc::new(
        Queue::builder()
            .name(QUEUE_NAME)
            .pool(pool.clone())
            .build()
            .await?,
    ))
}

/// Makes attempts.
pub struct Sender {
    pool: PgPool,
    queue: DeliveryQueue,
    settings: WebhookSettings,
}

/// What one attempt got.
struct Reply {
    status: Option<u16>,
    error: Option<String>,
}

impl Sender {
    fn new(pool: PgPool, queue: DeliveryQueue, settings: WebhookSettings) -> Self {
        Self {
            pool,
            queue,
            settings,
        }
    }

    /// One attempt of delivery `id`, and what follows from it.
    #[tracing::instrument(skip(self), err(level = "warn"))]
    async fn attempt(&self, id: i64) -> Result<(), sqlx::Error> {
        let Some(out) = store::outgoing(&self.pool, id).await? else {
            return Ok(()); // the webhook was deleted
        };
        if !out.pending {
            return Ok(());
        }
        if !out.active {
            return store::give_up(&self.pool, id).await;
        }
        let attempt = out.attempts + 1;
        let started = Instant::now();
        let reply = self.send(&out).await;
        let latency = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        let delivered = reply.status.is_some_and(|s| (200..300).contains(&s));
        store::record_attempt(
            &self.pool,
            id,
            attempt,
            reply.status.map(i32::from),
            latency,
            reply.error.as_deref(),
            delivered,
        )
        .await?;
        let hook = WebhookId::from(out.webhook);
        metrics::counter!("webhook_attempts_total", "delivered" => delivered.to_string())
            .increment(1);
        if delivered {
            tracing::info!(attempt, latency, "webhook delivered");
            return store::succeeded(&self.pool, hook).await;
        }
        tracing::info!(attempt, status = ?reply.status, error = ?reply.error, "webhook attempt failed");
        let failures = store::failed(&self.pool, hook).await?;
        if failures >= self.settings.disable_after as i32 {
            let reason = format!(
                "Switched off after {failures} failed attempts in a row; the last: {}. Send a \
                 test event to switch it back on.",
                reply.error.as_deref().unwrap_or("no answer")
            );
            tracing::warn!(webhook = %hook, failures, "webhook switched off");
            let mut conn = self.pool.acquire().await?;
            return store::disable(&mut conn, hook, &reason).await;
        }
        let wait = backoff(&self.settings, attempt, rand::random::<f64>());
        let age = chrono::Utc::now() - out.created_at;
        if age + chrono::Duration::from_std(wait).unwrap_or_default()
            > chrono::Duration::from_std(self.settings.give_up_after).unwrap_or_default()
        {
            tracing::warn!(attempt, "webhook delivery given up");
            return store::give_up(&self.pool, id).await;
        }
        self.queue
            .enqueue_after(
                &self.pool,
                &DeliveryTask::for_enqueue(),
                &DeliveryInput { delivery: id },
                span_of(wait),
            )
            .await
            .map_err(|e| sqlx::Error::Protocol(format!("next attempt not queued: {e}")))?;
        Ok(())
    }

    /// Posts the signed body, if the target may be reached.
    async fn send(&self, out: &store::Outgoing) -> Reply {
        let failed = |error: String| Reply {
            status: None,
            error: Some(error),
        };
        let url = match reqwest::Url::parse(&out.url) {
            Ok(u) => u,
            Err(e) => return failed(format!("unusable URL: {e}")),
        };
        let address = match self.allowed_address(&url).await {
            Ok(a) => a,
            Err(e) => return failed(e),
        };
        let host = url.host_str().unwrap_or_default().to_owned();
        let same_host = host.clone();
        let client = reqwest::Client::builder()
            .timeout(self.settings.timeout)
            .connect_timeout(self.settings.timeout)
            .resolve(&host, address)
            .redirect(reqwest::redirect::Policy::custom(move |a| {
                if a.previous().len() >= 3 || a.url().host_str() != Some(same_host.as_str()) {
                    a.stop()
                } else {
                    a.follow()
                }
            }))
            .user_agent("Tickercast-Webhooks/1")
            .build();
        let client = match client {
            Ok(c) => c,
            Err(e) => return failed(format!("no HTTP client: {e}")),
        };
        let t = chrono::Utc::now().timestamp();
        let sent = client
            .post(url)
            .header("content-type", "application/json")
            .header(
                "tickercast-signature",
                signature::sign(&out.secret, t, &out.body),
            )
            .header("tickercast-event", &out.kind)
            .header("tickercast-event-id", &out.event_id)
            .body(out.body.clone())
            .send()
            .await;
        match sent {
            Ok(res) => {
                let status = res.status();
                Reply {
                    status: Some(status.as_u16()),
                    error: (!status.is_success()).then(|| format!("answered {status}")),
                }
            }
            Err(e) if e.is_timeout() => failed("timed out".into()),
            Err(e) => failed(format!("not reached: {}", e.without_url())),
        }
    }

    /// The address to connect to: the first the host resolves to, when every one is allowed.
    async fn allowed_address(&self, url: &reqwest::Url) -> Result<SocketAddr, String> {
        let host = url.host_str().ok_or("the URL has no host")?;
        let port = url.port_or_known_default().ok_or("the URL has no port")?;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addresses: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::net::lookup_host((bare, port))
                .await
                .map_err(|e| format!("{host} does not resolve: {e}"))?
                .collect(),
        };
        if addresses.is_empty() {
            return Err(format!("{host} has no address"));
        }
        if !self.settings.allow_private {
            if let Some(bad) = addresses.iter().find(|a| !is_public(a.ip())) {
                return Err(format!(
                    "{host} resolves to {}, which is not a public address; webhooks are not sent there",
                    bad.ip()
                ));
            }
        }
        Ok(addresses[0])
    }
}

/// Starts `concurrency` senders in this process.
pub fn start(
    pool: PgPool,
    queue: DeliveryQueue,
    settings: WebhookSettings,
    concurrency: usize,
) -> tokio::task::JoinHandle<()> {
    let sender = Arc::new(Sender::new(pool, queue.clone(), settings));
    let mut worker = underway::Worker::new(
        queue,
        DeliveryTask {
            sender: Some(sender),
        },
    );
    worker.set_concurrency_limit(concurrency.max(1));
    tokio::spawn(async move {
        loop {
            match worker.run_every(span_of(Duration::from_millis(500))).await {
                Ok(()) => break,
                Err(e) => {
                    tracing::error!(error = %e, "webhook sender stopped; restarting in 5 s");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            }
        }
    })
}

/// The wait before attempt `attempt + 1`: the base doubled per attempt, at most the cap, times a
/// jitter of ±25% (`unit` in 0..1) so that many failing deliveries do not retry in step.
pub fn backoff(settings: &WebhookSettings, attempt: i32, unit: f64) -> Duration {
    let doubled = settings
        .retry_base
        .saturating_mul(1u32 << attempt.clamp(1, 20).saturating_sub(1) as u32);
    doubled
        .min(settings.retry_cap)
        .mul_f64(0.75 + 0.5 * unit.clamp(0.0, 1.0))
}

/// Whether `ip` is an address on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
                || (a == 198 && (b == 18 || b == 19)) // benchmarking
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || first == 0x2001 && v6.segments()[1] == 0x0db8) // documentation
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn waits_double_with_jitter_up_to_the_cap() {
        let s = WebhookSettings {
            retry_base: Duration::from_secs(30),
            retry_cap: Duration::from_secs(7200),
            ..WebhookSettings::default()
        };
        assert_eq!(backoff(&s, 1, 0.5), Duration::from_secs(30));
        assert_eq!(backoff(&s, 2, 0.5), Duration::from_secs(60));
        assert_eq!(backoff(&s, 3, 0.0), Duration::from_secs_f64(90.0));
        assert_eq!(backoff(&s, 3, 1.0), Duration::from_secs_f64(150.0));
        assert_eq!(backoff(&s, 12, 0.5), Duration::from_secs(7200), "capped");
        // With ±25%, each wait is still longer than the one before.
        assert!(backoff(&s, 4, 0.0) > backoff(&s, 3, 1.0));
    }
}

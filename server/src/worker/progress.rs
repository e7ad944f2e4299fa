//! A running job's progress and step, written to its row so pollers see it while the attempt runs,
//! and announced on the event bus so streams see it at once.

use std::time::{Duration, Instant};

use app::domain::{JobId, JobState, Symbol};
use app::model::JobStatus;
use sqlx::PgPool;

use crate::events::{Event, Events};
use crate::jobs::{store, JobError, JobRecord};

/// Writes a job's progress and step, from async code or (through [`Progress::reporter`]) from
/// the model library's worker threads, at most a few times a second.
#[derive(Clone)]
pub(super) struct Progress {
    pool: PgPool,
    events: Events,
    id: JobId,
    symbol: Symbol,
    activity: &'static str,
}

impl Progress {
    pub(super) fn new(pool: PgPool, events: Events, job: &JobRecord) -> Self {
        Self {
            pool,
            events,
            id: job.id,
            symbol: job.symbol.clone(),
            activity: job.kind.as_str(),
        }
    }

    /// Sets progress and step now.
    pub(super) async fn set(&self, progress: i16, step: &str) -> Result<(), JobError> {
        store::set_progress(&self.pool, self.id, progress, step).await?;
        self.announce(JobStatus {
            id: self.id,
            status: JobState::Running,
            progress: progress.clamp(0, 100),
            step: Some(step.to_owned()),
            error: None,
        })
        .await;
        Ok(())
    }

    /// Tells the streams where the job is (after its row says so).
    pub(super) async fn announce(&self, job: JobStatus) {
        self.events
            .publish(Event::Job {
                symbol: self.symbol.clone(),
                activity: self.activity.to_owned(),
                job,
            })
            .await;
    }

    /// A callback for `walk_forward` (called after each origin, from any thread) that maps
    /// `done/total` onto `from..to` percent, and the task writing it; await the task once the
    /// callback is dropped, so its last figure cannot overwrite the next step.
    pub(super) fn reporter(
        &self,
        from: i16,
        to: i16,
        what: &'static str,
    ) -> (
        impl Fn(usize, usize) + Send + Sync + 'static,
        tokio::task::JoinHandle<()>,
    ) {
        let (tx, mut rx) = tokio::sync::watch::channel((0usize, 0usize));
        let writer = self.clone();
        let task = tokio::spawn(async move {
            let mut last_write = Instant::now() - Duration::from_secs(1);
            while rx.changed().await.is_ok() {
                let elapsed = last_write.elapsed();
                if elapsed < Duration::from_millis(250) {
                    tokio::time::sleep(Duration::from_millis(250) - elapsed).await;
                }
                let (done, total) = *rx.borrow_and_update();
                let pct = from + ((to - from) as f64 * done as f64 / total.max(1) as f64) as i16;
                let step = format!("{what}: {done}/{total} origins");
                if let Err(e) = writer.set(pct, &step).await {
                    tracing::warn!(error = %e, "progress not recorded");
                }
                last_write = Instant::now();
            }
        });
        let callback = move |done: usize, total: usize| {
            let _ = tx.send((done, total));
        };
        (callback, task)
    }
}

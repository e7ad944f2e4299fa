//! The queue task every job runs as, and the in-process workers that execute it.

use std::sync::Arc;
use std::time::Duration;

use jiff::Span;
use serde::{Deserialize, Serialize};
use sqlx::{Postgres, Transaction};
use underway::task::{Result as TaskResult, RetryPolicy};
use underway::{Queue, Task, Worker};
use uuid::Uuid;

use super::{JobSettings, Runner};

/// A queued task's input: the job row holds everything else.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct JobInput {
    /// The `jobs` row to run.
    pub job_id: Uuid,
}

/// The queue task. Its settings (retry policy, heartbeat, timeout, concurrency key) are stored
/// with each task when it is enqueued, so the enqueuing process's settings apply.
pub struct JobTask {
    // Present in workers; an enqueuing process only needs the settings.
    runner: Option<Arc<Runner>>,
    settings: JobSettings,
    concurrency_key: Option<String>,
}

impl JobTask {
    pub(super) fn for_enqueue(settings: JobSettings, concurrency_key: Option<String>) -> Self {
        Self {
            runner: None,
            settings,
            concurrency_key,
        }
    }

    fn for_worker(runner: Arc<Runner>) -> Self {
        Self {
            settings: runner.settings().clone(),
            runner: Some(runner),
            concurrency_key: None,
        }
    }
}

fn span_of(d: Duration) -> Span {
    // Whole milliseconds: every setting is at least a millisecond and far below jiff's limits.
    Span::new().milliseconds(i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2))
}

impl Task for JobTask {
    type Input = JobInput;
    type Output = ();

    async fn execute(&self, tx: Transaction<'_, Postgres>, input: JobInput) -> TaskResult<()> {
        match &self.runner {
            Some(runner) => runner.run(tx, input.job_id).await,
            None => Err(underway::task::Error::Fatal(
                "this task value only enqueues; no runner".into(),
            )),
        }
    }

    fn retry_policy(&self) -> RetryPolicy {
        let s = &self.settings;
        let initial = i32::try_from(s.retry_initial.as_millis()).unwrap_or(i32::MAX);
        RetryPolicy::builder()
            .max_attempts(s.max_attempts)
            .initial_interval_ms(initial)
            .max_interval_ms(initial.saturating_mul(64))
            .backoff_coefficient(2.0)
            .build()
    }

    fn timeout(&self) -> Span {
        span_of(self.settings.timeout)
    }

    fn heartbeat(&self) -> Span {
        span_of(self.settings.heartbeat)
    }

    fn concurrency_key(&self) -> Option<String> {
        self.concurrency_key.clone()
    }
}

/// Running workers; [`WorkerHandle::shutdown`] stops them.
pub struct WorkerHandle {
    worker: Option<Worker<JobTask>>,
    join: Option<tokio::task::JoinHandle<()>>,
}

impl WorkerHandle {
    /// Stops taking tasks and waits up to `grace` for running ones. Anything still running after
    /// that is dropped: its transaction rolls back, and another worker picks the task up once its
    /// heartbeat is stale.
    pub async fn shutdown(mut self, grace: Duration) {
        if let Some(w) = self.worker.take() {
            w.shutdown();
        }
        if let Some(mut join) = self.join.take() {
            if tokio::time::timeout(grace, &mut join).await.is_err() {
                tracing::warn!("workers did not finish within the grace period; stopping them");
                join.abort();
            }
        }
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        if let Some(join) = self.join.take() {
            join.abort();
        }
    }
}

pub(super) fn start(
    queue: Arc<Queue<JobTask>>,
    runner: Arc<Runner>,
    concurrency: usize,
) -> WorkerHandle {
    let poll = runner.settings().poll;
    let mut worker = Worker::new(queue, JobTask::for_worker(runner));
    worker.set_concurrency_limit(concurrency.max(1));
    let join = tokio::spawn({
        let worker = worker.clone();
        async move {
            // A lost database connection ends `run_every`; start again after a pause rather
            // than leave the process without a worker.
            loop {
                match worker.run_every(span_of(poll)).await {
                    Ok(()) => break,
                    Err(e) => {
                        tracing::error!(error = %e, "job worker stopped; restarting in 5 s");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                }
            }
        }
    });
    tracing::info!(concurrency, ?poll, "job workers started");
    WorkerHandle {
        worker: Some(worker),
        join: Some(join),
    }
}

//! The queue task every job runs as. Workers give it a [`JobExecutor`]; an enqueuing process
//! only needs its settings.

use std::sync::Arc;
use std::time::Duration;

use app::domain::JobId;
use async_trait::async_trait;
use jiff::Span;
use serde::{Deserialize, Serialize};
use sqlx::{Postgres, Transaction};
use underway::task::{Result as TaskResult, RetryPolicy};
use underway::Task;

use super::JobSettings;

/// A queued task's input: the job row holds everything else.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct JobInput {
    /// The `jobs` row to run.
    pub job_id: JobId,
}

/// Runs one attempt of a job (the worker's side of the task). The attempt's result is written in
/// `tx`, which the queue commits together with the task's success.
#[async_trait]
pub trait JobExecutor: Send + Sync + 'static {
    /// One attempt of job `id`.
    async fn run(&self, tx: Transaction<'_, Postgres>, id: JobId) -> TaskResult<()>;
}

/// The queue task. Its settings (retry policy, heartbeat, timeout, concurrency key) are stored
/// with each task when it is enqueued, so the enqueuing process's settings apply.
pub struct JobTask {
    // Present in workers; an enqueuing process only needs the settings.
    executor: Option<Arc<dyn JobExecutor>>,
    settings: JobSettings,
    concurrency_key: Option<String>,
}

impl JobTask {
    /// A task value for enqueuing (it cannot run).
    pub fn for_enqueue(settings: JobSettings, concurrency_key: Option<String>) -> Self {
        Self {
            executor: None,
            settings,
            concurrency_key,
        }
    }

    /// The task value a worker runs jobs with.
    pub fn for_worker(settings: JobSettings, executor: Arc<dyn JobExecutor>) -> Self {
        Self {
            settings,
            executor: Some(executor),
            concurrency_key: None,
        }
    }
}

/// A duration as underway's span type.
pub fn span_of(d: Duration) -> Span {
    // Whole milliseconds: every setting is at least a millisecond and far below jiff's limits.
    Span::new().milliseconds(i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2))
}

impl Task for JobTask {
    type Input = JobInput;
    type Output = ();

    async fn execute(&self, tx: Transaction<'_, Postgres>, input: JobInput) -> TaskResult<()> {
        match &self.executor {
            Some(executor) => executor.run(tx, input.job_id).await,
            None => Err(underway::task::Error::Fatal(
                "this task value only enqueues; no executor".into(),
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

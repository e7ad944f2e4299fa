//! The background side of a process: workers that run jobs from the queue, and the schedules that
//! queue work after each close and every week. Started by the web app (in-process workers) or
//! alone (`server worker`); everything they need is handed to them when they start.

mod progress;
mod runner;
mod schedule;
mod train;

use std::sync::Arc;
use std::time::Duration;

use underway::Worker;

use crate::jobs::{span_of, JobTask, Jobs};

pub use runner::Runner;
pub use schedule::{
    drift_exceeds, drifted, start as start_schedules, too_old, ScheduleHandle, Scheduled,
    DRIFT_RATIO, DRIFT_WINDOW,
};

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

/// Starts `concurrency` workers in this process, taking tasks from `jobs`' queue and running them
/// with `runner`.
pub fn start(jobs: &Jobs, runner: Runner, concurrency: usize) -> WorkerHandle {
    let settings = jobs.settings().clone();
    let poll = settings.poll;
    let mut worker = Worker::new(
        jobs.queue().clone(),
        JobTask::for_worker(settings, Arc::new(runner)),
    );
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

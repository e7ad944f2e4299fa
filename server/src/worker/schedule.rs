//! Scheduled work, on underway's cron scheduler in America/New_York (one scheduler per schedule
//! across every process: it holds a Postgres advisory lock; the others wait to take over):
//!
//! - **After each trading day's close** (16:30 New York, Monday to Friday; holidays are skipped
//!   with the NYSE calendar): refresh the bars of every tracked symbol (the bundled tickers and
//!   any on a watchlist; a refresh queues the symbol's predictions when it is done) and retrain
//!   early every current version whose live error drifted (see [`drift_exceeds`]) or that is older
//!   than the configured age (see [`too_old`]).
//! - **Weekly** (Saturday 06:00 New York): retrain every current version of the tracked symbols.
//! - **News** (on the hour, New York): refresh the news desk (market news and every active
//!   ticker's) hourly while the market is open and every two hours otherwise (see [`news_due`]).
//!   Started only when a configured provider serves news.

use std::sync::Arc;
use std::time::Duration;

use app::domain::Symbol;
use chrono::{DateTime, Timelike, Utc};
use chrono_tz::America::New_York;
use forecast::registry::ModelId;
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Postgres, Transaction};
use tracing::Instrument;
use underway::task::{Error as TaskError, Result as TaskResult};
use underway::{Queue, Scheduler, Task, Worker, ZonedSchedule};

use crate::accounts::store as accounts_store;
use crate::jobs::{JobError, JobSpec, Jobs};
use crate::market::news_desk::NewsDeskService;
use crate::predictions::store as predictions_store;
use crate::registry::{ModelVersion, Registry};

/// Live error is compared over this many most recent filled predictions of a version.
pub const DRIFT_WINDOW: i64 = 40;

/// A version is retrained early when its live MAE/naive exceeds its walk-forward MAE/naive by this
/// factor. Live windows are short and noisy, so only a large excess counts as drift.
pub const DRIFT_RATIO: f64 = 1.5;

/// Whether a version's live error (`live` MAE/naive over its last `filled` predictions) has drifted
/// well above its walk-forward error (`backtest` MAE/naive).
pub fn drift_exceeds(live: f64, filled: i64, backtest: Option<f64>) -> bool {
    match backtest {
        Some(b) if b.is_finite() && b > 0.0 && live.is_finite() => {
            filled >= DRIFT_WINDOW && live > b * DRIFT_RATIO
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_needs_a_full_window_well_above_the_backtest_error() {
        assert!(drift_exceeds(1.6, DRIFT_WINDOW, Some(1.0)));
        assert!(!drift_exceeds(1.4, DRIFT_WINDOW, Some(1.0)));
        assert!(!drift_exceeds(3.0, DRIFT_WINDOW - 1, Some(1.0)));
        assert!(!drift_exceeds(3.0, DRIFT_WINDOW, None));
    }

    /// An instant from New York wall-clock time (`2024-07-15 10:00`).
    fn new_york(s: &str) -> DateTime<Utc> {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
            .unwrap()
            .and_local_timezone(New_York)
            .unwrap()
            .with_timezone(&Utc)
    }

    /// The hours of a New York day at which the hourly news tick refreshes.
    fn news_hours(day: &str) -> Vec<u32> {
        (0..24)
            .filter(|h| news_due(new_york(&format!("{day} {h:02}:00"))))
            .collect()
    }

    #[test]
    fn news_is_refreshed_hourly_in_market_hours_and_every_two_hours_otherwise() {
        // Monday 15 July 2024, a full session (09:30 to 16:00): every hour from 10 to 15 while
        // open, the even hours before and after.
        assert_eq!(
            news_hours("2024-07-15"),
            [0, 2, 4, 6, 8, 10, 11, 12, 13, 14, 15, 16, 18, 20, 22]
        );
        // Saturday, and Independence Day (a weekday holiday): every two hours all day.
        let two_hourly: Vec<u32> = (0..24).step_by(2).collect();
        assert_eq!(news_hours("2024-07-13"), two_hourly);
        assert_eq!(news_hours("2024-07-04"), two_hourly);
        // The day after Thanksgiving closes at 13:00: hourly until then only.
        assert_eq!(
            news_hours("2024-11-29"),
            [0, 2, 4, 6, 8, 10, 11, 12, 14, 16, 18, 20, 22]
        );
        // Across the autumn clock change the cadence follows New York's wall clock.
        assert!(news_due(new_york("2024-11-04 11:00")));
        assert!(!news_due(new_york("2024-11-03 11:00")));
    }

    #[test]
    fn the_news_schedule_ticks_on_the_hour() {
        assert_eq!(Routine::NewsRefresh.cron(), "0 0 * * * *");
        assert!(ZonedSchedule::new(Routine::NewsRefresh.cron(), "America/New_York").is_ok());
    }
}

/// Whether the hourly news tick at `now` refreshes the desk: every hour while the NYSE is open
/// (see [`crate::market::calendar::market_status`]), and on the even hours of New York's clock
/// otherwise (nights, weekends, holidays).
pub fn news_due(now: DateTime<Utc>) -> bool {
    let open = crate::market::calendar::market_status(now).is_ok_and(|s| s.is_open());
    open || now.with_timezone(&New_York).hour().is_multiple_of(2)
}

/// Which scheduled run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Routine {
    AfterClose,
    WeeklyRetrain,
    NewsRefresh,
}

impl Routine {
    fn queue_name(self) -> &'static str {
        match self {
            Routine::AfterClose => "tickercast_after_close",
            Routine::WeeklyRetrain => "tickercast_weekly_retrain",
            Routine::NewsRefresh => "tickercast_news_refresh",
        }
    }

    fn cron(self) -> &'static str {
        match self {
            Routine::AfterClose => "0 30 16 * * Mon-Fri",
            Routine::WeeklyRetrain => "0 0 6 * * Sat",
            // Every hour; `news_due` skips the odd hours outside market hours.
            Routine::NewsRefresh => "0 0 * * * *",
        }
    }
}

/// What the schedules queue work with.
#[derive(Clone)]
pub struct Scheduled {
    /// The queue client.
    pub jobs: Jobs,
    /// The model registry (which versions are current).
    pub registry: Registry,
    /// Whether refresh jobs can run (a market-data provider is configured); otherwise the
    /// after-close run only recomputes predictions.
    pub can_refresh: bool,
    /// The news desk, refreshed on the news schedule (which starts only when it can refresh).
    pub news: Arc<NewsDeskService>,
}

struct RoutineTask {
    work: Scheduled,
    routine: Routine,
}

impl Task for RoutineTask {
    type Input = ();
    type Output = ();

    async fn execute(&self, _tx: Transaction<'_, Postgres>, _input: ()) -> TaskResult<()> {
        let span = tracing::info_span!("scheduled", routine = ?self.routine);
        let result = async {
            match self.routine {
                Routine::AfterClose => after_close(&self.work).await,
                Routine::WeeklyRetrain => weekly(&self.work).await,
                Routine::NewsRefresh => news(&self.work).await,
            }
        }
        .instrument(span)
        .await;
        result.map_err(|e| TaskError::Retryable(e.to_string()))
    }
}

/// Every active ticker (the bundled ones, those fetched on a first visit, imported ones) and
/// every symbol on a watchlist.
async fn tracked(jobs: &Jobs) -> Result<Vec<Symbol>, JobError> {
    let mut symbols: Vec<Symbol> = crate::market::store::tickers::tickers(jobs.pool(), true)
        .await?
        .into_iter()
        .map(|t| t.symbol)
        .collect();
    symbols.extend(accounts_store::watched_symbols(jobs.pool()).await?);
    symbols.sort();
    symbols.dedup();
    Ok(symbols)
}

async fn after_close(work: &Scheduled) -> Result<(), JobError> {
    let jobs = &work.jobs;
    let today = Utc::now().with_timezone(&New_York).date_naive();
    if !crate::market::calendar::is_trading_day(today) {
        tracing::info!(%today, "not a trading day; nothing to refresh");
        return Ok(());
    }
    for symbol in tracked(jobs).await? {
        let spec = if work.can_refresh {
            JobSpec::refresh(&symbol)
        } else {
            JobSpec::predict(&symbol)
        };
        match jobs.enqueue(spec).await {
            Ok(job) => tracing::info!(%symbol, job_id = %job.id, "after-close job queued"),
            Err(e @ (JobError::UnknownSymbol(_) | JobError::Unsupported(_))) => {
                tracing::info!(%symbol, reason = %e, "nothing queued after the close")
            }
            Err(e) => return Err(e),
        }
    }
    let drifted = drifted(jobs.pool()).await?;
    for (symbol, model) in &drifted {
        let job = jobs.enqueue(JobSpec::train(symbol, *model)).await?;
        tracing::warn!(%symbol, %model, job_id = %job.id, "live error drifted; retraining early");
    }
    let max_age =
        chrono::Duration::from_std(jobs.settings().model_max_age).unwrap_or(chrono::Duration::MAX);
    for v in too_old(&work.registry.list_current().await?, Utc::now(), max_age) {
        if drifted.contains(&(v.symbol.clone(), v.model)) {
            continue;
        }
        let job = jobs.enqueue(JobSpec::train(&v.symbol, v.model)).await?;
        tracing::info!(symbol = %v.symbol, model = %v.model, trained = %v.created_at, job_id = %job.id,
            "model older than the configured age; retraining");
    }
    Ok(())
}

/// The current versions trained more than `max_age` before `now`.
pub fn too_old(
    current: &[ModelVersion],
    now: chrono::DateTime<Utc>,
    max_age: chrono::Duration,
) -> impl Iterator<Item = &ModelVersion> {
    current.iter().filter(move |v| now - v.created_at > max_age)
}

/// Current versions whose live error over their last [`DRIFT_WINDOW`] filled predictions exceeds
/// [`DRIFT_RATIO`] × their walk-forward error.
pub async fn drifted(pool: &PgPool) -> Result<Vec<(Symbol, ModelId)>, JobError> {
    let rows = predictions_store::live_errors(pool, None, DRIFT_WINDOW).await?;
    rows.into_iter()
        .filter(|r| r.live.is_some_and(|l| drift_exceeds(l, r.filled, r.score)))
        .map(|r| Ok((r.symbol, r.model.parse()?)))
        .collect()
}

async fn weekly(work: &Scheduled) -> Result<(), JobError> {
    let jobs = &work.jobs;
    let tracked = tracked(jobs).await?;
    for v in work.registry.list_current().await? {
        if tracked.contains(&v.symbol) {
            let job = jobs.enqueue(JobSpec::train(&v.symbol, v.model)).await?;
            tracing::info!(symbol = %v.symbol, model = %v.model, job_id = %job.id, "weekly retrain queued");
        }
    }
    Ok(())
}

async fn news(work: &Scheduled) -> Result<(), JobError> {
    let now = Utc::now();
    if !news_due(now) {
        tracing::debug!("market closed and an odd hour; the news waits for the next tick");
        return Ok(());
    }
    work.news.refresh(now).await?;
    Ok(())
}

/// Running schedulers; dropped or [`ScheduleHandle::shutdown`] stops them.
pub struct ScheduleHandle {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl ScheduleHandle {
    /// Stops the schedulers and their workers.
    pub fn shutdown(self) {}
}

impl Drop for ScheduleHandle {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts the cron schedules on `pool` (a pool of their own: see the composition root).
pub async fn start(work: Scheduled, pool: PgPool) -> Result<ScheduleHandle, JobError> {
    let mut tasks = Vec::new();
    let mut routines = vec![Routine::AfterClose, Routine::WeeklyRetrain];
    if work.news.can_refresh() {
        routines.push(Routine::NewsRefresh);
    }
    for routine in routines {
        let queue = Arc::new(
            Queue::builder()
                .name(routine.queue_name())
                .pool(pool.clone())
                .build()
                .await?,
        );
        let schedule = ZonedSchedule::new(routine.cron(), "America/New_York")
            .map_err(|e| JobError::Queue(format!("bad schedule {}: {e}", routine.cron())))?;
        queue.schedule(&pool, &schedule, &()).await?;
        let scheduler = Scheduler::new(
            queue.clone(),
            RoutineTask {
                work: work.clone(),
                routine,
            },
        );
        let mut worker = Worker::new(
            queue,
            RoutineTask {
                work: work.clone(),
                routine,
            },
        );
        worker.set_concurrency_limit(1);
        tasks.push(tokio::spawn(async move {
            // `run` returns at once when another process holds the scheduler lock; try again
            // now and then so a surviving process takes over when the holder stops.
            loop {
                if let Err(e) = scheduler.run().await {
                    tracing::error!(error = %e, "scheduler stopped");
                }
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
        }));
        tasks.push(tokio::spawn(async move {
            loop {
                if let Err(e) = worker.run().await {
                    tracing::error!(error = %e, "scheduled-work worker stopped; restarting");
                }
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }));
    }
    tracing::info!(
        news = work.news.can_refresh(),
        "schedules started (after the close, weekly and the news, America/New_York)"
    );
    Ok(ScheduleHandle { tasks })
}

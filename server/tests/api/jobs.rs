//! Background jobs against a real Postgres: the queue, the job rows users poll, retries, the
//! idempotency key, and a worker process killed in the middle of a training run.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use app::domain::{JobId, JobState};
use forecast::registry::ModelId;
use server::cache::Cache;
use server::events::Events;
use server::jobs::{JobRecord, JobSettings, JobSpec, Jobs};
use server::predictions::backends::{QueuedTraining, RegistryVersions};
use server::predictions::Predictor;
use server::registry::{ArtifactStore, Registry, VersionStatus};
use server::worker::{self, Runner, WorkerHandle};
use sqlx::PgPool;
use uuid::Uuid;

use crate::kit::{seeded_database, sym};

/// Fast settings: a short walk-forward, one-second heartbeats, polls and first retry delay.
pub fn quick_settings() -> JobSettings {
    JobSettings {
        max_attempts: 3,
        retry_initial: Duration::from_secs(1),
        heartbeat: Duration::from_secs(1),
        poll: Duration::from_secs(1),
        timeout: Duration::from_secs(900),
        eval_origins: 20,
        eval_refit_every: 10,
        ..JobSettings::default()
    }
}

pub struct Harness {
    pub url: String,
    pub pool: PgPool,
    pub jobs: Jobs,
    pub registry: Registry,
    pub predictor: Predictor,
    pub data_dir: PathBuf,
    /// The bus the workers announce on (this process only).
    pub events: Events,
}

impl Harness {
    /// Starts `n` in-process workers with the harness's registry and prediction service (no
    /// market-data providers).
    pub fn start_workers(&self, n: usize) -> WorkerHandle {
        let runner = Runner::new(
            self.jobs.clone(),
            self.registry.clone(),
            self.predictor.clone(),
            None,
            self.events.clone(),
        );
        worker::start(&self.jobs, runner, n)
    }
}

/// A seeded database with the queue migrated, a queue client, a registry whose artifacts go to
/// a fresh folder `data_dir/artifacts`, and a prediction service without a cache (no workers
/// started).
pub async fn harness(settings: JobSettings) -> Harness {
    let (url, pool) = seeded_database().await;
    Jobs::migrate(&pool).await.expect("queue migrates");
    let data_dir = std::env::temp_dir().join(format!("tc-jobs-{}", Uuid::new_v4().simple()));
    let store = ArtifactStore::open(None, &data_dir.join("artifacts")).expect("store opens");
    let registry = Registry::new(pool.clone(), store);
    let jobs = Jobs::new(pool.clone(), settings.clone())
        .await
        .expect("jobs service");
    let events = Events::new(Cache::disabled());
    let predictor = Predictor::new(pool.clone(), Cache::disabled())
        .with_events(events.clone())
        .with_protocol(settings.protocol())
        .with_registry(RegistryVersions::new(registry.clone()))
        .with_queue(QueuedTraining::new(jobs.clone()));
    Harness {
        url,
        pool,
        jobs,
        registry,
        predictor,
        data_dir,
        events,
    }
}

/// Polls job `id` until `done(job)` or `timeout`, returning every distinct state seen.
pub async fn poll_until(
    jobs: &Jobs,
    id: JobId,
    timeout: Duration,
    done: impl Fn(&JobRecord) -> bool,
) -> Vec<JobRecord> {
    let start = Instant::now();
    let mut seen: Vec<JobRecord> = Vec::new();
    loop {
        let job = jobs.get(id).await.expect("job row");
        if seen.last() != Some(&job) {
            seen.push(job.clone());
        }
        if done(&job) {
            return seen;
        }
        assert!(
            start.elapsed() < timeout,
            "job not there after {timeout:?}; last state: {job:?}"
        );
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
}

#[tokio::test]
async fn a_training_job_goes_from_queued_to_running_to_done_with_real_progress() {
    // Enough refits that the evaluation's progress is seen while it runs.
    let h = harness(JobSettings {
        eval_origins: 100,
        eval_refit_every: 4,
        ..quick_settings()
    })
    .await;
    let job = h
        .jobs
        .enqueue(JobSpec::train(&sym("GOOG"), ModelId::Arima111))
        .await
        .unwrap();
    assert_eq!(job.status, JobState::Queued);
    assert_eq!((job.progress, job.attempts), (0, 0));
    assert!(
        job.idempotency_key.starts_with("train:GOOG:arima111:"),
        "{}",
        job.idempotency_key
    );

    let workers = h.start_workers(1);
    let seen = poll_until(&h.jobs, job.id, Duration::from_secs(300), |j| {
        matches!(j.status, JobState::Done | JobState::Failed)
    })
    .await;
    workers.shutdown(Duration::from_secs(5)).await;

    let last = seen.last().unwrap();
    assert_eq!(last.status, JobState::Done, "{last:?}");
    assert_eq!((last.progress, last.attempts), (100, 1));
    assert!(last.error.is_none());
    let (started, finished) = (last.started_at.unwrap(), last.finished_at.unwrap());
    // The finish is stamped when it happens, not when the attempt's transaction began.
    assert!(finished > started, "started {started}, finished {finished}");
    // Progress never goes backwards, and the evaluation's per-refit progress was visible.
    let progress: Vec<i16> = seen.iter().map(|j| j.progress).collect();
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    assert!(
        seen.iter().any(
            |j| j.status == JobState::Running && j.step.starts_with("walk-forward evaluation")
        ),
        "{seen:#?}"
    );

    let result = last.result.as_ref().unwrap();
    assert_eq!(result["version"], 1);
    assert_eq!(result["status"], "current");
    let version = h
        .registry
        .current_for(&sym("GOOG"), ModelId::Arima111)
        .await
        .unwrap()
        .expect("a current version");
    assert_eq!(
        version.id.to_string(),
        result["version_id"].as_str().unwrap()
    );
    assert_eq!(version.job_id, Some(job.id));
    assert_eq!(version.evaluation.origins, 100);
    assert_eq!(
        version
            .evaluation
            .horizons
            .iter()
            .map(|m| m.h)
            .collect::<Vec<_>>(),
        [1, 2, 5]
    );
    assert!(
        version.evaluation.last < version.data_last,
        "evaluated out of sample"
    );
    assert!(version.score.is_some_and(|s| s.is_finite() && s > 0.0));
    // The stored artifact loads (checksum verified) and forecasts.
    let fitted = h.registry.load(&version).await.unwrap();
    let bars = server::market::store::bars::model_history(&h.pool, &sym("GOOG"))
        .await
        .unwrap();
    let history = forecast::Ohlcv::from_bars(&bars).unwrap();
    let f = forecast::Predict::predict(
        &fitted,
        &history,
        &[forecast::Horizon::new(1).unwrap()],
        &[],
    )
    .unwrap();
    assert!(f.steps[0].point.is_finite());
}

#[tokio::test]
async fn fifty_concurrent_requests_for_the_same_training_make_one_job() {
    let h = harness(quick_settings()).await;
    let handles: Vec<_> = (0..50)
        .map(|_| {
            let jobs = h.jobs.clone();
            tokio::spawn(async move {
                jobs.enqueue(JobSpec::train(&sym("MSFT"), ModelId::Rf))
                    .await
            })
        })
        .collect();
    let mut ids = Vec::new();
    for handle in handles {
        ids.push(handle.await.unwrap().expect("enqueue succeeds").id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every request joined one job");
    let rows: i64 = sqlx::query_scalar("select count(*) from jobs")
        .fetch_one(&h.pool)
        .await
        .unwrap();
    let tasks: i64 = sqlx::query_scalar("select count(*) from underway.task")
        .fetch_one(&h.pool)
        .await
        .unwrap();
    assert_eq!((rows, tasks), (1, 1));
    // A different model or symbol is different work.
    let other = h
        .jobs
        .enqueue(JobSpec::train(&sym("MSFT"), ModelId::Gbm))
        .await
        .unwrap();
    assert_ne!(other.id, ids[0]);
}

#[tokio::test]
async fn a_job_for_a_symbol_without_prices_is_refused_with_a_clear_error() {
    let h = harness(quick_settings()).await;
    let err = h
        .jobs
        .enqueue(JobSpec::train(&sym("NOPE"), ModelId::Rf))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("NOPE"), "{err}");
    assert!(matches!(
        h.jobs.get(JobId::from(Uuid::new_v4())).await,
        Err(server::jobs::JobError::NotFound(_))
    ));
}

#[tokio::test]
async fn a_failing_job_is_retried_with_backoff_then_fails_keeping_its_error() {
    let h = harness(quick_settings()).await;
    // The artifact folder becomes a plain file: every store attempt fails, as a full or
    // unreachable store would.
    let artifacts = h.data_dir.join("artifacts");
    std::fs::remove_dir_all(&artifacts).unwrap();
    std::fs::write(&artifacts, b"not a folder").unwrap();

    let job = h
        .jobs
        .enqueue(JobSpec::train(&sym("GOOG"), ModelId::Drift))
        .await
        .unwrap();
    let workers = h.start_workers(1);
    let seen = poll_until(&h.jobs, job.id, Duration::from_secs(120), |j| {
        j.status == JobState::Failed
    })
    .await;
    workers.shutdown(Duration::from_secs(5)).await;

    let last = seen.last().unwrap();
    assert_eq!(last.attempts, 3, "{seen:#?}");
    let error = last.error.as_deref().unwrap();
    assert!(error.contains("artifact store"), "{error}");
    assert!(last.finished_at.is_some() && last.result.is_none());
    // Between attempts the row went back to queued with the error, waiting for the retry.
    assert!(
        seen.iter()
            .any(|j| j.status == JobState::Queued && j.attempts == 1 && j.error.is_some()),
        "{seen:#?}"
    );
    // Exponential backoff: the queue's delay before the third attempt is twice the first.
    let (attempts, delay_ms): (i64, f64) = sqlx::query_as(
        "select (select count(*) from underway.task_attempt), \
                extract(epoch from delay)::float8 * 1000 from underway.task",
    )
    .fetch_one(&h.pool)
    .await
    .unwrap();
    assert_eq!(attempts, 3);
    assert_eq!(delay_ms, 2000.0);
    // Nothing was registered.
    let versions: i64 = sqlx::query_scalar("select count(*) from model_versions")
        .fetch_one(&h.pool)
        .await
        .unwrap();
    assert_eq!(versions, 0);
}

#[tokio::test]
async fn a_job_that_cannot_succeed_fails_at_once_without_retries() {
    let h = harness(quick_settings()).await;
    // Thirty bars cannot hold a 20-origin walk-forward after the 60-bar warm-up.
    sqlx::query("insert into tickers (symbol, name, source) values ('TINY', 'Tiny', 'test')")
        .execute(&h.pool)
        .await
        .unwrap();
    sqlx::query(
        "insert into daily_bars (symbol, date, open, high, low, close, volume) \
         select 'TINY', d::date, 10, 11, 9, 10 + extract(day from d), 1000 \
         from generate_series('2024-01-01'::date, '2024-01-30'::date, '1 day') d",
    )
    .execute(&h.pool)
    .await
    .unwrap();
    let job = h
        .jobs
        .enqueue(JobSpec::train(&sym("TINY"), ModelId::Drift))
        .await
        .unwrap();
    let workers = h.start_workers(1);
    let seen = poll_until(&h.jobs, job.id, Duration::from_secs(60), |j| {
        j.status == JobState::Failed
    })
    .await;
    workers.shutdown(Duration::from_secs(5)).await;
    let last = seen.last().unwrap();
    assert_eq!(last.attempts, 1);
    assert!(
        last.error.as_deref().unwrap().contains("not enough data"),
        "{last:?}"
    );
}

/// Kills its process when dropped, so a failing test leaves no worker behind.
struct WorkerProcess(Child);

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_worker(
    url: &str,
    data_dir: &std::path::Path,
    settings: &JobSettings,
    log: &str,
) -> WorkerProcess {
    let log = std::fs::File::create(data_dir.join(log)).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("worker")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", url)
        .env("DATABASE_MAX_CONNECTIONS", "4")
        .env("APP_DATA_DIR", data_dir)
        .env("APP_WORKERS", "1")
        .env(
            "APP_JOB_HEARTBEAT_SECS",
            settings.heartbeat.as_secs().to_string(),
        )
        .env("APP_JOB_POLL_SECS", settings.poll.as_secs().to_string())
        .env(
            "APP_JOB_RETRY_SECS",
            settings.retry_initial.as_secs().to_string(),
        )
        .env("APP_EVAL_ORIGINS", settings.eval_origins.to_string())
        .env(
            "APP_EVAL_REFIT_EVERY",
            settings.eval_refit_every.to_string(),
        )
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("the server binary starts in worker mode");
    WorkerProcess(child)
}

#[tokio::test]
async fn a_worker_killed_mid_training_is_replaced_and_nothing_recorded_is_lost() {
    // Long enough that the kill lands inside the walk-forward evaluation (a dozen refits, each a
    // progress step), short enough that the replacement's whole run stays a few seconds.
    let settings = JobSettings {
        eval_origins: 60,
        eval_refit_every: 5,
        ..quick_settings()
    };
    let h = harness(settings.clone()).await;

    // Worker A records a first version (of another model) before the long run.
    let a = spawn_worker(&h.url, &h.data_dir, &settings, "worker-a.log");
    let earlier = h
        .jobs
        .enqueue(JobSpec::train(&sym("MSFT"), ModelId::Drift))
        .await
        .unwrap();
    poll_until(&h.jobs, earlier.id, Duration::from_secs(120), |j| {
        j.status == JobState::Done
    })
    .await;
    let earlier_version = h
        .registry
        .current_for(&sym("MSFT"), ModelId::Drift)
        .await
        .unwrap()
        .unwrap();

    let job = h
        .jobs
        .enqueue(JobSpec::train(&sym("MSFT"), ModelId::Rf))
        .await
        .unwrap();
    let mut a = a;
    let before_kill = poll_until(&h.jobs, job.id, Duration::from_secs(120), |j| {
        j.status == JobState::Running && j.progress > 5
    })
    .await;
    a.0.kill().expect("SIGKILL the worker");
    a.0.wait().unwrap();
    let at_kill = h.jobs.get(job.id).await.unwrap();
    assert_eq!(
        at_kill.status,
        JobState::Running,
        "the kill must land mid-training: {before_kill:?}"
    );
    assert!(at_kill.progress < 85, "{at_kill:?}");

    // Nothing of the killed attempt reached the registry.
    let rf_rows: i64 = sqlx::query_scalar("select count(*) from model_versions where model = 'rf'")
        .fetch_one(&h.pool)
        .await
        .unwrap();
    assert_eq!(rf_rows, 0);

    let b = spawn_worker(&h.url, &h.data_dir, &settings, "worker-b.log");
    let seen = poll_until(&h.jobs, job.id, Duration::from_secs(240), |j| {
        matches!(j.status, JobState::Done | JobState::Failed)
    })
    .await;
    drop(b);
    let last = seen.last().unwrap();
    assert_eq!(last.status, JobState::Done, "{seen:#?}");
    assert!(last.attempts >= 2, "{last:?}");

    // Exactly one rf version, current, with an artifact that passes its checksum.
    let versions = h
        .registry
        .versions(&sym("MSFT"), ModelId::Rf)
        .await
        .unwrap();
    assert_eq!(versions.len(), 1, "{versions:#?}");
    assert_eq!(versions[0].status, VersionStatus::Current);
    assert_eq!(versions[0].job_id, Some(job.id));
    h.registry.load(&versions[0]).await.unwrap();
    // The earlier version and its job are untouched.
    let again = h.registry.get(earlier_version.id).await.unwrap();
    assert_eq!(again, earlier_version);
    assert_eq!(h.jobs.get(earlier.id).await.unwrap().status, JobState::Done);
    let _ = std::fs::remove_dir_all(&h.data_dir);
}

#[tokio::test]
async fn a_finished_training_queues_predictions_that_serve_the_new_version() {
    let h = harness(quick_settings()).await;
    let train = h
        .jobs
        .enqueue(JobSpec::train(&sym("GOOG"), ModelId::Autoarima))
        .await
        .unwrap();
    let workers = h.start_workers(1);
    poll_until(&h.jobs, train.id, Duration::from_secs(300), |j| {
        j.status == JobState::Done
    })
    .await;
    // The predict job was created in the training's transaction.
    let predict_id: JobId = sqlx::query_scalar("select id from jobs where kind = 'predict'")
        .fetch_one(&h.pool)
        .await
        .unwrap();
    let seen = poll_until(&h.jobs, predict_id, Duration::from_secs(300), |j| {
        matches!(j.status, JobState::Done | JobState::Failed)
    })
    .await;
    workers.shutdown(Duration::from_secs(5)).await;
    let last = seen.last().unwrap();
    assert_eq!(last.status, JobState::Done, "{last:?}");
    let served = &last.result.as_ref().unwrap()["models"];
    assert!(
        served
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["model"] == "autoarima" && m["version"] == 1),
        "{served}"
    );
    let recorded: i64 = sqlx::query_scalar(
        "select count(*) from predictions where symbol = 'GOOG' and model = 'autoarima' and version = 1",
    )
    .fetch_one(&h.pool)
    .await
    .unwrap();
    assert_eq!(recorded, 3, "one recorded prediction per horizon");
}

#[tokio::test]
async fn a_version_whose_live_error_drifted_well_above_its_backtest_is_due_for_retraining() {
    let h = harness(quick_settings()).await;
    // Train two real versions (walk-forward MAE/naive near 1 for both baselines).
    for model in [ModelId::Drift, ModelId::Arima111] {
        let job = h
            .jobs
            .enqueue(JobSpec::train(&sym("GOOG"), model))
            .await
            .unwrap();
        let workers = h.start_workers(1);
        poll_until(&h.jobs, job.id, Duration::from_secs(300), |j| {
            j.status == JobState::Done
        })
        .await;
        workers.shutdown(Duration::from_secs(5)).await;
    }
    // Live record: drift misses by 3 where the random walk misses by 1 (ratio 3); arima111 by
    // 1.05 (ratio 1.05). One prediction per day over the window.
    for (model, miss) in [("drift", 3.0), ("arima111", 1.05)] {
        sqlx::query(
            "insert into predictions (symbol, model, version, as_of, horizon, target_date, \
               last_close, point, signal, confidence, actual) \
             select 'GOOG', $1, 1, d::date, 1, d::date + 1, 100, 101 + $2, 'HOLD', 0.5, 101 \
             from generate_series('2013-01-01'::date, '2013-01-01'::date + ($3 - 1), '1 day') d",
        )
        .bind(model)
        .bind(miss)
        .bind(server::worker::DRIFT_WINDOW as i32)
        .execute(&h.pool)
        .await
        .unwrap();
    }
    let due = server::worker::drifted(&h.pool).await.unwrap();
    assert_eq!(due, [(sym("GOOG"), ModelId::Drift)]);
}

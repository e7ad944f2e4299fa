//! How jobs run: retries, heartbeats, polling and the evaluation protocol of training runs.

use std::time::Duration;

use forecast::eval::Protocol;

/// Job settings (from `APP_JOB_*` and `APP_EVAL_*`; see `config.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct JobSettings {
    /// Attempts before a job fails for good (`APP_JOB_MAX_ATTEMPTS`, 3).
    pub max_attempts: i32,
    /// Delay before the first retry; doubled for each further one (`APP_JOB_RETRY_SECS`, 30).
    pub retry_initial: Duration,
    /// How often a running task proves its worker is alive; a task silent for longer is handed to
    /// another worker (`APP_JOB_HEARTBEAT_SECS`, 30).
    pub heartbeat: Duration,
    /// How often idle workers look for work besides Postgres notifications, which is also how
    /// soon a stale task is noticed (`APP_JOB_POLL_SECS`, 10).
    pub poll: Duration,
    /// Longest a single attempt may run (`APP_JOB_TIMEOUT_SECS`, 6 h: the LSTM's walk-forward
    /// evaluation on the reference protocol takes hours on two cores).
    pub timeout: Duration,
    /// Walk-forward origins of a training run (`APP_EVAL_ORIGINS`, 250 as in the reference).
    pub eval_origins: usize,
    /// Refit cadence of the walk-forward evaluation (`APP_EVAL_REFIT_EVERY`, 20).
    pub eval_refit_every: usize,
    /// A current version trained longer ago than this is retrained after the next close
    /// (`APP_MODEL_MAX_AGE_DAYS`, 14; the weekly retrain normally keeps them younger).
    pub model_max_age: Duration,
}

impl Default for JobSettings {
    fn default() -> Self {
        let reference = Protocol::default();
        Self {
            max_attempts: 3,
            retry_initial: Duration::from_secs(30),
            heartbeat: Duration::from_secs(30),
            poll: Duration::from_secs(10),
            timeout: Duration::from_secs(6 * 3600),
            eval_origins: reference.origins,
            eval_refit_every: reference.refit_every,
            model_max_age: Duration::from_secs(14 * 86_400),
        }
    }
}

impl JobSettings {
    /// The walk-forward protocol of training runs: the reference protocol with the configured
    /// origins and refit cadence.
    pub fn protocol(&self) -> Protocol {
        Protocol {
            origins: self.eval_origins,
            refit_every: self.eval_refit_every,
            ..Protocol::default()
        }
    }
}

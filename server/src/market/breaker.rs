//! A circuit breaker per provider: after a run of transient failures the provider is skipped for a
//! cool-down, then one trial call decides whether it is back.
//!
//! The state is kept in-process on purpose. The breaker exists so that *this* process's requests
//! stop waiting on timeouts from a failing host; each process rediscovers an outage after a handful
//! of failures, which costs little, whereas a shared state would add a Redis round trip (and a
//! Redis failure mode) to every provider call. The rate limit, which is about the provider's quota
//! and not our latency, is the part that must be shared, and is (see [`super::limiter`]).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::providers::{ProviderError, ProviderKind, ProvidersConfigError};

/// When to open and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// `CIRCUIT_BREAKER_FAILURES`: consecutive transient failures that open the circuit (default 5).
    pub failure_threshold: u32,
    /// `CIRCUIT_BREAKER_COOLDOWN_SECS`: how long an open circuit skips the provider (default 30).
    pub cool_down: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        BreakerSettings {
            failure_threshold: 5,
            cool_down: Duration::from_secs(30),
        }
    }
}

impl BreakerSettings {
    /// Reads `CIRCUIT_BREAKER_FAILURES` and `CIRCUIT_BREAKER_COOLDOWN_SECS` through `get`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ProvidersConfigError> {
        let mut settings = BreakerSettings::default();
        let positive = |var: &'static str| -> Result<Option<u64>, ProvidersConfigError> {
            match get(var).filter(|v| !v.trim().is_empty()) {
                None => Ok(None),
                Some(v) => match v.trim().parse::<u64>() {
                    Ok(n) if n > 0 => Ok(Some(n)),
                    _ => Err(ProvidersConfigError {
                        var,
                        value: v,
                        reason: "expected a positive whole number".into(),
                    }),
                },
            }
        };
        if let Some(n) = positive("CIRCUIT_BREAKER_FAILURES")? {
            settings.failure_threshold = u32::try_from(n).unwrap_or(u32::MAX);
        }
        if let Some(secs) = positive("CIRCUIT_BREAKER_COOLDOWN_SECS")? {
            settings.cool_down = Duration::from_secs(secs);
        }
        Ok(settings)
    }
}

/// Whether a failed call counts against the provider: timeouts, transport errors, 5xx and the
/// provider's own 429s do; an unknown symbol, an empty series or a bad key are answers from a
/// healthy provider and do not.
pub fn counts_as_failure(error: &ProviderError) -> bool {
    error.is_transient()
}

/// The state, as published on the `tickercast_circuit_state` gauge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    /// Calls go through (gauge 0).
    Closed,
    /// One trial call may go through (gauge 1).
    HalfOpen,
    /// Calls are skipped (gauge 2).
    Open,
}

impl CircuitState {
    fn gauge(self) -> f64 {
        match self {
            CircuitState::Closed => 0.0,
            CircuitState::HalfOpen => 1.0,
            CircuitState::Open => 2.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// `trial` is when the trial call started, if one is under way.
    HalfOpen {
        trial: Option<Instant>,
    },
}

/// Permission to call the provider, from [`CircuitBreaker::try_acquire`]. Report how the call went
/// with [`CircuitBreaker::record`], or give it back unused with [`CircuitBreaker::release`].
#[derive(Debug)]
#[must_use]
pub struct Permit {
    trial: bool,
}

/// What became of a permitted call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The provider answered (with data, or with an answer like "unknown symbol").
    Answered,
    /// A transient failure ([`counts_as_failure`]).
    Failed,
}

/// Told when a provider's circuit opens (`true`) or closes again (`false`): how the composition
/// root puts it on the event bus without the breaker knowing the bus.
pub type CircuitWatch = std::sync::Arc<dyn Fn(ProviderKind, bool) + Send + Sync>;

/// One provider's breaker.
pub struct CircuitBreaker {
    provider: ProviderKind,
    settings: BreakerSettings,
    state: Mutex<State>,
    watch: Option<CircuitWatch>,
}

impl std::fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("provider", &self.provider)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

impl CircuitBreaker {
    /// A closed breaker for `provider`.
    pub fn new(provider: ProviderKind, settings: BreakerSettings) -> Self {
        let breaker = CircuitBreaker {
            provider,
            settings,
            state: Mutex::new(State::Closed { failures: 0 }),
            watch: None,
        };
        breaker.publish(CircuitState::Closed);
        breaker
    }

    /// The breaker, telling `watch` when its circuit opens or closes.
    pub fn watched(mut self, watch: Option<CircuitWatch>) -> Self {
        self.watch = watch;
        self
    }

    /// The current state.
    pub fn state(&self) -> CircuitState {
        match *self.lock() {
            State::Closed { .. } => CircuitState::Closed,
            State::Open { until } if Instant::now() < until => CircuitState::Open,
            State::Open { .. } | State::HalfOpen { .. } => CircuitState::HalfOpen,
        }
    }

    /// A permit to call the provider, or how long until it may be tried again.
    pub fn try_acquire(&self) -> Result<Permit, Duration> {
        self.try_acquire_at(Instant::now())
    }

    /// Reports how a permitted call went.
    pub fn record(&self, permit: Permit, outcome: Outcome) {
        self.record_at(permit, outcome, Instant::now());
    }

    /// Gives back a permit whose call was never made (the rate limiter said no), so a half-open
    /// breaker lets the next caller make the trial.
    pub fn release(&self, permit: Permit) {
        if permit.trial {
            let mut state = self.lock();
            if let State::HalfOpen { .. } = *state {
                *state = State::HalfOpen { trial: None };
            }
        }
    }

    fn try_acquire_at(&self, now: Instant) -> Result<Permit, Duration> {
        let mut state = self.lock();
        match *state {
            State::Closed { .. } => Ok(Permit { trial: false }),
            State::Open { until } if now < until => Err(until - now),
            // A trial whose caller vanished (its future was dropped) must not keep the circuit
            // half-open forever: after a cool-down another caller may try.
            State::Open { .. } | State::HalfOpen { trial: None } => {
                *state = State::HalfOpen { trial: Some(now) };
                drop(state);
                self.publish(CircuitState::HalfOpen);
                tracing::info!(provider = %self.provider, "circuit half-open: trying the provider again");
                Ok(Permit { trial: true })
            }
            State::HalfOpen {
                trial: Some(started),
            } => {
                let stale = started + self.settings.cool_down;
                if now >= stale {
                    *state = State::HalfOpen { trial: Some(now) };
                    Ok(Permit { trial: true })
                } else {
                    Err(stale - now)
                }
            }
        }
    }

    fn record_at(&self, permit: Permit, outcome: Outcome, now: Instant) {
        let mut state = self.lock();
        let next = match (outcome, *state) {
            (Outcome::Answered, State::Closed { .. }) => State::Closed { failures: 0 },
            (Outcome::Answered, _) if permit.trial => State::Closed { failures: 0 },
            // A call let through before the circuit opened came back: the trial decides, not it.
            (Outcome::Answered, other) => other,
            (Outcome::Failed, State::Closed { failures }) => {
                let failures = failures + 1;
                if failures >= self.settings.failure_threshold {
                    State::Open {
                        until: now + self.settings.cool_down,
                    }
                } else {
                    State::Closed { failures }
                }
            }
            (Outcome::Failed, State::HalfOpen { .. }) if permit.trial => State::Open {
                until: now + self.settings.cool_down,
            },
            (Outcome::Failed, other) => other,
        };
        let changed = std::mem::discriminant(&next) != std::mem::discriminant(&*state);
        *state = next;
        drop(state);
        if changed {
            match next {
                State::Closed { .. } => {
                    tracing::info!(provider = %self.provider, "circuit closed: provider is answering again");
                    self.publish(CircuitState::Closed);
                    if let Some(watch) = &self.watch {
                        watch(self.provider, false);
                    }
                }
                State::Open { .. } => {
                    tracing::warn!(
                        provider = %self.provider,
                        cool_down_secs = self.settings.cool_down.as_secs_f64(),
                        "circuit open: skipping the provider after repeated failures"
                    );
                    self.publish(CircuitState::Open);
                    if let Some(watch) = &self.watch {
                        watch(self.provider, true);
                    }
                }
                State::HalfOpen { .. } => self.publish(CircuitState::HalfOpen),
            }
        }
    }

    fn publish(&self, state: CircuitState) {
        metrics::gauge!("tickercast_circuit_state", "provider" => self.provider.as_str())
            .set(state.gauge());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a plain value, valid even if a holder panicked.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(threshold: u32, cool_down_ms: u64) -> CircuitBreaker {
        CircuitBreaker::new(
            ProviderKind::Finnhub,
            BreakerSettings {
                failure_threshold: threshold,
                cool_down: Duration::from_millis(cool_down_ms),
            },
        )
    }

    fn fail(b: &CircuitBreaker, now: Instant) {
        let permit = b.try_acquire_at(now).expect("closed");
        b.record_at(permit, Outcome::Failed, now);
    }

    #[test]
    fn the_circuit_opens_after_the_threshold_of_consecutive_failures() {
        let b = breaker(3, 1_000);
        let t0 = Instant::now();
        fail(&b, t0);
        fail(&b, t0);
        assert!(b.try_acquire_at(t0).is_ok());
        fail(&b, t0);
        let wait = b.try_acquire_at(t0).unwrap_err();
        assert_eq!(wait, Duration::from_millis(1_000));
    }

    #[test]
    fn an_answer_resets_the_failure_count() {
        let b = breaker(3, 1_000);
        let t0 = Instant::now();
        fail(&b, t0);
        fail(&b, t0);
        let p = b.try_acquire_at(t0).unwrap();
        b.record_at(p, Outcome::Answered, t0);
        fail(&b, t0);
        fail(&b, t0);
        assert!(b.try_acquire_at(t0).is_ok(), "two failures after an answer");
    }

    #[test]
    fn after_the_cool_down_exactly_one_trial_goes_through() {
        let b = breaker(1, 100);
        let t0 = Instant::now();
        fail(&b, t0);
        let later = t0 + Duration::from_millis(100);
        let trial = b.try_acquire_at(later).expect("trial after cool-down");
        assert!(b.try_acquire_at(later).is_err(), "second caller waits");
        b.record_at(trial, Outcome::Answered, later);
        assert!(b.try_acquire_at(later).is_ok());
        assert!(b.try_acquire_at(later).is_ok(), "closed again");
    }

    #[test]
    fn a_watcher_hears_the_circuit_open_and_close() {
        let heard = std::sync::Arc::new(Mutex::new(Vec::new()));
        let log = heard.clone();
        let b = breaker(2, 10).watched(Some(std::sync::Arc::new(move |p, open| {
            log.lock().unwrap().push((p, open));
        })));
        let t = Instant::now();
        for _ in 0..2 {
            let permit = b.try_acquire_at(t).unwrap();
            b.record_at(permit, Outcome::Failed, t);
        }
        let later = t + Duration::from_millis(20);
        let trial = b.try_acquire_at(later).unwrap();
        b.record_at(trial, Outcome::Answered, later);
        assert_eq!(
            *heard.lock().unwrap(),
            vec![
                (ProviderKind::Finnhub, true),
                (ProviderKind::Finnhub, false)
            ]
        );
    }

    #[test]
    fn a_failed_trial_opens_the_circuit_for_another_cool_down() {
        let b = breaker(1, 100);
        let t0 = Instant::now();
        fail(&b, t0);
        let t1 = t0 + Duration::from_millis(150);
        let trial = b.try_acquire_at(t1).unwrap();
        b.record_at(trial, Outcome::Failed, t1);
        assert_eq!(
            b.try_acquire_at(t1 + Duration::from_millis(40))
                .unwrap_err(),
            Duration::from_millis(60)
        );
        assert!(b.try_acquire_at(t1 + Duration::from_millis(100)).is_ok());
    }

    #[test]
    fn a_released_trial_lets_the_next_caller_try() {
        let b = breaker(1, 100);
        let t0 = Instant::now();
        fail(&b, t0);
        let t1 = t0 + Duration::from_millis(100);
        let trial = b.try_acquire_at(t1).unwrap();
        b.release(trial);
        assert!(b.try_acquire_at(t1).is_ok());
    }

    #[test]
    fn an_abandoned_trial_does_not_keep_the_circuit_half_open_forever() {
        let b = breaker(1, 100);
        let t0 = Instant::now();
        fail(&b, t0);
        let t1 = t0 + Duration::from_millis(100);
        let _lost = b.try_acquire_at(t1).unwrap();
        assert!(b.try_acquire_at(t1 + Duration::from_millis(50)).is_err());
        assert!(b.try_acquire_at(t1 + Duration::from_millis(100)).is_ok());
    }

    #[test]
    fn only_transient_errors_count_as_failures() {
        let p = ProviderKind::Polygon;
        assert!(counts_as_failure(&ProviderError::Timeout { provider: p }));
        assert!(counts_as_failure(&ProviderError::Upstream {
            provider: p,
            status: 503
        }));
        assert!(!counts_as_failure(&ProviderError::NotFound {
            provider: p,
            detail: "x".into()
        }));
        assert!(!counts_as_failure(&ProviderError::NoData {
            provider: p,
            detail: "x".into()
        }));
    }

    #[test]
    fn breaker_settings_are_read_and_checked() {
        let s = BreakerSettings::from_lookup(|k| match k {
            "CIRCUIT_BREAKER_FAILURES" => Some("3".into()),
            "CIRCUIT_BREAKER_COOLDOWN_SECS" => Some("12".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.failure_threshold, 3);
        assert_eq!(s.cool_down, Duration::from_secs(12));
        assert_eq!(
            BreakerSettings::from_lookup(|_| None).unwrap(),
            BreakerSettings::default()
        );
        let err =
            BreakerSettings::from_lookup(|k| (k == "CIRCUIT_BREAKER_FAILURES").then(|| "0".into()))
                .unwrap_err();
        assert_eq!(err.var, "CIRCUIT_BREAKER_FAILURES");
    }
}

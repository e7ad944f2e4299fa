//! A background job's real progress as stored in its row: status, percentage, current step and,
//! on failure, why. Nothing here advances on its own; the bar moves only when the event stream
//! (or, without it, a poll) says so.

use leptos::prelude::*;

use crate::domain::JobState;
use crate::model::JobStatus;

/// The heading a person reads for a job state; `activity` names the work ("Training").
pub fn status_label(state: JobState, activity: &str) -> String {
    match state {
        JobState::Queued => "Waiting for a worker".to_owned(),
        JobState::Running => activity.to_owned(),
        JobState::Done => format!("{activity} finished"),
        JobState::Failed => format!("{activity} failed"),
    }
}

/// The bar of `status`; before the first poll answers, an indeterminate bar that claims no
/// percentage. `activity` names the work (training unless said).
#[component]
pub fn JobProgress(
    #[prop(into)] status: Signal<Option<JobStatus>>,
    #[prop(default = "Training")] activity: &'static str,
) -> impl IntoView {
    let label = format!("{activity} progress");
    move || match status.get() {
        None => view! {
            <div class="job-progress" data-testid="job-progress" data-status="unknown">
                <p class="job-status">{format!("{activity} is queued.")}</p>
                <progress aria-label=label.clone()></progress>
            </div>
        }
        .into_any(),
        Some(s) => {
            let progress = s.progress.clamp(0, 100);
            view! {
                <div class="job-progress" data-testid="job-progress" data-status=s.status.as_str() data-job=s.id.to_string()>
                    <p class="job-status">
                        {status_label(s.status, activity)} ": "
                        <span data-testid="job-percent">{format!("{progress}%")}</span>
                        {s.step.map(|step| view! { " — " <span class="job-step">{step}</span> })}
                    </p>
                    <progress
                        max="100"
                        value=progress
                        role="progressbar"
                        aria-label=label.clone()
                        aria-valuemin="0"
                        aria-valuemax="100"
                        aria-valuenow=progress
                    ></progress>
                    {s.error.map(|e| view! { <p class="job-error" role="alert">{e}</p> })}
                </div>
            }
            .into_any()
        }
    }
}

/// Follows `job` over the event stream, handing each state to `on_status` (and asking once
/// when the stream (re)connects or resyncs, for what happened before); falls back to
/// [`poll_job`] when the stream cannot be opened. Stops when the job is finished or the page
/// that owns `problem` is gone.
#[cfg(feature = "browser")]
pub fn follow_job(
    job: crate::domain::JobId,
    problem: RwSignal<Option<String>>,
    on_status: impl Fn(JobStatus) + Clone + 'static,
) {
    use crate::components::live::Live;
    use crate::model::LiveEvent;

    let hand = {
        let on_status = on_status.clone();
        move |live: &Live, status: JobStatus| {
            if problem.is_disposed() {
                live.close();
                return;
            }
            if status.status.is_finished() {
                live.close();
            }
            on_status(status);
        }
    };
    let ask = {
        let hand = hand.clone();
        move |live: &Live| {
            let live = live.clone();
            let hand = hand.clone();
            leptos::task::spawn_local(async move {
                if let Ok(status) = crate::api::predictions::prediction_job(job.to_string()).await {
                    hand(&live, status);
                }
            });
        }
    };
    let on_event = {
        let ask = ask.clone();
        move |live: &Live, event: LiveEvent| match event {
            LiveEvent::Job { job: status, .. } if status.id == job => hand(live, status),
            LiveEvent::Resync => ask(live),
            _ => {}
        }
    };
    let fallback = {
        let on_status = on_status.clone();
        move || poll_job(job, problem, on_status.clone())
    };
    if Live::open("kind=job", ask, on_event, fallback).is_none() {
        poll_job(job, problem, on_status);
    }
}

/// Polls `job` once a second while it is queued or running, handing each answer to `on_status`.
/// A job that does not exist (any more) ends the polling with `problem` saying so; a dropped
/// connection or a busy server is said and retried every three seconds. Stops when the page that
/// owns `problem` is gone.
#[cfg(feature = "browser")]
pub fn poll_job(
    job: crate::domain::JobId,
    problem: RwSignal<Option<String>>,
    on_status: impl Fn(JobStatus) + Clone + 'static,
) {
    use std::time::Duration;

    use crate::api::predictions::prediction_job;
    use crate::error::AppError;

    leptos::task::spawn_local(async move {
        if problem.is_disposed() {
            return;
        }
        match prediction_job(job.to_string()).await {
            Ok(status) => {
                let finished = status.status.is_finished();
                on_status.clone()(status);
                if !finished {
                    set_timeout(
                        move || poll_job(job, problem, on_status),
                        Duration::from_secs(1),
                    );
                }
            }
            Err(e @ (AppError::NotFound(_) | AppError::BadRequest(_))) => {
                problem.try_set(Some(e.to_string()));
            }
            Err(e) => {
                problem.try_set(Some(format!("{e} Trying again…")));
                set_timeout(
                    move || poll_job(job, problem, on_status),
                    Duration::from_secs(3),
                );
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_as_words() {
        assert_eq!(
            status_label(JobState::Queued, "Training"),
            "Waiting for a worker"
        );
        assert_eq!(
            status_label(JobState::Failed, "Training"),
            "Training failed"
        );
        assert_eq!(
            status_label(JobState::Done, "Fetching the history"),
            "Fetching the history finished"
        );
    }
}

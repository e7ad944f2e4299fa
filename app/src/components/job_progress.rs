//! A background job's real progress as stored in its row: status, percentage, current step and,
//! on failure, why. Nothing here advances on its own; the bar moves only when a poll says so.

use leptos::prelude::*;

use crate::model::JobStatus;

/// The heading a person reads for a job status.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "queued" => "Waiting for a worker",
        "running" => "Training",
        "done" => "Training finished",
        "failed" => "Training failed",
        _ => "Training",
    }
}

/// Whether polling can stop: the job will not change any more.
pub fn is_finished(status: &str) -> bool {
    matches!(status, "done" | "failed")
}

/// The bar of `status`; before the first poll answers, an indeterminate bar that claims no
/// percentage.
#[component]
pub fn JobProgress(#[prop(into)] status: Signal<Option<JobStatus>>) -> impl IntoView {
    move || match status.get() {
        None => view! {
            <div class="job-progress" data-testid="job-progress" data-status="unknown">
                <p class="job-status">"Training is queued."</p>
                <progress aria-label="Training progress"></progress>
            </div>
        }
        .into_any(),
        Some(s) => {
            let progress = s.progress.clamp(0, 100);
            view! {
                <div class="job-progress" data-testid="job-progress" data-status=s.status.clone() data-job=s.id.clone()>
                    <p class="job-status">
                        {status_label(&s.status)} ": "
                        <span data-testid="job-percent">{format!("{progress}%")}</span>
                        {s.step.map(|step| view! { " — " <span class="job-step">{step}</span> })}
                    </p>
                    <progress
                        max="100"
                        value=progress
                        role="progressbar"
                        aria-label="Training progress"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_stops_only_once_the_job_is_done_or_failed() {
        assert!(!is_finished("queued"));
        assert!(!is_finished("running"));
        assert!(is_finished("done"));
        assert!(is_finished("failed"));
    }
}

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::error::ErrorView;
use crate::api::forecasts::baseline_forecasts;
use crate::api::predictions::predictions;
use crate::components::fan_chart::{with_predictions, FanChart};
use crate::components::format;
use crate::components::job_progress::JobProgress;
use crate::components::prediction_tables::{horizon_label, still_training, PredictionTables};
use crate::domain::Symbol;
use crate::error::AppError;
use crate::model::{Forecasts, JobStatus, Predictions, PredictionsReply};

/// `/predict/{symbol}`: every model's predictions for 1, 2 and 5 trading days with their
/// walk-forward record. The baselines are shown at once; when models must be trained first, the
/// page follows the training job's real progress and shows the models when it is done.
#[component]
pub fn PredictPage() -> impl IntoView {
    let params = use_params_map();
    let symbol = move || params.read().get("symbol").unwrap_or_default();
    let baselines = Resource::new(symbol, baseline_forecasts);
    let first_reply = Resource::new(symbol, predictions);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Computing forecasts…"</p> }>
            {move || Suspend::new(async move {
                match baselines.await {
                    Ok(f) => {
                        let reply = first_reply.await;
                        Either::Left(view! { <ForecastView f reply/> })
                    }
                    Err(error) => Either::Right(view! { <ErrorView error/> }),
                }
            })}
        </Suspense>
    }
}

/// What the page knows about the models, updated by the polling on the client.
#[derive(Clone, Copy)]
struct ModelsState {
    /// Every model's answer, once served.
    ready: RwSignal<Option<Predictions>>,
    /// The job being followed and its last polled status.
    job: RwSignal<Option<(String, Option<JobStatus>)>>,
    /// Why the models could not be fetched or followed.
    problem: RwSignal<Option<String>>,
}

#[component]
fn ForecastView(f: Forecasts, reply: Result<PredictionsReply, AppError>) -> impl IntoView {
    let segment = Symbol::parse(&f.symbol)
        .map(|s| s.url_segment())
        .unwrap_or_default();
    let state = ModelsState {
        ready: RwSignal::new(None),
        job: RwSignal::new(None),
        problem: RwSignal::new(None),
    };
    match reply {
        Ok(PredictionsReply::Ready(p)) => state.ready.set(Some(p)),
        Ok(PredictionsReply::Queued(j)) => {
            state.job.set(Some((j.job_id.clone(), None)));
            #[cfg(feature = "hydrate")]
            polling::follow(f.symbol.clone(), j.job_id, state, 0);
        }
        Err(e) => state.problem.set(Some(e.to_string())),
    }
    let baselines = StoredValue::new(f.clone());
    let chart = Signal::derive(move || {
        let base = baselines.get_value();
        match state.ready.get() {
            Some(p) => with_predictions(&base, &p),
            None => base,
        }
    });
    let job_status = Signal::derive(move || state.job.get().and_then(|(_, s)| s));
    let following = move || state.job.with(|j| j.is_some());
    view! {
        <Title text=format!("{} forecasts", f.symbol)/>
        <section class="predict-head">
            <h1>"Forecasts for " <a href=format!("/stock/{segment}")>{f.symbol.clone()}</a></h1>
            <p class="meta">
                "From the close of " {f.as_of.clone()} " (" {format::price(f.last_close)} "). "
                "Horizons count trading days after that close on the NYSE calendar (weekends and holidays skipped). "
                "Each model's record is its walk-forward evaluation: forecasts made only from data before each origin, "
                "scored against what happened, with the random walk's error as 1.00."
            </p>
        </section>
        <FanChart forecasts=chart/>
        <Show when=following>
            <section class="training" data-testid="training">
                <h2>"Training the models"</h2>
                <JobProgress status=job_status/>
                // Without JavaScript nothing polls; the training goes on all the same.
                <p class="reload-hint">
                    "The models are trained on the server, so leaving this page does not stop it. "
                    <a href=format!("/predict/{segment}")>"Reload this page"</a>
                    " to see them once training is done."
                </p>
            </section>
        </Show>
        {move || state.problem.get().map(|message| view! {
            <p class="error" role="alert" data-testid="models-problem">{message}</p>
        })}
        {move || match state.ready.get() {
            Some(p) => {
                let training = still_training(&p);
                Either::Left(view! {
                    <PredictionTables predictions=p/>
                    {(!training.is_empty()).then(|| view! {
                        <aside class="notice" data-testid="still-training">
                            <p>"Still training: " {training.join(", ")} "."</p>
                        </aside>
                    })}
                })
            }
            None => Either::Right(view! { <BaselineTable f=baselines.get_value()/> }),
        }}
    }
}

/// The two benchmarks, fitted on the spot, while the other models are not served yet.
#[component]
fn BaselineTable(f: Forecasts) -> impl IntoView {
    // Every model forecasts the same horizons, so the first one names the columns.
    let horizons: Vec<(usize, String)> = f
        .models
        .first()
        .map(|m| {
            m.horizons
                .iter()
                .map(|h| (h.h, h.target_date.clone()))
                .collect()
        })
        .unwrap_or_default();
    view! {
        <table class="forecasts" data-testid="forecasts">
            <thead>
                <tr>
                    <th>"Model"</th>
                    {horizons
                        .into_iter()
                        .map(|(h, date)| view! {
                            <th class="num" data-horizon=h data-target-date=date.clone()>
                                {horizon_label(h)}
                                <small><time datetime=date.clone()>{format::day(&date)}</time></small>
                            </th>
                        })
                        .collect_view()}
                </tr>
            </thead>
            <tbody>
                {f.models
                    .into_iter()
                    .map(|m| view! {
                        <tr data-model=m.model.clone()>
                            <th scope="row">{m.label}<small>{m.description}</small></th>
                            {m.horizons
                                .into_iter()
                                .map(|h| view! {
                                    <td class="num" data-h=h.h data-target-date=h.target_date.clone()>
                                        <span class="point">{format::price(h.point)}</span>
                                        <small class="interval">{format!("{} – {}", format::price(h.lo95), format::price(h.hi95))}</small>
                                    </td>
                                })
                                .collect_view()}
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
        <aside class="notice" data-testid="baselines-only">
            <h2>"The baselines, while the other models are prepared"</h2>
            <p>
                "These are the two benchmarks every model must beat: the naive random walk and the random walk with drift. "
                "Not served yet: " {f.not_yet_served.join(", ")} ". "
                "They appear here with the walk-forward accuracy each one really achieved beside the random walk; until then nothing on this page pretends to be one of them."
            </p>
        </aside>
    }
}

/// Following a training job from the browser: one poll a second until it is done, then the
/// models are fetched again.
#[cfg(feature = "hydrate")]
mod polling {
    use std::time::Duration;

    use leptos::prelude::*;

    use super::ModelsState;
    use crate::api::predictions::{prediction_job, predictions};
    use crate::components::job_progress::is_finished;
    use crate::error::AppError;
    use crate::model::PredictionsReply;

    const EVERY: Duration = Duration::from_secs(1);
    /// A finished job whose models are queued again (e.g. a model failed for good) is followed
    /// this many times, then the page says so instead of polling forever.
    const MAX_ROUNDS: u8 = 3;

    /// Polls `job_id` and, once it is done, the predictions of `symbol`.
    pub(super) fn follow(symbol: String, job_id: String, state: ModelsState, round: u8) {
        leptos::task::spawn_local(async move {
            // The page was left: stop.
            if state.job.is_disposed() {
                return;
            }
            match prediction_job(job_id.clone()).await {
                Ok(status) => {
                    let finished = is_finished(&status.status);
                    let done = status.status == "done";
                    state.problem.try_set(None);
                    state.job.try_set(Some((job_id.clone(), Some(status))));
                    if done {
                        fetch_models(symbol, state, round).await;
                    } else if !finished {
                        set_timeout(move || follow(symbol, job_id, state, round), EVERY);
                    }
                }
                // The job does not exist (any more): nothing left to follow.
                Err(e @ (AppError::NotFound(_) | AppError::BadRequest(_))) => {
                    state.problem.try_set(Some(e.to_string()));
                }
                // A dropped connection or a busy server: say so and keep trying, more slowly.
                Err(e) => {
                    state.problem.try_set(Some(format!("{e} Trying again…")));
                    set_timeout(move || follow(symbol, job_id, state, round), EVERY * 3);
                }
            }
        });
    }

    async fn fetch_models(symbol: String, state: ModelsState, round: u8) {
        match predictions(symbol.clone()).await {
            Ok(PredictionsReply::Ready(p)) => {
                state.ready.try_set(Some(p));
            }
            Ok(PredictionsReply::Queued(j)) if round + 1 < MAX_ROUNDS => {
                state.job.try_set(Some((j.job_id.clone(), None)));
                follow(symbol, j.job_id, state, round + 1);
            }
            Ok(PredictionsReply::Queued(_)) => {
                state.problem.try_set(Some(
                    "Training finished but the models were queued again; reload the page later."
                        .into(),
                ));
            }
            Err(e) => {
                state.problem.try_set(Some(e.to_string()));
            }
        }
    }
}

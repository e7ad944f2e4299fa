use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::error::ErrorView;
#[cfg(feature = "browser")]
use crate::api::predictions::prediction_history;
use crate::api::predictions::predictions;
use crate::components::alerts::ModelAlertForm;
use crate::components::fan_chart::FanChart;
use crate::components::format;
use crate::components::job_progress::JobProgress;
use crate::components::prediction_tables::{
    not_ready, still_training, HorizonTabs, HowToRead, PredictionTables,
};
use crate::domain::JobId;
use crate::model::{JobStatus, Predictions};

/// `/predict/{symbol}`: every model's predictions for 1, 2 and 5 trading days with their
/// walk-forward record. What is ready (the baselines at least) is shown at once; when models must
/// be trained first, the page follows the training job's real progress and shows every model when
/// it is done.
#[component]
pub fn PredictPage() -> impl IntoView {
    let params = use_params_map();
    let symbol = move || params.read().get("symbol").unwrap_or_default();
    let first = Resource::new(symbol, predictions);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Computing forecasts…"</p> }>
            {move || Suspend::new(async move {
                match first.await {
                    Ok(p) => Either::Left(view! { <ForecastView p/> }),
                    Err(error) => Either::Right(view! { <ErrorView error/> }),
                }
            })}
        </Suspense>
    }
}

/// What the page knows about the models, updated on the client as the training job moves.
#[derive(Clone, Copy)]
struct ModelsState {
    /// The latest answer: every model, or what is ready while the rest trains.
    predictions: RwSignal<Predictions>,
    /// The job being followed and its last polled status.
    job: RwSignal<Option<(JobId, Option<JobStatus>)>>,
    /// Why the models could not be fetched or followed.
    problem: RwSignal<Option<String>>,
}

#[component]
fn ForecastView(p: Predictions) -> impl IntoView {
    let segment = p.symbol.url_segment();
    let state = ModelsState {
        job: RwSignal::new(p.job_id.map(|id| (id, None))),
        predictions: RwSignal::new(p.clone()),
        problem: RwSignal::new(None),
    };
    #[cfg(feature = "browser")]
    if let Some(job) = p.job_id {
        following::follow(p.symbol.to_string(), job, state, 0);
    }
    let job_status = Signal::derive(move || state.job.get().and_then(|(_, s)| s));
    let following = move || state.job.with(|j| j.is_some());
    let chart = Signal::derive(move || state.predictions.get());
    // The served one-day forecasts of the recent weeks, drawn against what happened (browser
    // only: the chart is drawn there).
    // Fetched into a plain signal rather than a resource: a resource read under the page's
    // Suspense would put the whole page back to its fallback while it loads.
    let history = RwSignal::new(None);
    #[cfg(feature = "browser")]
    {
        let symbol = p.symbol.to_string();
        leptos::task::spawn_local(async move {
            if let Ok(h) = prediction_history(symbol, 45).await {
                history.try_set(Some(h));
            }
        });
    }
    let show_all = RwSignal::new(false);
    let tabs = HorizonTabs::new();
    view! {
        <Title text=format!("{} forecasts", p.symbol)/>
        <section class="predict-head">
            <h1>"Forecasts for " <a href=format!("/stock/{segment}")>{p.symbol.to_string()}</a></h1>
            <p class="meta">
                "From the close of " {p.as_of.to_string()} " (" {format::price(p.last_close)} "). "
                "Horizons count trading days after that close on the NYSE calendar (weekends and holidays skipped). "
                "Each model's record is its walk-forward evaluation: forecasts made only from data before each origin, "
                "scored against what happened, with the random walk's error as 1.00. "
                <a href=format!("/track/{segment}") data-testid="track-link">"The track record"</a>
                " shows what the served forecasts said before the fact beside what happened; "
                <a href=format!("/models/{segment}") data-testid="models-link">"the models page"</a>
                " each model's versions, calibration and strategy backtest. Download "
                <a href=crate::site_files::on_server(&format!("/api/v1/export/predictions/{segment}?format=csv")) download data-testid="download-predictions">"every recorded prediction (CSV)"</a>
                " or "
                <a href=format!("/api/v1/export/evaluation/{segment}?format=csv") download data-testid="download-evaluation">"the models' walk-forward records (CSV)"</a>
                "."
            </p>
        </section>
        <FanChart predictions=chart history show_all/>
        <HowToRead/>
        <ModelAlertForm
            symbol=p.symbol.to_string()
            models=crate::model::ModelId::served().iter().copied().filter(|m| !m.is_baseline()).collect()
        />
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
        {move || {
            let p = state.predictions.get();
            let training = still_training(&p);
            let baselines_only = p.lacks_trained_models();
            let not_ready = not_ready(&p);
            // Why the rest is missing when nothing is training them (an anonymous visitor, a used-up
            // budget): the service says so on the models themselves.
            let why = training.is_empty().then(|| untrained_note(&p)).flatten();
            view! {
                <PredictionTables predictions=p tabs/>
                {baselines_only.then(|| {
                    view! {
                        <aside class="notice" data-testid="baselines-only">
                            <h2>{if training.is_empty() {
                                "The baselines: the other models are not trained for this ticker yet"
                            } else {
                                "The baselines, while the other models are trained"
                            }}</h2>
                            <p>
                                "The naive random walk and the random walk with drift are the benchmarks every model must beat. "
                                "Not served yet: " {not_ready.join(", ")} ". "
                                "They appear here with the walk-forward accuracy each one really achieved beside the random walk; "
                                "until then nothing on this page pretends to be one of them."
                            </p>
                            {why.map(|why| view! {
                                <p data-testid="why-not-trained"><strong>{why}</strong>" "
                                    <a href="/login">"Log in"</a>" · "<a href="/register">"Register"</a>
                                </p>
                            })}
                        </aside>
                    }
                })}
                {(!baselines_only && !training.is_empty()).then(|| view! {
                    <aside class="notice" data-testid="still-training">
                        <p>"Still training: " {training.join(", ")} "."</p>
                    </aside>
                })}
            }
        }}
    }
}

/// The service's note on the models it did not queue for training (the same on each), if any.
fn untrained_note(p: &crate::model::Predictions) -> Option<String> {
    p.models
        .iter()
        .filter(|m| m.status == crate::model::ModelState::NotTrainedYet)
        .find_map(|m| m.message.clone())
}

/// Following a training job from the browser: over the event stream (polling without it) until it is
/// done, then the models are fetched again.
#[cfg(feature = "browser")]
mod following {
    use leptos::prelude::*;

    use super::ModelsState;
    use crate::api::predictions::predictions;
    use crate::components::job_progress::follow_job;
    use crate::domain::{JobId, JobState};
    /// A finished job whose models are queued again (e.g. a model failed for good) is followed
    /// this many times, then the page says so instead of polling forever.
    const MAX_ROUNDS: u8 = 3;

    /// Follows `job` and, once it is done, fetches the predictions of `symbol`.
    pub(super) fn follow(symbol: String, job: JobId, state: ModelsState, round: u8) {
        follow_job(job, state.problem, move |status| {
            let done = status.status == JobState::Done;
            state.problem.try_set(None);
            state.job.try_set(Some((job, Some(status))));
            if done {
                let symbol = symbol.clone();
                leptos::task::spawn_local(fetch_models(symbol, state, round));
            }
        });
    }

    async fn fetch_models(symbol: String, state: ModelsState, round: u8) {
        match predictions(symbol.clone()).await {
            Ok(p) => match p.job_id {
                None => {
                    state.predictions.try_set(p);
                }
                Some(job) if round + 1 < MAX_ROUNDS => {
                    state.predictions.try_set(p);
                    state.job.try_set(Some((job, None)));
                    follow(symbol, job, state, round + 1);
                }
                Some(_) => {
                    state.problem.try_set(Some(
                        "Training finished but the models were queued again; reload the page later."
                            .into(),
                    ));
                }
            },
            Err(e) => {
                state.problem.try_set(Some(e.to_string()));
            }
        }
    }
}

//! Alerts in the page: the form that sets one, and the header's count of fired alerts, which
//! goes up as they fire (over the event stream) without a reload.

use leptos::prelude::*;

use crate::api::alerts::{MarkNotificationsRead, SetAlert};
use crate::error::AppError;

/// The actions that change what the header counts, shared so the count follows them.
#[derive(Clone, Copy)]
pub struct AlertActions {
    /// Mark every notification read.
    pub mark_read: ServerAction<MarkNotificationsRead>,
}

impl AlertActions {
    /// Creates the actions (once, in `App`).
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self {
            mark_read: ServerAction::new(),
        }
    }
}

/// What became of setting an alert: said under the form.
fn outcome(set: ServerAction<SetAlert>) -> impl Fn() -> Option<AnyView> + Send + Sync + 'static {
    move || {
        match set.value().get() {
        Some(Ok(alert)) => Some(
            view! {
                <p class="notice" role="status" data-testid="alert-set">
                    "Alert set: " {alert.symbol.to_string()} " " {alert.description} ". "
                    <a href="/alerts">"Your alerts"</a>
                </p>
            }
            .into_any(),
        ),
        Some(Err(AppError::Unauthorized(msg))) => Some(
            view! {
                <p class="form-error" role="alert" data-testid="alert-error">
                    {msg} " " <a href="/login">"Log in"</a>
                </p>
            }
            .into_any(),
        ),
        Some(Err(e)) => Some(
            view! { <p class="form-error" role="alert" data-testid="alert-error">{e.to_string()}</p> }
                .into_any(),
        ),
        None => None,
    }
    }
}

/// How often a rule may fire again.
#[component]
fn RepeatChoice() -> impl IntoView {
    view! {
        <label>
            "tell me "
            <select name="repeat_hours" data-testid="alert-repeat">
                <option value="">"once"</option>
                <option value="24">"each time, at most daily"</option>
                <option value="168">"each time, at most weekly"</option>
            </select>
        </label>
    }
}

/// "Alert me when it closes at or above …": sets a price alert on `symbol`.
#[component]
pub fn AlertForm(symbol: String) -> impl IntoView {
    let set = ServerAction::<SetAlert>::new();
    view! {
        <section class="panel alert-form" aria-labelledby="alert-heading" data-testid="alert-form">
            <h2 id="alert-heading">"Alert me"</h2>
            <ActionForm action=set attr:class="inline-form">
                <input type="hidden" name="symbol" value=symbol/>
                <label>
                    "When a day closes "
                    <select name="rule" data-testid="alert-rule">
                        <option value="price_above">"at or above"</option>
                        <option value="price_below">"at or below"</option>
                    </select>
                </label>
                <label>
                    "the price "
                    <input type="text" inputmode="decimal" name="level" required size="8"
                        placeholder="e.g. 200" data-testid="alert-level"/>
                </label>
                <RepeatChoice/>
                <button type="submit" data-testid="set-alert">"Set alert"</button>
            </ActionForm>
            {outcome(set)}
        </section>
    }
}

/// "Alert me when the close leaves a model's 95% range, or its signal changes": sets a model
/// alert on `symbol` for one of `models` (the trained ones shown on the page).
#[component]
pub fn ModelAlertForm(symbol: String, models: Vec<crate::model::ModelId>) -> impl IntoView {
    let set = ServerAction::<SetAlert>::new();
    view! {
        <section class="panel alert-form" aria-labelledby="model-alert-heading" data-testid="model-alert-form">
            <h2 id="model-alert-heading">"Alert me about a model"</h2>
            <ActionForm action=set attr:class="inline-form">
                <input type="hidden" name="symbol" value=symbol/>
                <label>
                    "When "
                    <select name="rule" data-testid="model-alert-rule">
                        <option value="outside_range">"a close falls outside the 95% range of"</option>
                        <option value="signal_change">"the 1-day signal changes for"</option>
                        <option value="drift">"the live error drifts past the walk-forward error of"</option>
                    </select>
                </label>
                <select name="model" aria-label="Model" data-testid="model-alert-model">
                    {models.into_iter().map(|m| view! { <option value=m.as_str()>{m.label()}</option> }).collect_view()}
                </select>
                <RepeatChoice/>
                <button type="submit" data-testid="set-model-alert">"Set alert"</button>
            </ActionForm>
            {outcome(set)}
        </section>
    }
}

/// The header's link to the alerts page with the unread count: `unread` as the page was
/// rendered, plus the alerts that fired since, heard on the stream (each also shown for a moment).
#[component]
pub fn AlertBell(unread: i64) -> impl IntoView {
    let arrived = RwSignal::new(Vec::<crate::model::Notification>::new());
    #[cfg(feature = "browser")]
    crate::components::live::while_mounted("kind=alert", move |event| {
        if let crate::model::LiveEvent::AlertFired { notification, .. } = event {
            arrived.try_update(|a| a.insert(0, notification));
        }
    });
    let count = move || unread + arrived.with(|a| a.len() as i64);
    view! {
        <a href="/alerts" class="alerts-link" data-testid="alerts-link">
            "Alerts"
            {move || (count() > 0).then(|| view! {
                <span class="badge" data-testid="unread-count" aria-label=format!("{} unread", count())>{count()}</span>
            })}
        </a>
        <div class="toasts" role="status" aria-live="polite" data-testid="toasts">
            {move || arrived.get().into_iter().take(3).map(|n| view! {
                <p class="toast" data-testid="toast"><a href="/alerts">{n.message}</a></p>
            }).collect_view()}
        </div>
    }
}

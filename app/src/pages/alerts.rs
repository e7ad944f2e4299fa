//! `/alerts`: what the logged-in person's alerts fired (newest first, unread marked) and the rules
//! themselves, each deletable. Rules are set on a stock page.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::alerts::{my_alerts, my_notifications, DeleteAlert};
use crate::components::alerts::AlertActions;
use crate::components::format;
use crate::components::header::AuthActions;
use crate::model::{Alert, Notifications};

/// `/alerts`.
#[component]
pub fn AlertsPage() -> impl IntoView {
    let auth = expect_context::<AuthActions>();
    let actions = expect_context::<AlertActions>();
    let delete = ServerAction::<DeleteAlert>::new();
    let notices = Resource::new(
        move || (auth.version(), actions.mark_read.version().get()),
        |_| my_notifications(),
    );
    let rules = Resource::new(
        move || (auth.version(), delete.version().get()),
        |_| my_alerts(),
    );
    view! {
        <Title text="Alerts"/>
        <h1>"Alerts"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading your alerts…"</p> }>
            {move || Suspend::new(async move {
                match (notices.await, rules.await) {
                    (Ok(None), _) => Either::Left(view! {
                        <p class="notice" data-testid="login-needed">
                            <a href="/login">"Log in"</a>" to set alerts and see what they fired."
                        </p>
                    }.into_any()),
                    (Err(e), _) | (_, Err(e)) => Either::Left(view! {
                        <p class="form-error" role="alert">{e.to_string()}</p>
                    }.into_any()),
                    (Ok(Some(fired)), Ok(list)) => Either::Right(view! {
                        <FiredList fired mark_read=actions.mark_read/>
                        <RuleTable rules=list delete/>
                    }),
                }
            })}
        </Transition>
    }
}

/// The notifications, newest first.
#[component]
fn FiredList(
    fired: Notifications,
    mark_read: ServerAction<crate::api::alerts::MarkNotificationsRead>,
) -> impl IntoView {
    let unread = fired.unread;
    view! {
        <section class="panel" aria-labelledby="fired-heading" data-testid="notifications">
            <h2 id="fired-heading">"What fired"</h2>
            {(unread > 0).then(|| view! {
                <ActionForm action=mark_read attr:class="inline">
                    <button type="submit" data-testid="mark-read">{format!("Mark {unread} read")}</button>
                </ActionForm>
            })}
            {if fired.items.is_empty() {
                Either::Left(view! { <p class="empty">"Nothing has fired yet."</p> })
            } else {
                Either::Right(view! {
                    <ul class="notifications">
                        {fired.items.into_iter().map(|n| {
                            let class = if n.read { "notification" } else { "notification unread" };
                            view! {
                                <li class=class data-testid="notification" data-read=n.read.to_string()>
                                    <a href=format!("/stock/{}", n.symbol.url_segment())>{n.message}</a>
                                    " "
                                    <time datetime=n.fired_at.to_rfc3339()>{format::exchange_time(n.fired_at)}</time>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })
            }}
        </section>
    }
}

/// The rules, each with its state and a delete button.
#[component]
fn RuleTable(rules: Vec<Alert>, delete: ServerAction<DeleteAlert>) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="rules-heading" data-testid="rules">
            <h2 id="rules-heading">"Your rules"</h2>
            {if rules.is_empty() {
                Either::Left(view! {
                    <p class="empty">"No alerts set. Set one from a stock's page (“Alert me”)."</p>
                })
            } else {
                Either::Right(view! {
                    <div class="table-scroll">
                        <table>
                            <thead><tr><th>"Ticker"</th><th>"When"</th><th>"Repeats"</th><th>"State"</th><th></th></tr></thead>
                            <tbody>
                                {rules.into_iter().map(|a| {
                                    let state = match (a.active, a.last_fired_at) {
                                        (true, None) => "watching".to_owned(),
                                        (true, Some(t)) => format!("watching; last fired {}", format::exchange_time(t)),
                                        (false, Some(t)) => format!("fired {}", format::exchange_time(t)),
                                        (false, None) => "stopped".to_owned(),
                                    };
                                    let repeats = a.repeat_hours.map_or_else(
                                        || "once".to_owned(),
                                        |h| format!("at most every {} h", h.get()),
                                    );
                                    view! {
                                        <tr data-testid="rule">
                                            <td><a href=format!("/stock/{}", a.symbol.url_segment())>{a.symbol.to_string()}</a></td>
                                            <td>{a.description}</td>
                                            <td>{repeats}</td>
                                            <td>{state}</td>
                                            <td>
                                                <ActionForm action=delete attr:class="inline">
                                                    <input type="hidden" name="id" value=a.id.to_string()/>
                                                    <button type="submit" class="link" data-testid="delete-rule">"Delete"</button>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                })
            }}
        </section>
    }
}

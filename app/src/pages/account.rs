//! `/account`: the logged-in person's API keys — made (the secret shown once), listed with their
//! use, revoked — and how to call the API with them.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::{my_api_keys, CreateApiKey, RevokeApiKey};
use crate::api::webhooks::{my_webhooks, CreateWebhook, DeleteWebhook, TestWebhook};
use crate::components::format;
use crate::components::header::AuthActions;
use crate::error::AppError;
use crate::model::{ApiKeyInfo, Webhook};

/// `/account`.
#[component]
pub fn AccountPage() -> impl IntoView {
    let auth = expect_context::<AuthActions>();
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(
        move || {
            (
                auth.version(),
                create.version().get(),
                revoke.version().get(),
            )
        },
        |_| my_api_keys(),
    );
    let webhooks = WebhookData::new();

    view! {
        <Title text="Your account"/>
        <h1>"API keys"</h1>
        <p class="lede">
            "Keys let programs use the "<a href=crate::site_files::on_server("/api/docs")>"REST API"</a>" under your account's limits. "
            "Send one as "<code>"X-API-Key: tc_…"</code>" or "<code>"Authorization: Bearer tc_…"</code>
            ", or exchange it at "<code>"POST /api/v1/auth/token"</code>" for a short-lived token."
        </p>
        <Transition fallback=|| view! { <p>"Loading your keys…"</p> }>
            {move || Suspend::new(async move {
                match keys.await {
                    Err(AppError::Unauthorized(_)) => Either::Left(view! {
                        <p class="notice" data-testid="login-needed">
                            <a href="/login">"Log in"</a>" to make and manage API keys."
                        </p>
                    }.into_any()),
                    Err(e) => Either::Left(view! {
                        <p class="form-error" role="alert">{e.to_string()}</p>
                    }.into_any()),
                    Ok(list) => Either::Right(view! {
                        <NewKeyForm create/>
                        <KeyTable keys=list revoke/>
                        <Webhooks data=webhooks/>
                    }),
                }
            })}
        </Transition>
    }
}

/// Names and makes a key; shows its secret once.
#[component]
fn NewKeyForm(create: ServerAction<CreateApiKey>) -> impl IntoView {
    let made = move || create.value().get();
    view! {
        <section class="panel" aria-labelledby="new-key-heading">
            <h2 id="new-key-heading">"Make a key"</h2>
            <ActionForm action=create attr:class="inline-form">
                <label>"Name " <input type="text" name="name" required maxlength="64" placeholder="e.g. laptop script" data-testid="key-name"/></label>
                <button type="submit" class="primary" data-testid="make-key">"Make key"</button>
            </ActionForm>
            {move || match made() {
                Some(Ok(k)) => Some(view! {
                    <div class="notice" role="status" data-testid="new-key">
                        <p><strong>"Copy this key now: it will not be shown again."</strong></p>
                        <pre class="secret"><code data-testid="key-secret">{k.secret}</code></pre>
                    </div>
                }.into_any()),
                Some(Err(e)) => Some(view! {
                    <p class="form-error" role="alert" data-testid="form-error">{e.to_string()}</p>
                }.into_any()),
                None => None,
            }}
        </section>
    }
}

/// Every key with its use; live ones can be revoked.
#[component]
fn KeyTable(keys: Vec<ApiKeyInfo>, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    if keys.is_empty() {
        return Either::Left(view! { <p data-testid="no-keys">"No keys yet."</p> });
    }
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or_else(
            || "never".to_string(),
            |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
        )
    };
    let rows = keys
        .into_iter()
        .map(|k| {
            let live = k.revoked_at.is_none();
            let id = k.id.to_string();
            let row_id = id.clone();
            view! {
                <tr data-testid="key-row" data-key-id=row_id class:revoked=!live>
                    <td>{k.name}</td>
                    <td><code>{k.display}</code></td>
                    <td>{k.tier.to_string()}</td>
                    <td class="num">{format::thousands(k.requests)}</td>
                    <td class="num">{k.requests_today.map_or_else(|| "—".into(), |n| format::thousands(n as i64))}</td>
                    <td>{when(k.last_used_at)}</td>
                    <td>{k.created_at.format("%Y-%m-%d").to_string()}</td>
                    <td>
                        {if live {
                            Either::Left(view! {
                                <ActionForm action=revoke attr:class="inline">
                                    <input type="hidden" name="id" value=id/>
                                    <button type="submit" class="link danger" data-testid="revoke-key">"Revoke"</button>
                                </ActionForm>
                            })
                        } else {
                            Either::Right(view! { <span class="muted">{format!("revoked {}", when(k.revoked_at))}</span> })
                        }}
                    </td>
                </tr>
            }
        })
        .collect_view();
    Either::Right(view! {
        <div class="table-scroll">
            <table class="keys" data-testid="keys">
                <thead><tr>
                    <th>"Name"</th><th>"Key"</th><th>"Tier"</th><th class="num">"Requests"</th>
                    <th class="num">"Today"</th><th>"Last used"</th><th>"Made"</th><th></th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    })
}

/// The webhooks section's actions and list. Made with the page, outside the keys' Transition that
/// shows the section: Leptos walks a Transition's children again until no read is pending, and a
/// resource made in there would be made and fetched once per walk.
#[derive(Clone, Copy)]
struct WebhookData {
    create: ServerAction<CreateWebhook>,
    remove: ServerAction<DeleteWebhook>,
    test: ServerAction<TestWebhook>,
    hooks: Resource<Result<Vec<Webhook>, AppError>>,
}

impl WebhookData {
    fn new() -> Self {
        let create = ServerAction::<CreateWebhook>::new();
        let remove = ServerAction::<DeleteWebhook>::new();
        let test = ServerAction::<TestWebhook>::new();
        let hooks = Resource::new(
            move || {
                (
                    create.version().get(),
                    remove.version().get(),
                    test.version().get(),
                )
            },
            |_| my_webhooks(),
        );
        WebhookData {
            create,
            remove,
            test,
            hooks,
        }
    }
}

/// The account's webhooks: where events are sent, each with a test button; a form for a new one
/// (its signing secret shown once).
#[component]
fn Webhooks(data: WebhookData) -> impl IntoView {
    let WebhookData {
        create,
        remove,
        test,
        hooks,
    } = data;
    let made = move || {
        match create.value().get() {
        Some(Ok(w)) => Some(view! {
            <div class="notice" role="status" data-testid="new-webhook">
                <p><strong>"Copy this signing secret now: it will not be shown again."</strong></p>
                <pre class="secret"><code data-testid="webhook-secret">{w.secret}</code></pre>
            </div>
        }.into_any()),
        Some(Err(e)) => Some(view! { <p class="form-error" role="alert" data-testid="webhook-error">{e.to_string()}</p> }.into_any()),
        None => None,
    }
    };
    let tested = move || {
        match test.value().get() {
        Some(Ok(event)) => Some(view! { <p class="notice" role="status" data-testid="webhook-tested">"Test event " <code>{event}</code> " queued."</p> }.into_any()),
        Some(Err(e)) => Some(view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any()),
        None => None,
    }
    };
    view! {
        <section class="panel" aria-labelledby="webhooks-heading" data-testid="webhooks">
            <h2 id="webhooks-heading">"Webhooks"</h2>
            <p class="fineprint">
                "Each event is POSTed as JSON, signed in " <code>"Tickercast-Signature"</code>
                " (see the README for checking it). Failed deliveries are retried for a day."
            </p>
            <ActionForm action=create attr:class="inline-form">
                <label>"URL " <input type="url" name="url" required maxlength="2048" placeholder="https://…" data-testid="webhook-url"/></label>
                <label>"Events " <input type="text" name="kinds" value="alert" data-testid="webhook-kinds"/></label>
                <button type="submit" data-testid="add-webhook">"Add webhook"</button>
            </ActionForm>
            {made}
            {tested}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = hooks.await.unwrap_or_default();
                    if list.is_empty() {
                        return Either::Left(view! { <p class="empty">"No webhooks."</p> });
                    }
                    Either::Right(view! {
                        <div class="table-scroll">
                            <table>
                                <thead><tr><th>"URL"</th><th>"Events"</th><th>"State"</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|w| {
                                        let id = w.id.to_string();
                                        let test_id = id.clone();
                                        let state = if w.active {
                                            "on".to_owned()
                                        } else {
                                            format!("off: {}", w.disabled_reason.unwrap_or_default())
                                        };
                                        view! {
                                            <tr data-testid="webhook-row">
                                                <td><code>{w.url}</code></td>
                                                <td>{w.kinds.join(", ")}</td>
                                                <td>{state}</td>
                                                <td>
                                                    <ActionForm action=test attr:class="inline">
                                                        <input type="hidden" name="id" value=test_id/>
                                                        <button type="submit" class="link" data-testid="test-webhook">"Send test event"</button>
                                                    </ActionForm>
                                                    <ActionForm action=remove attr:class="inline">
                                                        <input type="hidden" name="id" value=id/>
                                                        <button type="submit" class="link danger" data-testid="delete-webhook">"Delete"</button>
                                                    </ActionForm>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    })
                })}
            </Transition>
        </section>
    }
}

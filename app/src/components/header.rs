//! The site header: brand, ticker search, and who is logged in.

use leptos::either::Either;
use leptos::prelude::*;

use crate::api::alerts::my_notifications;
use crate::api::auth::{current_user, Login, Logout, Register};
use crate::components::alerts::{AlertActions, AlertBell};
use crate::components::search::TickerSearch;

/// The three account actions, shared so the header refreshes after any of them.
#[derive(Clone, Copy)]
pub struct AuthActions {
    /// Log in.
    pub login: ServerAction<Login>,
    /// Register.
    pub register: ServerAction<Register>,
    /// Log out.
    pub logout: ServerAction<Logout>,
}

impl AuthActions {
    /// Creates the actions (once, in `App`).
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self {
            login: ServerAction::new(),
            register: ServerAction::new(),
            logout: ServerAction::new(),
        }
    }

    /// Changes whenever any account action completes: a key for resources that depend on the user.
    pub fn version(&self) -> usize {
        self.login.version().get() + self.register.version().get() + self.logout.version().get()
    }
}

/// The header on every page.
#[component]
pub fn Header() -> impl IntoView {
    let auth = expect_context::<AuthActions>();
    let alerts = expect_context::<AlertActions>();
    let user = Resource::new(move || auth.version(), |_| current_user());
    let notices = Resource::new(
        move || (auth.version(), alerts.mark_read.version().get()),
        |_| my_notifications(),
    );

    view! {
        <header class="site-header">
            <a class="brand" href="/">"Tickercast"</a>
            <a class="nav-link" href="/news" data-testid="news-link">"News"</a>
            <TickerSearch/>
            <nav class="account">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match user.await {
                            Ok(Some(u)) => {
                                let unread = notices.await.ok().flatten().map_or(0, |n| n.unread);
                                Either::Left(view! {
                                <AlertBell unread/>
                                <span class="who">"Logged in as " <a href="/account" data-testid="account-link"><strong data-testid="current-user">{u.username}</strong></a></span>
                                <ActionForm action=auth.logout attr:class="inline">
                                    <button type="submit" class="link" data-testid="logout">"Log out"</button>
                                </ActionForm>
                            })
                            }
                            _ => Either::Right(view! {
                                <a href="/login" data-testid="login-link">"Log in"</a>
                                <a href="/register" class="button">"Register"</a>
                            }),
                        }
                    })}
                </Transition>
            </nav>
        </header>
    }
}

use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::header::AuthActions;
use crate::domain::Password;
use crate::error::AppError;

/// The form's error message, when the last submission failed.
fn error_of(last_error: impl Fn() -> Option<AppError>) -> impl Fn() -> Option<AnyView> {
    move || {
        last_error().map(|e| {
            view! { <p class="form-error" role="alert" data-testid="form-error">{e.to_string()}</p> }
                .into_any()
        })
    }
}

/// `/login`.
#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = expect_context::<AuthActions>();
    view! {
        <Title text="Log in"/>
        <section class="auth-form">
            <h1>"Log in"</h1>
            <ActionForm action=auth.login>
                <label>"Username" <input type="text" name="username" autocomplete="username" required/></label>
                <label>"Password" <input type="password" name="password" autocomplete="current-password" required/></label>
                {error_of(move || auth.login.value().get().and_then(Result::err))}
                <button type="submit" class="primary">"Log in"</button>
            </ActionForm>
            <p>"No account? " <a href="/register">"Register"</a></p>
        </section>
    }
}

/// `/register`.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let auth = expect_context::<AuthActions>();
    view! {
        <Title text="Register"/>
        <section class="auth-form">
            <h1>"Create an account"</h1>
            <ActionForm action=auth.register>
                <label>"Username" <input type="text" name="username" autocomplete="username" required minlength="3" maxlength="32"/></label>
                <label>"Password" <input type="password" name="password" autocomplete="new-password" required aria-describedby="password-hint"/></label>
                <p class="hint" id="password-hint">{format!("At least {} characters.", Password::MIN)}</p>
                <label>"Repeat the password" <input type="password" name="password_confirm" autocomplete="new-password" required/></label>
                {error_of(move || auth.register.value().get().and_then(Result::err))}
                <button type="submit" class="primary">"Register"</button>
            </ActionForm>
            <p>"Have an account? " <a href="/login">"Log in"</a></p>
        </section>
    }
}

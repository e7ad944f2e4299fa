use leptos::either::Either;
use leptos::prelude::*;

use super::not_found::{set_status, NotFound};
use crate::error::AppError;

/// Shows an error from a server function, with the matching HTTP status during SSR.
#[component]
pub fn ErrorView(error: AppError) -> impl IntoView {
    match error {
        AppError::NotFound(message) => Either::Left(view! { <NotFound message/> }),
        other => {
            set_status(other.status_code());
            Either::Right(view! {
                <section class="error" role="alert">
                    <h1>"Something went wrong"</h1>
                    <p>{other.to_string()}</p>
                </section>
            })
        }
    }
}

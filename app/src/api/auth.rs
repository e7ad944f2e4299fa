//! Accounts and sessions. Passwords are hashed with argon2id at OWASP's parameters
//! (19 MiB, 2 passes, 1 lane) on the blocking pool, so a login never stalls the async workers.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::User;

/// One message for a wrong password and an unknown user, so the form does not reveal which
/// usernames exist.
pub const BAD_CREDENTIALS: &str = "Invalid username or password.";

/// The logged-in user, if any.
#[server(endpoint = "current_user")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn current_user() -> Result<Option<User>, AppError> {
    let session = crate::ssr::UserSession::current().await?;
    Ok(session.user().await?.map(|u| User {
        username: u.username,
    }))
}

/// Creates an account and logs it in, then sends the browser to the landing page.
#[server(endpoint = "register")]
#[cfg_attr(
    feature = "ssr",
    tracing::instrument(skip(password, password_confirm), err(level = "info"))
)]
pub async fn register(
    username: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    use crate::domain::{Password, Username};
    use crate::ssr::session::SessionUser;

    let username = Username::parse(&username).map_err(AppError::BadRequest)?;
    let password = Password::parse(&password).map_err(AppError::BadRequest)?;
    if password.expose() != password_confirm {
        return Err(AppError::BadRequest("The two passwords differ.".into()));
    }
    let ctx = crate::ssr::ctx()?;
    let hash = tokio::task::spawn_blocking(move || ssr::hash(password.expose())).await??;
    let id = crate::ssr::db::create_user(&ctx.pool, username.as_str(), &hash)
        .await?
        .ok_or_else(|| AppError::Conflict("That username is taken; pick another.".into()))?;
    let session = crate::ssr::UserSession::current().await?;
    session
        .log_in(SessionUser {
            id,
            username: username.as_str().to_string(),
        })
        .await?;
    tracing::info!(user = %id, "account created");
    leptos_axum::redirect("/");
    Ok(())
}

/// Logs in, then sends the browser to the landing page.
#[server(endpoint = "login")]
#[cfg_attr(
    feature = "ssr",
    tracing::instrument(skip(password), err(level = "info"))
)]
pub async fn login(username: String, password: String) -> Result<(), AppError> {
    use crate::ssr::session::SessionUser;

    let ctx = crate::ssr::ctx()?;
    let user = crate::ssr::db::find_user(&ctx.pool, username.trim()).await?;
    let (stored, found) = match &user {
        Some(u) => (u.password_hash.clone(), true),
        // Verify against a fixed hash anyway: an unknown user costs the same time as a wrong password.
        None => (ssr::DUMMY_HASH.clone(), false),
    };
    let ok = tokio::task::spawn_blocking(move || ssr::verify(&password, &stored)).await?;
    let user = match (user, ok && found) {
        (Some(u), true) => u,
        _ => return Err(AppError::Unauthorized(BAD_CREDENTIALS.into())),
    };
    let session = crate::ssr::UserSession::current().await?;
    session
        .log_in(SessionUser {
            id: user.id,
            username: user.username,
        })
        .await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Ends the session on the server, then sends the browser to the landing page.
#[server(endpoint = "logout")]
#[cfg_attr(feature = "ssr", tracing::instrument(err(level = "info")))]
pub async fn logout() -> Result<(), AppError> {
    crate::ssr::UserSession::current().await?.log_out().await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    use std::sync::LazyLock;

    use argon2::password_hash::phc::PasswordHash;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};
    use argon2::{Algorithm, Argon2, Params, Version};

    use crate::error::AppError;

    fn hasher() -> Argon2<'static> {
        // OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1.
        let params = Params::new(19_456, 2, 1, None).expect("constant argon2 parameters are valid");
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    pub(super) fn hash(password: &str) -> Result<String, AppError> {
        hasher()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| {
                tracing::error!(error = %e, "password hashing failed");
                AppError::Internal
            })
    }

    pub(super) fn verify(password: &str, stored: &str) -> bool {
        match PasswordHash::new(stored) {
            Ok(parsed) => hasher()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(e) => {
                tracing::error!(error = %e, "stored password hash is unreadable");
                false
            }
        }
    }

    /// A real hash of a random password, computed once, for timing-safe "unknown user" answers.
    pub(super) static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
        let random = uuid::Uuid::new_v4().to_string();
        hash(&random).unwrap_or_default()
    });

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
            let h = hash("correct horse battery").unwrap();
            assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
            assert!(verify("correct horse battery", &h));
            assert!(!verify("correct horse battery!", &h));
            assert!(!verify("anything", "not a hash"));
        }
    }
}

//! The typed session: one key, one type, so no server function reads the session by a stray string.

use tower_sessions::Session;

use super::SessionUser;
use crate::error::AppError;

const USER_KEY: &str = "user";

/// The request's session, stored in Postgres by tower-sessions.
#[derive(Debug, Clone)]
pub struct UserSession(Session);

impl UserSession {
    /// The session of the current request (needs the session layer on the router).
    pub async fn current() -> Result<Self, AppError> {
        let session: Session = leptos_axum::extract().await.map_err(|e| {
            tracing::error!(error = %e, "no session on the request");
            AppError::Internal
        })?;
        Ok(Self(session))
    }

    /// The logged-in user, if any.
    pub async fn user(&self) -> Result<Option<SessionUser>, AppError> {
        Ok(self.0.get::<SessionUser>(USER_KEY).await?)
    }

    /// The logged-in user, or `Unauthorized` with `why` for the person to read.
    pub async fn require_user(&self, why: &str) -> Result<SessionUser, AppError> {
        self.user()
            .await?
            .ok_or_else(|| AppError::Unauthorized(why.to_string()))
    }

    /// Starts a logged-in session under a new id (no session fixation).
    pub async fn log_in(&self, user: SessionUser) -> Result<(), AppError> {
        self.0.cycle_id().await?;
        self.0.insert(USER_KEY, user).await?;
        Ok(())
    }

    /// Ends the session: deleted from the store, so the old cookie is worthless.
    pub async fn log_out(&self) -> Result<(), AppError> {
        self.0.flush().await?;
        Ok(())
    }
}

//! The typed session: one key, one type, so no server function reads the session by a stray string.

use tower_sessions::Session;

use super::SessionUser;
use crate::error::AppError;

const USER_KEY: &str = "user";
/// When the session was last written (Unix seconds): writing it again slides the expiry.
const TOUCHED_KEY: &str = "touched";

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

    /// The session of a request the server's middleware holds.
    pub fn new(session: Session) -> Self {
        Self(session)
    }

    /// Keeps an active session alive: once `every` has passed since the session was last written,
    /// it is written again, which renews its inactivity expiry in the store and in the cookie.
    /// (Sessions are otherwise saved only when they change, so an expiry "on inactivity" would
    /// count from the login, not from the last visit.)
    pub async fn keep_alive(&self, every: std::time::Duration) -> Result<(), AppError> {
        let now = chrono::Utc::now().timestamp();
        let touched = self.0.get::<i64>(TOUCHED_KEY).await?.unwrap_or(0);
        if now.saturating_sub(touched) >= every.as_secs() as i64 {
            self.0.insert(TOUCHED_KEY, now).await?;
        }
        Ok(())
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
        self.0
            .insert(TOUCHED_KEY, chrono::Utc::now().timestamp())
            .await?;
        Ok(())
    }

    /// Ends the session: deleted from the store, so the old cookie is worthless.
    pub async fn log_out(&self) -> Result<(), AppError> {
        self.0.flush().await?;
        Ok(())
    }
}

//! The access layer in front of every route: where a request comes from, who makes it (an API
//! key, an access token, a session, or nobody), whether it may (the inbound rate limits, with
//! their `RateLimit-*` headers), plus the CSRF check and the security headers.
//!
//! The guard resolves the caller once and leaves it on the request ([`Caller`], [`ClientAddr`],
//! [`Charge`]): handlers and server functions read it from there and never parse credentials.

pub mod bounds;
mod client_ip;
pub mod cors;
pub mod csrf;
pub mod headers;
pub mod request_id;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::domain::Caller;
use app::ssr::{ClientAddr, UserSession};

use crate::accounts::{key_subject, AccountService, Credential, CredentialError};
use crate::config::AccessSettings;
use crate::ratelimit::{Decision, InboundLimiter, Limit};
use crate::routes::api::error::ApiError;

pub use client_ip::{client_ip, ip_subject};

/// What the guard needs.
#[derive(Clone, Debug)]
pub struct Access {
    /// Keys, tokens and account standing.
    pub accounts: Arc<AccountService>,
    /// The shared inbound limiter.
    pub limiter: InboundLimiter,
    /// Limits per tier, trusted proxies.
    pub settings: Arc<AccessSettings>,
    /// How often an active session is written again to slide its expiry.
    pub session_refresh: Duration,
}

/// The bucket a request was counted in, for handlers whose work costs more than one request (a
/// batch of N symbols costs N).
#[derive(Clone, Debug)]
pub struct Charge {
    /// The limiter's name for the caller.
    pub subject: String,
    /// The caller's limit.
    pub limit: Limit,
    /// What the limiter said about this request.
    pub decision: Decision,
}

/// The API key a request presented itself (not through a token): what `POST /api/v1/auth/token`
/// may exchange without a body.
#[derive(Clone, Debug)]
pub struct PresentedKey(pub Credential);

impl Access {
    /// Charges `extra` more requests to the bucket of `charge`; `Err` is the 429 to answer.
    pub async fn charge_more(&self, charge: &Charge, extra: u32) -> Result<(), ApiError> {
        if extra == 0 {
            return Ok(());
        }
        let d = self
            .limiter
            .check(&charge.subject, charge.limit, extra)
            .await;
        if d.allowed {
            Ok(())
        } else {
            Err(refusal(&d))
        }
    }

    async fn credential(&self, text: &str) -> Result<Credential, ApiError> {
        let verified = if crate::accounts::tokens::looks_like_jwt(text) {
            self.accounts.verify_token(text).await
        } else {
            self.accounts.verify_key(text).await
        };
        verified.map_err(|e| match e {
            CredentialError::Invalid(why) => ApiError::unauthorized(why),
            CredentialError::Unavailable(e) => {
                tracing::error!(error = %e, "credential check failed");
                ApiError::new(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Credentials cannot be checked right now; please retry shortly.",
                )
                .retry_after(5)
            }
        })
    }

    /// The logged-in account of the request's session, with its current tier and role.
    async fn session_caller(&self, session: Option<tower_sessions::Session>) -> Caller {
        let Some(session) = session else {
            return Caller::Anonymous;
        };
        let session = UserSession::new(session);
        let user = match session.user().await {
            Ok(Some(u)) => u,
            Ok(None) => return Caller::Anonymous,
            Err(e) => {
                tracing::warn!(error = %e, "session unreadable; serving as anonymous");
                return Caller::Anonymous;
            }
        };
        if let Err(e) = session.keep_alive(self.session_refresh).await {
            tracing::warn!(error = %e, "session not renewed");
        }
        // The session remembers the standing at login; an admin's grant or a tier change counts
        // from the next minute, not the next login.
        match self.accounts.standing(user.id).await {
            Ok(Some(s)) => Caller::Member {
                user: user.id,
                tier: s.tier,
                role: s.role,
            },
            Ok(None) => Caller::Anonymous,
            Err(e) => {
                tracing::warn!(error = %e, "standing unavailable; using the session's");
                user.caller()
            }
        }
    }
}

/// The bearer credential of a request: `Authorization: Bearer …` or `X-API-Key: …`.
fn presented_credential(headers: &HeaderMap) -> Option<Result<&str, ApiError>> {
    if let Some(v) = headers.get(header::AUTHORIZATION) {
        let text = v.to_str().ok().and_then(|s| {
            let (scheme, rest) = s.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        });
        return Some(text.filter(|t| !t.is_empty()).ok_or_else(|| {
            ApiError::unauthorized(
                "Send the key or token as `Authorization: Bearer <key or token>`.",
            )
        }));
    }
    headers.get("x-api-key").map(|v| {
        v.to_str()
            .ok()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::unauthorized("The X-API-Key header is empty or unreadable."))
    })
}

/// Files of the site (the WebAssembly, scripts, icons): served without any of the checks.
fn is_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || (path.rfind('/') == Some(0) && path.contains('.'))
}

/// Requests counted against a limit: the JSON API and the server functions (pages are rendered
/// with the same services but counted through the server functions they hydrate with).
fn is_limited(path: &str) -> bool {
    path.starts_with("/api/") && path != "/api/status" && path != "/api/docs"
}

/// The guard: resolves the client address and the caller, and applies the rate limit.
pub async fn guard(State(access): State<Access>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    let ip = client_ip(peer, req.headers(), &access.settings.trusted_proxies);
    req.extensions_mut().insert(ClientAddr(ip));
    let path = req.uri().path();
    // `/metrics` has its own token (METRICS_TOKEN), not an API credential.
    if is_asset(path) || path == "/metrics" {
        return next.run(req).await;
    }
    let limited = is_limited(path);

    let presented = match presented_credential(req.headers()) {
        None => None,
        Some(Err(e)) => return e.into_response(),
        Some(Ok(text)) => Some(text.to_owned()),
    };
    let credential = match presented {
        None => None,
        Some(text) => match access.credential(&text).await {
            Ok(c) => {
                if !crate::accounts::tokens::looks_like_jwt(&text) {
                    req.extensions_mut().insert(PresentedKey(c.clone()));
                }
                Some(c)
            }
            Err(e) => return e.into_response(),
        },
    };
    let (caller, key_id) = match credential {
        Some(c) => (c.caller, c.key_id),
        None => {
            let session = req.extensions().get::<tower_sessions::Session>().cloned();
            (access.session_caller(session).await, None)
        }
    };
    req.extensions_mut().insert(caller.clone());
    if !limited {
        return next.run(req).await;
    }

    let subject = match (&key_id, caller.user()) {
        (Some(id), _) => key_subject(id),
        (None, Some(user)) => format!("user:{user}"),
        (None, None) => ip_subject(ip),
    };
    let limit = access.settings.limit(&caller);
    let decision = access.limiter.check(&subject, limit, 1).await;
    if !decision.allowed {
        let mut res = refusal(&decision).into_response();
        rate_headers(res.headers_mut(), &decision);
        return res;
    }
    req.extensions_mut().insert(Charge {
        subject,
        limit,
        decision,
    });
    let mut res = next.run(req).await;
    rate_headers(res.headers_mut(), &decision);
    if let Some(id) = &key_id {
        access.accounts.count_key_use(id).await;
    }
    res
}

/// The 429 for a refused request.
fn refusal(d: &Decision) -> ApiError {
    let message = if d.quota_exhausted {
        format!(
            "Daily quota of {} requests used up; it renews at midnight UTC.",
            d.per_day
        )
    } else {
        format!(
            "Rate limit of {} requests a minute reached; retry in {} s.",
            d.limit,
            d.retry_after_secs.max(1)
        )
    };
    ApiError::rate_limited(message, d.retry_after_secs)
}

/// `RateLimit-Limit`, `-Remaining` and `-Reset` (seconds until the full allowance is back).
fn rate_headers(h: &mut HeaderMap, d: &Decision) {
    h.insert("ratelimit-limit", HeaderValue::from(d.limit));
    h.insert("ratelimit-remaining", HeaderValue::from(d.remaining));
    h.insert("ratelimit-reset", HeaderValue::from(d.reset_secs));
}

/// The caller the guard left on the request (anonymous if the guard did not run).
pub fn caller_of(ext: Option<axum::Extension<Caller>>) -> Caller {
    ext.map_or(Caller::Anonymous, |axum::Extension(c)| c)
}

/// The caller, if it is an administrator: 401 for nobody, 403 for an account without the role.
pub fn require_admin(caller: Caller) -> Result<Caller, ApiError> {
    match caller {
        Caller::Anonymous => Err(ApiError::unauthorized(
            "This endpoint needs an administrator's API key or token.",
        )),
        c if c.is_admin() => Ok(c),
        _ => Err(ApiError::forbidden(
            "This endpoint is for administrators; your account is not one.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_administrators_pass_the_admin_check() {
        let user = app::domain::UserId::random();
        let member = |role| Caller::Member {
            user,
            tier: app::domain::Tier::Admin,
            role,
        };
        assert_eq!(require_admin(Caller::Anonymous).unwrap_err().status(), 401);
        assert_eq!(
            require_admin(member(app::domain::Role::User))
                .unwrap_err()
                .status(),
            403
        );
        assert!(require_admin(member(app::domain::Role::Admin)).is_ok());
    }

    #[test]
    fn assets_skip_the_checks_and_only_api_paths_are_limited() {
        assert!(is_asset("/pkg/tickercast.wasm"));
        assert!(is_asset("/echarts.min.js"));
        assert!(!is_asset("/stock/BRK.B"));
        assert!(!is_asset("/api/v1/quote/BRK.B"));
        assert!(is_limited("/api/v1/quote/GOOG"));
        assert!(is_limited("/api/login"));
        assert!(!is_limited("/api/status"));
        assert!(!is_limited("/stock/GOOG"));
    }

    #[test]
    fn credentials_come_from_either_header() {
        let mut h = HeaderMap::new();
        assert!(presented_credential(&h).is_none());
        h.insert("x-api-key", "tc_abc".parse().unwrap());
        assert_eq!(presented_credential(&h).unwrap().unwrap(), "tc_abc");
        h.insert(header::AUTHORIZATION, "Bearer eyJ.x.y".parse().unwrap());
        assert_eq!(presented_credential(&h).unwrap().unwrap(), "eyJ.x.y");
        h.insert(header::AUTHORIZATION, "Basic dXNlcjpwdw==".parse().unwrap());
        assert!(presented_credential(&h).unwrap().is_err());
    }
}

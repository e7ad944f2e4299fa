//! `GET /api/v1/search?q=`, and the `202 Accepted` every symbol route answers for a ticker asked
//! for the first time while its history is fetched.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use std::net::{IpAddr, Ipv4Addr};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use app::domain::{Caller, SearchText, Symbol};
use app::model::{JobStatus, Onboarding, Predictions, SearchResults};
use app::ssr::ClientAddr;

use super::error::{ApiError, ErrorBody};
use crate::routes::access::{caller_of, require_admin};
use crate::routes::AppState;

/// `?q=`.
#[derive(Debug, Deserialize)]
pub struct SearchParams {
    q: Option<String>,
}

/// Stored tickers whose symbol starts with, or name contains, `q`; then what the market-data
/// providers find (their answers cached for an hour). `stored: false` marks a symbol whose
/// history is fetched on its first request.
#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "market",
    params(("q" = String, Query, description = "A company name or ticker symbol, 1–40 characters: letters, digits, spaces and `. - ^ & '`", example = "apple", min_length = 1, max_length = 40, pattern = r"^[A-Za-z0-9.'^&-][A-Za-z0-9 .'^&-]{0,39}$")),
    responses(
        (status = 200, description = "Matches, stored tickers first", body = SearchResults),
        (status = 400, description = "Missing, too long or unsafe text", body = ErrorBody),
    )
)]
pub async fn search(
    State(state): State<AppState>,
    query: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<SearchResults>, ApiError> {
    let Query(params) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let text = SearchText::parse(params.q.as_deref().unwrap_or_default())
        .map_err(ApiError::bad_request)?;
    Ok(Json(state.ctx.lookup.search(&text).await?))
}

/// What `GET /api/v1/predictions/{symbol}` answers with `202`: training queued (the predictions
/// ready so far and the job), or a first request for the symbol (its backfill). For the
/// OpenAPI document only.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // never built: it only describes the answer
pub enum PredictionsAccepted {
    /// Models are being trained; the baselines are ready.
    Training(Predictions),
    /// The symbol's history is being fetched.
    Fetching(Onboarding),
}

/// Who asks, as the access layer left it on the request: whose allowance of new symbols a first
/// request spends.
pub struct Asker {
    /// Who, as the guard resolved it (anonymous when nothing was presented).
    pub caller: Caller,
    /// From where.
    pub client: IpAddr,
}

impl<S: Send + Sync> FromRequestParts<S> for Asker {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let caller = parts
            .extensions
            .get::<Caller>()
            .cloned()
            .unwrap_or(Caller::Anonymous);
        // The guard always sets the address; without it, every such request shares one allowance.
        let client = parts
            .extensions
            .get::<ClientAddr>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.0);
        Ok(Asker { caller, client })
    }
}

/// For a symbol with no stored history: the `202` of its backfill (a provider knows it) or the
/// error saying why it cannot be had. `None` when it is stored, and the route answers as usual.
pub async fn pending(
    state: &AppState,
    symbol: &Symbol,
    asker: &Asker,
) -> Result<Option<Response>, ApiError> {
    Ok(state
        .ctx
        .lookup
        .onboard(symbol, &asker.caller, asker.client)
        .await?
        .map(accepted))
}

/// `202 Accepted` with the backfill job, where to follow it, and when to ask again.
fn accepted(onboarding: Onboarding) -> Response {
    let location = format!("/api/v1/jobs/{}", onboarding.job.id);
    (
        StatusCode::ACCEPTED,
        [
            (header::LOCATION, location),
            (header::RETRY_AFTER, "5".to_owned()),
        ],
        Json(onboarding),
    )
        .into_response()
}

/// Fetches a stored ticker's newest bars from the providers now, as the after-close schedule does:
/// queues a `refresh` job (or answers the one under way). New bars are announced on the stream,
/// recompute the predictions and are checked against the alerts. Accounts with the admin role only.
#[utoipa::path(
    post,
    path = "/api/v1/admin/refresh/{symbol}",
    tag = "admin",
    params(("symbol" = Symbol, Path, description = "Ticker symbol (`^` as `%5E`)")),
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 202, description = "The refresh job; follow it at `Location`", body = JobStatus),
        (status = 400, description = "Malformed symbol", body = ErrorBody),
        (status = 401, description = "No key or token", body = ErrorBody),
        (status = 403, description = "The account is not an administrator", body = ErrorBody),
        (status = 404, description = "No such ticker stored", body = ErrorBody),
        (status = 503, description = "No market-data provider configured", body = ErrorBody),
    )
)]
pub async fn refresh(
    State(state): State<AppState>,
    caller: Option<axum::Extension<Caller>>,
    path: Result<axum::extract::Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<Response, ApiError> {
    require_admin(caller_of(caller))?;
    let symbol = super::extract::path_symbol(path)?;
    let job = state.ctx.lookup.refresh(&symbol).await?;
    let location = format!("/api/v1/jobs/{}", job.id);
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(job),
    )
        .into_response())
}

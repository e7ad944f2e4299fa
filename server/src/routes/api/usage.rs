//! `GET /api/v1/usage`: the caller's tier, limits and what it used today.

use axum::extract::State;
use axum::{Extension, Json};

use app::domain::Caller;
use app::model::Usage;

use super::error::{ApiError, ErrorBody};
use crate::routes::access::{caller_of, Charge};
use crate::routes::AppState;

/// The caller's limits and use (anonymous callers are counted by address).
#[utoipa::path(
    get,
    path = "/api/v1/usage",
    tag = "access",
    security((), ("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Tier, limits and today's use", body = Usage),
        (status = 429, description = "Rate limit reached", body = ErrorBody),
    )
)]
pub async fn usage(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    charge: Option<Extension<Charge>>,
) -> Result<Json<Usage>, ApiError> {
    let caller = caller_of(caller);
    let settings = &state.access.settings;
    let limit = settings.limit(&caller);
    let (used_today, remaining) = charge.map_or((0, limit.per_minute), |Extension(c)| {
        (c.decision.used_today, c.decision.remaining)
    });
    let tier = match &caller {
        Caller::Anonymous => "anonymous".to_string(),
        Caller::Member { tier, .. } => tier.to_string(),
    };
    let training_per_day = settings.training_budget(&caller);
    Ok(Json(Usage {
        tier,
        per_minute: limit.per_minute,
        per_day: limit.per_day,
        used_today,
        remaining_this_minute: remaining,
        training_per_day,
    }))
}

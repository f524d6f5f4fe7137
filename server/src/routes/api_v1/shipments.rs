use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use app::domain::{NewStatusEvent, ShipmentDetail, ShipmentEvent, ShipmentSummary};
use app::error::AppError;
use app::ssr::auth::current_user::CurrentUser;
use app::ssr::shipments;
use app::ssr::state::AppState;

use crate::routes::extract::ApiJson;

/// `GET /api/v1/shipments`: the shipments the caller may see.
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<ShipmentSummary>>, AppError> {
    Ok(Json(shipments::list(&state.pool, &user).await?))
}

/// `GET /api/v1/shipments/{tracking_number}`: one shipment and its timeline.
pub async fn detail(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(tracking_number): Path<String>,
) -> Result<Json<ShipmentDetail>, AppError> {
    Ok(Json(
        shipments::detail(&state.pool, &user, &tracking_number).await?,
    ))
}

/// `POST /api/v1/shipments/{tracking_number}/events`: post a status (staff).
pub async fn post_status(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(tracking_number): Path<String>,
    ApiJson(event): ApiJson<NewStatusEvent>,
) -> Result<(StatusCode, Json<ShipmentEvent>), AppError> {
    let event = shipments::post_status(&state.pool, &user, &tracking_number, event).await?;
    Ok((StatusCode::CREATED, Json(event)))
}

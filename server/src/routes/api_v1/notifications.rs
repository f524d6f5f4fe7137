//! `/api/v1/notifications` and `/api/v1/notification-preferences`: the bell
//! and what a person hears about, thin over `app::ssr::actions::notifications`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use app::domain::{Inbox, NotificationPreferences, Viewer};
use app::error::{AppError, ProblemDetails};
use app::ssr::actions::notifications;
use app::ssr::web::AppState;

use crate::routes::support::extract::ApiJson;

/// The newest 50 notifications (only of shipments you may still see) and how
/// many are unread (counted up to 100).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications",
    responses((status = 200, body = Inbox), (status = 401, body = ProblemDetails)))]
pub async fn inbox(State(state): State<AppState>, viewer: Viewer) -> Result<Json<Inbox>, AppError> {
    Ok(Json(notifications::inbox(&state.pool, &viewer).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    /// These notifications (at most 50); omitted: all of them.
    #[serde(default)]
    ids: Option<Vec<i64>>,
}

/// Marks notifications read. Ids that are not yours are ignored.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications", request_body = MarkRead,
    responses((status = 204), (status = 401, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
pub async fn mark_read(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(body): ApiJson<MarkRead>,
) -> Result<StatusCode, AppError> {
    notifications::mark_read(&state.pool, &viewer, body.ids.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What you hear about, and how.
#[utoipa::path(get, path = "/api/v1/notification-preferences", tag = "notifications",
    responses((status = 200, body = NotificationPreferences), (status = 401, body = ProblemDetails)))]
pub async fn preferences(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<NotificationPreferences>, AppError> {
    Ok(Json(notifications::preferences(&state.pool, &viewer).await?))
}

/// Replaces what you hear about. `problems` is for staff only (422 otherwise).
#[utoipa::path(put, path = "/api/v1/notification-preferences", tag = "notifications",
    request_body = NotificationPreferences,
    responses((status = 200, body = NotificationPreferences), (status = 401, body = ProblemDetails),
              (status = 422, body = ProblemDetails)))]
pub async fn set_preferences(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(wanted): ApiJson<NotificationPreferences>,
) -> Result<Json<NotificationPreferences>, AppError> {
    notifications::set_preferences(&state.pool, &viewer, &wanted).await?;
    Ok(Json(notifications::preferences(&state.pool, &viewer).await?))
}

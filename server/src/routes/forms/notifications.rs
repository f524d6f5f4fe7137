//! The HTML forms of `/settings` (notification preferences) and
//! `/notifications` (mark read). They work without JavaScript: each answers
//! with a redirect (303) back to its page, saying what happened in the query.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use app::domain::{NotificationPreferences, ShipmentStatus, Viewer};
use app::error::AppError;
use app::ssr::actions::notifications;
use app::ssr::web::AppState;

/// The most form fields read: 13 statuses, 5 switches and some slack.
const MAX_FIELDS: usize = 32;

fn fields(body: &Bytes) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .take(MAX_FIELDS)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn sign_in_first(next: &str) -> Response {
    Redirect::to(&format!("/login?next={next}")).into_response()
}

/// `POST /settings`: checkboxes `status` (repeated), `owned`, `watched`,
/// `problems`, `in_app`, `email`; an unticked box is absent.
pub async fn save_preferences(
    State(state): State<AppState>,
    viewer: Result<Viewer, AppError>,
    body: Bytes,
) -> Response {
    let Ok(viewer) = viewer else {
        return sign_in_first("/settings");
    };
    let fields = fields(&body);
    let ticked = |name: &str| fields.iter().any(|(k, _)| k == name);
    let statuses: Result<Vec<ShipmentStatus>, _> = fields
        .iter()
        .filter(|(k, _)| k == "status")
        .map(|(_, v)| v.parse::<ShipmentStatus>())
        .collect();
    let Ok(statuses) = statuses else {
        return Redirect::to("/settings?error=status").into_response();
    };
    let wanted = NotificationPreferences {
        statuses,
        owned: ticked("owned"),
        watched: ticked("watched"),
        problems: ticked("problems"),
        in_app: ticked("in_app"),
        email: ticked("email"),
    };
    match notifications::set_preferences(&state.pool, &viewer, &wanted).await {
        Ok(()) => Redirect::to("/settings?saved=1").into_response(),
        Err(AppError::Validation { field, .. }) => {
            Redirect::to(&format!("/settings?error={field}")).into_response()
        }
        Err(error) => error.into_response(),
    }
}

/// `POST /notifications/read`: `id` (one notification) or nothing (all).
pub async fn mark_read(
    State(state): State<AppState>,
    viewer: Result<Viewer, AppError>,
    body: Bytes,
) -> Response {
    let Ok(viewer) = viewer else {
        return sign_in_first("/notifications");
    };
    let ids: Vec<i64> = fields(&body)
        .iter()
        .filter(|(k, _)| k == "id")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let which = (!ids.is_empty()).then_some(ids.as_slice());
    match notifications::mark_read(&state.pool, &viewer, which).await {
        Ok(()) => Redirect::to("/notifications").into_response(),
        Err(error) => error.into_response(),
    }
}

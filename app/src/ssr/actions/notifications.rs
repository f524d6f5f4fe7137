//! Notifications, as a person manages them: what they hear about, the bell's
//! list, marking read, and the unsubscribe link that works signed out.

use sqlx::PgPool;

use crate::domain::{Inbox, NotificationPreferences, Viewer};
use crate::error::AppError;
use crate::ssr::auth::policy;
use crate::ssr::auth::signing::{Purpose, SigningKey};
use crate::ssr::notify::{inbox, preferences};

pub async fn preferences(pool: &PgPool, viewer: &Viewer) -> Result<NotificationPreferences, AppError> {
    let user = policy::require_person(viewer)?;
    preferences::of(pool, user.id).await
}

/// Replaces the viewer's preferences. Only staff may ask to hear of every
/// problem reported (customers hear of their own shipments only).
pub async fn set_preferences(
    pool: &PgPool,
    viewer: &Viewer,
    wanted: &NotificationPreferences,
) -> Result<(), AppError> {
    let user = policy::require_person(viewer)?;
    if wanted.problems && !user.role.is_staff() {
        return Err(AppError::validation(
            "problems",
            "only depot staff can hear of every problem reported",
        ));
    }
    preferences::set(pool, user.id, wanted).await
}

pub async fn inbox(pool: &PgPool, viewer: &Viewer) -> Result<Inbox, AppError> {
    inbox::inbox(pool, policy::require_person(viewer)?).await
}

/// How many unread notifications the bell shows (at most
/// [`crate::domain::UNREAD_CAP`]).
pub async fn unread(pool: &PgPool, viewer: &Viewer) -> Result<i64, AppError> {
    inbox::unread(pool, policy::require_person(viewer)?).await
}

/// Marks the viewer's notifications `ids` read, or all of them (`None`).
pub async fn mark_read(pool: &PgPool, viewer: &Viewer, ids: Option<&[i64]>) -> Result<(), AppError> {
    let user = policy::require_person(viewer)?;
    if ids.is_some_and(|ids| ids.len() > inbox::MAX_MARKED) {
        return Err(AppError::validation(
            "ids",
            format!("mark at most {} notifications at once", inbox::MAX_MARKED),
        ));
    }
    inbox::mark_read(pool, user.id, ids).await
}

/// Turns email off for the account an unsubscribe link was made for; no
/// session needed, the signed link is the authority. A changed or foreign
/// link is refused and changes nothing.
pub async fn unsubscribe(pool: &PgPool, key: &SigningKey, token: &str) -> Result<(), AppError> {
    let user_id = key
        .verify(Purpose::Unsubscribe, token.trim())
        .and_then(|payload| payload.parse::<i64>().ok())
        .ok_or_else(|| {
            AppError::validation(
                "token",
                "this unsubscribe link is not valid; sign in and turn emails off in your notification settings",
            )
        })?;
    preferences::stop_email(pool, user_id).await
}

//! The authorization policy: the one place that decides who may do what (see
//! "People and roles" in docs/architecture.md). Every action of the core asks here.
//!
//! Who may see a shipment is one rule written twice, because lists are
//! filtered by the database: `domain::may_see` in Rust (live routing) and the
//! SQL function `shipment_visible_to` (see the accounts migration); a test
//! asserts they agree on every case.

use sqlx::PgPool;

use crate::domain::{CurrentUser, Role, TrackingNumber, Viewer};
use crate::error::AppError;

/// Operators and admins: post status events, create shipments, resolve problems.
pub fn require_staff(viewer: &Viewer) -> Result<(), AppError> {
    if viewer.is_staff() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Admins only: roles, API tokens, reopening a final shipment.
pub fn require_admin(viewer: &Viewer) -> Result<(), AppError> {
    if viewer.role() == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Actions that belong to a person's own list (watching, reporting): the
/// system, acting from the command line, has none.
pub fn require_person(viewer: &Viewer) -> Result<&CurrentUser, AppError> {
    viewer.person().ok_or(AppError::Forbidden)
}

/// The id of a shipment the viewer may see. A shipment they may not see is
/// reported exactly like one that does not exist, so its existence stays secret.
pub async fn visible_shipment_id(
    pool: &PgPool,
    viewer: &Viewer,
    tracking_number: &TrackingNumber,
) -> Result<i64, AppError> {
    sqlx::query_scalar!(
        r#"SELECT s.id FROM shipments s
           WHERE s.tracking_number = $1 AND ($3 OR shipment_visible_to(s.id, s.owner_id, $2, $3))"#,
        tracking_number.as_str(),
        viewer.user_id().unwrap_or_default(),
        viewer.is_staff(),
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::NotFound(format!("shipment {tracking_number}")))
}

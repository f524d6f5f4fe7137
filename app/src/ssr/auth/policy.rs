//! The authorization policy: the one place that decides who may see and do
//! what (see "People and roles" in the README). Pages, server functions and
//! REST handlers all ask here.
//!
//! Visibility is decided in SQL by the function `shipment_visible_to` (staff
//! see all, customers their own and watched shipments; see the accounts
//! migration), so lists are filtered by the database, never fetched whole and
//! filtered here.

use sqlx::PgPool;

use crate::domain::TrackingNumber;
use crate::error::AppError;

use super::current_user::CurrentUser;

/// Operators and admins: post status events, create shipments, resolve problems.
pub fn require_staff(user: &CurrentUser) -> Result<(), AppError> {
    if user.role.is_staff() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Admins only: roles and API tokens.
pub fn require_admin(user: &CurrentUser) -> Result<(), AppError> {
    if user.role == crate::domain::Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The id of a shipment the user may see. A shipment they may not see is
/// reported exactly like one that does not exist, so its existence stays secret.
pub async fn visible_shipment_id(
    pool: &PgPool,
    user: &CurrentUser,
    tracking_number: &TrackingNumber,
) -> Result<i64, AppError> {
    sqlx::query_scalar!(
        r#"SELECT s.id FROM shipments s
           WHERE s.tracking_number = $1 AND shipment_visible_to(s.id, s.owner_id, $2, $3)"#,
        tracking_number.as_str(),
        user.id,
        user.role.is_staff(),
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::NotFound(format!("shipment {tracking_number}")))
}

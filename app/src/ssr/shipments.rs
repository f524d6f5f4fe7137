//! What a user can do with shipments, written once for the server functions
//! (UI) and the REST handlers (`/api/v1`): parse, authorize, then read or write.

use sqlx::PgPool;

use crate::domain::{NewStatusEvent, ShipmentDetail, ShipmentEvent, ShipmentSummary, TrackingNumber};
use crate::error::AppError;
use crate::ssr::auth::current_user::CurrentUser;
use crate::ssr::auth::policy;
use crate::ssr::db;
use crate::ssr::db::status::StatusChange;

/// How many rows a list returns until paging arrives.
const LIST_LIMIT: i64 = 500;

/// The shipments the user may see.
pub async fn list(pool: &PgPool, user: &CurrentUser) -> Result<Vec<ShipmentSummary>, AppError> {
    db::shipments::list_visible(pool, user, LIST_LIMIT).await
}

/// One shipment with its timeline; 404 if it does not exist or is not the
/// user's to see (the same answer, so existence is not revealed).
pub async fn detail(
    pool: &PgPool,
    user: &CurrentUser,
    tracking_number: &str,
) -> Result<ShipmentDetail, AppError> {
    let tracking_number = parse_visible_number(tracking_number)?;
    let id = policy::visible_shipment_id(pool, user, &tracking_number).await?;
    let (shipment, timeline) = db::shipments::detail(pool, id).await?;
    Ok(ShipmentDetail { shipment, timeline })
}

/// Posts a status event (operators and admins).
pub async fn post_status(
    pool: &PgPool,
    user: &CurrentUser,
    tracking_number: &str,
    event: NewStatusEvent,
) -> Result<ShipmentEvent, AppError> {
    policy::require_staff(user)?;
    let tracking_number = parse_visible_number(tracking_number)?;
    policy::visible_shipment_id(pool, user, &tracking_number).await?;
    let change = StatusChange {
        status: event.status,
        location: event.location,
        note: event.note,
        occurred_at: event.occurred_at,
        actor_id: Some(user.id),
    };
    db::status::record_status_change(pool, &tracking_number, &change).await
}

/// A malformed tracking number in a URL cannot name a shipment: not found.
fn parse_visible_number(input: &str) -> Result<TrackingNumber, AppError> {
    TrackingNumber::parse(input).map_err(|_| AppError::NotFound(format!("shipment {}", input.trim())))
}

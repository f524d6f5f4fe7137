//! Watching a shipment someone else owns, and delivery instructions.
//!
//! To watch, a customer proves they know the shipment by its tracking number
//! *and* destination postal code. A wrong postcode and an unknown number get
//! the same answer, so the form cannot be used to discover tracking numbers.

use sqlx::PgPool;

use crate::domain::{ShipmentSummary, TrackingNumber};
use crate::error::AppError;
use crate::ssr::auth::current_user::CurrentUser;
use crate::ssr::auth::policy;
use crate::ssr::db::shipments::SummaryRow;
use crate::ssr::shipments::{check_free_text, normalise_postal_code, parse_visible_number};

/// The one answer for "no such shipment" and "wrong postcode".
fn no_match() -> AppError {
    AppError::NotFound("a shipment with this tracking number and postal code".to_owned())
}

/// Starts watching; returns the shipment's summary so the list can show it at
/// once. Watching twice, or watching one's own shipment, is harmless.
pub async fn watch(
    pool: &PgPool,
    user: &CurrentUser,
    tracking_number: &str,
    postal_code: &str,
) -> Result<ShipmentSummary, AppError> {
    let tracking_number =
        TrackingNumber::parse(tracking_number).map_err(|e| AppError::validation("tracking_number", e))?;
    let postal_code = normalise_postal_code(postal_code)
        .ok_or_else(|| AppError::validation("postal_code", "enter the destination's postal code"))?;
    let row = sqlx::query_as!(
        SummaryRow,
        r#"WITH target AS (
               SELECT id FROM shipments
               WHERE tracking_number = $1
                 AND upper(replace(destination_postal_code, ' ', '')) = $2),
           added AS (
               INSERT INTO shipment_watchers (shipment_id, user_id)
               SELECT id, $3 FROM target
               ON CONFLICT DO NOTHING)
           SELECT s.tracking_number, s.status AS "status: crate::domain::ShipmentStatus", s.origin, s.destination,
                  s.carrier, s.eta AS "eta: chrono::NaiveDate", s.last_location,
                  s.updated_at AS "updated_at: chrono::DateTime<chrono::Utc>"
           FROM shipments s JOIN target t ON t.id = s.id"#,
        tracking_number.as_str(),
        postal_code,
        user.id,
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(no_match)?;
    row.into_summary()
}

/// Stops watching. Always succeeds (also when not watching), revealing nothing;
/// the shipment leaves the user's list and stream within seconds.
pub async fn unwatch(pool: &PgPool, user: &CurrentUser, tracking_number: &str) -> Result<(), AppError> {
    let tracking_number = parse_visible_number(tracking_number)?;
    sqlx::query!(
        r#"DELETE FROM shipment_watchers w USING shipments s
           WHERE w.shipment_id = s.id AND s.tracking_number = $1 AND w.user_id = $2"#,
        tracking_number.as_str(),
        user.id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Sets (or, when blank, clears) the delivery instructions: the owner only.
/// The change is an event on the timeline, so it shows live.
pub async fn set_instructions(
    pool: &PgPool,
    user: &CurrentUser,
    tracking_number: &str,
    instructions: &str,
) -> Result<(), AppError> {
    let tracking_number = parse_visible_number(tracking_number)?;
    let shipment_id = policy::visible_shipment_id(pool, user, &tracking_number).await?;
    let instructions = instructions.trim();
    check_free_text("instructions", Some(instructions), 500)?;
    let mut tx = pool.begin().await?;
    let updated = sqlx::query_scalar!(
        "UPDATE shipments SET delivery_instructions = NULLIF($3, '') WHERE id = $1 AND owner_id = $2 RETURNING id",
        shipment_id,
        user.id,
        instructions,
    )
    .fetch_optional(&mut *tx)
    .await?;
    if updated.is_none() {
        // They can see it (watcher or staff) but it is not theirs.
        return Err(AppError::Forbidden);
    }
    let note = if instructions.is_empty() {
        "Delivery instructions removed"
    } else {
        instructions
    };
    sqlx::query!(
        "INSERT INTO shipment_events (shipment_id, kind, note, actor_id) VALUES ($1, 'instructions_set', $2, $3)",
        shipment_id,
        note,
        user.id,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

//! Watchers of shipments, and the owner's delivery instructions.

use sqlx::PgPool;

use crate::domain::input::WatchProof;
use crate::domain::{EventKind, ShipmentSummary, TrackingNumber};
use crate::error::AppError;

use super::events::{self, NewEvent};
use super::shipments::SummaryRow;

/// Adds `user_id` as a watcher when the proof matches a shipment (number and
/// destination postcode); returns the shipment's summary, or `None` when
/// nothing matches. Watching twice is harmless.
pub async fn watch(
    pool: &PgPool,
    user_id: i64,
    proof: &WatchProof,
) -> Result<Option<ShipmentSummary>, AppError> {
    sqlx::query_as!(
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
        proof.tracking_number.as_str(),
        proof.postal_code,
        user_id,
    )
    .fetch_optional(pool)
    .await?
    .map(SummaryRow::into_summary)
    .transpose()
}

/// Removes `user_id` from a shipment's watchers (nothing when not watching).
pub async fn unwatch(pool: &PgPool, user_id: i64, tracking_number: &TrackingNumber) -> Result<(), AppError> {
    sqlx::query!(
        r#"DELETE FROM shipment_watchers w USING shipments s
           WHERE w.shipment_id = s.id AND s.tracking_number = $1 AND w.user_id = $2"#,
        tracking_number.as_str(),
        user_id,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Sets (or, when `None`, clears) the instructions of a shipment `owner_id`
/// owns, with an event on its timeline. `false` when it is not theirs.
pub async fn set_instructions(
    pool: &PgPool,
    shipment_id: i64,
    owner_id: i64,
    instructions: Option<&str>,
) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    let updated = sqlx::query_scalar!(
        "UPDATE shipments SET delivery_instructions = $3 WHERE id = $1 AND owner_id = $2 RETURNING id",
        shipment_id,
        owner_id,
        instructions,
    )
    .fetch_optional(&mut *tx)
    .await?;
    if updated.is_none() {
        return Ok(false);
    }
    let appended = events::append(
        &mut tx,
        NewEvent::note(
            shipment_id,
            EventKind::InstructionsSet,
            instructions.unwrap_or("Delivery instructions removed"),
            owner_id,
        ),
    )
    .await?;
    events::commit(tx, pool, &[appended.id]).await?;
    Ok(true)
}

/// What `viewer_id` is to a shipment, and the fields only its owner and staff
/// see (for the shipment page).
pub struct Relation {
    pub owns: bool,
    pub watches: bool,
    pub delivery_instructions: Option<String>,
    pub destination_postal_code: String,
}

pub async fn relation(pool: &PgPool, shipment_id: i64, viewer_id: Option<i64>) -> Result<Relation, AppError> {
    let row = sqlx::query!(
        r#"SELECT s.owner_id = $2 AS "owns!",
                  EXISTS (SELECT 1 FROM shipment_watchers w WHERE w.shipment_id = s.id AND w.user_id = $2) AS "watches!",
                  s.delivery_instructions, s.destination_postal_code
           FROM shipments s WHERE s.id = $1"#,
        shipment_id,
        viewer_id.unwrap_or_default(),
    )
    .fetch_one(pool)
    .await?;
    Ok(Relation {
        owns: row.owns,
        watches: row.watches,
        delivery_instructions: row.delivery_instructions,
        destination_postal_code: row.destination_postal_code,
    })
}

/// The shipment a proof (tracking number and destination postcode) names,
/// if it matches one: the public tracking page's lookup, by the same
/// comparison as watching.
pub async fn matching(pool: &PgPool, proof: &WatchProof) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM shipments WHERE tracking_number = $1 AND upper(replace(destination_postal_code, ' ', '')) = $2",
        proof.tracking_number.as_str(),
        proof.postal_code,
    )
    .fetch_optional(pool)
    .await?)
}

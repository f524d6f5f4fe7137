//! Recording status changes: the one write path for a shipment's status.
//!
//! The transition is checked in Rust (for a message that names both states) and
//! then applied with a compare-and-set `UPDATE … WHERE status = <the status we
//! checked>`, in the same transaction as the event row. If another writer
//! changed the status in between, the update matches no row and we re-check
//! against the status that won, so two operators can never produce an illegal
//! sequence and the summary never disagrees with the log.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::domain::{EventKind, ShipmentEvent, ShipmentStatus, TrackingNumber};
use crate::error::AppError;

/// A status event as an operator or integration submits it.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub status: ShipmentStatus,
    pub location: Option<String>,
    pub note: Option<String>,
    /// When it happened; `None` means now.
    pub occurred_at: Option<DateTime<Utc>>,
    /// The user making the change; `None` for system-generated events.
    pub actor_id: Option<i64>,
}

/// How often a lost compare-and-set is re-checked before giving up. Each retry
/// means another writer committed in between, so this is only reached under
/// heavy contention on one shipment.
const MAX_ATTEMPTS: usize = 3;

/// Appends a status event and moves the shipment's summary, atomically.
///
/// Errors: `NotFound` for an unknown tracking number, `Conflict` (naming both
/// states) when the transition is not allowed from the shipment's status at the
/// moment of writing.
#[tracing::instrument(skip_all, fields(tracking_number = %tracking_number, to = %change.status))]
pub async fn record_status_change(
    pool: &PgPool,
    tracking_number: &TrackingNumber,
    change: &StatusChange,
) -> Result<ShipmentEvent, AppError> {
    let location = clean(change.location.as_deref());
    let note = clean(change.note.as_deref());
    for _ in 0..MAX_ATTEMPTS {
        let mut tx = pool.begin().await?;
        let current = sqlx::query!(
            r#"SELECT id, status AS "status: ShipmentStatus" FROM shipments WHERE tracking_number = $1"#,
            tracking_number.as_str()
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("shipment {tracking_number}")))?;

        current.status.transition_to(change.status)?;

        let occurred_at = change.occurred_at.unwrap_or_else(Utc::now);
        let swapped = sqlx::query_scalar!(
            r#"UPDATE shipments
               SET status = $2,
                   last_location = COALESCE($3, last_location),
                   updated_at = GREATEST(updated_at, $4)
               WHERE id = $1 AND status = $5
               RETURNING id"#,
            current.id,
            change.status as ShipmentStatus,
            location.as_deref(),
            occurred_at as _,
            current.status as ShipmentStatus,
        )
        .fetch_optional(&mut *tx)
        .await?;
        if swapped.is_none() {
            // Another writer changed the status after we read it: check again
            // against the status that won.
            tx.rollback().await?;
            continue;
        }

        let event = sqlx::query!(
            r#"INSERT INTO shipment_events (shipment_id, kind, status, location, note, occurred_at, actor_id)
               VALUES ($1, 'status', $2, $3, $4, $5, $6)
               RETURNING id, occurred_at AS "occurred_at: DateTime<Utc>",
                         COALESCE((SELECT email FROM users WHERE id = $6), 'system') AS "actor!""#,
            current.id,
            change.status as ShipmentStatus,
            location.as_deref(),
            note.as_deref(),
            occurred_at as _,
            change.actor_id,
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;

        return Ok(ShipmentEvent {
            id: event.id,
            tracking_number: tracking_number.clone(),
            kind: EventKind::Status,
            status: Some(change.status),
            location,
            note,
            occurred_at: event.occurred_at,
            actor: event.actor,
        });
    }
    Err(AppError::Conflict(format!(
        "shipment {tracking_number} is being changed by others right now; reload and try again"
    )))
}

/// Trims free text and treats blank as absent.
fn clean(text: Option<&str>) -> Option<String> {
    text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)
}

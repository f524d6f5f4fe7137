//! Appending to a shipment's history: the one place that writes
//! `shipment_events`. Status changes, problems, instructions, registration,
//! reopening and the demo seed all come through here, so the actor is applied
//! identically, and so is the rule for telling the live stream: commit, then
//! announce ([`commit`], `announcer::announce`); the stream position is
//! numbered after that, by the stream's sequencer.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use super::announcer;
use crate::domain::{EventKind, ShipmentStatus};
use crate::error::AppError;

/// An entry to append. Runs inside the caller's transaction, so the event
/// commits together with the change it records.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub shipment_id: i64,
    pub kind: EventKind,
    /// The status moved to (status events only).
    pub status: Option<ShipmentStatus>,
    pub location: Option<&'a str>,
    pub note: Option<&'a str>,
    /// When it happened; `None` means now.
    pub occurred_at: Option<DateTime<Utc>>,
    /// When it was recorded; `None` means now (the demo seed back-dates it).
    pub recorded_at: Option<DateTime<Utc>>,
    /// Who did it; `None` for the system.
    pub actor_id: Option<i64>,
}

impl<'a> NewEvent<'a> {
    /// A timeline entry that is only a note by someone, now: a reported or
    /// resolved problem, delivery instructions.
    pub fn note(shipment_id: i64, kind: EventKind, note: &'a str, actor_id: i64) -> Self {
        Self {
            shipment_id,
            kind,
            status: None,
            location: None,
            note: Some(note),
            occurred_at: None,
            recorded_at: None,
            actor_id: Some(actor_id),
        }
    }
}

/// What the database assigned to an appended event.
#[derive(Debug, Clone)]
pub struct Appended {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    /// The actor's display name: an email address, or "system".
    pub actor: String,
}

/// Appends `event` in the caller's transaction. The caller then commits and
/// announces it ([`commit`]); an event never announced waits for the next
/// announcement from anyone, or for a server's listener to (re)connect.
///
/// Every insert here marks its row `announced_after_commit`, so the database
/// does not also notify inside the transaction (it does for writers that are
/// not Shipwatch: the "events announced whoever writes" migration).
pub async fn append(conn: &mut PgConnection, event: NewEvent<'_>) -> Result<Appended, AppError> {
    let row = sqlx::query!(
        r#"INSERT INTO shipment_events (shipment_id, kind, status, location, note, occurred_at, recorded_at, actor_id,
                                        announced_after_commit)
           VALUES ($1, $2, $3, $4, $5, COALESCE($6, now()), COALESCE($7, now()), $8, true)
           RETURNING id, occurred_at AS "occurred_at: DateTime<Utc>",
                     COALESCE((SELECT email FROM users WHERE id = $8), 'system') AS "actor!""#,
        event.shipment_id,
        event.kind as EventKind,
        event.status as Option<ShipmentStatus>,
        event.location,
        event.note,
        event.occurred_at as _,
        event.recorded_at as _,
        event.actor_id,
    )
    .fetch_one(conn)
    .await?;
    Ok(Appended {
        id: row.id,
        occurred_at: row.occurred_at,
        actor: row.actor,
    })
}

/// An ordinary status change to apply in one statement.
#[derive(Debug, Clone)]
pub struct StatusMove<'a> {
    pub tracking_number: &'a str,
    /// The statuses the move is allowed from (the transition table's sources).
    pub from: &'a [ShipmentStatus],
    pub to: ShipmentStatus,
    pub location: Option<&'a str>,
    pub note: Option<&'a str>,
    /// When it happened; `None` means now.
    pub occurred_at: Option<DateTime<Utc>>,
    pub actor_id: Option<i64>,
}

/// A status move and its event in one statement (autocommit: one round trip,
/// no BEGIN or COMMIT of its own), for the hot path of ordinary changes: the
/// shipment moves only if its status is one of `from`, and the event is
/// appended only if it moved. `None` when it did not (unknown shipment, or a
/// status the move is not allowed from): the caller then takes the checked
/// path, which says which.
pub async fn append_status_move(
    conn: &mut PgConnection,
    change: StatusMove<'_>,
) -> Result<Option<Appended>, AppError> {
    let row = sqlx::query!(
        r#"WITH moved AS (
               UPDATE shipments
               SET status = $2,
                   last_location = COALESCE($3, last_location),
                   updated_at = GREATEST(updated_at, $5)
               WHERE tracking_number = $1 AND status = ANY($7)
               RETURNING id
           )
           INSERT INTO shipment_events (shipment_id, kind, status, location, note, occurred_at, recorded_at, actor_id,
                                        announced_after_commit)
           SELECT moved.id, 'status', $2, $3, $4, $5, now(), $6, true FROM moved
           RETURNING id, occurred_at AS "occurred_at: DateTime<Utc>",
                     COALESCE((SELECT email FROM users WHERE id = $6), 'system') AS "actor!""#,
        change.tracking_number,
        change.to as ShipmentStatus,
        change.location,
        change.note,
        change.occurred_at.unwrap_or_else(Utc::now) as _,
        change.actor_id,
        change.from as &[ShipmentStatus],
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| Appended {
        id: row.id,
        occurred_at: row.occurred_at,
        actor: row.actor,
    }))
}

/// Commits a transaction that appended the events `ids`, then announces them.
pub async fn commit(tx: Transaction<'_, Postgres>, pool: &PgPool, ids: &[i64]) -> Result<(), AppError> {
    tx.commit().await?;
    announcer::announce(pool, ids).await;
    Ok(())
}

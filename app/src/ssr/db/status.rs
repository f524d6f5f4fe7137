//! Recording status changes: the one write path for a shipment's status.
//!
//! The transition is checked in Rust (for a message that names both states) and
//! then applied with a compare-and-set `UPDATE … WHERE status = <the status we
//! checked>`, in the same transaction as the event row. If another writer
//! changed the status in between, the update matches no row and we re-check
//! against the status that won, so two operators can never produce an illegal
//! sequence and the summary never disagrees with the log. An allowed move is
//! first tried as one statement that does the same (see
//! `record_in_one_statement`): one round trip instead of five.

use chrono::Utc;
use sqlx::{PgConnection, PgPool};

use crate::domain::input::StatusPost;
use crate::domain::{EventKind, ShipmentEvent, ShipmentStatus, TrackingNumber};
use crate::error::AppError;

use super::announcer;
use super::events::{self, NewEvent, StatusMove};

/// Which rule a change follows.
#[derive(Debug, Clone, Copy)]
pub enum Rule<'a> {
    /// The transition table.
    Ordinary,
    /// An admin reopening a final shipment, with the reason (recorded on the
    /// timeline, and set for the database trigger that would refuse it).
    Reopen { reason: &'a str },
}

/// How often a lost compare-and-set is re-checked before giving up. Each retry
/// means another writer committed in between, so this is only reached under
/// heavy contention on one shipment.
const MAX_ATTEMPTS: usize = 3;

/// Appends a status event and moves the shipment's summary, atomically.
///
/// Errors: `NotFound` for an unknown tracking number, `Conflict` (naming both
/// states) when the move is not allowed from the shipment's status at the
/// moment of writing.
pub async fn record_status_change(
    pool: &PgPool,
    tracking_number: &TrackingNumber,
    post: &StatusPost,
    actor_id: Option<i64>,
    rule: Rule<'_>,
) -> Result<ShipmentEvent, AppError> {
    if let Rule::Ordinary = rule {
        if let Some(event) = record_in_one_statement(pool, tracking_number, post, actor_id).await? {
            announcer::announce(pool, &[event.id]).await;
            return Ok(event);
        }
    }
    let mut tx = pool.begin().await?;
    let event = record_status_change_in(&mut tx, tracking_number, post, actor_id, rule).await?;
    events::commit(tx, pool, &[event.id]).await?;
    Ok(event)
}

/// The usual case, an allowed move, in one statement: the move's allowed
/// sources come from the transition table (`ShipmentStatus::can_transition_to`),
/// so the `UPDATE … WHERE status = ANY(sources)` is the same check as the
/// compare-and-set below. `None` when it did not apply: the checked path then
/// finds out why (unknown shipment, or which transition was refused).
async fn record_in_one_statement(
    pool: &PgPool,
    tracking_number: &TrackingNumber,
    post: &StatusPost,
    actor_id: Option<i64>,
) -> Result<Option<ShipmentEvent>, AppError> {
    let sources: Vec<ShipmentStatus> = ShipmentStatus::ALL
        .into_iter()
        .filter(|from| from.can_transition_to(post.status))
        .collect();
    let mut conn = pool.acquire().await?;
    let appended = events::append_status_move(
        &mut conn,
        StatusMove {
            tracking_number: tracking_number.as_str(),
            from: &sources,
            to: post.status,
            location: post.location.as_deref(),
            note: post.note.as_deref(),
            occurred_at: post.occurred_at,
            actor_id,
        },
    )
    .await?;
    Ok(appended.map(|appended| ShipmentEvent {
        id: appended.id,
        tracking_number: tracking_number.clone(),
        kind: EventKind::Status,
        status: Some(post.status),
        location: post.location.clone(),
        note: post.note.clone(),
        occurred_at: appended.occurred_at,
        actor: appended.actor,
    }))
}

/// [`record_status_change`] inside the caller's transaction, which commits it
/// (the idempotency store commits its key with it) and then announces it
/// (`announcer::announce`). Nothing is written until
/// the compare-and-set has won, so a lost one is simply re-checked in the same
/// transaction: each statement sees what others have committed since.
#[tracing::instrument(skip_all, fields(tracking_number = %tracking_number, to = %post.status))]
pub async fn record_status_change_in(
    tx: &mut PgConnection,
    tracking_number: &TrackingNumber,
    post: &StatusPost,
    actor_id: Option<i64>,
    rule: Rule<'_>,
) -> Result<ShipmentEvent, AppError> {
    for _ in 0..MAX_ATTEMPTS {
        let current = sqlx::query!(
            r#"SELECT id, status AS "status: ShipmentStatus" FROM shipments WHERE tracking_number = $1"#,
            tracking_number.as_str()
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("shipment {tracking_number}")))?;

        let note = match rule {
            Rule::Ordinary => {
                current.status.transition_to(post.status)?;
                post.note.clone()
            }
            Rule::Reopen { reason } => {
                if !current.status.can_reopen_to(post.status) {
                    return Err(AppError::Conflict(format!(
                        "only a delivered, returned, lost or cancelled shipment can be reopened; \
                         {tracking_number} is `{}`",
                        current.status
                    )));
                }
                // The audited row the status trigger requires for this move,
                // in this transaction; only an admin can be recorded.
                sqlx::query!(
                    "INSERT INTO shipment_reopenings (shipment_id, to_status, reason, reopened_by)
                     VALUES ($1, $2, $3, $4)",
                    current.id,
                    post.status as ShipmentStatus,
                    reason,
                    actor_id,
                )
                .execute(&mut *tx)
                .await
                .map_err(|error| {
                    if error.as_database_error().and_then(|e| e.code()).as_deref() == Some("42501") {
                        AppError::Forbidden
                    } else {
                        error.into()
                    }
                })?;
                Some(format!("Reopened: {reason}"))
            }
        };

        let occurred_at = post.occurred_at.unwrap_or_else(Utc::now);
        let swapped = sqlx::query_scalar!(
            r#"UPDATE shipments
               SET status = $2,
                   last_location = COALESCE($3, last_location),
                   updated_at = GREATEST(updated_at, $4)
               WHERE id = $1 AND status = $5
               RETURNING id"#,
            current.id,
            post.status as ShipmentStatus,
            post.location.as_deref(),
            occurred_at as _,
            current.status as ShipmentStatus,
        )
        .fetch_optional(&mut *tx)
        .await?;
        if swapped.is_none() {
            // Another writer changed the status after we read it: check again
            // against the status that won.
            continue;
        }

        let appended = events::append(
            tx,
            NewEvent {
                shipment_id: current.id,
                kind: EventKind::Status,
                status: Some(post.status),
                location: post.location.as_deref(),
                note: note.as_deref(),
                occurred_at: Some(occurred_at),
                recorded_at: None,
                actor_id,
            },
        )
        .await?;

        return Ok(ShipmentEvent {
            id: appended.id,
            tracking_number: tracking_number.clone(),
            kind: EventKind::Status,
            status: Some(post.status),
            location: post.location.clone(),
            note,
            occurred_at: appended.occurred_at,
            actor: appended.actor,
        });
    }
    Err(AppError::Conflict(format!(
        "shipment {tracking_number} is being changed by others right now; reload and try again"
    )))
}

//! The email outbox: notifications waiting to be emailed, claimed one person
//! at a time so a burst (a bulk update of 50 parcels) becomes one email.
//!
//! A claim is a transaction holding the person's advisory lock and the
//! claimed rows' locks (`FOR UPDATE SKIP LOCKED`) for as long as the email is being sent: another server's
//! sender skips them, and a server that dies mid-send releases them unsent
//! (its transaction ends with its connection), so they are sent again by
//! whoever claims next — never lost, and never sent twice by two servers.
//! The one window left is an SMTP server that accepted the message just
//! before the sender died: the next attempt reuses the Message-ID, so mail
//! clients can tell it is the same message.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, Transaction};

use super::NotifiedRow;
use crate::domain::{EventKind, Role, ShipmentEvent, ShipmentStatus};
use crate::error::AppError;

/// The advisory lock namespace (first key) of "sending to this person".
const PERSON_LOCK: i32 = 0x5357_4e31;

/// The most notifications one email lists; the rest go in the next.
pub const MAX_PER_EMAIL: i64 = 100;

/// Who a batch goes to.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub user_id: i64,
    pub email: String,
}

/// One person's waiting notifications, claimed until settled.
pub struct Batch {
    tx: Transaction<'static, Postgres>,
    pub recipient: Recipient,
    /// The changes to tell, oldest first, as the recipient may see them.
    pub events: Vec<ShipmentEvent>,
    /// The notifications the email settles.
    pub ids: Vec<i64>,
    /// How many times sending was tried before.
    pub attempts: i32,
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("user_id", &self.recipient.user_id)
            .field("ids", &self.ids)
            .finish_non_exhaustive()
    }
}

/// Claims the waiting notifications of the person whose oldest one has
/// waited `window` (so more of a burst can join it) and is not backing off
/// after a failure. Those the person should no longer get (email turned off,
/// shipment no longer visible to them) are settled as skipped on the way.
/// `None`: nothing is due, or everything due was skipped.
pub async fn claim(pool: &PgPool, window: Duration) -> Result<Option<Batch>, AppError> {
    let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
    let mut tx = pool.begin().await?;
    // One sender per person at a time (a transaction-scoped advisory lock on
    // the person), so two servers never split one person's burst into two
    // emails; a person another sender holds is passed over.
    let due = sqlx::query!(
        r#"SELECT waiting.user_id AS "user_id!" FROM (
               SELECT n.user_id, min(n.created_at) AS since
               FROM notifications n
               WHERE n.email_state = 'pending'
                 AND n.created_at <= now() - make_interval(secs => $1::bigint / 1000.0)
                 AND (n.email_retry_at IS NULL OR n.email_retry_at <= now())
               GROUP BY n.user_id
               ORDER BY since
               LIMIT 64
           ) AS waiting
           WHERE pg_try_advisory_xact_lock($2, (waiting.user_id % 2147483647)::integer)
           LIMIT 1"#,
        window_ms,
        PERSON_LOCK,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(due) = due else {
        return Ok(None);
    };
    let person = sqlx::query!(
        r#"SELECT u.email, u.role AS "role: Role", p.email AS wants_email
           FROM users u JOIN notification_preferences p ON p.user_id = u.id WHERE u.id = $1"#,
        due.user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let rows = sqlx::query!(
        r#"SELECT n.id AS notification_id, n.email_attempts,
                  shipment_visible_to(s.id, s.owner_id, n.user_id, $2) AS "visible!",
                  e.id AS event_id, e.kind AS "kind: EventKind", e.status AS "status: ShipmentStatus",
                  e.location, e.note, e.occurred_at AS "occurred_at: DateTime<Utc>",
                  COALESCE(a.email, 'system') AS "actor!", a.role AS "actor_role?: Role",
                  s.tracking_number, s.owner_id
           FROM notifications n
           JOIN shipment_events e ON e.id = n.event_id
           JOIN shipments s ON s.id = e.shipment_id
           LEFT JOIN users a ON a.id = e.actor_id
           WHERE n.user_id = $1 AND n.email_state = 'pending'
           ORDER BY n.id
           LIMIT $3
           FOR UPDATE OF n SKIP LOCKED"#,
        due.user_id,
        person.role.is_staff(),
        MAX_PER_EMAIL,
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut batch = Batch {
        tx,
        recipient: Recipient {
            user_id: due.user_id,
            email: person.email,
        },
        events: Vec::new(),
        ids: Vec::new(),
        attempts: 0,
    };
    let mut skipped = Vec::new();
    for row in rows {
        if !person.wants_email || !row.visible {
            skipped.push(row.notification_id);
            continue;
        }
        batch.attempts = batch.attempts.max(row.email_attempts);
        batch.ids.push(row.notification_id);
        let row = NotifiedRow {
            notification_id: row.notification_id,
            read: false,
            event_id: row.event_id,
            kind: row.kind,
            status: row.status,
            location: row.location,
            note: row.note,
            occurred_at: row.occurred_at,
            actor: row.actor,
            actor_role: row.actor_role,
            tracking_number: row.tracking_number,
            owner_id: row.owner_id,
        };
        batch.events.push(row.event_for(due.user_id, person.role)?);
    }
    if !skipped.is_empty() {
        sqlx::query!(
            "UPDATE notifications SET email_state = 'skipped' WHERE id = ANY($1)",
            &skipped
        )
        .execute(&mut *batch.tx)
        .await?;
    }
    if batch.ids.is_empty() {
        batch.tx.commit().await?;
        return Ok(None);
    }
    Ok(Some(batch))
}

impl Batch {
    /// The email was accepted by the SMTP server.
    pub async fn sent(mut self) -> Result<(), AppError> {
        sqlx::query!(
            "UPDATE notifications
             SET email_state = 'sent', email_sent_at = now(), email_attempts = email_attempts + 1, email_error = NULL
             WHERE id = ANY($1)",
            &self.ids
        )
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await?;
        Ok(())
    }

    /// Sending failed: try again after `retry_in`, or give up (`None`: a
    /// permanent refusal, or too many attempts). `error` is kept for
    /// operators; it must not hold secrets.
    pub async fn failed(mut self, error: &str, retry_in: Option<Duration>) -> Result<(), AppError> {
        let retry_ms = retry_in.map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let error: String = error.chars().take(500).collect();
        sqlx::query!(
            "UPDATE notifications
             SET email_attempts = email_attempts + 1, email_error = $2,
                 email_state = CASE WHEN $3::bigint IS NULL THEN 'failed' ELSE email_state END,
                 email_retry_at = now() + make_interval(secs => COALESCE($3, 0) / 1000.0)
             WHERE id = ANY($1)",
            &self.ids,
            error,
            retry_ms,
        )
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await?;
        Ok(())
    }
}

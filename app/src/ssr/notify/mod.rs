//! Telling people what changed while they were not looking: the bell in the
//! app and email. Above the stream, below the actions.
//!
//! Who is told what is decided once, in the database, by the trigger that
//! writes `notifications` in the transaction that appends the event
//! (migration `…_notifications.sql`): a notification exists exactly when the
//! change committed, and exactly once per person. Here it is read back:
//!
//! * `preferences` — what each person asked to hear about.
//! * `inbox` — the bell: a person's notifications, unread count, marking read.
//! * `outbox` — the email side: claiming a person's waiting notifications
//!   (one batch, one email), and settling them as sent or to retry.
//! * `message` — the email a batch becomes: plain text and HTML, links back,
//!   an unsubscribe link; nobody else's address.
//! * `sender` — the task that sends over SMTP, with retries and backoff.

pub mod inbox;
pub mod message;
pub mod outbox;
pub mod preferences;
pub mod sender;

use chrono::{DateTime, Utc};

use crate::domain::{Audience, EventKind, Role, ShipmentEvent, ShipmentStatus};
use crate::error::AppError;
use crate::ssr::db::shipments::stored_tracking_number;

/// A notified event as read with its notification, before it is shown to
/// anyone: the queries of `inbox` and `outbox` both select these columns.
#[derive(Debug)]
struct NotifiedRow {
    notification_id: i64,
    read: bool,
    event_id: i64,
    kind: EventKind,
    status: Option<ShipmentStatus>,
    location: Option<String>,
    note: Option<String>,
    occurred_at: DateTime<Utc>,
    actor: String,
    actor_role: Option<Role>,
    tracking_number: String,
    owner_id: i64,
}

impl NotifiedRow {
    /// The event as `user_id` (with `role`) may see it: the timeline's rules.
    fn event_for(self, user_id: i64, role: Role) -> Result<ShipmentEvent, AppError> {
        let audience = Audience::of(user_id, role, self.owner_id);
        let event = ShipmentEvent {
            id: self.event_id,
            tracking_number: stored_tracking_number(&self.tracking_number)?,
            kind: self.kind,
            status: self.status,
            location: self.location,
            note: self.note,
            occurred_at: self.occurred_at,
            actor: self.actor,
        };
        Ok(audience.event(event, self.actor_role))
    }
}

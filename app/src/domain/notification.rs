//! Notifications as people see them: what they asked to hear about, and what
//! they were told. What a notification says is the event it points to, shown
//! through the same `Audience` rules as the timeline.

use serde::{Deserialize, Serialize};

use super::{ShipmentEvent, ShipmentStatus};

/// What a person hears about, and how. Every account has one; the defaults
/// are the database's (migration `…_notifications.sql`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NotificationPreferences {
    /// Status changes that notify.
    pub statuses: Vec<ShipmentStatus>,
    /// About shipments the person owns.
    pub owned: bool,
    /// About shipments the person watches.
    pub watched: bool,
    /// Staff only: every problem reported, on any shipment.
    pub problems: bool,
    /// In the app (the bell).
    pub in_app: bool,
    /// By email.
    pub email: bool,
}

/// One entry of the bell's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Notification {
    pub id: i64,
    /// The change, as this person may see it.
    pub event: ShipmentEvent,
    pub read: bool,
}

/// The newest notifications of one person and how many are unread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Inbox {
    pub unread: i64,
    pub items: Vec<Notification>,
}

/// The unread count stops here; the bell shows "99+".
pub const UNREAD_CAP: i64 = 100;

/// How many notifications the list shows.
pub const INBOX_PAGE: i64 = 50;

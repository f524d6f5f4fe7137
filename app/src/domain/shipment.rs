//! The shapes of a shipment and of its events that the page, the JSON API and
//! (later) the live stream all share.

use super::{ShipmentStatus, TrackingNumber};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// One row of a shipment list: what a person needs to know at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ShipmentSummary {
    pub tracking_number: TrackingNumber,
    pub status: ShipmentStatus,
    pub origin: String,
    pub destination: String,
    pub carrier: String,
    pub eta: Option<NaiveDate>,
    pub last_location: Option<String>,
    /// When the latest event happened (not when it was recorded).
    pub updated_at: DateTime<Utc>,
}

/// What kind of entry a shipment's timeline holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(feature = "ssr", sqlx(type_name = "event_kind", rename_all = "snake_case"))]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum EventKind {
    Status,
    ProblemReported,
    ProblemResolved,
    InstructionsSet,
}

/// One entry of a shipment's append-only history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ShipmentEvent {
    /// Position in the global event log.
    pub id: i64,
    pub tracking_number: TrackingNumber,
    pub kind: EventKind,
    /// Set for status events: the status the shipment moved to.
    pub status: Option<ShipmentStatus>,
    pub location: Option<String>,
    pub note: Option<String>,
    pub occurred_at: DateTime<Utc>,
    /// Display name of who made the change (an email address, or "system").
    pub actor: String,
}

/// Formats a timestamp the same way on the server and in the browser, so
/// hydration never sees two different strings.
pub fn format_timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A shipment with its timeline (newest first), as the shipment page and
/// `GET /api/v1/shipments/{tracking_number}` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ShipmentDetail {
    pub shipment: ShipmentSummary,
    pub timeline: Vec<ShipmentEvent>,
    /// The owner's delivery instructions, if any.
    pub delivery_instructions: Option<String>,
    /// The destination's postal code: shown to the owner (who may share it, with
    /// the tracking number, so someone else can watch) and to staff only.
    pub destination_postal_code: Option<String>,
    /// Problems not yet resolved, oldest first.
    pub open_problems: Vec<super::Problem>,
    /// What the signed-in user may do here.
    pub rights: super::ViewerRights,
}

/// A status event as an operator or integration submits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewStatusEvent {
    pub status: ShipmentStatus,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// When it happened; defaults to now.
    #[serde(default)]
    pub occurred_at: Option<DateTime<Utc>>,
}

/// Who is signed in, as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Account {
    pub email: String,
    pub role: super::Role,
}

/// One frame of the live stream (`event: shipment`): the new event and the
/// shipment's summary after it. `position` is the resume cursor (the SSE `id:`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StreamEvent {
    pub position: i64,
    pub event: ShipmentEvent,
    pub shipment: ShipmentSummary,
}

/// A page of the long-poll feed (`GET /api/v1/events?after=`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EventPage {
    pub events: Vec<StreamEvent>,
    /// Pass as `after` next time.
    pub cursor: i64,
    /// True when `after` was unusable and the cursor was reset to now.
    #[serde(default)]
    pub reset: bool,
}

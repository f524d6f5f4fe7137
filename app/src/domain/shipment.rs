//! The shapes of a shipment that the pages, the JSON API and the live stream
//! share: a list row, its timeline's events, the detail page with its
//! problems and what the viewer may do.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{ShipmentStatus, TrackingNumber};

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

/// A shipment with its timeline (newest first), as the shipment page and
/// `GET /api/v1/shipments/{tracking_number}` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ShipmentDetail {
    pub shipment: ShipmentSummary,
    /// One page of the timeline, newest first: the newest
    /// [`TIMELINE_PAGE`] events, or those before the `before` cursor asked for.
    pub timeline: Vec<ShipmentEvent>,
    /// Pass as `before` for the next, older page; absent on the oldest page.
    #[serde(default)]
    pub older_events: Option<String>,
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

/// How many timeline events one page shows: a shipment with a very long
/// history (10,000 scans) still renders a small page.
pub const TIMELINE_PAGE: i64 = 50;

/// Where an older page of a timeline starts: just after the event at
/// (`occurred_at`, `id`), in the timeline's order (newest first). Encoded as
/// `<microseconds>.<id>` in URLs and in the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimelineCursor {
    pub occurred_at: DateTime<Utc>,
    pub id: i64,
}

impl TimelineCursor {
    pub fn of(event: &ShipmentEvent) -> Self {
        Self {
            occurred_at: event.occurred_at,
            id: event.id,
        }
    }

    pub fn encode(&self) -> String {
        format!("{}.{}", self.occurred_at.timestamp_micros(), self.id)
    }

    /// The cursor, or a message for the `before` parameter.
    pub fn decode(raw: &str) -> Result<Self, super::FieldError> {
        let invalid = || super::FieldError::new("before", "use the link to older events as given");
        let (micros, id) = raw.split_once('.').ok_or_else(invalid)?;
        let occurred_at =
            DateTime::from_timestamp_micros(micros.parse().map_err(|_| invalid())?).ok_or_else(invalid)?;
        let id = id.parse().map_err(|_| invalid())?;
        Ok(Self { occurred_at, id })
    }
}

/// What the signed-in user may do on one shipment (drives which forms the
/// shipment page offers; the server checks again on every action).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ViewerRights {
    pub owns: bool,
    pub watches: bool,
    pub is_staff: bool,
    /// Admins may also reopen a delivered, returned, lost or cancelled shipment.
    #[serde(default)]
    pub is_admin: bool,
}

/// A problem someone reported on a shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Problem {
    pub id: i64,
    pub tracking_number: String,
    pub description: String,
    pub reported_by: String,
    pub reported_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution: Option<String>,
}

//! The shapes of a shipment and of its events that the page, the JSON API and
//! (later) the live stream all share.

use super::{ShipmentStatus, TrackingNumber};
use chrono::{DateTime, Datelike as _, NaiveDate, Timelike as _, Utc};
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

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

// Dates are written out by hand rather than with chrono's `format`: its
// strftime machinery would be compiled into the browser bundle for three
// fixed patterns. The same functions run on the server and in the browser,
// so hydration never sees two different strings.

/// `2026-12-01 14:05 UTC`.
pub fn format_timestamp(at: DateTime<Utc>) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// `2026-12-01T14:05:09Z`, for a `<time datetime>` attribute.
pub fn format_machine_time(at: DateTime<Utc>) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// `Tue 01 Dec`, or `Tue 01 Dec 2026` with the year.
pub fn format_day(day: NaiveDate, with_year: bool) -> String {
    let weekday = WEEKDAYS[day.weekday().num_days_from_monday() as usize];
    let month = MONTHS[day.month0() as usize];
    if with_year {
        format!("{weekday} {:02} {month} {}", day.day(), day.year())
    } else {
        format!("{weekday} {:02} {month}", day.day())
    }
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

/// A status event as an operator or integration submits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewStatusEvent {
    pub status: ShipmentStatus,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 200))]
    pub location: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 2000))]
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

impl From<super::CurrentUser> for Account {
    fn from(user: super::CurrentUser) -> Self {
        Account {
            email: user.email,
            role: user.role,
        }
    }
}

/// One frame of the live stream (`event: shipment`): the new event and the
/// shipment's summary after it. `position` is the resume cursor (the SSE `id:`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StreamEvent {
    pub position: i64,
    pub event: ShipmentEvent,
    pub shipment: ShipmentSummary,
    /// For a status event, how it moves the counts of a list of shipments
    /// (which the summary cannot tell: it is the shipment as it is now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<CountMove>,
}

/// Where a shipment stands in the counts above a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Standing {
    pub status: ShipmentStatus,
    pub needs_attention: bool,
}

/// A status event moves its shipment out of `from` (absent when the event
/// registered it: it is new to every list) into `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CountMove {
    pub from: Option<Standing>,
    pub to: Standing,
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn hand_written_dates_match_chronos_formats() {
        let start = DateTime::from_timestamp(946_684_800, 0).expect("2000-01-01");
        for days in (0..12_000).step_by(37) {
            let at = start + Duration::days(days) + Duration::seconds(days * 7919 % 86_400);
            assert_eq!(format_timestamp(at), at.format("%Y-%m-%d %H:%M UTC").to_string());
            assert_eq!(
                format_machine_time(at),
                at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
            );
            let day = at.date_naive();
            assert_eq!(format_day(day, false), day.format("%a %d %b").to_string());
            assert_eq!(format_day(day, true), day.format("%a %d %b %Y").to_string());
        }
    }
}

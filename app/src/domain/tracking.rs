//! The public tracking page: what anyone holding a shipment's tracking number
//! and destination postcode may see without an account — status, ETA and the
//! status changes with place and time. Never notes, instructions, problems,
//! names or email addresses: those belong to the people on the shipment.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{ShipmentStatus, TrackingNumber};

/// How many status changes the public page lists.
pub const PUBLIC_TIMELINE: i64 = 50;

/// One status change, as the public sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicEvent {
    pub status: ShipmentStatus,
    pub location: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// The public page's data, with the short-lived token its live stream uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicTracking {
    pub tracking_number: TrackingNumber,
    pub status: ShipmentStatus,
    pub eta: Option<NaiveDate>,
    /// Newest first.
    pub timeline: Vec<PublicEvent>,
    /// Authorises `GET /api/track/events` for this shipment, for a few
    /// minutes (the page fetches a new one when it runs out).
    pub stream_token: String,
}

/// What the public stream sends when a status changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicUpdate {
    pub status: ShipmentStatus,
    pub eta: Option<NaiveDate>,
    pub event: PublicEvent,
}

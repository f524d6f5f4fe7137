//! The live stream's shapes, shared by the server that sends them and the
//! browser that applies them: a frame, how it moves a list's counts, and a
//! page of the long-poll feed. Their encoding on the wire is
//! `ssr::stream::wire`'s.

use serde::{Deserialize, Serialize};

use super::{ShipmentEvent, ShipmentStatus, ShipmentSummary};

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

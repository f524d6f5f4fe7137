//! What people submit and get back when they act on shipments: watching,
//! instructions, problems, creating shipments, bulk status updates, and the
//! admin's view of accounts and API tokens.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Role, ShipmentEvent, ShipmentStatus};

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

/// A shipment as an operator registers it for a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewShipment {
    #[cfg_attr(feature = "ssr", schema(pattern = r"^[ -]*([A-Za-z0-9][ -]*){6,32}$"))]
    pub tracking_number: String,
    #[cfg_attr(
        feature = "ssr",
        schema(
            pattern = r"^[^@\s\x00-\x1f\x7f-\x9f]{1,64}@[^@\s\x00-\x1f\x7f-\x9f.]+(\.[^@\s\x00-\x1f\x7f-\x9f.]+)+$",
            max_length = 254
        )
    )]
    pub owner_email: String,
    #[cfg_attr(feature = "ssr", schema(pattern = r"\S", min_length = 1, max_length = 100))]
    pub origin: String,
    #[cfg_attr(feature = "ssr", schema(pattern = r"\S", min_length = 1, max_length = 100))]
    pub destination: String,
    #[cfg_attr(feature = "ssr", schema(pattern = r"^\s*(\S\s*){1,16}$", max_length = 64))]
    pub destination_postal_code: String,
    #[cfg_attr(feature = "ssr", schema(pattern = r"\S", min_length = 1, max_length = 60))]
    pub carrier: String,
    #[serde(default)]
    pub eta: Option<NaiveDate>,
}

/// One status for many shipments at once (the console's bulk update).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BulkStatusUpdate {
    #[cfg_attr(feature = "ssr", schema(min_items = 1, max_items = 200))]
    pub tracking_numbers: Vec<String>,
    pub status: ShipmentStatus,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 200))]
    pub location: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 2000))]
    pub note: Option<String>,
}

/// What happened to one shipment of a bulk update: each row's transition is
/// checked on its own, so some may succeed while others are refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum BulkOutcome {
    /// The change was made.
    Recorded {
        tracking_number: String,
        event: ShipmentEvent,
    },
    /// The change was refused, and why (a message for a person).
    Refused { tracking_number: String, error: String },
}

impl BulkOutcome {
    pub fn tracking_number(&self) -> &str {
        match self {
            BulkOutcome::Recorded { tracking_number, .. } | BulkOutcome::Refused { tracking_number, .. } => {
                tracking_number
            }
        }
    }
}

/// An account as the admin page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserInfo {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

/// An API token as listed: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenInfo {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it stops working by itself (`None`: when revoked).
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A newly issued token: the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IssuedToken {
    pub id: i64,
    pub token: String,
}

//! The actions, the top layer of the core: one function per thing a person
//! (or the system) can do. Each takes *who is acting* (a `Viewer`) and input
//! already parsed into domain types (`domain::input`), asks `auth::policy`,
//! and reads or writes through `db`. The doors — server functions, REST
//! handlers, HTML form routes and the `server` command line — only adapt their
//! transport to these functions, so none can do what another refuses.

pub mod accounts;
pub mod admin;
pub mod idempotency;
pub mod imports;
pub mod notifications;
pub mod problems;
pub mod public_tracking;
pub mod shipments;
pub mod watching;
pub mod webhooks;

use crate::domain::TrackingNumber;
use crate::error::AppError;

/// A tracking number taken from a URL path. A malformed one cannot name a
/// shipment, so it is "not found" rather than invalid input.
pub fn shipment_in_path(raw: &str) -> Result<TrackingNumber, AppError> {
    TrackingNumber::parse(raw).map_err(|_| AppError::NotFound(format!("shipment {}", raw.trim())))
}

//! Watching a shipment someone else owns, and delivery instructions.
//!
//! To watch, a customer proves they know the shipment by its tracking number
//! *and* destination postal code. A wrong postcode and an unknown number get
//! the same answer, so the form cannot be used to discover tracking numbers.

use sqlx::PgPool;

use crate::domain::input::WatchProof;
use crate::domain::{ShipmentSummary, TrackingNumber, Viewer};
use crate::error::AppError;
use crate::ssr::auth::client::ClientAddr;
use crate::ssr::auth::{policy, throttle};
use crate::ssr::db;

/// Starts watching; returns the shipment's summary so the list can show it at
/// once. Watching twice, or watching one's own shipment, is harmless. Refused
/// attempts are limited per user and per client (`auth::throttle`: 429 after
/// 20 in 15 minutes), so the postcode cannot be guessed.
pub async fn watch(
    pool: &PgPool,
    viewer: &Viewer,
    proof: &WatchProof,
    client: Option<ClientAddr>,
) -> Result<ShipmentSummary, AppError> {
    let user = policy::require_person(viewer)?;
    let attempt = throttle::watch_attempt(pool, user.id, client).await?;
    let summary = db::watchers::watch(pool, user.id, proof).await?.ok_or_else(|| {
        AppError::NotFound("a shipment with this tracking number and postal code".to_owned())
    })?;
    attempt.release(pool).await?;
    Ok(summary)
}

/// Stops watching. Always succeeds (also when not watching), revealing nothing;
/// the shipment leaves the user's list and stream within seconds.
pub async fn unwatch(
    pool: &PgPool,
    viewer: &Viewer,
    tracking_number: &TrackingNumber,
) -> Result<(), AppError> {
    let user = policy::require_person(viewer)?;
    db::watchers::unwatch(pool, user.id, tracking_number).await
}

/// Sets (or, when `None`, clears) the delivery instructions: the owner only.
/// The change is an event on the timeline, so it shows live.
pub async fn set_instructions(
    pool: &PgPool,
    viewer: &Viewer,
    tracking_number: &TrackingNumber,
    instructions: Option<&str>,
) -> Result<(), AppError> {
    let user = policy::require_person(viewer)?;
    let shipment_id = policy::visible_shipment_id(pool, viewer, tracking_number).await?;
    if db::watchers::set_instructions(pool, shipment_id, user.id, instructions).await? {
        Ok(())
    } else {
        // They can see it (watcher or staff) but it is not theirs.
        Err(AppError::Forbidden)
    }
}

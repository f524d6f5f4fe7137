//! Server functions about shipments.

use leptos::prelude::*;

use crate::domain::ShipmentSummary;
use crate::error::AppError;

/// The most recent shipments, newest first.
#[server]
pub async fn list_shipments() -> Result<Vec<ShipmentSummary>, AppError> {
    let state = crate::ssr::state::AppState::from_context()?;
    crate::ssr::db::shipments::list_shipments(&state.pool, 500).await
}

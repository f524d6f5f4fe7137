//! Server functions about shipments: thin, over `ssr::shipments`.

use leptos::prelude::*;

use crate::domain::{ShipmentDetail, ShipmentSummary};
use crate::error::AppError;

/// The shipments the signed-in user may see, newest change first.
#[server(endpoint = "list_shipments")]
pub async fn list_shipments() -> Result<Vec<ShipmentSummary>, AppError> {
    super::with_status(
        async {
            let state = crate::ssr::state::AppState::from_context()?;
            let user = crate::ssr::auth::current_user::from_server_fn().await?;
            crate::ssr::shipments::list(&state.pool, &user).await
        }
        .await,
    )
}

/// One shipment with its timeline, if the signed-in user may see it.
#[server(endpoint = "get_shipment")]
pub async fn get_shipment(tracking_number: String) -> Result<ShipmentDetail, AppError> {
    super::with_status(
        async {
            let state = crate::ssr::state::AppState::from_context()?;
            let user = crate::ssr::auth::current_user::from_server_fn().await?;
            crate::ssr::shipments::detail(&state.pool, &user, &tracking_number).await
        }
        .await,
    )
}

/// Posts a status event (operators and admins); the change reaches every
/// open page through the live stream.
#[server(endpoint = "post_status")]
pub async fn post_status(
    tracking_number: String,
    status: String,
    location: Option<String>,
    note: Option<String>,
) -> Result<crate::domain::ShipmentEvent, AppError> {
    super::with_status(
        async {
            let state = crate::ssr::state::AppState::from_context()?;
            let user = crate::ssr::auth::current_user::from_server_fn().await?;
            let status = status.parse().map_err(|e| AppError::validation("status", e))?;
            let event = crate::domain::NewStatusEvent {
                status,
                location,
                note,
                occurred_at: None,
            };
            crate::ssr::shipments::post_status(&state.pool, &user, &tracking_number, event).await
        }
        .await,
    )
}

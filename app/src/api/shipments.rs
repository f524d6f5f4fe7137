//! Server functions about shipments: thin, over `ssr::shipments`.

use leptos::prelude::*;

use crate::domain::{
    BulkOutcome, ShipmentDetail, ShipmentEvent, ShipmentList, ShipmentQuery, ShipmentSummary,
};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{api::as_user, ssr::shipments};

/// One page of the shipments the signed-in user may see, filtered.
#[server(endpoint = "list_shipments")]
pub async fn list_shipments(query: ShipmentQuery) -> Result<ShipmentList, AppError> {
    as_user(|state, user| async move { shipments::list(&state.pool, &user, &query).await }).await
}

/// One shipment with its timeline, if the signed-in user may see it.
#[server(endpoint = "get_shipment")]
pub async fn get_shipment(tracking_number: String) -> Result<ShipmentDetail, AppError> {
    as_user(|state, user| async move { shipments::detail(&state.pool, &user, &tracking_number).await }).await
}

/// Posts a status event (operators and admins); the change reaches every
/// open page through the live stream.
#[server(endpoint = "post_status")]
pub async fn post_status(
    tracking_number: String,
    status: String,
    location: Option<String>,
    note: Option<String>,
) -> Result<ShipmentEvent, AppError> {
    as_user(|state, user| async move {
        let status = status.parse().map_err(|e| AppError::validation("status", e))?;
        let event = crate::domain::NewStatusEvent {
            status,
            location,
            note,
            occurred_at: None,
        };
        shipments::post_status(&state.pool, &user, &tracking_number, event).await
    })
    .await
}

/// One status for many shipments (staff); the outcome per shipment.
#[server(endpoint = "post_status_bulk")]
pub async fn post_status_bulk(
    tracking_numbers: Vec<String>,
    status: String,
    location: Option<String>,
    note: Option<String>,
) -> Result<Vec<BulkOutcome>, AppError> {
    as_user(|state, user| async move {
        let status = status.parse().map_err(|e| AppError::validation("status", e))?;
        let update = crate::domain::BulkStatusUpdate {
            tracking_numbers,
            status,
            location,
            note,
        };
        shipments::post_status_bulk(&state.pool, &user, update).await
    })
    .await
}

/// Registers a shipment for a customer (staff).
#[server(endpoint = "create_shipment")]
pub async fn create_shipment(
    tracking_number: String,
    owner_email: String,
    origin: String,
    destination: String,
    destination_postal_code: String,
    carrier: String,
    eta: Option<String>,
) -> Result<ShipmentSummary, AppError> {
    as_user(|state, user| async move {
        let eta = eta
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| {
                e.parse::<chrono::NaiveDate>()
                    .map_err(|_| AppError::validation("eta", "enter the date as YYYY-MM-DD"))
            })
            .transpose()?;
        let new = crate::domain::NewShipment {
            tracking_number,
            owner_email,
            origin,
            destination,
            destination_postal_code,
            carrier,
            eta,
        };
        shipments::create(&state.pool, &user, new).await
    })
    .await
}

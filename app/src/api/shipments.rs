//! Server functions about shipments: thin, over `ssr::actions::shipments`.

use leptos::prelude::*;

use crate::domain::{
    BulkOutcome, ShipmentDetail, ShipmentEvent, ShipmentList, ShipmentQuery, ShipmentSummary,
};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{
    api::as_viewer,
    domain::input,
    ssr::actions::{shipment_in_path, shipments},
};

/// One page of the shipments the signed-in user may see, filtered.
#[server(endpoint = "list_shipments")]
pub async fn list_shipments(query: ShipmentQuery) -> Result<ShipmentList, AppError> {
    as_viewer(|state, viewer| async move { shipments::list(&state.pool, &viewer, &query).await }).await
}

/// One shipment with a page of its timeline (`before`: the cursor of an
/// older page), if the signed-in user may see it.
#[server(endpoint = "get_shipment")]
pub async fn get_shipment(
    tracking_number: String,
    before: Option<String>,
) -> Result<ShipmentDetail, AppError> {
    as_viewer(|state, viewer| async move {
        let before = before
            .as_deref()
            .map(crate::domain::TimelineCursor::decode)
            .transpose()?;
        shipments::detail(&state.pool, &viewer, &shipment_in_path(&tracking_number)?, before).await
    })
    .await
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
    as_viewer(|state, viewer| async move {
        let number = shipment_in_path(&tracking_number)?;
        let raw = crate::domain::StatusPostRequest {
            status: input::status("status", &status)?,
            location,
            note,
            occurred_at: None,
        };
        let post = input::StatusPost::parse(raw, chrono::Utc::now())?;
        shipments::post_status(&state.pool, &viewer, &number, &post).await
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
    as_viewer(|state, viewer| async move {
        let raw = crate::domain::BulkStatusPostRequest {
            tracking_numbers,
            status: input::status("status", &status)?,
            location,
            note,
        };
        let bulk = input::BulkStatusPost::parse(raw, chrono::Utc::now())?;
        shipments::post_status_bulk(&state.pool, &viewer, &bulk).await
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
    as_viewer(|state, viewer| async move {
        let draft = input::ShipmentDraft::parse(crate::domain::ShipmentDraftRequest {
            tracking_number,
            owner_email,
            origin,
            destination,
            destination_postal_code,
            carrier,
            eta: input::optional_date("eta", eta.as_deref())?,
        })?;
        shipments::create(&state.pool, &viewer, &draft).await
    })
    .await
}

/// Moves a delivered, returned, lost or cancelled shipment back into its
/// journey, with the reason on its timeline (admins).
#[server(endpoint = "reopen_shipment")]
pub async fn reopen_shipment(
    tracking_number: String,
    status: String,
    reason: String,
) -> Result<ShipmentEvent, AppError> {
    as_viewer(|state, viewer| async move {
        let number = shipment_in_path(&tracking_number)?;
        let reopening = input::Reopening::parse(input::status("status", &status)?, &reason)?;
        shipments::reopen(&state.pool, &viewer, &number, &reopening).await
    })
    .await
}

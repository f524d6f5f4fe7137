//! Server functions for what customers (and staff) do on a shipment: watch,
//! unwatch, delivery instructions, problems. Thin, over `ssr::actions`.

use leptos::prelude::*;

use crate::domain::{Problem, ShipmentSummary};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{
    api::as_viewer,
    domain::input,
    ssr::actions::{problems, shipment_in_path, watching},
};

/// Watches a shipment by tracking number and destination postal code.
#[server(endpoint = "watch_shipment")]
pub async fn watch_shipment(
    tracking_number: String,
    postal_code: String,
) -> Result<ShipmentSummary, AppError> {
    as_viewer(|state, viewer| async move {
        let proof = input::WatchProof::parse(&tracking_number, &postal_code)?;
        watching::watch(
            &state.pool,
            &viewer,
            &proof,
            crate::ssr::web::client_of_server_fn(),
        )
        .await
    })
    .await
}

/// Stops watching a shipment.
#[server(endpoint = "unwatch_shipment")]
pub async fn unwatch_shipment(tracking_number: String) -> Result<(), AppError> {
    as_viewer(|state, viewer| async move {
        watching::unwatch(&state.pool, &viewer, &shipment_in_path(&tracking_number)?).await
    })
    .await
}

/// Sets the delivery instructions of one's own shipment (blank clears them).
#[server(endpoint = "set_instructions")]
pub async fn set_instructions(tracking_number: String, instructions: String) -> Result<(), AppError> {
    as_viewer(|state, viewer| async move {
        let number = shipment_in_path(&tracking_number)?;
        let instructions = input::instructions(&instructions)?;
        watching::set_instructions(&state.pool, &viewer, &number, instructions.as_deref()).await
    })
    .await
}

/// Reports a problem on a shipment the user can see.
#[server(endpoint = "report_problem")]
pub async fn report_problem(tracking_number: String, description: String) -> Result<Problem, AppError> {
    as_viewer(|state, viewer| async move {
        let number = shipment_in_path(&tracking_number)?;
        let description = input::problem_description(&description)?;
        problems::report(&state.pool, &viewer, &number, &description).await
    })
    .await
}

/// Resolves an open problem (staff).
#[server(endpoint = "resolve_problem")]
pub async fn resolve_problem(problem_id: i64, resolution: String) -> Result<(), AppError> {
    as_viewer(|state, viewer| async move {
        let resolution = input::resolution(&resolution)?;
        problems::resolve(&state.pool, &viewer, problem_id, &resolution).await
    })
    .await
}

/// Every open problem (staff).
#[server(endpoint = "open_problems")]
pub async fn open_problems() -> Result<Vec<Problem>, AppError> {
    as_viewer(|state, viewer| async move { problems::open_problems(&state.pool, &viewer).await }).await
}

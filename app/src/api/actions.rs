//! Server functions for what customers (and staff) do on a shipment: watch,
//! unwatch, delivery instructions, problems. Thin, over `ssr::watching` and
//! `ssr::problems`.

use leptos::prelude::*;

use crate::domain::{Problem, ShipmentSummary};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{
    api::as_user,
    ssr::{problems, watching},
};

/// Watches a shipment by tracking number and destination postal code.
#[server(endpoint = "watch_shipment")]
pub async fn watch_shipment(
    tracking_number: String,
    postal_code: String,
) -> Result<ShipmentSummary, AppError> {
    as_user(|state, user| async move {
        watching::watch(&state.pool, &user, &tracking_number, &postal_code).await
    })
    .await
}

/// Stops watching a shipment.
#[server(endpoint = "unwatch_shipment")]
pub async fn unwatch_shipment(tracking_number: String) -> Result<(), AppError> {
    as_user(|state, user| async move { watching::unwatch(&state.pool, &user, &tracking_number).await }).await
}

/// Sets the delivery instructions of one's own shipment (blank clears them).
#[server(endpoint = "set_instructions")]
pub async fn set_instructions(tracking_number: String, instructions: String) -> Result<(), AppError> {
    as_user(|state, user| async move {
        watching::set_instructions(&state.pool, &user, &tracking_number, &instructions).await
    })
    .await
}

/// Reports a problem on a shipment the user can see.
#[server(endpoint = "report_problem")]
pub async fn report_problem(tracking_number: String, description: String) -> Result<Problem, AppError> {
    as_user(|state, user| async move {
        problems::report(&state.pool, &user, &tracking_number, &description).await
    })
    .await
}

/// Resolves an open problem (staff).
#[server(endpoint = "resolve_problem")]
pub async fn resolve_problem(problem_id: i64, resolution: String) -> Result<(), AppError> {
    as_user(|state, user| async move { problems::resolve(&state.pool, &user, problem_id, &resolution).await })
        .await
}

/// Every open problem (staff).
#[server(endpoint = "open_problems")]
pub async fn open_problems() -> Result<Vec<Problem>, AppError> {
    as_user(|state, user| async move { problems::open_problems(&state.pool, &user).await }).await
}

//! Server functions: thin wrappers that find the signed-in user and call the
//! services below `ssr`, which parse and authorize.

pub mod account;
pub mod shipments;

/// Gives the HTTP response of a failed server function the status of its
/// error (404, 403, …) rather than a blanket 500; also used while rendering a
/// page on the server, so a page about a hidden shipment is a 404.
#[cfg(feature = "ssr")]
pub(crate) fn with_status<T>(result: Result<T, crate::error::AppError>) -> Result<T, crate::error::AppError> {
    if let Err(error) = &result {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(error.status_code());
        }
    }
    result
}

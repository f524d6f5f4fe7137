//! Server functions: one of the core's doors. Each finds who is calling,
//! parses its arguments into domain input, and calls one action of
//! `ssr::actions`, which authorizes and acts.

pub mod account;
pub mod actions;
pub mod admin;
pub mod imports;
pub mod notifications;
pub mod shipments;
pub mod tracking;

/// Gives the HTTP response of a failed server function the status of its
/// error (404, 403, …) rather than a blanket 500; also used while rendering a
/// page on the server, so a page about a hidden shipment is a 404. A page
/// whose data could not be read because the database is briefly away (503)
/// also reloads itself after `Retry-After` (a `Refresh` header), like the
/// outage page, so the reader lands back on it without doing anything.
#[cfg(feature = "ssr")]
pub(crate) fn with_status<T>(result: Result<T, crate::error::AppError>) -> Result<T, crate::error::AppError> {
    if let Err(error) = &result {
        crate::respond_with(error.status_code().as_u16());
        if let Some(seconds) = error.retry_after_secs() {
            if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
                if matches!(error, crate::error::AppError::Unavailable) {
                    response.insert_header(http::header::REFRESH, http::HeaderValue::from(seconds));
                }
            }
        }
    }
    result
}

/// Runs a server function's body as the signed-in viewer: finds the app
/// state and the viewer (401 if signed out), then reports any error with its
/// HTTP status.
#[cfg(feature = "ssr")]
pub(crate) async fn as_viewer<T, Fut>(
    body: impl FnOnce(crate::ssr::web::AppState, crate::domain::Viewer) -> Fut,
) -> Result<T, crate::error::AppError>
where
    Fut: std::future::Future<Output = Result<T, crate::error::AppError>>,
{
    let result = async {
        let state = crate::ssr::web::AppState::from_context()?;
        let viewer = crate::ssr::web::from_server_fn().await?;
        body(state, viewer).await
    }
    .await;
    with_status(result)
}

//! Server functions: thin wrappers that find the signed-in user and call the
//! services below `ssr`, which parse and authorize.

pub mod account;
pub mod actions;
pub mod admin;
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

/// Runs a server function's body as the signed-in user: finds the app state
/// and the user (401 if none), then reports any error with its HTTP status.
#[cfg(feature = "ssr")]
pub(crate) async fn as_user<T, Fut>(
    body: impl FnOnce(crate::ssr::state::AppState, crate::ssr::auth::current_user::CurrentUser) -> Fut,
) -> Result<T, crate::error::AppError>
where
    Fut: std::future::Future<Output = Result<T, crate::error::AppError>>,
{
    let result = async {
        let state = crate::ssr::state::AppState::from_context()?;
        let user = crate::ssr::auth::current_user::from_server_fn().await?;
        body(state, user).await
    }
    .await;
    with_status(result)
}

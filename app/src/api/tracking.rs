//! The public tracking page's server function: no session, the signed link
//! is the authority. Thin, over `ssr::actions::public_tracking`.

use leptos::prelude::*;

use crate::domain::tracking::PublicTracking;
use crate::error::AppError;

/// What the page behind a shareable tracking link shows, with a fresh
/// short-lived token for its live stream.
#[server(endpoint = "tracking_page")]
pub async fn tracking_page(link: String) -> Result<PublicTracking, AppError> {
    let result = async {
        let state = crate::ssr::web::AppState::from_context()?;
        crate::ssr::actions::public_tracking::view(&state.pool, &state.signing_key, &link).await
    }
    .await;
    crate::api::with_status(result)
}

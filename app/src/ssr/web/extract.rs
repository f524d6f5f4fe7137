//! Who a request is: from `Authorization: Bearer` (integrations) or the
//! session cookie (browsers, through `super::session`). The account is re-read on every request, so a
//! role change or deleted account takes effect at once.

use super::session::BrowserSession;
use super::state::AppState;
use crate::domain::{CurrentUser, Viewer};
use crate::error::AppError;
use crate::ssr::auth::credential::{bearer_token, Authenticated, Credential};
use crate::ssr::auth::tokens;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

/// Put in a page request's extensions by the sign-in guard: whose session it
/// is, so the page shell can start the live stream before the bundle loads
/// (`crate::live::EarlyStart`) without reading the session again.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub email: String,
    /// The stream position when the request arrived, before the page read
    /// any data: every change the page's data may lack comes after it. Taken
    /// here rather than while rendering, so it does not depend on the order
    /// in which Leptos builds the head and starts the body's data loads.
    pub rendered_at: i64,
}

/// Whether the request carries a bearer token (and so is exempt from the
/// same-origin check: a cross-site page cannot make a browser attach one).
pub fn has_bearer_token(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
        .is_some()
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        authenticate(parts, state).await
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(authenticate(parts, state).await?.user)
    }
}

/// A signed-in request acts as that user; a signed-out one is refused (401).
impl FromRequestParts<AppState> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Viewer::User(authenticate(parts, state).await?.user))
    }
}

async fn authenticate(parts: &mut Parts, state: &AppState) -> Result<Authenticated, AppError> {
    if let Some(value) = parts.headers.get(AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(bearer_token)
            .ok_or(AppError::Unauthorized)?;
        let (user, token_id) = tokens::authenticate(&state.pool, token)
            .await?
            .ok_or(AppError::Unauthorized)?;
        return Ok(Authenticated {
            user,
            credential: Credential::Token(token_id),
        });
    }
    let signed_in = BrowserSession::from_request_parts(parts, state)
        .await?
        .current(state)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(Authenticated {
        user: signed_in.user,
        credential: Credential::Session(signed_in.session_id),
    })
}

/// The client of the current server function call (`ClientAddr`, put in the
/// request by the server's client-address middleware).
pub fn client_of_server_fn() -> Option<super::ClientAddr> {
    leptos::prelude::use_context::<Parts>()
        .and_then(|parts| parts.extensions.get::<super::ClientAddr>().copied())
}

/// Who is calling a server function.
pub async fn from_server_fn() -> Result<Viewer, AppError> {
    let state = AppState::from_context()?;
    let mut parts = leptos::prelude::use_context::<Parts>().ok_or_else(|| {
        tracing::error!("request parts missing from the server function context");
        AppError::Internal
    })?;
    Viewer::from_request_parts(&mut parts, &state).await
}

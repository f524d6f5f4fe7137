//! The signed-in user of a request: from `Authorization: Bearer` (integrations)
//! or the session cookie (browsers). The account is re-read on every request, so
//! a role change or deleted account takes effect at once.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use tower_sessions::Session;

use crate::domain::Role;
use crate::error::AppError;
use crate::ssr::state::AppState;
use crate::ssr::stream::Credential;

use super::session::{session_error, USER_ID_KEY};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub role: Role,
}

/// Whether the request carries a bearer token (and so is exempt from the
/// same-origin check: a cross-site page cannot make a browser attach one).
pub fn has_bearer_token(parts: &axum::http::HeaderMap) -> bool {
    parts
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "))
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(authenticate(parts, state).await?.user)
    }
}

/// The signed-in user and what proved it: for long-lived requests (the live
/// stream), whose authorization is re-checked while they run.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user: CurrentUser,
    pub credential: Credential,
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        authenticate(parts, state).await
    }
}

async fn authenticate(parts: &mut Parts, state: &AppState) -> Result<Authenticated, AppError> {
    if let Some(value) = parts.headers.get(AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .ok_or(AppError::Unauthorized)?;
        let (user, token_id) = super::tokens::authenticate(&state.pool, token.trim())
            .await?
            .ok_or(AppError::Unauthorized)?;
        return Ok(Authenticated {
            user,
            credential: Credential::Token(token_id),
        });
    }
    let session = Session::from_request_parts(parts, state)
        .await
        .map_err(|(_, message)| {
            tracing::error!(message, "session layer missing");
            AppError::Internal
        })?;
    let user_id: i64 = session
        .get(USER_ID_KEY)
        .await
        .map_err(session_error)?
        .ok_or(AppError::Unauthorized)?;
    let session_id = session.id().ok_or(AppError::Unauthorized)?.to_string();
    let user = sqlx::query!(
        r#"SELECT id, email, role AS "role: Role" FROM users WHERE id = $1"#,
        user_id
    )
    .fetch_optional(&state.pool)
    .await?;
    match user {
        Some(user) => Ok(Authenticated {
            user: CurrentUser {
                id: user.id,
                email: user.email,
                role: user.role,
            },
            credential: Credential::Session(session_id),
        }),
        None => {
            // The account is gone: forget the session too.
            session.flush().await.map_err(session_error)?;
            Err(AppError::Unauthorized)
        }
    }
}

/// The signed-in user inside a server function.
pub async fn from_server_fn() -> Result<CurrentUser, AppError> {
    let state = AppState::from_context()?;
    let mut parts = leptos::prelude::use_context::<Parts>().ok_or_else(|| {
        tracing::error!("request parts missing from the server function context");
        AppError::Internal
    })?;
    CurrentUser::from_request_parts(&mut parts, &state).await
}

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

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(value) = parts.headers.get(AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
                .ok_or(AppError::Unauthorized)?;
            return super::tokens::authenticate(&state.pool, token.trim())
                .await?
                .ok_or(AppError::Unauthorized);
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
        let user = sqlx::query!(
            r#"SELECT id, email, role AS "role: Role" FROM users WHERE id = $1"#,
            user_id
        )
        .fetch_optional(&state.pool)
        .await?;
        match user {
            Some(user) => Ok(CurrentUser {
                id: user.id,
                email: user.email,
                role: user.role,
            }),
            None => {
                // The account is gone: forget the session too.
                session.flush().await.map_err(session_error)?;
                Err(AppError::Unauthorized)
            }
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

//! Server functions for the admin page: roles and API tokens. Thin, over
//! `ssr::actions::admin`.

use leptos::prelude::*;

use crate::domain::{IssuedToken, TokenInfo, UserInfo};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{api::as_viewer, domain::input, ssr::actions::admin};

#[server(endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserInfo>, AppError> {
    as_viewer(|state, viewer| async move { admin::list_users(&state.pool, &viewer).await }).await
}

/// Ends every session of an account (admins).
#[server(endpoint = "end_sessions")]
pub async fn end_sessions(email: String) -> Result<(), AppError> {
    as_viewer(|state, viewer| async move {
        let email = input::email("email", &email)?;
        crate::ssr::actions::accounts::sign_out_everywhere(&state.pool, &viewer, Some(&email))
            .await
            .map(|_| ())
    })
    .await
}

#[server(endpoint = "change_role")]
pub async fn change_role(email: String, role: String) -> Result<(), AppError> {
    as_viewer(|state, viewer| async move {
        let email = input::email("email", &email)?;
        let role = role.parse().map_err(|e| AppError::validation("role", e))?;
        admin::change_role(&state.pool, &viewer, &email, role).await
    })
    .await
}

#[server(endpoint = "list_tokens")]
pub async fn list_tokens() -> Result<Vec<TokenInfo>, AppError> {
    as_viewer(|state, viewer| async move { admin::list_tokens(&state.pool, &viewer, None).await }).await
}

#[server(endpoint = "issue_token")]
pub async fn issue_token(
    email: String,
    name: String,
    #[server(default)] expires_in_days: String,
) -> Result<IssuedToken, AppError> {
    as_viewer(|state, viewer| async move {
        let email = input::email("email", &email)?;
        let name = input::token_name(&name)?;
        let lifetime = input::token_lifetime(&expires_in_days)?;
        admin::issue_token(&state.pool, &viewer, &email, &name, lifetime).await
    })
    .await
}

#[server(endpoint = "revoke_token")]
pub async fn revoke_token(id: i64) -> Result<(), AppError> {
    as_viewer(|state, viewer| async move { admin::revoke_token(&state.pool, &viewer, id).await }).await
}

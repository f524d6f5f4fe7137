//! Server functions for the admin page: roles and API tokens. Thin, over
//! `ssr::admin`.

use leptos::prelude::*;

use crate::domain::{IssuedToken, TokenInfo, UserInfo};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{api::as_user, ssr::admin};

#[server(endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserInfo>, AppError> {
    as_user(|state, user| async move { admin::list_users(&state.pool, &user).await }).await
}

#[server(endpoint = "change_role")]
pub async fn change_role(email: String, role: String) -> Result<(), AppError> {
    as_user(|state, user| async move {
        let role = role.parse().map_err(|e| AppError::validation("role", e))?;
        admin::change_role(&state.pool, &user, &email, role).await
    })
    .await
}

#[server(endpoint = "list_tokens")]
pub async fn list_tokens() -> Result<Vec<TokenInfo>, AppError> {
    as_user(|state, user| async move { admin::list_tokens(&state.pool, &user).await }).await
}

#[server(endpoint = "issue_token")]
pub async fn issue_token(email: String, name: String) -> Result<IssuedToken, AppError> {
    as_user(|state, user| async move { admin::issue_token(&state.pool, &user, &email, &name).await }).await
}

#[server(endpoint = "revoke_token")]
pub async fn revoke_token(id: i64) -> Result<(), AppError> {
    as_user(|state, user| async move { admin::revoke_token(&state.pool, &user, id).await }).await
}

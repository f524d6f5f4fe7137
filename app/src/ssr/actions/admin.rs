//! The admin's tools: accounts' roles and API tokens. Every function checks
//! the viewer is an admin (or the system) first.

use sqlx::PgPool;

use crate::domain::{Email, IssuedToken, Role, TokenInfo, UserInfo, Viewer};
use crate::error::AppError;
use crate::ssr::auth::{policy, tokens};
use crate::ssr::db;

/// Every account, staff first, then by email.
pub async fn list_users(pool: &PgPool, viewer: &Viewer) -> Result<Vec<UserInfo>, AppError> {
    policy::require_admin(viewer)?;
    db::users::list(pool).await
}

/// Changes an account's role; open streams follow within seconds. An admin
/// cannot change their own role, so the last admin cannot lock everyone out.
pub async fn change_role(pool: &PgPool, viewer: &Viewer, email: &Email, role: Role) -> Result<(), AppError> {
    policy::require_admin(viewer)?;
    if viewer
        .person()
        .is_some_and(|admin| admin.email.eq_ignore_ascii_case(email.as_str()))
    {
        return Err(AppError::validation(
            "role",
            "you cannot change your own role; ask another admin",
        ));
    }
    db::users::set_role(pool, email, role).await
}

/// Issues a token for an account; the secret is returned this once.
pub async fn issue_token(
    pool: &PgPool,
    viewer: &Viewer,
    email: &Email,
    name: &str,
    expires_in_days: Option<u32>,
) -> Result<IssuedToken, AppError> {
    policy::require_admin(viewer)?;
    let (id, token) = tokens::create_token(pool, email, name, expires_in_days).await?;
    Ok(IssuedToken { id, token })
}

/// Every token, or one account's, newest first (never the secrets).
pub async fn list_tokens(
    pool: &PgPool,
    viewer: &Viewer,
    email: Option<&Email>,
) -> Result<Vec<TokenInfo>, AppError> {
    policy::require_admin(viewer)?;
    tokens::list_tokens(pool, email).await
}

/// Revokes a token: its next request, and any stream it holds, gets 401.
pub async fn revoke_token(pool: &PgPool, viewer: &Viewer, id: i64) -> Result<(), AppError> {
    policy::require_admin(viewer)?;
    tokens::revoke_token(pool, id).await
}

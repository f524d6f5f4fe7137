//! The admin's tools: accounts' roles and API tokens. Every function checks
//! the caller is an admin first.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::domain::{Email, IssuedToken, Role, TokenInfo, UserInfo};
use crate::error::AppError;
use crate::ssr::auth::current_user::CurrentUser;
use crate::ssr::auth::{policy, tokens};

/// Every account, staff first, then by email.
pub async fn list_users(pool: &PgPool, admin: &CurrentUser) -> Result<Vec<UserInfo>, AppError> {
    policy::require_admin(admin)?;
    let rows = sqlx::query!(
        r#"SELECT id, email, role AS "role: Role", created_at AS "created_at: DateTime<Utc>"
           FROM users ORDER BY role DESC, email LIMIT 1000"#
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| UserInfo {
            id: r.id,
            email: r.email,
            role: r.role,
            created_at: r.created_at,
        })
        .collect())
}

/// Changes an account's role; open streams follow within seconds. An admin
/// cannot change their own role, so the last admin cannot lock everyone out.
pub async fn change_role(
    pool: &PgPool,
    admin: &CurrentUser,
    email: &str,
    role: Role,
) -> Result<(), AppError> {
    policy::require_admin(admin)?;
    let email = Email::parse(email).map_err(|e| AppError::validation("email", e))?;
    if email.as_str() == admin.email.to_lowercase() {
        return Err(AppError::validation(
            "role",
            "you cannot change your own role; ask another admin",
        ));
    }
    crate::ssr::db::users::set_role(pool, &email, role).await
}

/// Issues a token for an account; the secret is returned this once.
pub async fn issue_token(
    pool: &PgPool,
    admin: &CurrentUser,
    email: &str,
    name: &str,
) -> Result<IssuedToken, AppError> {
    policy::require_admin(admin)?;
    let email = Email::parse(email).map_err(|e| AppError::validation("email", e))?;
    let (id, token) = tokens::create_token(pool, &email, name)
        .await
        .map_err(|error| match error {
            AppError::NotFound(_) => {
                AppError::validation("email", "there is no account with this email address")
            }
            other => other,
        })?;
    Ok(IssuedToken { id, token })
}

/// Every token, newest first (never the secrets).
pub async fn list_tokens(pool: &PgPool, admin: &CurrentUser) -> Result<Vec<TokenInfo>, AppError> {
    policy::require_admin(admin)?;
    tokens::list_tokens(pool, None).await
}

/// Revokes a token: its next request, and any stream it holds, gets 401.
pub async fn revoke_token(pool: &PgPool, admin: &CurrentUser, id: i64) -> Result<(), AppError> {
    policy::require_admin(admin)?;
    tokens::revoke_token(pool, id).await
}

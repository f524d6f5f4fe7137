//! Accounts.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::domain::{CurrentUser, Email, Role, UserInfo};
use crate::error::AppError;

/// Creates an account; a second account for the same address (in any case) is
/// a validation error on the email field.
#[tracing::instrument(skip_all, fields(role = %role))]
pub async fn create_user(
    pool: &PgPool,
    email: &Email,
    password_hash: &str,
    role: Role,
) -> Result<i64, AppError> {
    sqlx::query_scalar!(
        "INSERT INTO users (email, password_hash, role) VALUES ($1, $2, $3) RETURNING id",
        email.as_str(),
        password_hash,
        role as Role,
    )
    .fetch_one(pool)
    .await
    .map_err(|error| {
        if super::is_unique_violation(&error, "users_email_key") {
            AppError::Conflict(crate::domain::EMAIL_TAKEN.to_owned())
        } else {
            error.into()
        }
    })
}

/// The id of the account with this email address, if any.
pub async fn find_user_id(pool: &PgPool, email: &Email) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM users WHERE lower(email) = lower($1)",
        email.as_str()
    )
    .fetch_optional(pool)
    .await?)
}

/// Changes an account's role; takes effect on the account's next request.
pub async fn set_role(pool: &PgPool, email: &Email, role: Role) -> Result<(), AppError> {
    sqlx::query_scalar!(
        "UPDATE users SET role = $2 WHERE lower(email) = lower($1) RETURNING id",
        email.as_str(),
        role as Role,
    )
    .fetch_optional(pool)
    .await?
    .map(|_| ())
    .ok_or_else(|| AppError::NotFound(format!("an account for {email}")))
}

/// The account with this id, as a request acts with it.
pub async fn find_by_id(pool: &PgPool, id: i64) -> Result<Option<CurrentUser>, AppError> {
    Ok(sqlx::query_as!(
        CurrentUser,
        r#"SELECT id, email, role AS "role: Role" FROM users WHERE id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?)
}

/// An account and its password hash, for signing in.
pub async fn find_with_password(
    pool: &PgPool,
    email: &Email,
) -> Result<Option<(CurrentUser, String)>, AppError> {
    let row = sqlx::query!(
        r#"SELECT id, email, role AS "role: Role", password_hash FROM users WHERE lower(email) = $1"#,
        email.as_str()
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| {
        (
            CurrentUser {
                id: r.id,
                email: r.email,
                role: r.role,
            },
            r.password_hash,
        )
    }))
}

/// Every account, staff first, then by email (the admin page; at most 1,000).
pub async fn list(pool: &PgPool) -> Result<Vec<UserInfo>, AppError> {
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

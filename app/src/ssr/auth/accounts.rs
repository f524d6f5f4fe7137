//! Registration and sign-in: the logic behind the forms, the JSON API and the
//! CLI, written once.

use std::net::IpAddr;

use sqlx::PgPool;
use tokio::sync::OnceCell;

use crate::domain::{Email, NewPassword, Role};
use crate::error::AppError;

use super::current_user::CurrentUser;
use super::password::{hash_password, verify_password};
use super::throttle::{self, LoginLimits};

/// Creates a customer account (registration never creates staff).
pub async fn register(pool: &PgPool, email: &str, password: String) -> Result<CurrentUser, AppError> {
    let email = Email::parse(email).map_err(|e| AppError::validation("email", e))?;
    let password = NewPassword::parse(password).map_err(|e| AppError::validation("password", e))?;
    let hash = hash_password(password).await?;
    let id = crate::ssr::db::users::create_user(pool, &email, &hash, Role::Customer).await?;
    Ok(CurrentUser {
        id,
        email: email.into(),
        role: Role::Customer,
    })
}

/// Checks an email and password, subject to login throttling.
///
/// Unknown email and wrong password give the same error after the same work
/// (an argon2 verification against a dummy hash), so neither the answer nor
/// its timing tells whether an account exists.
pub async fn sign_in(
    pool: &PgPool,
    limits: &LoginLimits,
    email_input: &str,
    password: String,
    client: Option<IpAddr>,
) -> Result<CurrentUser, AppError> {
    let throttle_key = email_input.trim().to_lowercase();
    throttle::check(pool, limits, &throttle_key, client).await?;

    let account =
        match Email::parse(email_input) {
            Ok(email) => sqlx::query!(
                r#"SELECT id, email, role AS "role: Role", password_hash FROM users WHERE lower(email) = $1"#,
                email.as_str()
            )
            .fetch_optional(pool)
            .await?,
            Err(_) => None,
        };
    let stored_hash = match &account {
        Some(account) => account.password_hash.clone(),
        None => dummy_hash().await?.to_owned(),
    };
    let matches = verify_password(password, stored_hash).await?;
    match account {
        Some(account) if matches => {
            throttle::reset(pool, &throttle_key).await?;
            Ok(CurrentUser {
                id: account.id,
                email: account.email,
                role: account.role,
            })
        }
        _ => {
            throttle::record_failure(pool, limits, &throttle_key, client).await?;
            Err(AppError::BadCredentials)
        }
    }
}

/// A hash of a password nobody knows, with the same cost as real ones.
async fn dummy_hash() -> Result<&'static str, AppError> {
    static DUMMY: OnceCell<String> = OnceCell::const_new();
    let hash = DUMMY
        .get_or_try_init(|| async {
            let password = NewPassword::parse("not a password anyone has".into())
                .map_err(|e| anyhow::anyhow!("dummy password: {e}"))?;
            hash_password(password).await
        })
        .await?;
    Ok(hash.as_str())
}

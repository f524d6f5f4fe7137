//! Accounts: registration and sign-in (the forms, the JSON API), and creating
//! an account with any role (an admin, or the system from the command line).

use std::net::IpAddr;

use sqlx::PgPool;
use tokio::sync::OnceCell;

use crate::domain::{CurrentUser, Email, NewPassword, Role, Viewer};
use crate::error::AppError;
use crate::ssr::auth::password::{hash_password, verify_password};
use crate::ssr::auth::policy;
use crate::ssr::auth::throttle::{self, LoginLimits};
use crate::ssr::db;

/// Creates a customer account (registration never creates staff).
pub async fn register(pool: &PgPool, email: &Email, password: NewPassword) -> Result<CurrentUser, AppError> {
    let hash = hash_password(password).await?;
    let id = db::users::create_user(pool, email, &hash, Role::Customer).await?;
    Ok(CurrentUser {
        id,
        email: email.to_string(),
        role: Role::Customer,
    })
}

/// Creates an account with a chosen role (admins; the system).
pub async fn create_user(
    pool: &PgPool,
    viewer: &Viewer,
    email: &Email,
    password: NewPassword,
    role: Role,
) -> Result<i64, AppError> {
    policy::require_admin(viewer)?;
    let hash = hash_password(password).await?;
    db::users::create_user(pool, email, &hash, role).await
}

/// Checks an email and password, subject to login throttling.
///
/// The email is taken as typed: an unparseable one is a failed attempt like
/// any other. Unknown email and wrong password give the same error after the
/// same work (an argon2 verification against a dummy hash), so neither the
/// answer nor its timing tells whether an account exists.
pub async fn sign_in(
    pool: &PgPool,
    limits: &LoginLimits,
    email_input: &str,
    password: String,
    client: Option<IpAddr>,
) -> Result<CurrentUser, AppError> {
    // Bounded before anything reaches the database or a hash: no account has
    // a longer email or password (registration refuses them).
    if email_input.len() > Email::MAX_LEN {
        return Err(AppError::validation(
            "email",
            format!("use at most {} characters", Email::MAX_LEN),
        ));
    }
    if password.chars().count() > NewPassword::MAX_CHARS {
        return Err(AppError::validation(
            "password",
            format!("use at most {} characters", NewPassword::MAX_CHARS),
        ));
    }
    let throttle_key = email_input.trim().to_lowercase();
    throttle::check(pool, limits, &throttle_key, client).await?;

    let account = match Email::parse(email_input) {
        Ok(email) => db::users::find_with_password(pool, &email).await?,
        Err(_) => None,
    };
    let stored_hash = match &account {
        Some((_, hash)) => hash.clone(),
        None => dummy_hash().await?.to_owned(),
    };
    let matches = verify_password(password, stored_hash).await?;
    match account {
        Some((user, _)) if matches => {
            throttle::reset(pool, &throttle_key).await?;
            Ok(user)
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

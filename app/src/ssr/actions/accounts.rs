//! Accounts: registration and sign-in (the forms, the JSON API), and creating
//! an account with any role (an admin, or the system from the command line).

use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::OnceCell;

use crate::domain::{CurrentUser, Email, NewPassword, Role, Viewer};
use crate::error::AppError;
use crate::ssr::auth::client::ClientAddr;
use crate::ssr::auth::password::{hash_password, verify_password, HashTurns};
use crate::ssr::auth::throttle::{self, LoginLimits};
use crate::ssr::auth::{devices, policy, session};
use crate::ssr::db;

/// Where a sign-in or registration comes from.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// The client address, for per-client limits (`None` from the command line).
    pub client: Option<ClientAddr>,
    /// The browser's device token (`auth::devices`), if it sent one.
    pub device: Option<&'a str>,
    /// This server's count of hashes per client (`AppState::hash_turns`).
    pub hash_turns: &'a Arc<HashTurns>,
}

/// Creates a customer account (registration never creates staff).
///
/// Throttled per client and per email before anything else, and an email
/// that is taken is refused before the password is hashed, so neither
/// floods of sign-ups nor retries of a taken address cost a hash.
pub async fn register(
    pool: &PgPool,
    limits: &LoginLimits,
    email: &Email,
    password: NewPassword,
    origin: Origin<'_>,
) -> Result<CurrentUser, AppError> {
    let _turn = origin.hash_turns.take(origin.client)?;
    let _counted = throttle::registration_attempt(pool, limits, email.as_str(), origin.client).await?;
    if db::users::find_user_id(pool, email).await?.is_some() {
        return Err(taken());
    }
    let hash = hash_password(password).await?;
    let id = db::users::create_user(pool, email, &hash, Role::Customer).await?;
    Ok(CurrentUser {
        id,
        email: email.to_string(),
        role: Role::Customer,
    })
}

fn taken() -> AppError {
    AppError::Conflict(crate::domain::EMAIL_TAKEN.to_owned())
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
    if db::users::find_user_id(pool, email).await?.is_some() {
        return Err(taken());
    }
    let hash = hash_password(password).await?;
    db::users::create_user(pool, email, &hash, role).await
}

/// A successful sign-in: the account, and the browser's device token to
/// keep in its cookie.
#[derive(Debug)]
pub struct Welcome {
    pub user: CurrentUser,
    pub device_token: String,
}

/// Checks an email and password, subject to throttling.
///
/// The email is taken as typed: an unparseable one is a failed attempt like
/// any other. Unknown email and wrong password give the same error after the
/// same work (an argon2 verification against a dummy hash), so neither the
/// answer nor its timing tells whether an account exists. The attempt is
/// counted before the password is checked (atomic under parallel guesses),
/// and only a correct password takes it back.
pub async fn sign_in(
    pool: &PgPool,
    limits: &LoginLimits,
    email_input: &str,
    password: String,
    origin: Origin<'_>,
) -> Result<Welcome, AppError> {
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
    let turn = origin.hash_turns.take(origin.client)?;
    let account = match Email::parse(email_input) {
        Ok(email) => db::users::find_with_password(pool, &email).await?,
        Err(_) => None,
    };
    let known_device = match &account {
        Some((user, _)) => devices::recognise(pool, origin.device, user.id).await?,
        None => None,
    };
    let attempt = match &known_device {
        Some(device) => throttle::known_device_attempt(pool, limits, &device.id).await?,
        None => throttle::sign_in_attempt(pool, limits, email_input, origin.client).await?,
    };
    let stored_hash = match &account {
        Some((_, hash)) => hash.clone(),
        None => dummy_hash().await?.to_owned(),
    };
    let matches = verify_password(password, stored_hash).await?;
    drop(turn);
    match account {
        Some((user, _)) if matches => {
            attempt.release(pool).await?;
            throttle::forget_sign_in_failures(pool, email_input).await?;
            let device_token = devices::remember(pool, origin.device, user.id).await?;
            Ok(Welcome { user, device_token })
        }
        _ => {
            tracing::warn!(client = ?origin.client, known_device = known_device.is_some(), "sign-in failed");
            metrics::counter!("shipwatch_login_failures_total").increment(1);
            Err(AppError::BadCredentials)
        }
    }
}

/// Ends every session of an account and forgets its known browsers: the
/// viewer's own account (`whose` is `None`), or, for an admin, anyone's.
/// API tokens are not sessions: revoke those separately. Returns how many
/// sessions ended.
pub async fn sign_out_everywhere(
    pool: &PgPool,
    viewer: &Viewer,
    whose: Option<&Email>,
) -> Result<u64, AppError> {
    let user_id = match whose {
        None => policy::require_person(viewer)?.id,
        Some(email) => {
            policy::require_admin(viewer)?;
            db::users::find_user_id(pool, email)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("an account with the email {email}")))?
        }
    };
    let ended = session::end_all(pool, user_id).await?;
    devices::forget_all(pool, user_id).await?;
    tracing::info!(user_id, sessions = ended, "signed out everywhere");
    Ok(ended)
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

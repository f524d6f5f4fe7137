//! Browsers that have signed in to an account before (OWASP's "device
//! cookie"): after a successful sign-in the browser gets a random token in a
//! long-lived cookie; its sign-in attempts on that account are then counted
//! for that browser alone (`throttle::known_device_attempt`), so whoever
//! hammers the account or shares the network cannot lock its owner out.
//!
//! Only a SHA-256 of the token is stored (it has full entropy, as API tokens).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use sqlx::PgPool;

use crate::error::AppError;

/// The cookie that carries the token.
pub const COOKIE: &str = "shipwatch_device";
/// How long a browser stays known without signing in again.
pub const LIFETIME_DAYS: i64 = 365;
/// Tokens are 43 characters; anything much longer is not ours and is not hashed.
const MAX_TOKEN_LEN: usize = 64;

/// A known browser: what its attempts are counted by.
#[derive(Debug, Clone)]
pub struct KnownDevice {
    /// A short public name for the token (hex of its hash's first 8 bytes).
    pub id: String,
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Whether `token` (from the cookie) belongs to a browser that signed in to
/// `user_id` within the last year.
pub async fn recognise(
    pool: &PgPool,
    token: Option<&str>,
    user_id: i64,
) -> Result<Option<KnownDevice>, AppError> {
    let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= MAX_TOKEN_LEN) else {
        return Ok(None);
    };
    let hash = token_hash(token);
    let known = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM known_devices
                          WHERE token_hash = $1 AND user_id = $2
                            AND last_used_at > now() - make_interval(days => $3)) AS "known!""#,
        hash,
        user_id,
        LIFETIME_DAYS as i32,
    )
    .fetch_one(pool)
    .await?;
    Ok(known.then(|| KnownDevice {
        id: hash[..8].iter().map(|b| format!("{b:02x}")).collect(),
    }))
}

/// After a successful sign-in: the browser's token for the account, its
/// current one if it already has one (refreshed), else a new one.
pub async fn remember(pool: &PgPool, token: Option<&str>, user_id: i64) -> Result<String, AppError> {
    if let Some(token) = token.filter(|t| !t.is_empty() && t.len() <= MAX_TOKEN_LEN) {
        let refreshed = sqlx::query!(
            "UPDATE known_devices SET last_used_at = now() WHERE token_hash = $1 AND user_id = $2",
            token_hash(token),
            user_id,
        )
        .execute(pool)
        .await?;
        if refreshed.rows_affected() == 1 {
            return Ok(token.to_owned());
        }
    }
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let token = URL_SAFE_NO_PAD.encode(secret);
    sqlx::query!(
        "INSERT INTO known_devices (token_hash, user_id) VALUES ($1, $2)",
        token_hash(&token),
        user_id,
    )
    .execute(pool)
    .await?;
    sqlx::query!(
        "DELETE FROM known_devices WHERE last_used_at < now() - make_interval(days => $1)",
        LIFETIME_DAYS as i32,
    )
    .execute(pool)
    .await?;
    Ok(token)
}

/// Every browser of the account becomes unknown again ("sign out everywhere").
pub async fn forget_all(pool: &PgPool, user_id: i64) -> Result<(), AppError> {
    sqlx::query!("DELETE FROM known_devices WHERE user_id = $1", user_id)
        .execute(pool)
        .await?;
    Ok(())
}

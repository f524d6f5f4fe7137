//! `Idempotency-Key` for status posts: a client that retries a request (after
//! a timeout, say) with the same key gets the first response again instead of
//! a second event. The same key with a different body is a 422.
//!
//! The first request claims the key (a row with no response yet) before doing
//! the work, so two concurrent retries cannot both act: the second gets 409
//! until the first has stored its response.

use sha2::{Digest as _, Sha256};
use sqlx::PgPool;

use crate::error::AppError;
use crate::ssr::auth::current_user::CurrentUser;

/// What to do with a request that carries a key.
pub enum Claim {
    /// First use: do the work, then [`store`] the response.
    Fresh,
    /// Seen before with the same body: send this stored response.
    Replay { status: u16, body: serde_json::Value },
}

/// A fingerprint of what the request asks for (the route and its parsed body).
pub fn fingerprint(parts: &[&[u8]]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().to_vec()
}

/// Claims `key` for this user and request, or finds its earlier response.
pub async fn claim(
    pool: &PgPool,
    user: &CurrentUser,
    key: &str,
    request_hash: &[u8],
) -> Result<Claim, AppError> {
    if key.is_empty() || key.len() > 255 || !key.is_ascii() {
        return Err(AppError::validation(
            "Idempotency-Key",
            "use 1 to 255 ASCII characters (a UUID is ideal)",
        ));
    }
    let claimed = sqlx::query_scalar!(
        r#"INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING 1 AS "one!""#,
        user.id,
        key,
        request_hash,
    )
    .fetch_optional(pool)
    .await?;
    if claimed.is_some() {
        return Ok(Claim::Fresh);
    }
    let earlier = sqlx::query!(
        "SELECT request_hash, response_status, response_body::text AS response_body FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        user.id,
        key,
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::Conflict("this Idempotency-Key was just released; send the request again".to_owned()))?;
    if earlier.request_hash != request_hash {
        return Err(AppError::validation(
            "Idempotency-Key",
            "this key was already used for a different request; use a new key",
        ));
    }
    match (earlier.response_status, earlier.response_body) {
        (Some(status), Some(body)) => Ok(Claim::Replay {
            status: u16::try_from(status).unwrap_or(200),
            body: serde_json::from_str(&body)
                .map_err(|e| anyhow::anyhow!("stored idempotent response: {e}"))?,
        }),
        _ => Err(AppError::Conflict(
            "a request with this Idempotency-Key is still being processed; retry in a moment".to_owned(),
        )),
    }
}

/// Stores the response of a claimed key. Internal errors are not stored: the
/// key is released so the client can retry for real.
pub async fn store(
    pool: &PgPool,
    user: &CurrentUser,
    key: &str,
    status: u16,
    body: &serde_json::Value,
) -> Result<(), AppError> {
    if status >= 500 {
        sqlx::query!(
            "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2",
            user.id,
            key
        )
        .execute(pool)
        .await?;
        return Ok(());
    }
    sqlx::query!(
        "UPDATE idempotency_keys SET response_status = $3, response_body = $4::text::jsonb WHERE user_id = $1 AND key = $2",
        user.id,
        key,
        i16::try_from(status).unwrap_or(200),
        body.to_string(),
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Forgets keys older than a day (called by the hourly cleanup).
pub async fn forget_old(pool: &PgPool) -> Result<u64, AppError> {
    Ok(
        sqlx::query!("DELETE FROM idempotency_keys WHERE created_at < now() - interval '1 day'")
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

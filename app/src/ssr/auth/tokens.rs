//! API tokens for integrations (scanners, carrier feeds).
//!
//! A token is 32 random bytes, shown once as `swt_<base64url>`. Only its SHA-256
//! is stored: a leaked database does not leak working tokens, and a lookup is a
//! single indexed equality (no slow hash needed, the token has full entropy).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use sqlx::PgPool;

use crate::domain::{CurrentUser, Email, Role};
use crate::error::AppError;

const PREFIX: &str = "swt_";

pub use crate::domain::TokenInfo;

/// A new random token and the hash to store for it. Public for tools that
/// create tokens in bulk (the load harness); everyone else uses `create_token`.
pub fn mint() -> (String, Vec<u8>) {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let token = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
    let token_hash = hash(&token);
    (token, token_hash)
}

fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Issues a token for the account with this email, working for
/// `expires_in_days` (or until revoked); returns (id, token). The name and
/// lifetime are already checked (`domain::input`).
pub async fn create_token(
    pool: &PgPool,
    email: &Email,
    name: &str,
    expires_in_days: Option<u32>,
) -> Result<(i64, String), AppError> {
    let user_id = crate::ssr::db::users::find_user_id(pool, email)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("an account with the email {email}")))?;
    let (token, token_hash) = mint();
    let id = sqlx::query_scalar!(
        "INSERT INTO api_tokens (user_id, name, token_hash, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(days => $4)) RETURNING id",
        user_id,
        name,
        token_hash,
        expires_in_days.map(|days| days as i32),
    )
    .fetch_one(pool)
    .await?;
    Ok((id, token))
}

/// The user a bearer token belongs to and the token's id, if it is valid and
/// not revoked. `last_used_at` is refreshed at most once a minute: writing it on
/// every request would add a committed write (an fsync) to every API call. The
/// refresh skips a row that is locked: when concurrent requests find it due at
/// once, one writes it and the others go on, instead of queueing behind each
/// other's commits.
pub async fn authenticate(pool: &PgPool, token: &str) -> Result<Option<(CurrentUser, i64)>, AppError> {
    if !token.starts_with(PREFIX) {
        return Ok(None);
    }
    let row = sqlx::query!(
        r#"SELECT u.id, u.email, u.role AS "role: Role", t.id AS token_id,
                  t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' AS "stale!"
           FROM api_tokens t JOIN users u ON u.id = t.user_id
           WHERE t.token_hash = $1 AND t.revoked_at IS NULL
             AND (t.expires_at IS NULL OR t.expires_at > now())"#,
        hash(token),
    )
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    if row.stale {
        sqlx::query!(
            "UPDATE api_tokens SET last_used_at = now()
             WHERE id = (SELECT id FROM api_tokens WHERE id = $1 FOR UPDATE SKIP LOCKED)",
            row.token_id
        )
        .execute(pool)
        .await?;
    }
    let user = CurrentUser {
        id: row.id,
        email: row.email,
        role: row.role,
    };
    Ok(Some((user, row.token_id)))
}

/// Every token, or those of one account, newest first.
pub async fn list_tokens(pool: &PgPool, email: Option<&Email>) -> Result<Vec<TokenInfo>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT t.id, u.email, t.name, t.created_at AS "created_at: DateTime<Utc>",
                  t.last_used_at AS "last_used_at: DateTime<Utc>", t.revoked_at AS "revoked_at: DateTime<Utc>",
                  t.expires_at AS "expires_at: DateTime<Utc>"
           FROM api_tokens t JOIN users u ON u.id = t.user_id
           WHERE $1::text IS NULL OR lower(u.email) = lower($1)
           ORDER BY t.id DESC"#,
        email.map(Email::as_str),
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TokenInfo {
            id: r.id,
            email: r.email,
            name: r.name,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
            expires_at: r.expires_at,
        })
        .collect())
}

/// Revokes a token; requests using it get 401 from then on.
pub async fn revoke_token(pool: &PgPool, id: i64) -> Result<(), AppError> {
    let revoked = sqlx::query_scalar!(
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING id",
        id
    )
    .fetch_optional(pool)
    .await?;
    revoked
        .map(|_| ())
        .ok_or_else(|| AppError::NotFound(format!("token {id}")))
}

//! `Idempotency-Key`: a client that retries a request (after a timeout, say)
//! with the same key gets the first reply again instead of a second effect.
//! The same key with a different request is a 422.
//!
//! Offered to any door that passes a key, and used by an action only after the
//! viewer is authorized and the input parsed, so a refused or invalid request
//! never claims a key. The claim and the work share one transaction (see
//! [`once`]), so two concurrent retries cannot both act, and a request that
//! is abandoned half-way leaves no claim behind.

use serde::Serialize;
use sha2::{Digest as _, Sha256};
use sqlx::{PgConnection, PgPool};

use crate::domain::{FieldError, Viewer};
use crate::error::AppError;

/// A client's key: 1 to 255 ASCII characters (a UUID is ideal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        if raw.is_empty() || raw.len() > 255 || !raw.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
            return Err(FieldError::new(
                "Idempotency-Key",
                "use 1 to 255 ASCII characters (a UUID is ideal)",
            ));
        }
        Ok(Self(raw.to_owned()))
    }
}

/// A reply as stored and replayed: an HTTP status and its JSON body (the
/// result, or a problem document).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: serde_json::Value,
}

impl Reply {
    fn of<T: Serialize>(result: Result<T, AppError>, success_status: u16) -> Self {
        match result.and_then(|value| {
            serde_json::to_value(&value).map_err(|e| anyhow::anyhow!("serialising a reply: {e}").into())
        }) {
            Ok(body) => Self {
                status: success_status,
                body,
            },
            Err(error) => Self {
                status: error.status_code().as_u16(),
                body: error.problem_body(),
            },
        }
    }
}

/// A fingerprint of what a request asks for: the action and its parsed input.
pub fn fingerprint(action: &impl Serialize, input: &impl Serialize) -> Result<Vec<u8>, AppError> {
    let encoded =
        serde_json::to_vec(&(action, input)).map_err(|e| anyhow::anyhow!("fingerprinting a request: {e}"))?;
    Ok(Sha256::digest(&encoded).to_vec())
}

/// Runs `work` once per key: a repeat with the same fingerprint gets the
/// stored reply. The system (command line) keeps no keys and just runs it.
///
/// The key is claimed in the transaction that does the work and commits with
/// it, reply included. So a concurrent retry waits for the first request's
/// transaction (on the key's unique index) and then finds its reply, and a
/// request abandoned mid-work (its client hung up, or the server died) rolls
/// back with its claim: the retry simply does the work. A refusal (4xx) rolls
/// the work back and is then stored on its own, so retrying it gets the same
/// refusal; an internal error stores nothing.
pub async fn once<T, F>(
    pool: &PgPool,
    viewer: &Viewer,
    key: &IdempotencyKey,
    fingerprint: &[u8],
    success_status: u16,
    work: F,
) -> Result<Reply, AppError>
where
    T: Serialize,
    F: AsyncFnOnce(&mut PgConnection) -> Result<T, AppError>,
{
    let mut tx = pool.begin().await?;
    let Some(user) = viewer.person() else {
        let value = work(&mut tx).await?;
        tx.commit().await?;
        return Ok(Reply::of(Ok(value), success_status));
    };
    if let Some(earlier) = claim(&mut tx, user.id, &key.0, fingerprint).await? {
        return Ok(earlier);
    }
    match work(&mut tx).await {
        Ok(value) => {
            let reply = Reply::of(Ok(value), success_status);
            store(&mut tx, user.id, &key.0, &reply).await?;
            tx.commit().await?;
            Ok(reply)
        }
        Err(error) if error.status_code().is_server_error() => Err(error),
        Err(refusal) => {
            tx.rollback().await?;
            let reply = Reply::of::<T>(Err(refusal), success_status);
            let mut tx = pool.begin().await?;
            if claim(&mut tx, user.id, &key.0, fingerprint).await?.is_none() {
                store(&mut tx, user.id, &key.0, &reply).await?;
                tx.commit().await?;
            }
            Ok(reply)
        }
    }
}

/// Claims `key` for this user and request in `tx` (`None`), or finds the reply
/// of the request that claimed it first. Waits while another transaction
/// holds an uncommitted claim of the same key.
async fn claim(
    tx: &mut PgConnection,
    user_id: i64,
    key: &str,
    request_hash: &[u8],
) -> Result<Option<Reply>, AppError> {
    let claimed = sqlx::query_scalar!(
        r#"INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING 1 AS "one!""#,
        user_id,
        key,
        request_hash,
    )
    .fetch_optional(&mut *tx)
    .await?;
    if claimed.is_some() {
        return Ok(None);
    }
    let earlier = sqlx::query!(
        "SELECT request_hash, response_status, response_body::text AS response_body FROM idempotency_keys WHERE user_id = $1 AND key = $2",
        user_id,
        key,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::Conflict("this Idempotency-Key was just forgotten; send the request again".to_owned()))?;
    if earlier.request_hash != request_hash {
        return Err(AppError::validation(
            "Idempotency-Key",
            "this key was already used for a different request; use a new key",
        ));
    }
    match (earlier.response_status, earlier.response_body) {
        (Some(status), Some(body)) => Ok(Some(Reply {
            status: u16::try_from(status).unwrap_or(200),
            body: serde_json::from_str(&body)
                .map_err(|e| anyhow::anyhow!("stored idempotent response: {e}"))?,
        })),
        // Claims commit with their reply, so only a row written by an older
        // version of Shipwatch can lack one.
        _ => Err(AppError::Conflict(
            "a request with this Idempotency-Key is still being processed; retry in a moment".to_owned(),
        )),
    }
}

/// Stores the reply of the key claimed in `tx`.
async fn store(tx: &mut PgConnection, user_id: i64, key: &str, reply: &Reply) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE idempotency_keys SET response_status = $3, response_body = $4::text::jsonb WHERE user_id = $1 AND key = $2",
        user_id,
        key,
        i16::try_from(reply.status).unwrap_or(200),
        reply.body.to_string(),
    )
    .execute(&mut *tx)
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

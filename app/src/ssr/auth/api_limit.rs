//! Per-client API rate limits: how many requests each client may send to the
//! API per window, counted in PostgreSQL so every instance behind the proxy
//! shares one count.
//!
//! A client is an API token, a browser session, or (with neither) an
//! address; each gets a quota per window (a minute by default), the window
//! starting at its first request. One atomic upsert per request counts it and answers what is left
//! (an unlogged table: no disk wait). Not the sign-in throttles
//! (`auth::throttle`): those reserve single attempts at a password; this
//! counts every request, so it keeps one row per client instead of one per
//! attempt.
//!
//! The answer becomes the `RateLimit-Policy` and `RateLimit` header fields of
//! draft-ietf-httpapi-ratelimit-headers on every API response, and a refusal
//! is `429` with `Retry-After`.

use std::time::Duration;

use sha2::{Digest as _, Sha256};
use sqlx::PgPool;

use crate::error::AppError;

use super::client::ClientAddr;

/// The quotas (`server serve` settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiLimits {
    /// Requests per window for a token or a signed-in session.
    pub per_client: u32,
    /// Requests per window for an address that shows neither.
    pub anonymous: u32,
    pub window: Duration,
}

impl Default for ApiLimits {
    fn default() -> Self {
        Self {
            per_client: 600,
            anonymous: 120,
            window: Duration::from_secs(60),
        }
    }
}

/// Who a request is counted against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiClient {
    /// By its bearer token, as sent (a made-up token is counted too, and
    /// refused by authentication after).
    Token(String),
    /// By its session cookie's value.
    Session(String),
    Address(ClientAddr),
}

impl ApiClient {
    /// The key it is counted under: credentials only as a hash, so the table
    /// never holds one.
    fn key(&self) -> String {
        let hashed = |kind: &str, secret: &str| {
            let digest = Sha256::digest(secret.as_bytes());
            format!("{kind}:{}", hex(&digest[..16]))
        };
        match self {
            Self::Token(token) => hashed("token", token),
            Self::Session(id) => hashed("session", id),
            Self::Address(client) => format!("addr:{}", client.throttle_key()),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a request left of its client's quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub quota: u32,
    pub window_secs: u64,
    pub remaining: u32,
    /// Seconds until the window ends and the quota is whole again.
    pub reset_secs: u64,
    /// This request was over the quota: refuse it.
    pub exceeded: bool,
}

impl Standing {
    /// `RateLimit-Policy`: the quota and window.
    pub fn policy_header(&self) -> String {
        format!("\"default\";q={};w={}", self.quota, self.window_secs)
    }

    /// `RateLimit`: what is left and when it resets.
    pub fn limit_header(&self) -> String {
        format!("\"default\";r={};t={}", self.remaining, self.reset_secs)
    }

    pub fn refusal(&self) -> AppError {
        AppError::TooManyRequests {
            retry_after_secs: self.reset_secs.max(1),
        }
    }
}

/// Counts one request of `client` and says where it stands.
pub async fn count(pool: &PgPool, limits: ApiLimits, client: &ApiClient) -> Result<Standing, AppError> {
    let quota = match client {
        ApiClient::Address(_) => limits.anonymous,
        ApiClient::Token(_) | ApiClient::Session(_) => limits.per_client,
    };
    let window_secs = limits.window.as_secs().max(1);
    let row = sqlx::query!(
        r#"INSERT INTO api_rate_counts AS c (client_key, window_start, requests)
           VALUES ($1, now(), 1)
           ON CONFLICT (client_key) DO UPDATE SET
               requests = CASE WHEN c.window_start > now() - make_interval(secs => $2)
                               THEN c.requests + 1 ELSE 1 END,
               window_start = CASE WHEN c.window_start > now() - make_interval(secs => $2)
                                   THEN c.window_start ELSE now() END
           RETURNING requests,
                     ceil(extract(epoch FROM window_start - now()) + $2)::bigint AS "reset_secs!""#,
        client.key(),
        window_secs as f64,
    )
    .fetch_one(pool)
    .await?;
    let used = u32::try_from(row.requests).unwrap_or(u32::MAX);
    Ok(Standing {
        quota,
        window_secs,
        remaining: quota.saturating_sub(used),
        reset_secs: u64::try_from(row.reset_secs).unwrap_or(0).min(window_secs),
        exceeded: used > quota,
    })
}

/// Forgets windows long over (the hourly sweep).
pub async fn forget_old(pool: &PgPool) -> Result<(), AppError> {
    sqlx::query!("DELETE FROM api_rate_counts WHERE window_start < now() - interval '1 hour'")
        .execute(pool)
        .await?;
    Ok(())
}

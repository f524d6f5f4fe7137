//! Login throttling, counted in PostgreSQL so every server instance sees the
//! same numbers: a tight limit per email (stops guessing one password) and a
//! looser one per client address (stops spraying across many emails; offices
//! share one address, hence looser).

use std::net::IpAddr;
use std::time::Duration;

use sqlx::PgPool;

use crate::error::AppError;

#[derive(Debug, Clone)]
pub struct LoginLimits {
    /// Failed attempts allowed per email within `window`.
    pub per_email: i64,
    /// Failed attempts allowed per client address within `window`.
    pub per_client: i64,
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_email: 10,
            per_client: 100,
            window: Duration::from_secs(15 * 60),
        }
    }
}

fn window_secs(limits: &LoginLimits) -> f64 {
    limits.window.as_secs_f64()
}

/// Refuses with 429 (and when to retry) if either limit is used up.
pub async fn check(
    pool: &PgPool,
    limits: &LoginLimits,
    email: &str,
    client: Option<IpAddr>,
) -> Result<(), AppError> {
    let client = client.map(|ip| ip.to_string());
    let row = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE email = $1) AS "by_email!",
                  count(*) FILTER (WHERE client_ip = $2) AS "by_client!",
                  EXTRACT(EPOCH FROM min(failed_at) FILTER (WHERE email = $1)
                          + make_interval(secs => $3) - now())::float8 AS email_retry,
                  EXTRACT(EPOCH FROM min(failed_at) FILTER (WHERE client_ip = $2)
                          + make_interval(secs => $3) - now())::float8 AS client_retry
           FROM login_failures
           WHERE failed_at > now() - make_interval(secs => $3) AND (email = $1 OR client_ip = $2)"#,
        email,
        client,
        window_secs(limits),
    )
    .fetch_one(pool)
    .await?;
    let retry = |secs: Option<f64>| secs.unwrap_or(1.0).ceil().max(1.0) as u64;
    if row.by_email >= limits.per_email {
        return Err(AppError::TooManyRequests {
            retry_after_secs: retry(row.email_retry),
        });
    }
    if row.by_client >= limits.per_client {
        return Err(AppError::TooManyRequests {
            retry_after_secs: retry(row.client_retry),
        });
    }
    Ok(())
}

/// Counts a failed attempt (never the password) and prunes expired rows.
pub async fn record_failure(
    pool: &PgPool,
    limits: &LoginLimits,
    email: &str,
    client: Option<IpAddr>,
) -> Result<(), AppError> {
    tracing::warn!(email, client = ?client, "sign-in failed");
    metrics::counter!("shipwatch_login_failures_total").increment(1);
    sqlx::query!(
        "INSERT INTO login_failures (email, client_ip) VALUES ($1, $2)",
        email,
        client.map(|ip| ip.to_string()),
    )
    .execute(pool)
    .await?;
    sqlx::query!(
        "DELETE FROM login_failures WHERE failed_at < now() - make_interval(secs => $1)",
        window_secs(limits),
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// A successful sign-in resets the count for that email.
pub async fn reset(pool: &PgPool, email: &str) -> Result<(), AppError> {
    sqlx::query!("DELETE FROM login_failures WHERE email = $1", email)
        .execute(pool)
        .await?;
    Ok(())
}

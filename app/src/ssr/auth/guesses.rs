//! Throttling guesses at a shipment's postcode: watching someone else's
//! shipment takes its tracking number *and* destination postcode, and
//! without a limit the postcode could be found by trying them all.
//!
//! Atomic without a lock: an attempt is recorded *before* it is checked and
//! then counts itself, so of any number of parallel attempts at most
//! [`WATCH_ATTEMPTS`] go ahead (see [`watch_attempt`]). An
//! attempt that succeeds is forgotten again, so only refusals use up the
//! allowance.

use std::time::Duration;

use sqlx::PgPool;

use crate::error::AppError;

/// Watch attempts one user may have refused within [`WINDOW`].
pub const WATCH_ATTEMPTS: i64 = 20;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// A recorded attempt: [`succeeded`] forgets it.
#[derive(Debug)]
pub struct Attempt(i64);

/// Records a watch attempt by `user_id`, or refuses it (429, and when to
/// retry) when the allowance is used up.
pub async fn watch_attempt(pool: &PgPool, user_id: i64) -> Result<Attempt, AppError> {
    let window = WINDOW.as_secs_f64();
    // Two statements on purpose: the count runs after the insert committed,
    // so it also sees every parallel attempt that counted before it (each
    // committed its insert first): the k-th to count sees at least k rows.
    let id = sqlx::query_scalar!(
        "INSERT INTO watch_attempts (user_id) VALUES ($1) RETURNING id",
        user_id
    )
    .fetch_one(pool)
    .await?;
    let row = sqlx::query!(
        r#"SELECT count(*) AS "attempts!",
                  EXTRACT(EPOCH FROM min(attempted_at) + make_interval(secs => $2) - now())::float8 AS retry
           FROM watch_attempts
           WHERE user_id = $1 AND attempted_at > now() - make_interval(secs => $2)"#,
        user_id,
        window,
    )
    .fetch_one(pool)
    .await?;
    if row.attempts > WATCH_ATTEMPTS {
        return Err(AppError::TooManyRequests {
            retry_after_secs: row.retry.unwrap_or(60.0).ceil().max(1.0) as u64,
        });
    }
    sqlx::query!(
        "DELETE FROM watch_attempts WHERE user_id = $1 AND attempted_at < now() - make_interval(secs => $2)",
        user_id,
        window,
    )
    .execute(pool)
    .await?;
    Ok(Attempt(id))
}

/// The attempt worked: it does not count against the allowance.
pub async fn succeeded(pool: &PgPool, attempt: Attempt) -> Result<(), AppError> {
    sqlx::query!("DELETE FROM watch_attempts WHERE id = $1", attempt.0)
        .execute(pool)
        .await?;
    Ok(())
}

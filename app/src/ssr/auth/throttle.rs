//! Every throttle in one mechanism, counted in PostgreSQL so every server
//! instance sees the same numbers.
//!
//! An attempt is *reserved* before the work it guards (checking a password,
//! hashing a new one, trying a postcode): one row in each bucket it counts
//! against, added under a lock on those buckets after counting them, so of
//! any number of parallel attempts exactly `limit` go ahead. A refused
//! attempt adds nothing (hammering does not push the window forward); an
//! attempt that should not use up the allowance (a correct password, a right
//! postcode) is [`Reservation::release`]d.
//!
//! The buckets and their limits — which attempts count against what — are
//! here too, so the rule lives in one place:
//! * sign-in: per email and per client, or, from a browser that has signed in
//!   to that account before, per device only (`auth::devices`);
//! * registration: per client and per email, successful ones included;
//! * watching by postcode: per user and per client, refusals only;
//! * problem reports: per user, every one.

use std::time::Duration;

use sqlx::PgPool;

use crate::error::AppError;
use crate::ssr::auth::client::ClientAddr;

#[derive(Debug, Clone)]
pub struct LoginLimits {
    /// Failed sign-ins allowed per email (or per known device) within `window`.
    pub per_email: i64,
    /// Failed sign-ins allowed per client address within `window`.
    pub per_client: i64,
    pub window: Duration,
    /// Registrations allowed per client address within `registration_window`.
    pub registrations_per_client: i64,
    pub registration_window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_email: 10,
            per_client: 100,
            window: Duration::from_secs(15 * 60),
            registrations_per_client: 10,
            registration_window: Duration::from_secs(60 * 60),
        }
    }
}

/// Registration attempts per email address within the registration window.
const REGISTRATIONS_PER_EMAIL: i64 = 5;
/// Refused watch attempts one user may make within [`WATCH_WINDOW`].
pub const WATCH_ATTEMPTS_PER_USER: i64 = 20;
/// Refused watch attempts from one client (any number of accounts).
pub const WATCH_ATTEMPTS_PER_CLIENT: i64 = 60;
pub const WATCH_WINDOW: Duration = Duration::from_secs(15 * 60);

/// One thing attempts are counted against, and how many it allows.
#[derive(Debug, Clone)]
struct Bucket {
    key: String,
    limit: i64,
}

fn client_bucket(kind: &str, client: Option<ClientAddr>, limit: i64) -> Option<Bucket> {
    client.map(|client| Bucket {
        key: format!("{kind}:client:{}", client.throttle_key()),
        limit,
    })
}

/// A sign-in attempt from a browser not known to the account: counted per
/// email (as typed, normalised) and per client.
pub async fn sign_in_attempt(
    pool: &PgPool,
    limits: &LoginLimits,
    email: &str,
    client: Option<ClientAddr>,
) -> Result<Reservation, AppError> {
    let mut buckets = vec![Bucket {
        key: sign_in_email_bucket(email),
        limit: limits.per_email,
    }];
    buckets.extend(client_bucket("sign-in", client, limits.per_client));
    reserve(pool, &buckets, limits.window).await
}

/// A sign-in attempt from a browser that has signed in to this account
/// before: counted for that browser alone, so nobody else's failures on the
/// account or from the same network can lock it out.
pub async fn known_device_attempt(
    pool: &PgPool,
    limits: &LoginLimits,
    device_id: &str,
) -> Result<Reservation, AppError> {
    let bucket = Bucket {
        key: format!("sign-in:device:{device_id}"),
        limit: limits.per_email,
    };
    reserve(pool, &[bucket], limits.window).await
}

/// The account was signed in to: earlier failures on its email stop counting.
pub async fn forget_sign_in_failures(pool: &PgPool, email: &str) -> Result<(), AppError> {
    sqlx::query!(
        "DELETE FROM attempts WHERE bucket = $1",
        sign_in_email_bucket(email)
    )
    .execute(pool)
    .await?;
    Ok(())
}

fn sign_in_email_bucket(email: &str) -> String {
    format!("sign-in:email:{}", email.trim().to_lowercase())
}

/// A registration: counted per client and per email, whether it succeeds or
/// not (every account made is one more to abuse).
pub async fn registration_attempt(
    pool: &PgPool,
    limits: &LoginLimits,
    email: &str,
    client: Option<ClientAddr>,
) -> Result<Reservation, AppError> {
    let mut buckets = vec![Bucket {
        key: format!("register:email:{}", email.trim().to_lowercase()),
        limit: REGISTRATIONS_PER_EMAIL,
    }];
    buckets.extend(client_bucket("register", client, limits.registrations_per_client));
    reserve(pool, &buckets, limits.registration_window).await
}

/// An attempt to watch a shipment by tracking number and postcode.
pub async fn watch_attempt(
    pool: &PgPool,
    user_id: i64,
    client: Option<ClientAddr>,
) -> Result<Reservation, AppError> {
    let mut buckets = vec![Bucket {
        key: format!("watch:user:{user_id}"),
        limit: WATCH_ATTEMPTS_PER_USER,
    }];
    buckets.extend(client_bucket("watch", client, WATCH_ATTEMPTS_PER_CLIENT));
    reserve(pool, &buckets, WATCH_WINDOW).await
}

/// Public tracking lookups (number + postcode, no account) one client may
/// make per window: the same allowance as watching.
pub async fn track_attempt(pool: &PgPool, client: Option<ClientAddr>) -> Result<Reservation, AppError> {
    // A client whose address is unknown shares one allowance with the others.
    let bucket = client_bucket("track", client, WATCH_ATTEMPTS_PER_CLIENT).unwrap_or_else(|| Bucket {
        key: "track:client:unknown".to_owned(),
        limit: WATCH_ATTEMPTS_PER_CLIENT,
    });
    reserve(pool, &[bucket], WATCH_WINDOW).await
}

/// Problem reports one user may file per hour (each notifies the depot).
pub const PROBLEM_REPORTS_PER_HOUR: i64 = 20;

/// A problem report by `user_id`: counted whether or not it is filed.
pub async fn problem_report(pool: &PgPool, user_id: i64) -> Result<Reservation, AppError> {
    let bucket = Bucket {
        key: format!("problem:user:{user_id}"),
        limit: PROBLEM_REPORTS_PER_HOUR,
    };
    reserve(pool, &[bucket], Duration::from_secs(3600)).await
}

/// Reserved attempts; dropping it keeps them counted.
#[derive(Debug)]
#[must_use = "an attempt that should not count must be released"]
pub struct Reservation(Vec<i64>);

impl Reservation {
    /// The attempt succeeded and should not use up the allowance.
    pub async fn release(self, pool: &PgPool) -> Result<(), AppError> {
        sqlx::query!("DELETE FROM attempts WHERE id = ANY($1)", &self.0)
            .execute(pool)
            .await?;
        Ok(())
    }
}

/// Counts one attempt in every bucket, or refuses it (429, and when the
/// oldest counted attempt leaves the window) if any bucket is used up.
///
/// Exact under concurrency: the buckets are locked (transaction advisory
/// locks, always taken in the same order, so two attempts cannot deadlock)
/// while they are counted and the attempt is added, so of any number of
/// parallel attempts exactly as many as the limit allows go ahead.
async fn reserve(pool: &PgPool, buckets: &[Bucket], window: Duration) -> Result<Reservation, AppError> {
    let mut keys: Vec<String> = buckets.iter().map(|b| b.key.clone()).collect();
    keys.sort();
    keys.dedup();
    let window = window.as_secs_f64();
    let mut tx = pool.begin().await?;
    for key in &keys {
        sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key)
            .execute(&mut *tx)
            .await?;
    }
    let counts = sqlx::query!(
        r#"SELECT bucket AS "bucket!", count(*) AS "attempts!",
                  EXTRACT(EPOCH FROM min(attempted_at) + make_interval(secs => $2) - now())::float8 AS retry
           FROM attempts
           WHERE bucket = ANY($1) AND attempted_at > now() - make_interval(secs => $2)
           GROUP BY bucket"#,
        &keys,
        window,
    )
    .fetch_all(&mut *tx)
    .await?;
    let retry_after = counts
        .iter()
        .filter(|row| {
            buckets
                .iter()
                .any(|b| b.key == row.bucket && row.attempts >= b.limit)
        })
        .map(|row| row.retry.unwrap_or(60.0).ceil().max(1.0) as u64)
        .max();
    if let Some(retry_after_secs) = retry_after {
        metrics::counter!("shipwatch_throttled_total").increment(1);
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    sqlx::query!(
        "DELETE FROM attempts WHERE bucket = ANY($1) AND attempted_at < now() - make_interval(secs => $2)",
        &keys,
        window,
    )
    .execute(&mut *tx)
    .await?;
    let ids = sqlx::query_scalar!(
        "INSERT INTO attempts (bucket) SELECT unnest($1::text[]) RETURNING id",
        &keys
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Reservation(ids))
}

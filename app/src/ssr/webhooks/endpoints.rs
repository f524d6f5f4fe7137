//! Webhook endpoints in the database: registering, changing, rotating,
//! replaying, and the delivery log as its owner reads it. Every query is
//! scoped to the owner: another person's endpoint does not exist here.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::domain::input::WebhookEndpointDraft;
use crate::domain::{WebhookAttempt, WebhookEndpoint, WebhookTopic};
use crate::error::AppError;

use super::signature;

/// How long an old secret keeps signing after a rotation.
pub const ROTATION_OVERLAP_HOURS: i64 = 24;
/// How many attempts an endpoint's log shows, newest first.
pub const LOG_PAGE: i64 = 50;
/// How many endpoints one person may register.
pub const MAX_PER_OWNER: i64 = 20;

struct EndpointRow {
    id: i64,
    url: String,
    topics: Vec<String>,
    enabled: bool,
    disabled_reason: Option<String>,
    cursor: i64,
    attempts: i32,
    failing_since: Option<DateTime<Utc>>,
    next_attempt_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
}

impl From<EndpointRow> for WebhookEndpoint {
    fn from(row: EndpointRow) -> Self {
        Self {
            id: row.id,
            url: row.url,
            topics: row.topics.iter().filter_map(|t| WebhookTopic::parse(t)).collect(),
            enabled: row.enabled,
            disabled_reason: row.disabled_reason,
            cursor: row.cursor,
            attempts: row.attempts,
            failing_since: row.failing_since,
            next_attempt_at: row.next_attempt_at,
            created_at: row.created_at,
        }
    }
}

fn topic_names(topics: &[WebhookTopic]) -> Vec<String> {
    topics.iter().map(|t| t.as_str().to_owned()).collect()
}

fn not_found(id: i64) -> AppError {
    AppError::NotFound(format!("webhook endpoint {id}"))
}

/// The endpoint as a change left it; not found when the change touched no
/// row (no such endpoint of this owner).
async fn changed(
    pool: &PgPool,
    owner_id: i64,
    id: i64,
    done: &sqlx::postgres::PgQueryResult,
) -> Result<WebhookEndpoint, AppError> {
    if done.rows_affected() == 0 {
        return Err(not_found(id));
    }
    get(pool, owner_id, id).await
}

/// Registers an endpoint for `owner_id`; it receives what is committed from
/// now on. Returns it with its secret (shown once).
pub async fn create(
    pool: &PgPool,
    owner_id: i64,
    draft: &WebhookEndpointDraft,
) -> Result<(WebhookEndpoint, String), AppError> {
    let secret = signature::new_secret();
    let mut tx = pool.begin().await?;
    // One at a time per owner, so the cap holds under concurrent requests.
    sqlx::query!("SELECT id FROM users WHERE id = $1 FOR UPDATE", owner_id)
        .fetch_optional(&mut *tx)
        .await?;
    let registered = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM webhook_endpoints WHERE owner_id = $1"#,
        owner_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if registered >= MAX_PER_OWNER {
        return Err(AppError::Conflict(format!(
            "you already have {MAX_PER_OWNER} webhook endpoints: delete one first"
        )));
    }
    let row = sqlx::query_as!(
        EndpointRow,
        r#"INSERT INTO webhook_endpoints (owner_id, url, topics, secret, cursor)
           VALUES ($1, $2, $3, $4, (SELECT position FROM event_stream_head))
           RETURNING id, url, topics, enabled, disabled_reason, cursor, attempts,
                     failing_since AS "failing_since: DateTime<Utc>",
                     next_attempt_at AS "next_attempt_at: DateTime<Utc>",
                     created_at AS "created_at: DateTime<Utc>""#,
        owner_id,
        draft.url,
        &topic_names(&draft.topics),
        secret,
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((row.into(), secret))
}

pub async fn list(pool: &PgPool, owner_id: i64) -> Result<Vec<WebhookEndpoint>, AppError> {
    let rows = sqlx::query_as!(
        EndpointRow,
        r#"SELECT id, url, topics, enabled, disabled_reason, cursor, attempts,
                  failing_since AS "failing_since: DateTime<Utc>",
                  next_attempt_at AS "next_attempt_at: DateTime<Utc>",
                  created_at AS "created_at: DateTime<Utc>"
           FROM webhook_endpoints WHERE owner_id = $1 ORDER BY id"#,
        owner_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn get(pool: &PgPool, owner_id: i64, id: i64) -> Result<WebhookEndpoint, AppError> {
    sqlx::query_as!(
        EndpointRow,
        r#"SELECT id, url, topics, enabled, disabled_reason, cursor, attempts,
                  failing_since AS "failing_since: DateTime<Utc>",
                  next_attempt_at AS "next_attempt_at: DateTime<Utc>",
                  created_at AS "created_at: DateTime<Utc>"
           FROM webhook_endpoints WHERE owner_id = $1 AND id = $2"#,
        owner_id,
        id
    )
    .fetch_optional(pool)
    .await?
    .map(Into::into)
    .ok_or_else(|| not_found(id))
}

/// Changes an endpoint's URL and topics.
pub async fn update(
    pool: &PgPool,
    owner_id: i64,
    id: i64,
    draft: &WebhookEndpointDraft,
) -> Result<WebhookEndpoint, AppError> {
    let done = sqlx::query!(
        "UPDATE webhook_endpoints SET url = $3, topics = $4 WHERE owner_id = $1 AND id = $2",
        owner_id,
        id,
        draft.url,
        &topic_names(&draft.topics),
    )
    .execute(pool)
    .await?;
    changed(pool, owner_id, id, &done).await
}

/// Switches an endpoint on (it resumes where it stopped: nothing committed
/// meanwhile is skipped, and its failures are forgotten) or off.
pub async fn set_enabled(
    pool: &PgPool,
    owner_id: i64,
    id: i64,
    enabled: bool,
) -> Result<WebhookEndpoint, AppError> {
    let done = sqlx::query!(
        r#"UPDATE webhook_endpoints
           SET enabled = $3, disabled_reason = NULL,
               attempts = CASE WHEN $3 THEN 0 ELSE attempts END,
               failing_since = CASE WHEN $3 THEN NULL ELSE failing_since END,
               next_attempt_at = CASE WHEN $3 THEN now() ELSE next_attempt_at END
           WHERE owner_id = $1 AND id = $2"#,
        owner_id,
        id,
        enabled,
    )
    .execute(pool)
    .await?;
    changed(pool, owner_id, id, &done).await
}

pub async fn delete(pool: &PgPool, owner_id: i64, id: i64) -> Result<(), AppError> {
    let done = sqlx::query!(
        "DELETE FROM webhook_endpoints WHERE owner_id = $1 AND id = $2",
        owner_id,
        id
    )
    .execute(pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(not_found(id));
    }
    Ok(())
}

/// A new secret; the old one keeps signing beside it for
/// [`ROTATION_OVERLAP_HOURS`], so receivers can switch without losing a
/// delivery.
pub async fn rotate_secret(
    pool: &PgPool,
    owner_id: i64,
    id: i64,
) -> Result<(String, DateTime<Utc>), AppError> {
    let secret = signature::new_secret();
    let until = sqlx::query_scalar!(
        r#"UPDATE webhook_endpoints
           SET previous_secret = secret, secret = $3,
               previous_secret_until = now() + make_interval(hours => $4)
           WHERE owner_id = $1 AND id = $2
           RETURNING previous_secret_until AS "until!: DateTime<Utc>""#,
        owner_id,
        id,
        secret,
        i32::try_from(ROTATION_OVERLAP_HOURS).unwrap_or(24),
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| not_found(id))?;
    Ok((secret, until))
}

/// Delivers again everything after stream position `after` (at most the
/// head): the cursor moves there, and deliveries go out in order from it,
/// with the same `webhook-id`s as the first time.
pub async fn replay_after(
    pool: &PgPool,
    owner_id: i64,
    id: i64,
    after: i64,
) -> Result<WebhookEndpoint, AppError> {
    let done = sqlx::query!(
        r#"UPDATE webhook_endpoints
           SET cursor = LEAST($3, (SELECT position FROM event_stream_head)),
               attempts = 0, failing_since = NULL, next_attempt_at = now()
           WHERE owner_id = $1 AND id = $2"#,
        owner_id,
        id,
        after.max(0),
    )
    .execute(pool)
    .await?;
    changed(pool, owner_id, id, &done).await
}

/// The last stream position committed before `since`: replaying after it
/// delivers what was committed from then on.
pub async fn position_before(pool: &PgPool, since: DateTime<Utc>) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT COALESCE(max(stream_position), 0) AS "position!" FROM shipment_events
           WHERE stream_position IS NOT NULL AND recorded_at < $1"#,
        since as _
    )
    .fetch_one(pool)
    .await?)
}

/// The endpoint's newest attempts.
pub async fn attempts(pool: &PgPool, owner_id: i64, id: i64) -> Result<Vec<WebhookAttempt>, AppError> {
    get(pool, owner_id, id).await?;
    Ok(sqlx::query_as!(
        WebhookAttempt,
        r#"SELECT webhook_id, position, event_type, attempt,
                  attempted_at AS "attempted_at: DateTime<Utc>",
                  http_status, error, latency_ms, response_head
           FROM webhook_attempts WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2"#,
        id,
        LOG_PAGE
    )
    .fetch_all(pool)
    .await?)
}

/// How long delivery attempts are kept.
pub const ATTEMPTS_KEPT_DAYS: i32 = 30;

/// Forgets delivery attempts older than [`ATTEMPTS_KEPT_DAYS`] (the hourly sweep).
pub async fn forget_old_attempts(pool: &PgPool) -> Result<(), AppError> {
    sqlx::query!(
        "DELETE FROM webhook_attempts WHERE attempted_at < now() - make_interval(days => $1)",
        ATTEMPTS_KEPT_DAYS
    )
    .execute(pool)
    .await?;
    Ok(())
}

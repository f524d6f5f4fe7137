//! Reported problems: anyone who can see a shipment may report one; staff
//! resolve them. Both appear on the shipment's timeline (and so on every open
//! page, through the live stream) because each is also an event in the log.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::domain::Problem;
use crate::error::AppError;
use crate::ssr::auth::current_user::CurrentUser;
use crate::ssr::auth::policy;
use crate::ssr::shipments::{parse_visible_number, required_text};

const MAX_TEXT: usize = 2000;

/// Reports a problem on a shipment the user can see.
pub async fn report(
    pool: &PgPool,
    user: &CurrentUser,
    tracking_number: &str,
    description: &str,
) -> Result<Problem, AppError> {
    let tracking_number = parse_visible_number(tracking_number)?;
    let shipment_id = policy::visible_shipment_id(pool, user, &tracking_number).await?;
    let description = required_text("description", description, MAX_TEXT)?;
    let mut tx = pool.begin().await?;
    let row = sqlx::query!(
        r#"INSERT INTO shipment_problems (shipment_id, reported_by, description)
           VALUES ($1, $2, $3)
           RETURNING id, reported_at AS "reported_at: DateTime<Utc>""#,
        shipment_id,
        user.id,
        description,
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO shipment_events (shipment_id, kind, note, actor_id) VALUES ($1, 'problem_reported', $2, $3)",
        shipment_id,
        description,
        user.id,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Problem {
        id: row.id,
        tracking_number: tracking_number.to_string(),
        description,
        reported_by: user.email.clone(),
        reported_at: row.reported_at,
        resolved_at: None,
        resolution: None,
    })
}

/// Resolves an open problem (staff), with a note saying what was done.
pub async fn resolve(
    pool: &PgPool,
    user: &CurrentUser,
    problem_id: i64,
    resolution: &str,
) -> Result<(), AppError> {
    policy::require_staff(user)?;
    let resolution = required_text("resolution", resolution, MAX_TEXT)?;
    let mut tx = pool.begin().await?;
    let shipment_id = sqlx::query_scalar!(
        r#"UPDATE shipment_problems SET resolved_at = now(), resolved_by = $2, resolution = $3
           WHERE id = $1 AND resolved_at IS NULL
           RETURNING shipment_id"#,
        problem_id,
        user.id,
        resolution,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::NotFound(format!("open problem {problem_id}")))?;
    sqlx::query!(
        "INSERT INTO shipment_events (shipment_id, kind, note, actor_id) VALUES ($1, 'problem_resolved', $2, $3)",
        shipment_id,
        resolution,
        user.id,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Every open problem, oldest first (staff: the console's queue).
pub async fn open_problems(pool: &PgPool, user: &CurrentUser) -> Result<Vec<Problem>, AppError> {
    policy::require_staff(user)?;
    open_problems_of(pool, None).await
}

/// Open problems of one shipment, or of all when `shipment_id` is `None`. The
/// caller has checked that the user may see them.
pub(crate) async fn open_problems_of(
    pool: &PgPool,
    shipment_id: Option<i64>,
) -> Result<Vec<Problem>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT p.id, s.tracking_number, p.description, u.email AS reported_by,
                  p.reported_at AS "reported_at: DateTime<Utc>"
           FROM shipment_problems p
           JOIN shipments s ON s.id = p.shipment_id
           JOIN users u ON u.id = p.reported_by
           WHERE p.resolved_at IS NULL AND ($1::bigint IS NULL OR p.shipment_id = $1)
           ORDER BY p.reported_at, p.id
           LIMIT 500"#,
        shipment_id,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Problem {
            id: r.id,
            tracking_number: r.tracking_number,
            description: r.description,
            reported_by: r.reported_by,
            reported_at: r.reported_at,
            resolved_at: None,
            resolution: None,
        })
        .collect())
}

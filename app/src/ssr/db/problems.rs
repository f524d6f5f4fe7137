//! Reported problems and their resolutions. Each is also an event on the
//! shipment's timeline, appended in the same transaction.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::domain::{EventKind, Problem, Role};
use crate::error::AppError;

use super::events::{self, NewEvent};

/// Records a problem on a shipment; returns its id and time.
pub async fn report(
    pool: &PgPool,
    shipment_id: i64,
    reporter_id: i64,
    description: &str,
) -> Result<(i64, DateTime<Utc>), AppError> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query!(
        r#"INSERT INTO shipment_problems (shipment_id, reported_by, description)
           VALUES ($1, $2, $3)
           RETURNING id, reported_at AS "reported_at: DateTime<Utc>""#,
        shipment_id,
        reporter_id,
        description,
    )
    .fetch_one(&mut *tx)
    .await?;
    let appended = events::append(
        &mut tx,
        NewEvent::note(shipment_id, EventKind::ProblemReported, description, reporter_id),
    )
    .await?;
    events::commit(tx, pool, &[appended.id]).await?;
    Ok((row.id, row.reported_at))
}

/// Resolves an open problem; `NotFound` when it is unknown or already resolved.
pub async fn resolve(
    pool: &PgPool,
    problem_id: i64,
    resolver_id: i64,
    resolution: &str,
) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    let shipment_id = sqlx::query_scalar!(
        r#"UPDATE shipment_problems SET resolved_at = now(), resolved_by = $2, resolution = $3
           WHERE id = $1 AND resolved_at IS NULL
           RETURNING shipment_id"#,
        problem_id,
        resolver_id,
        resolution,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::NotFound(format!("open problem {problem_id}")))?;
    let appended = events::append(
        &mut tx,
        NewEvent::note(shipment_id, EventKind::ProblemResolved, resolution, resolver_id),
    )
    .await?;
    events::commit(tx, pool, &[appended.id]).await?;
    Ok(())
}

/// Open problems of one shipment, or of all when `shipment_id` is `None`,
/// oldest first, with the reporter's role. The caller has checked that the
/// viewer may see them.
pub async fn open(pool: &PgPool, shipment_id: Option<i64>) -> Result<Vec<(Problem, Role)>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT p.id, s.tracking_number, p.description, u.email AS reported_by, u.role AS "reporter_role: Role",
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
        .map(|r| {
            let problem = Problem {
                id: r.id,
                tracking_number: r.tracking_number,
                description: r.description,
                reported_by: r.reported_by,
                reported_at: r.reported_at,
                resolved_at: None,
                resolution: None,
            };
            (problem, r.reporter_role)
        })
        .collect())
}

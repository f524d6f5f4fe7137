//! The bell: a person's notifications, newest first, and how many are
//! unread. A notification whose shipment the person may no longer see (they
//! stopped watching it) is neither listed nor counted.

use sqlx::PgPool;

use super::NotifiedRow;
use crate::domain::{
    CurrentUser, EventKind, Inbox, Notification, Role, ShipmentStatus, INBOX_PAGE, UNREAD_CAP,
};
use crate::error::AppError;
use chrono::{DateTime, Utc};

/// The most ids one "mark read" names (stated in `domain::input`).
pub const MAX_MARKED: usize = crate::domain::input::MAX_MARK_READ;

pub async fn inbox(pool: &PgPool, viewer: &CurrentUser) -> Result<Inbox, AppError> {
    let rows = sqlx::query_as!(
        NotifiedRow,
        r#"SELECT n.id AS notification_id, n.read_at IS NOT NULL AS "read!",
                  e.id AS event_id, e.kind AS "kind: EventKind", e.status AS "status: ShipmentStatus",
                  e.location, e.note, e.occurred_at AS "occurred_at: DateTime<Utc>",
                  COALESCE(a.email, 'system') AS "actor!", a.role AS "actor_role?: Role",
                  s.tracking_number, s.owner_id
           FROM notifications n
           JOIN shipment_events e ON e.id = n.event_id
           JOIN shipments s ON s.id = e.shipment_id
           LEFT JOIN users a ON a.id = e.actor_id
           WHERE n.user_id = $1 AND n.in_app AND shipment_visible_to(s.id, s.owner_id, $1, $2)
           ORDER BY n.id DESC
           LIMIT $3"#,
        viewer.id,
        viewer.role.is_staff(),
        INBOX_PAGE,
    )
    .fetch_all(pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|row| {
            let (id, read) = (row.notification_id, row.read);
            Ok(Notification {
                id,
                read,
                event: row.event_for(viewer.id, viewer.role)?,
            })
        })
        .collect::<Result<_, AppError>>()?;
    Ok(Inbox {
        unread: unread(pool, viewer).await?,
        items,
    })
}

/// Unread notifications, counted up to [`UNREAD_CAP`] (a bounded read however
/// many there are).
pub async fn unread(pool: &PgPool, viewer: &CurrentUser) -> Result<i64, AppError> {
    let count = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM (
               SELECT 1 FROM notifications n JOIN shipments s ON s.id = (SELECT shipment_id FROM shipment_events WHERE id = n.event_id)
               WHERE n.user_id = $1 AND n.in_app AND n.read_at IS NULL
                 AND shipment_visible_to(s.id, s.owner_id, $1, $2)
               LIMIT $3
           ) AS unread"#,
        viewer.id,
        viewer.role.is_staff(),
        UNREAD_CAP,
    )
    .fetch_one(pool)
    .await?;
    Ok(count)
}

/// Marks some of a person's notifications read (`ids`, at most
/// [`MAX_MARKED`]), or all of them (`None`). Others' ids are ignored.
pub async fn mark_read(pool: &PgPool, user_id: i64, ids: Option<&[i64]>) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE notifications SET read_at = now()
         WHERE user_id = $1 AND in_app AND read_at IS NULL AND ($2::bigint[] IS NULL OR id = ANY($2))",
        user_id,
        ids as Option<&[i64]>,
    )
    .execute(pool)
    .await?;
    Ok(())
}

//! What each person asked to hear about. The defaults are the table's.

use sqlx::PgPool;

use crate::domain::{NotificationPreferences, ShipmentStatus};
use crate::error::AppError;

pub async fn of(pool: &PgPool, user_id: i64) -> Result<NotificationPreferences, AppError> {
    let row = sqlx::query!(
        r#"SELECT statuses AS "statuses: Vec<ShipmentStatus>", owned, watched, problems, in_app, email
           FROM notification_preferences WHERE user_id = $1"#,
        user_id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::NotFound("your account".into()))?;
    Ok(NotificationPreferences {
        statuses: row.statuses,
        owned: row.owned,
        watched: row.watched,
        problems: row.problems,
        in_app: row.in_app,
        email: row.email,
    })
}

/// Replaces a person's preferences. The caller has checked them
/// (`actions::notifications`): only staff may ask for every problem.
pub async fn set(pool: &PgPool, user_id: i64, preferences: &NotificationPreferences) -> Result<(), AppError> {
    let mut statuses = preferences.statuses.clone();
    statuses.sort_by_key(|s| ShipmentStatus::ALL.iter().position(|all| all == s));
    statuses.dedup();
    sqlx::query!(
        "UPDATE notification_preferences
         SET statuses = $2, owned = $3, watched = $4, problems = $5, in_app = $6, email = $7, updated_at = now()
         WHERE user_id = $1",
        user_id,
        &statuses as &[ShipmentStatus],
        preferences.owned,
        preferences.watched,
        preferences.problems,
        preferences.in_app,
        preferences.email,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Turns email off for one person (the unsubscribe link). Emails already
/// waiting are not sent either: the sender checks at send time.
pub async fn stop_email(pool: &PgPool, user_id: i64) -> Result<(), AppError> {
    sqlx::query!(
        "UPDATE notification_preferences SET email = false, updated_at = now() WHERE user_id = $1",
        user_id
    )
    .execute(pool)
    .await?;
    Ok(())
}

//! Reading shipments and their summaries.

use sqlx::PgPool;

use crate::domain::{ShipmentStatus, ShipmentSummary, TrackingNumber};
use crate::error::AppError;

/// The most recently updated shipments, newest first.
///
/// Filtering by viewer arrives with accounts; paging arrives with the dashboard.
#[tracing::instrument(skip_all, fields(limit))]
pub async fn list_shipments(pool: &PgPool, limit: i64) -> Result<Vec<ShipmentSummary>, AppError> {
    let rows = sqlx::query!(
        r#"SELECT tracking_number, status AS "status: ShipmentStatus", origin, destination,
                  carrier, eta, last_location, updated_at
           FROM shipments
           ORDER BY updated_at DESC, id DESC
           LIMIT $1"#,
        limit
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(ShipmentSummary {
                tracking_number: stored_tracking_number(&row.tracking_number)?,
                status: row.status,
                origin: row.origin,
                destination: row.destination,
                carrier: row.carrier,
                eta: row.eta,
                last_location: row.last_location,
                updated_at: row.updated_at,
            })
        })
        .collect()
}

/// Re-parses a tracking number read from the database. The table's CHECK makes
/// failure impossible in practice; if it happens it is our bug, not the user's.
pub(crate) fn stored_tracking_number(raw: &str) -> Result<TrackingNumber, AppError> {
    TrackingNumber::parse(raw).map_err(|error| {
        tracing::error!(raw, %error, "invalid tracking number stored");
        AppError::Internal
    })
}

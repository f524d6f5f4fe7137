//! Reading shipments, their summaries and timelines.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use crate::domain::{EventKind, ShipmentEvent, ShipmentStatus, ShipmentSummary, TrackingNumber};
use crate::error::AppError;
use crate::ssr::auth::current_user::CurrentUser;

/// The shipments `viewer` may see, most recently updated first. Visibility is
/// decided in SQL by `shipment_visible_to` (see `ssr::auth::policy`).
#[tracing::instrument(skip_all, fields(user_id = viewer.id, limit))]
pub async fn list_visible(
    pool: &PgPool,
    viewer: &CurrentUser,
    limit: i64,
) -> Result<Vec<ShipmentSummary>, AppError> {
    sqlx::query_as!(
        SummaryRow,
        r#"SELECT tracking_number, status AS "status: ShipmentStatus", origin, destination,
                  carrier, eta AS "eta: NaiveDate", last_location, updated_at AS "updated_at: DateTime<Utc>"
           FROM shipments s
           WHERE shipment_visible_to(s.id, s.owner_id, $1, $2)
           ORDER BY updated_at DESC, id DESC
           LIMIT $3"#,
        viewer.id,
        viewer.role.is_staff(),
        limit
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(SummaryRow::into_summary)
    .collect()
}

/// A shipment's summary and its timeline, newest first. The caller has already
/// checked visibility (`policy::visible_shipment_id`).
pub async fn detail(
    pool: &PgPool,
    shipment_id: i64,
) -> Result<(ShipmentSummary, Vec<ShipmentEvent>), AppError> {
    let summary = sqlx::query_as!(
        SummaryRow,
        r#"SELECT tracking_number, status AS "status: ShipmentStatus", origin, destination,
                  carrier, eta AS "eta: NaiveDate", last_location, updated_at AS "updated_at: DateTime<Utc>"
           FROM shipments WHERE id = $1"#,
        shipment_id
    )
    .fetch_one(pool)
    .await?
    .into_summary()?;
    let tracking_number = summary.tracking_number.clone();
    let events = sqlx::query!(
        r#"SELECT e.id, e.kind AS "kind: EventKind", e.status AS "status: ShipmentStatus",
                  e.location, e.note, e.occurred_at AS "occurred_at: DateTime<Utc>", COALESCE(u.email, 'system') AS "actor!"
           FROM shipment_events e LEFT JOIN users u ON u.id = e.actor_id
           WHERE e.shipment_id = $1
           ORDER BY e.occurred_at DESC, e.id DESC"#,
        shipment_id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|e| ShipmentEvent {
        id: e.id,
        tracking_number: tracking_number.clone(),
        kind: e.kind,
        status: e.status,
        location: e.location,
        note: e.note,
        occurred_at: e.occurred_at,
        actor: e.actor,
    })
    .collect();
    Ok((summary, events))
}

/// A `shipments` row as the summary queries select it; also built by the live
/// stream's log reader, so the row→summary mapping lives once.
pub(crate) struct SummaryRow {
    pub(crate) tracking_number: String,
    pub(crate) status: ShipmentStatus,
    pub(crate) origin: String,
    pub(crate) destination: String,
    pub(crate) carrier: String,
    pub(crate) eta: Option<NaiveDate>,
    pub(crate) last_location: Option<String>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl SummaryRow {
    pub(crate) fn into_summary(self) -> Result<ShipmentSummary, AppError> {
        Ok(ShipmentSummary {
            tracking_number: stored_tracking_number(&self.tracking_number)?,
            status: self.status,
            origin: self.origin,
            destination: self.destination,
            carrier: self.carrier,
            eta: self.eta,
            last_location: self.last_location,
            updated_at: self.updated_at,
        })
    }
}

/// Re-parses a tracking number read from the database. The table's CHECK makes
/// failure impossible in practice; if it happens it is our bug, not the user's.
pub(crate) fn stored_tracking_number(raw: &str) -> Result<TrackingNumber, AppError> {
    TrackingNumber::parse(raw).map_err(|error| {
        tracing::error!(raw, %error, "invalid tracking number stored");
        AppError::Internal
    })
}

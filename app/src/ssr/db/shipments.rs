//! Reading shipments, their summaries and timelines.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use crate::domain::{
    EventKind, PageCursor, ShipmentEvent, ShipmentQuery, ShipmentStatus, ShipmentSummary, StatusCount,
    TrackingNumber,
};
use crate::error::AppError;
use crate::ssr::auth::current_user::CurrentUser;

/// One page of the shipments `viewer` may see that match `query`, most
/// recently updated first, plus one row to tell whether another page follows.
/// Visibility is decided in SQL by `shipment_visible_to` (see
/// `ssr::auth::policy`), the attention rule by `shipment_needs_attention`.
#[tracing::instrument(skip_all, fields(user_id = viewer.id))]
pub async fn list_visible(
    pool: &PgPool,
    viewer: &CurrentUser,
    query: &ShipmentQuery,
    after: Option<&PageCursor>,
) -> Result<Vec<ShipmentSummary>, AppError> {
    sqlx::query_as!(
        SummaryRow,
        r#"SELECT tracking_number, status AS "status: ShipmentStatus", origin, destination,
                  carrier, eta AS "eta: NaiveDate", last_location, updated_at AS "updated_at: DateTime<Utc>"
           FROM shipments s
           WHERE ($2 OR shipment_visible_to(s.id, s.owner_id, $1, $2))
             AND ($3::shipment_status IS NULL OR s.status = $3)
             AND ($4::text IS NULL OR strpos(s.tracking_number, $4) > 0)
             AND (NOT $5 OR shipment_needs_attention(s.status, s.updated_at))
             AND ($6::timestamptz IS NULL OR (s.updated_at, s.tracking_number) < ($6, $7::text))
           ORDER BY s.updated_at DESC, s.tracking_number DESC
           LIMIT $8"#,
        viewer.id,
        viewer.role.is_staff(),
        query.status as Option<ShipmentStatus>,
        query.search.as_deref(),
        query.attention,
        after.map(|a| a.updated_at) as _,
        after.map(|a| a.tracking_number.as_str()),
        i64::from(query.limit) + 1,
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(SummaryRow::into_summary)
    .collect()
}

/// Counts per status and of shipments needing attention, over everything the
/// viewer may see.
///
/// Both list queries test `$2 OR shipment_visible_to(…)`: the function has a
/// sub-query, so PostgreSQL cannot inline it and calls it once per row (~6 µs);
/// for staff, who see everything, the `OR` short-circuits and a count over
/// 20,000 shipments drops from ~130 ms to a few ms (see BENCHMARKS.md).
pub async fn visible_counts(
    pool: &PgPool,
    viewer: &CurrentUser,
) -> Result<(Vec<StatusCount>, i64), AppError> {
    let rows = sqlx::query!(
        r#"SELECT s.status AS "status: ShipmentStatus", count(*) AS "count!",
                  count(*) FILTER (WHERE shipment_needs_attention(s.status, s.updated_at)) AS "attention!"
           FROM shipments s
           WHERE ($2 OR shipment_visible_to(s.id, s.owner_id, $1, $2))
           GROUP BY s.status"#,
        viewer.id,
        viewer.role.is_staff(),
    )
    .fetch_all(pool)
    .await?;
    let attention = rows.iter().map(|r| r.attention).sum();
    let mut counts: Vec<StatusCount> = rows
        .into_iter()
        .map(|r| StatusCount {
            status: r.status,
            count: r.count,
        })
        .collect();
    counts.sort_by_key(|c| ShipmentStatus::ALL.iter().position(|s| *s == c.status));
    Ok((counts, attention))
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

/// A new shipment's row, already validated.
pub struct ShipmentRow<'a> {
    pub tracking_number: &'a TrackingNumber,
    pub owner_id: i64,
    pub origin: &'a str,
    pub destination: &'a str,
    pub postal_code: &'a str,
    pub carrier: &'a str,
    pub eta: Option<NaiveDate>,
    pub actor_id: i64,
}

/// Inserts a shipment in `pending` with that first status event, in one
/// transaction. A taken tracking number is a validation error on that field.
pub async fn create(pool: &PgPool, row: &ShipmentRow<'_>) -> Result<ShipmentSummary, AppError> {
    let mut tx = pool.begin().await?;
    let created = sqlx::query_as!(
        SummaryRow,
        r#"INSERT INTO shipments (tracking_number, owner_id, origin, destination, destination_postal_code, carrier, eta)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           RETURNING tracking_number, status AS "status: ShipmentStatus", origin, destination,
                     carrier, eta AS "eta: NaiveDate", last_location, updated_at AS "updated_at: DateTime<Utc>""#,
        row.tracking_number.as_str(),
        row.owner_id,
        row.origin,
        row.destination,
        row.postal_code,
        row.carrier,
        row.eta as _,
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|error| {
        if super::is_unique_violation(&error, "shipments_tracking_number_key") {
            AppError::validation("tracking_number", "a shipment with this tracking number already exists")
        } else {
            error.into()
        }
    })?;
    sqlx::query!(
        r#"INSERT INTO shipment_events (shipment_id, kind, status, note, actor_id)
           SELECT id, 'status', 'pending', 'Shipment registered', $2 FROM shipments WHERE tracking_number = $1"#,
        row.tracking_number.as_str(),
        row.actor_id,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    created.into_summary()
}

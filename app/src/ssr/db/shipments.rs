//! Reading shipments, their summaries and timelines.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};

use crate::domain::input::ShipmentDraft;
use crate::domain::{
    EventKind, Role, ShipmentEvent, ShipmentQuery, ShipmentStatus, ShipmentSummary, StatusCount,
    TimelineCursor, TrackingNumber, Viewer, TIMELINE_PAGE,
};
use crate::error::AppError;

use super::events::{self, NewEvent};

/// One page of the shipments `viewer` may see that match `query`, most
/// recently updated first, plus one row to tell whether another page follows.
///
/// Staff page through the whole table with the index that suits the filter.
/// A customer's page is the visibility rule (`domain::may_see`) as two arms —
/// the shipments they own, read in order from the owner index, and the ones
/// they watch — each stopped after a page and merged, so it costs what their
/// own shipments cost. The filters are `shipment_listed` in both (see the
/// migration for why that is still index-friendly).
#[tracing::instrument(skip_all, fields(user_id = viewer.user_id()))]
pub async fn list_visible(
    conn: &mut PgConnection,
    viewer: &Viewer,
    query: &ShipmentQuery,
) -> Result<Vec<ShipmentSummary>, AppError> {
    let after = query.after();
    let (status, search, attention) = (query.status(), query.search(), query.attention());
    let after_at = after.map(|a| a.updated_at);
    let after_number = after.map(|a| a.tracking_number.as_str());
    let limit = i64::from(query.limit()) + 1;
    let rows = match (viewer.is_staff(), viewer.user_id()) {
        (true, _) => {
            sqlx::query_as!(
                SummaryRow,
                r#"SELECT tracking_number, status AS "status: ShipmentStatus", origin, destination,
                          carrier, eta AS "eta: NaiveDate", last_location, updated_at AS "updated_at: DateTime<Utc>"
                   FROM shipments s
                   WHERE shipment_listed(s.status, s.tracking_number, s.updated_at, $1, $2, $3, $4, $5)
                   ORDER BY s.updated_at DESC, s.tracking_number DESC
                   LIMIT $6"#,
                status as Option<ShipmentStatus>,
                search,
                attention,
                after_at as _,
                after_number,
                limit,
            )
            .fetch_all(&mut *conn)
            .await?
        }
        (false, Some(user_id)) => {
            sqlx::query_as!(
                SummaryRow,
                r#"SELECT tracking_number AS "tracking_number!", status AS "status!: ShipmentStatus",
                          origin AS "origin!", destination AS "destination!", carrier AS "carrier!",
                          eta AS "eta: NaiveDate", last_location, updated_at AS "updated_at!: DateTime<Utc>"
                   FROM ((SELECT s.* FROM shipments s
                          WHERE s.owner_id = $1
                            AND shipment_listed(s.status, s.tracking_number, s.updated_at, $2, $3, $4, $5, $6)
                          ORDER BY s.updated_at DESC, s.tracking_number DESC LIMIT $7)
                         UNION ALL
                         (SELECT s.* FROM shipment_watchers w JOIN shipments s ON s.id = w.shipment_id
                          WHERE w.user_id = $1 AND s.owner_id <> $1
                            AND shipment_listed(s.status, s.tracking_number, s.updated_at, $2, $3, $4, $5, $6)
                          ORDER BY s.updated_at DESC, s.tracking_number DESC LIMIT $7)) s
                   ORDER BY s.updated_at DESC, s.tracking_number DESC
                   LIMIT $7"#,
                user_id,
                status as Option<ShipmentStatus>,
                search,
                attention,
                after_at as _,
                after_number,
                limit,
            )
            .fetch_all(&mut *conn)
            .await?
        }
        (false, None) => Vec::new(),
    };
    rows.into_iter().map(SummaryRow::into_summary).collect()
}

/// Counts per status and of shipments needing attention, over everything the
/// viewer may see, and the stream position they are as of.
///
/// A customer's are counted from their own rows (`shipments_visible_to`);
/// staff's come from the status tallies the writing transactions keep, plus
/// `shipments_needing_attention()`, which reads only ongoing journeys — a
/// count of a million rows would take ~100 ms (see BENCHMARKS.md, "Scale").
///
/// The position is read by the same statement (so in the same snapshot):
/// positions are numbered after commit, each batch visible at once, so every
/// event up to the newest visible position is counted, and after it only the
/// events already committed but not yet numbered, whose ids come with it.
pub async fn visible_counts(conn: &mut PgConnection, viewer: &Viewer) -> Result<CountsAsOf, AppError> {
    // Each query gives one row with no counts when there is nothing to count.
    let (as_of, unnumbered, rows, attention) = if viewer.is_staff() {
        let rows = sqlx::query!(
            r#"SELECT head.as_of AS "as_of!", head.unnumbered AS "unnumbered!",
                      c.status AS "status?: ShipmentStatus",
                      c.count AS "count?", head.attention AS "attention!"
               FROM (SELECT COALESCE(max(stream_position), 0) AS as_of,
                            ARRAY(SELECT id FROM shipment_events WHERE stream_position IS NULL) AS unnumbered,
                            shipments_needing_attention() AS attention
                     FROM shipment_events) head
               LEFT JOIN (
                   SELECT status, sum(shipments)::bigint AS count FROM shipment_status_tallies
                   GROUP BY status HAVING sum(shipments) > 0
               ) c ON true"#,
        )
        .fetch_all(&mut *conn)
        .await?;
        let attention = rows.first().map_or(0, |r| r.attention);
        let as_of = rows.first().map_or(0, |r| r.as_of);
        let unnumbered = rows.first().map(|r| r.unnumbered.clone()).unwrap_or_default();
        let counts: Vec<(ShipmentStatus, i64)> = rows
            .into_iter()
            .filter_map(|r| Some((r.status?, r.count?)))
            .collect();
        (as_of, unnumbered, counts, attention)
    } else {
        let rows = sqlx::query!(
            r#"SELECT head.as_of AS "as_of!", head.unnumbered AS "unnumbered!",
                      c.status AS "status?: ShipmentStatus",
                      c.count AS "count?", c.attention AS "attention?"
               FROM (SELECT COALESCE(max(stream_position), 0) AS as_of,
                            ARRAY(SELECT e.id FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id
                                  WHERE e.stream_position IS NULL
                                    AND shipment_visible_to(s.id, s.owner_id, $1, false)) AS unnumbered
                     FROM shipment_events) head
               LEFT JOIN (
                   SELECT s.status, count(*) AS count,
                          count(*) FILTER (WHERE shipment_needs_attention(s.status, s.updated_at)) AS attention
                   FROM shipments_visible_to($1, false) s
                   GROUP BY s.status
               ) c ON true"#,
            viewer.user_id().unwrap_or_default(),
        )
        .fetch_all(&mut *conn)
        .await?;
        let as_of = rows.first().map_or(0, |r| r.as_of);
        let unnumbered = rows.first().map(|r| r.unnumbered.clone()).unwrap_or_default();
        let attention = rows.iter().filter_map(|r| r.attention).sum();
        let counts = rows
            .into_iter()
            .filter_map(|r| Some((r.status?, r.count?)))
            .collect();
        (as_of, unnumbered, counts, attention)
    };
    let mut counts: Vec<StatusCount> = rows
        .into_iter()
        .map(|(status, count)| StatusCount { status, count })
        .collect();
    counts.sort_by_key(|c| ShipmentStatus::ALL.iter().position(|s| *s == c.status));
    Ok(CountsAsOf {
        counts,
        needs_attention: attention,
        as_of,
        counted_unnumbered: unnumbered,
    })
}

/// Counts above a list, and which events they already include.
pub struct CountsAsOf {
    pub counts: Vec<StatusCount>,
    pub needs_attention: i64,
    /// Every event up to this position is counted.
    pub as_of: i64,
    /// Events after it that are counted too (committed, not yet numbered).
    pub counted_unnumbered: Vec<i64>,
}

/// A shipment's summary and one page of its timeline, newest first (the
/// newest page, or the one before `before`), with the cursor of the next
/// older page if there is one. The caller has already checked visibility
/// (`auth::policy::visible_shipment_id`).
pub async fn detail(
    pool: &PgPool,
    shipment_id: i64,
    before: Option<TimelineCursor>,
) -> Result<
    (
        ShipmentSummary,
        Vec<(ShipmentEvent, Option<Role>)>,
        Option<String>,
    ),
    AppError,
> {
    let summary = summary_of(pool, shipment_id).await?;
    let tracking_number = summary.tracking_number.clone();
    // One more than a page, to know whether there is an older page.
    let mut events: Vec<(ShipmentEvent, Option<Role>)> = sqlx::query!(
        r#"SELECT e.id, e.kind AS "kind: EventKind", e.status AS "status: ShipmentStatus",
                  e.location, e.note, e.occurred_at AS "occurred_at: DateTime<Utc>", COALESCE(u.email, 'system') AS "actor!",
                  u.role AS "actor_role?: Role"
           FROM shipment_events e LEFT JOIN users u ON u.id = e.actor_id
           WHERE e.shipment_id = $1
             AND ($2::timestamptz IS NULL OR (e.occurred_at, e.id) < ($2, $3))
           ORDER BY e.occurred_at DESC, e.id DESC
           LIMIT $4"#,
        shipment_id,
        before.map(|b| b.occurred_at) as _,
        before.map_or(0, |b| b.id),
        TIMELINE_PAGE + 1,
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|e| {
        let event = ShipmentEvent {
            id: e.id,
            tracking_number: tracking_number.clone(),
            kind: e.kind,
            status: e.status,
            location: e.location,
            note: e.note,
            occurred_at: e.occurred_at,
            actor: e.actor,
        };
        (event, e.actor_role)
    })
    .collect();
    let older = (events.len() > TIMELINE_PAGE as usize).then(|| {
        events.truncate(TIMELINE_PAGE as usize);
        events.last().map(|(e, _)| TimelineCursor::of(e).encode())
    });
    Ok((summary, events, older.flatten()))
}

/// One shipment's summary row.
async fn summary_of(
    executor: impl sqlx::PgExecutor<'_>,
    shipment_id: i64,
) -> Result<ShipmentSummary, AppError> {
    sqlx::query_as!(
        SummaryRow,
        r#"SELECT tracking_number, status AS "status: ShipmentStatus", origin, destination,
                  carrier, eta AS "eta: NaiveDate", last_location, updated_at AS "updated_at: DateTime<Utc>"
           FROM shipments WHERE id = $1"#,
        shipment_id
    )
    .fetch_one(executor)
    .await?
    .into_summary()
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

/// Inserts a shipment in `pending` with that first status event, in one
/// transaction. A taken tracking number is a validation error on that field.
pub async fn create(
    pool: &PgPool,
    draft: &ShipmentDraft,
    owner_id: i64,
    actor_id: Option<i64>,
) -> Result<ShipmentSummary, AppError> {
    let mut tx = pool.begin().await?;
    let shipment_id = sqlx::query_scalar!(
        r#"INSERT INTO shipments (tracking_number, owner_id, origin, destination, destination_postal_code, carrier, eta)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           RETURNING id"#,
        draft.tracking_number.as_str(),
        owner_id,
        draft.origin,
        draft.destination,
        draft.postal_code,
        draft.carrier,
        draft.eta as _,
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
    let appended = events::append(
        &mut tx,
        NewEvent {
            shipment_id,
            kind: EventKind::Status,
            status: Some(ShipmentStatus::Pending),
            location: None,
            note: Some("Shipment registered"),
            occurred_at: None,
            recorded_at: None,
            actor_id,
        },
    )
    .await?;
    let created = summary_of(&mut *tx, shipment_id).await?;
    events::commit(tx, pool, &[appended.id]).await?;
    Ok(created)
}

/// A shipment as the public tracking page shows it: number, status, ETA and
/// its newest status changes with place and time — nothing else.
pub async fn public_view(
    pool: &PgPool,
    shipment_id: i64,
) -> Result<
    Option<(
        TrackingNumber,
        ShipmentStatus,
        Option<NaiveDate>,
        Vec<crate::domain::tracking::PublicEvent>,
    )>,
    AppError,
> {
    let Some(shipment) = sqlx::query!(
        r#"SELECT tracking_number, status AS "status: ShipmentStatus", eta AS "eta: NaiveDate"
           FROM shipments WHERE id = $1"#,
        shipment_id
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let timeline = sqlx::query!(
        r#"SELECT status AS "status!: ShipmentStatus", location, occurred_at AS "occurred_at: DateTime<Utc>"
           FROM shipment_events
           WHERE shipment_id = $1 AND kind = 'status' AND status IS NOT NULL
           ORDER BY occurred_at DESC, id DESC
           LIMIT $2"#,
        shipment_id,
        crate::domain::tracking::PUBLIC_TIMELINE,
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|row| crate::domain::tracking::PublicEvent {
        status: row.status,
        location: row.location,
        occurred_at: row.occurred_at,
    })
    .collect();
    Ok(Some((
        stored_tracking_number(&shipment.tracking_number)?,
        shipment.status,
        shipment.eta,
        timeline,
    )))
}

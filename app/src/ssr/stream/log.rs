//! Reading the event log by stream position: for the listener's backfill (all
//! users) and for a client's replay (only what that user may see).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};

use crate::domain::{
    needs_attention, Audience, CountMove, CurrentUser, EventKind, Role, ShipmentEvent, ShipmentStatus,
    Standing, StreamEvent,
};
use crate::error::AppError;
use crate::ssr::db;
use crate::ssr::db::shipments::SummaryRow;

use super::hub::StreamItem;
use super::wire::Frame;
use crate::domain::tracking::{PublicEvent, PublicUpdate};

/// How many events one read returns; callers loop until a short page.
pub const PAGE: i64 = 500;

/// One event with everything the hub needs to route and send it.
struct LogRow {
    stream_position: i64,
    id: i64,
    shipment_id: i64,
    kind: EventKind,
    status: Option<ShipmentStatus>,
    location: Option<String>,
    note: Option<String>,
    occurred_at: DateTime<Utc>,
    actor: String,
    actor_role: Option<Role>,
    owner_id: i64,
    watchers: Vec<i64>,
    tracking_number: String,
    current_status: ShipmentStatus,
    origin: String,
    destination: String,
    carrier: String,
    eta: Option<NaiveDate>,
    last_location: Option<String>,
    updated_at: DateTime<Utc>,
    /// The shipment's status event before this one, if any (status events only).
    previous_status: Option<ShipmentStatus>,
    previous_at: Option<DateTime<Utc>>,
}

impl LogRow {
    fn into_item(self) -> Result<StreamItem, AppError> {
        let counts = self.count_move(Utc::now());
        let shipment = SummaryRow {
            tracking_number: self.tracking_number,
            status: self.current_status,
            origin: self.origin,
            destination: self.destination,
            carrier: self.carrier,
            eta: self.eta,
            last_location: self.last_location,
            updated_at: self.updated_at,
        }
        .into_summary()?;
        let event = ShipmentEvent {
            id: self.id,
            tracking_number: shipment.tracking_number.clone(),
            kind: self.kind,
            status: self.status,
            location: self.location,
            note: self.note,
            occurred_at: self.occurred_at,
            actor: self.actor,
        };
        let frame_for = |audience: Audience| -> Result<Frame, AppError> {
            Frame::encode(&StreamEvent {
                position: self.stream_position,
                event: audience.event(event.clone(), self.actor_role),
                shipment: shipment.clone(),
                counts,
            })
            .map_err(|e| anyhow::anyhow!("serialising a stream frame: {e}").into())
        };
        let public = event
            .status
            .filter(|_| event.kind == EventKind::Status)
            .map(|status| PublicUpdate {
                status: shipment.status,
                eta: shipment.eta,
                event: PublicEvent {
                    status,
                    location: event.location.clone(),
                    occurred_at: event.occurred_at,
                },
            });
        let [staff, owner, watcher] = Audience::ALL;
        Ok(StreamItem {
            position: self.stream_position,
            shipment_id: self.shipment_id,
            kind: event.kind,
            status: event.status,
            occurred_at: event.occurred_at,
            public,
            owner_id: self.owner_id,
            watchers: self.watchers,
            frames: [frame_for(staff)?, frame_for(owner)?, frame_for(watcher)?],
        })
    }

    /// How a status event moves the counts above a list: its standing before
    /// (from the previous status event) and after, by the attention rule.
    fn count_move(&self, now: DateTime<Utc>) -> Option<CountMove> {
        let to_status = self.status.filter(|_| self.kind == EventKind::Status)?;
        let from = self
            .previous_status
            .zip(self.previous_at)
            .map(|(status, at)| Standing {
                status,
                needs_attention: needs_attention(status, at, now),
            });
        let updated = self
            .previous_at
            .map_or(self.occurred_at, |at| at.max(self.occurred_at));
        Some(CountMove {
            from,
            to: Standing {
                status: to_status,
                needs_attention: needs_attention(to_status, updated, now),
            },
        })
    }
}

/// Events after `after`, in position order, for everyone (listener backfill).
pub async fn read_after(conn: &mut PgConnection, after: i64) -> Result<Vec<StreamItem>, AppError> {
    read(conn, after, None).await
}

/// Events after `after` that `viewer` may see, in position order (replay).
///
/// Planned for this viewer and cursor (`db::planned_for_parameters`): which
/// way is cheaper depends on them, and under PostgreSQL's generic plans a
/// 40,000-shipment customer's day of replay took 390 ms instead of 76
/// (BENCHMARKS.md, "Scale", the note under the query plans).
pub async fn read_visible_after(
    pool: &PgPool,
    viewer: &CurrentUser,
    after: i64,
) -> Result<Vec<StreamItem>, AppError> {
    let mut tx = db::planned_for_parameters(pool).await?;
    let items = read(&mut tx, after, Some(viewer)).await?;
    tx.commit().await?;
    Ok(items)
}

async fn read(
    conn: &mut PgConnection,
    after: i64,
    viewer: Option<&CurrentUser>,
) -> Result<Vec<StreamItem>, AppError> {
    let positions = match viewer {
        Some(viewer) if !viewer.role.is_staff() => positions_of_customer(conn, viewer.id, after).await?,
        _ => positions_after(conn, after).await?,
    };
    if positions.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query_as!(
        LogRow,
        r#"SELECT e.stream_position AS "stream_position!", e.id, e.shipment_id, e.kind AS "kind: EventKind", e.status AS "status: ShipmentStatus",
                  e.location, e.note, e.occurred_at AS "occurred_at: DateTime<Utc>",
                  COALESCE(u.email, 'system') AS "actor!", u.role AS "actor_role?: Role",
                  s.owner_id,
                  ARRAY(SELECT w.user_id FROM shipment_watchers w WHERE w.shipment_id = s.id) AS "watchers!",
                  s.tracking_number, s.status AS "current_status: ShipmentStatus", s.origin, s.destination,
                  s.carrier, s.eta AS "eta: NaiveDate", s.last_location,
                  s.updated_at AS "updated_at: DateTime<Utc>",
                  previous.status AS "previous_status?: ShipmentStatus",
                  previous.occurred_at AS "previous_at?: DateTime<Utc>"
           FROM unnest($1::bigint[]) AS wanted (position)
           JOIN shipment_events e ON e.stream_position = wanted.position
           JOIN shipments s ON s.id = e.shipment_id
           LEFT JOIN users u ON u.id = e.actor_id
           LEFT JOIN LATERAL (
               SELECT p.status, p.occurred_at FROM shipment_events p
               WHERE p.shipment_id = e.shipment_id AND p.id < e.id AND p.kind = 'status'
               ORDER BY p.id DESC LIMIT 1
           ) previous ON e.kind = 'status'
           WHERE $2::bigint IS NULL OR shipment_visible_to(s.id, s.owner_id, $2, $3)
           ORDER BY e.stream_position"#,
        &positions,
        viewer.map(|v| v.id),
        viewer.is_some_and(|v| v.role.is_staff()),
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(LogRow::into_item).collect()
}

/// The next page of positions after `after`, of every event (the listener;
/// staff, who see everything): a range of the position index.
async fn positions_after(conn: &mut PgConnection, after: i64) -> Result<Vec<i64>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT stream_position AS "position!" FROM shipment_events WHERE stream_position > $1
           ORDER BY stream_position LIMIT $2"#,
        after,
        PAGE,
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// How many events of the log since the cursor cost about as much to read
/// as probing one shipment's events through the (shipment, position) index
/// (measured on the scale data set, BENCHMARKS.md "Scale").
const LOG_EVENTS_PER_PROBE: i64 = 16;

/// The next page of positions after `after` among a customer's own and
/// watched shipments, read whichever way is cheaper:
///
/// * one probe per shipment of theirs through the (shipment, position)
///   index — a customer back after a week costs what their own shipments
///   cost, not a scan of everybody's log since then;
/// * or, for a business account with many shipments and a recent cursor,
///   the log since the cursor, joined with their shipments' ids (read from
///   the owner index alone).
///
/// Counting their shipments stops where the log becomes the cheaper way, so
/// choosing costs no more than the cheaper way.
async fn positions_of_customer(
    conn: &mut PgConnection,
    user_id: i64,
    after: i64,
) -> Result<Vec<i64>, AppError> {
    let log_since = head(&mut *conn).await? - after;
    let enough = log_since / LOG_EVENTS_PER_PROBE + 1;
    let owned = sqlx::query_scalar!(
        r#"SELECT count(*) AS "owned!" FROM (SELECT 1 FROM shipments WHERE owner_id = $1 LIMIT $2) few"#,
        user_id,
        enough,
    )
    .fetch_one(&mut *conn)
    .await?;
    if owned >= enough {
        return Ok(sqlx::query_scalar!(
            r#"SELECT e.stream_position AS "position!" FROM shipment_events e
               WHERE e.stream_position > $2
                 AND e.shipment_id IN (SELECT id FROM shipments WHERE owner_id = $1
                                       UNION ALL
                                       SELECT shipment_id FROM shipment_watchers WHERE user_id = $1)
               ORDER BY e.stream_position
               LIMIT $3"#,
            user_id,
            after,
            PAGE,
        )
        .fetch_all(&mut *conn)
        .await?);
    }
    Ok(sqlx::query_scalar!(
        r#"SELECT page.stream_position AS "position!"
           FROM (SELECT id FROM shipments WHERE owner_id = $1
                 UNION
                 SELECT shipment_id FROM shipment_watchers WHERE user_id = $1) AS mine (shipment_id)
           CROSS JOIN LATERAL (
               SELECT e.stream_position FROM shipment_events e
               WHERE e.shipment_id = mine.shipment_id AND e.stream_position > $2
               ORDER BY e.stream_position LIMIT $3
           ) page
           ORDER BY page.stream_position
           LIMIT $3"#,
        user_id,
        after,
        PAGE,
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// Events numbered per sequencer transaction at most (a backlog after an
/// outage is numbered in several).
const SEQUENCE_BATCH: i32 = 5_000;

/// Numbers every committed event that has no position yet (see the
/// "positions after commit" migration): positions follow the order in which
/// events were numbered, and each batch becomes visible at once, so a
/// position is never visible before a smaller one. Every server may call it
/// at any time; they take turns on the head row.
pub async fn sequence(conn: &mut PgConnection) -> Result<(), AppError> {
    loop {
        let numbered = sqlx::query_scalar!(
            r#"SELECT sequence_shipment_events($1) AS "numbered!""#,
            SEQUENCE_BATCH
        )
        .fetch_one(&mut *conn)
        .await?;
        if numbered < SEQUENCE_BATCH {
            return Ok(());
        }
    }
}

/// The newest position numbered (and visible): a fresh stream starts here.
pub async fn head<'c>(executor: impl sqlx::PgExecutor<'c>) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar!("SELECT position FROM event_stream_head")
        .fetch_one(executor)
        .await?)
}

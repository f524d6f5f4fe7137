//! What can be done with shipments: lists, a shipment's page, status events
//! (one or many), registering a shipment, and an admin's reopening.

use chrono::Utc;
use sqlx::PgPool;

use crate::domain::input::{BulkStatusPost, Reopening, ShipmentDraft, StatusPost};
use crate::domain::{
    Audience, BulkOutcome, PageCursor, Role, ShipmentDetail, ShipmentEvent, ShipmentList, ShipmentQuery,
    ShipmentSummary, TimelineCursor, TrackingNumber, Viewer, ViewerRights,
};
use crate::error::AppError;
use crate::ssr::auth::policy;
use crate::ssr::db;
use crate::ssr::db::status::Rule;

use super::idempotency::{self, IdempotencyKey, Reply};

/// One page of the shipments the viewer may see that match `query`, with the
/// counts per status of everything they may see.
pub async fn list(pool: &PgPool, viewer: &Viewer, query: &ShipmentQuery) -> Result<ShipmentList, AppError> {
    // Planned for this viewer's filters; one short read transaction.
    let mut tx = db::planned_for_parameters(pool).await?;
    let mut shipments = db::shipments::list_visible(&mut tx, viewer, query).await?;
    let limit = query.limit() as usize;
    let next_page = if shipments.len() > limit {
        shipments.truncate(limit);
        shipments.last().map(|last| {
            PageCursor {
                updated_at: last.updated_at,
                tracking_number: last.tracking_number.to_string(),
            }
            .encode()
        })
    } else {
        None
    };
    let counted = db::shipments::visible_counts(&mut tx, viewer).await?;
    tx.commit().await?;
    Ok(ShipmentList {
        shipments,
        total: counted.counts.iter().map(|c| c.count).sum(),
        counts: counted.counts,
        needs_attention: counted.needs_attention,
        next_page,
        as_of: counted.as_of,
        counted_unnumbered: counted.counted_unnumbered,
    })
}

/// One shipment with a page of its timeline (the newest, or the one before
/// `before`); 404 if it does not exist or is not the viewer's to see (the
/// same answer, so existence is not revealed).
pub async fn detail(
    pool: &PgPool,
    viewer: &Viewer,
    tracking_number: &TrackingNumber,
    before: Option<TimelineCursor>,
) -> Result<ShipmentDetail, AppError> {
    let id = policy::visible_shipment_id(pool, viewer, tracking_number).await?;
    let (shipment, timeline, older_events) = db::shipments::detail(pool, id, before).await?;
    let relation = db::watchers::relation(pool, id, viewer.user_id()).await?;
    let audience = Audience::new(viewer.is_staff(), relation.owns);
    let open_problems = if audience.sees_problems() {
        db::problems::open(pool, Some(id)).await?
    } else {
        Vec::new()
    };
    Ok(ShipmentDetail {
        shipment,
        timeline: timeline
            .into_iter()
            .map(|(event, actor_role)| audience.event(event, actor_role))
            .collect(),
        older_events,
        delivery_instructions: relation
            .delivery_instructions
            .filter(|_| audience.sees_instructions()),
        destination_postal_code: audience
            .sees_postcode()
            .then_some(relation.destination_postal_code),
        open_problems: open_problems
            .into_iter()
            .map(|(problem, reporter_role)| audience.problem(problem, reporter_role))
            .collect(),
        rights: ViewerRights {
            owns: relation.owns,
            watches: relation.watches,
            is_staff: viewer.is_staff(),
            is_admin: viewer.role() == Role::Admin,
        },
    })
}

/// Posts a status event (operators, admins, the system).
pub async fn post_status(
    pool: &PgPool,
    viewer: &Viewer,
    tracking_number: &TrackingNumber,
    post: &StatusPost,
) -> Result<ShipmentEvent, AppError> {
    policy::require_staff(viewer)?;
    // Staff see every shipment, so no visibility query here: on the hot write
    // path it only cost a round trip. An unknown number is still a 404, from
    // the write itself.
    db::status::record_status_change(pool, tracking_number, post, viewer.user_id(), Rule::Ordinary).await
}

/// [`post_status`] made safe to retry: with a key, a repeat of the same
/// request gets the first reply and records nothing new. The key is claimed
/// only after the viewer is known to be allowed and the input is valid.
pub async fn post_status_once(
    pool: &PgPool,
    viewer: &Viewer,
    tracking_number: &TrackingNumber,
    post: &StatusPost,
    key: &IdempotencyKey,
) -> Result<Reply, AppError> {
    policy::require_staff(viewer)?;
    let fingerprint = idempotency::fingerprint(&"post_status", &(tracking_number, post))?;
    let reply = idempotency::once(pool, viewer, key, &fingerprint, 201, async |tx| {
        db::status::record_status_change_in(tx, tracking_number, post, viewer.user_id(), Rule::Ordinary).await
    })
    .await?;
    // After the commit (`once` committed the event with its key). A repeat
    // announces again, which costs the sequencer a glance: if the first
    // request's server died between its commit and its announcement, this
    // is what numbers the event.
    db::announcer::announce(pool, &[]).await;
    Ok(reply)
}

/// One status for many shipments (staff). Each row is its own transaction and
/// its own transition check: the outcome is reported per row, in the order
/// given, and a refused row does not stop the others.
pub async fn post_status_bulk(
    pool: &PgPool,
    viewer: &Viewer,
    bulk: &BulkStatusPost,
) -> Result<Vec<BulkOutcome>, AppError> {
    policy::require_staff(viewer)?;
    let mut outcomes = Vec::with_capacity(bulk.tracking_numbers.len());
    for number in &bulk.tracking_numbers {
        let result = match super::shipment_in_path(number) {
            Ok(tracking_number) => post_status(pool, viewer, &tracking_number, &bulk.post).await,
            Err(error) => Err(error),
        };
        outcomes.push(match result {
            Ok(event) => BulkOutcome::Recorded {
                tracking_number: number.clone(),
                event,
            },
            Err(AppError::Internal) => return Err(AppError::Internal),
            Err(error) => BulkOutcome::Refused {
                tracking_number: number.clone(),
                error: error.to_string(),
            },
        });
    }
    Ok(outcomes)
}

/// Registers a shipment for a customer (staff). It starts `pending`, with that
/// first status on its timeline.
pub async fn create(
    pool: &PgPool,
    viewer: &Viewer,
    draft: &ShipmentDraft,
) -> Result<ShipmentSummary, AppError> {
    policy::require_staff(viewer)?;
    let owner_id = db::users::find_user_id(pool, &draft.owner_email)
        .await?
        .ok_or_else(|| AppError::validation("owner_email", "there is no account with this email address"))?;
    db::shipments::create(pool, draft, owner_id, viewer.user_id()).await
}

/// Moves a delivered, returned, lost or cancelled shipment back into its
/// journey (admins only), recording the reason on the timeline.
pub async fn reopen(
    pool: &PgPool,
    viewer: &Viewer,
    tracking_number: &TrackingNumber,
    reopening: &Reopening,
) -> Result<ShipmentEvent, AppError> {
    policy::require_admin(viewer)?;
    let post = StatusPost {
        status: reopening.status,
        location: None,
        note: None,
        occurred_at: Some(Utc::now()),
    };
    let rule = Rule::Reopen {
        reason: &reopening.reason,
    };
    db::status::record_status_change(pool, tracking_number, &post, viewer.user_id(), rule).await
}

/// Every shipment the viewer may see that matches a query's filters, read
/// page after page from one snapshot (`REPEATABLE READ`), so a shipment that
/// changes while the export runs is neither missed nor listed twice. The
/// rows are the list's own (`db::shipments::list_visible`): the same
/// visibility rule.
pub struct Export {
    tx: sqlx::Transaction<'static, sqlx::Postgres>,
    viewer: Viewer,
    query: ShipmentQuery,
    after: Option<PageCursor>,
    done: bool,
}

impl Export {
    pub async fn begin(pool: &PgPool, viewer: Viewer, query: ShipmentQuery) -> Result<Self, AppError> {
        let mut tx = db::planned_for_parameters(pool).await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        Ok(Self {
            tx,
            viewer,
            query,
            after: None,
            done: false,
        })
    }

    /// The next page, or `None` when every row was read.
    pub async fn next_page(&mut self) -> Result<Option<Vec<ShipmentSummary>>, AppError> {
        if self.done {
            return Ok(None);
        }
        let page = self.query.export_page(self.after.take());
        let mut rows = db::shipments::list_visible(&mut self.tx, &self.viewer, &page).await?;
        if rows.len() > page.limit() as usize {
            rows.truncate(page.limit() as usize);
        } else {
            self.done = true;
        }
        self.after = rows.last().map(|last| PageCursor {
            updated_at: last.updated_at,
            tracking_number: last.tracking_number.to_string(),
        });
        Ok((!rows.is_empty()).then_some(rows))
    }
}

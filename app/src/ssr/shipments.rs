//! What a user can do with shipments, written once for the server functions
//! (UI) and the REST handlers (`/api/v1`): parse, authorize, then read or write.

use sqlx::PgPool;

use crate::domain::{
    BulkOutcome, BulkStatusUpdate, Email, NewShipment, NewStatusEvent, PageCursor, ShipmentDetail,
    ShipmentEvent, ShipmentList, ShipmentQuery, ShipmentSummary, TrackingNumber, ViewerRights,
};
use crate::error::AppError;
use crate::ssr::auth::current_user::CurrentUser;
use crate::ssr::auth::policy;
use crate::ssr::db;
use crate::ssr::db::status::StatusChange;

/// Most shipments one bulk update may change.
pub const MAX_BULK: usize = 200;

/// One page of the shipments the user may see that match `query`, with the
/// counts per status of everything they may see.
pub async fn list(
    pool: &PgPool,
    user: &CurrentUser,
    query: &ShipmentQuery,
) -> Result<ShipmentList, AppError> {
    let after = query.after.as_deref().map(PageCursor::decode).map(|cursor| {
        cursor.ok_or_else(|| {
            AppError::validation("after", "this page link is not valid; start from the first page")
        })
    });
    let after = after.transpose()?;
    let mut shipments = db::shipments::list_visible(pool, user, query, after.as_ref()).await?;
    let next_page = if shipments.len() > query.limit as usize {
        shipments.truncate(query.limit as usize);
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
    let (counts, needs_attention) = db::shipments::visible_counts(pool, user).await?;
    Ok(ShipmentList {
        shipments,
        total: counts.iter().map(|c| c.count).sum(),
        counts,
        needs_attention,
        next_page,
    })
}

/// One shipment with its timeline; 404 if it does not exist or is not the
/// user's to see (the same answer, so existence is not revealed).
pub async fn detail(
    pool: &PgPool,
    user: &CurrentUser,
    tracking_number: &str,
) -> Result<ShipmentDetail, AppError> {
    let tracking_number = parse_visible_number(tracking_number)?;
    let id = policy::visible_shipment_id(pool, user, &tracking_number).await?;
    let (shipment, timeline) = db::shipments::detail(pool, id).await?;
    let extras = sqlx::query!(
        r#"SELECT s.owner_id = $2 AS "owns!",
                  EXISTS (SELECT 1 FROM shipment_watchers w WHERE w.shipment_id = s.id AND w.user_id = $2) AS "watches!",
                  s.delivery_instructions, s.destination_postal_code
           FROM shipments s WHERE s.id = $1"#,
        id,
        user.id,
    )
    .fetch_one(pool)
    .await?;
    let open_problems = crate::ssr::problems::open_problems_of(pool, Some(id)).await?;
    Ok(ShipmentDetail {
        shipment,
        timeline,
        delivery_instructions: extras.delivery_instructions,
        destination_postal_code: (extras.owns || user.role.is_staff())
            .then_some(extras.destination_postal_code),
        open_problems,
        rights: ViewerRights {
            owns: extras.owns,
            watches: extras.watches,
            is_staff: user.role.is_staff(),
        },
    })
}

/// Posts a status event (operators and admins).
pub async fn post_status(
    pool: &PgPool,
    user: &CurrentUser,
    tracking_number: &str,
    event: NewStatusEvent,
) -> Result<ShipmentEvent, AppError> {
    policy::require_staff(user)?;
    // Staff see every shipment, so no visibility query here: on the hot write
    // path it only cost a round trip. An unknown number is still a 404, from
    // the write itself.
    let tracking_number = parse_visible_number(tracking_number)?;
    check_free_text("location", event.location.as_deref(), 200)?;
    check_free_text("note", event.note.as_deref(), 2000)?;
    let change = StatusChange {
        status: event.status,
        location: event.location,
        note: event.note,
        occurred_at: event.occurred_at,
        actor_id: Some(user.id),
    };
    db::status::record_status_change(pool, &tracking_number, &change).await
}

/// One status for many shipments (staff). Each row is its own transaction and
/// its own transition check: the outcome is reported per row, in the order
/// given, and a refused row does not stop the others.
pub async fn post_status_bulk(
    pool: &PgPool,
    user: &CurrentUser,
    update: BulkStatusUpdate,
) -> Result<Vec<BulkOutcome>, AppError> {
    policy::require_staff(user)?;
    if update.tracking_numbers.is_empty() {
        return Err(AppError::validation(
            "tracking_numbers",
            "select at least one shipment",
        ));
    }
    if update.tracking_numbers.len() > MAX_BULK {
        return Err(AppError::validation(
            "tracking_numbers",
            format!("at most {MAX_BULK} shipments at once"),
        ));
    }
    let mut outcomes = Vec::with_capacity(update.tracking_numbers.len());
    for number in update.tracking_numbers {
        let event = NewStatusEvent {
            status: update.status,
            location: update.location.clone(),
            note: update.note.clone(),
            occurred_at: None,
        };
        let outcome = match post_status(pool, user, &number, event).await {
            Ok(event) => BulkOutcome {
                tracking_number: number,
                event: Some(event),
                error: None,
            },
            Err(AppError::Internal) => return Err(AppError::Internal),
            Err(error) => BulkOutcome {
                tracking_number: number,
                event: None,
                error: Some(error.to_string()),
            },
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// Registers a shipment for a customer (staff). It starts `pending`, with that
/// first status on its timeline.
pub async fn create(
    pool: &PgPool,
    user: &CurrentUser,
    new: NewShipment,
) -> Result<ShipmentSummary, AppError> {
    policy::require_staff(user)?;
    let tracking_number = TrackingNumber::parse(&new.tracking_number)
        .map_err(|e| AppError::validation("tracking_number", e))?;
    let owner_email = Email::parse(&new.owner_email).map_err(|e| AppError::validation("owner_email", e))?;
    let origin = required_text("origin", &new.origin, 100)?;
    let destination = required_text("destination", &new.destination, 100)?;
    let postal_code = normalise_postal_code(&new.destination_postal_code).ok_or_else(|| {
        AppError::validation("destination_postal_code", "enter the destination's postal code")
    })?;
    let carrier = required_text("carrier", &new.carrier, 60)?;
    let owner_id = db::users::find_user_id(pool, &owner_email)
        .await?
        .ok_or_else(|| AppError::validation("owner_email", "there is no account with this email address"))?;
    db::shipments::create(
        pool,
        &db::shipments::ShipmentRow {
            tracking_number: &tracking_number,
            owner_id,
            origin: &origin,
            destination: &destination,
            postal_code: &postal_code,
            carrier: &carrier,
            eta: new.eta,
            actor_id: user.id,
        },
    )
    .await
}

/// Postal codes compare without spaces and case ("sw1a 1aa" = "SW1A1AA").
pub fn normalise_postal_code(raw: &str) -> Option<String> {
    let code: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    (!code.is_empty() && code.len() <= 16).then_some(code)
}

/// A required one-line text field, trimmed, at most `max` characters.
pub(crate) fn required_text(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::validation(
            field,
            format!("enter the {}", field.replace('_', " ")),
        ));
    }
    check_free_text(field, Some(value), max)?;
    Ok(value.to_owned())
}

/// Optional free text may not exceed `max` characters.
pub(crate) fn check_free_text(field: &str, value: Option<&str>, max: usize) -> Result<(), AppError> {
    match value {
        Some(v) if v.chars().count() > max => Err(AppError::validation(
            field,
            format!(
                "{} is too long: at most {max} characters",
                field.replace('_', " ")
            ),
        )),
        _ => Ok(()),
    }
}

/// A malformed tracking number in a URL cannot name a shipment: not found.
pub(crate) fn parse_visible_number(input: &str) -> Result<TrackingNumber, AppError> {
    TrackingNumber::parse(input).map_err(|_| AppError::NotFound(format!("shipment {}", input.trim())))
}

//! `/api/v1/shipments…`: lists, detail, creation, status events and reopening.
//! Thin, over `app::ssr::actions::shipments`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use app::domain::input::{BulkStatusPost, Reopening, ShipmentDraft, StatusPost};
use app::domain::{
    BulkOutcome, BulkStatusPostRequest, ShipmentDetail, ShipmentDraftRequest, ShipmentEvent, ShipmentList,
    ShipmentQuery, ShipmentStatus, ShipmentSummary, StatusPostRequest, TimelineCursor, Viewer,
};
use app::error::{problem_response, AppError, ProblemDetails};
use app::ssr::actions::idempotency::{IdempotencyKey, Reply};
use app::ssr::actions::{shipment_in_path, shipments};
use app::ssr::web::AppState;

use crate::routes::support::extract::{ApiJson, ApiQuery};

/// The filters of `GET /api/v1/shipments` (all optional).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Only describes the query string; the handler reads it with `ShipmentQuery::from_params`.
pub struct ListParams {
    /// Only this status (e.g. `in_transit`).
    #[param(value_type = Option<ShipmentStatus>)]
    status: Option<String>,
    /// Part of a tracking number.
    #[param(pattern = r"^[\s-]*([A-Za-z0-9][\s-]*){0,32}$")]
    q: Option<String>,
    /// `1`: only shipments needing attention (exception, failed attempt, or no update for 48 h).
    attention: Option<String>,
    /// The `next_page` of the previous page.
    #[param(pattern = r"^(-?[0-9]{1,16}\.[A-Za-z0-9]{1,32})?$")]
    after: Option<String>,
    /// Page size (default 50; its range is `domain::input::FieldRule`'s).
    limit: Option<u32>,
    /// `csv`: every matching shipment as CSV (like `Accept: text/csv`);
    /// `after` and `limit` are then ignored.
    #[param(pattern = "^(csv|json)?$")]
    format: Option<String>,
}

/// The shipments the caller may see, filtered, one page at a time; or, for
/// `Accept: text/csv` (or `format=csv`), every matching one as a streamed CSV
/// download.
#[utoipa::path(get, path = "/api/v1/shipments", tag = "shipments", params(ListParams),
    responses((status = 200, content((ShipmentList = "application/json"), (String = "text/csv"))),
              (status = 401, body = ProblemDetails),
              (status = 422, description = "a filter is not valid", body = ProblemDetails)))]
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let query = ShipmentQuery::from_params(|name| params.get(name).map(String::as_str))
        .map_err(|e| AppError::validation(e.field, e.message))?;
    let wants_csv = match params.get("format").map(String::as_str) {
        Some("csv") => true,
        Some("json") => false,
        None | Some("") => crate::routes::support::csv::accepts_csv(&headers),
        Some(_) => return Err(AppError::validation("format", "format is csv or json")),
    };
    if wants_csv {
        return crate::routes::support::csv::shipments(&state.pool, viewer, query).await;
    }
    Ok(Json(shipments::list(&state.pool, &viewer, &query).await?).into_response())
}

/// Registers a shipment for a customer (operators and admins).
#[utoipa::path(post, path = "/api/v1/shipments", tag = "shipments", request_body = ShipmentDraftRequest,
    responses((status = 201, body = ShipmentSummary), (status = 403, body = ProblemDetails),
              (status = 422, body = ProblemDetails)))]
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(new): ApiJson<ShipmentDraftRequest>,
) -> Result<(StatusCode, Json<ShipmentSummary>), AppError> {
    let draft = ShipmentDraft::parse(new)?;
    Ok((
        StatusCode::CREATED,
        Json(shipments::create(&state.pool, &viewer, &draft).await?),
    ))
}

/// The `before` parameter of a shipment's detail.
#[derive(Deserialize)]
pub struct TimelinePage {
    before: Option<String>,
}

/// One shipment and a page of its timeline, newest first: the newest 50
/// events, or with `before` (the `older_events` of the previous page) the 50
/// before that.
#[utoipa::path(get, path = "/api/v1/shipments/{tracking_number}", tag = "shipments",
    params(("tracking_number" = String, Path),
           ("before" = Option<String>, Query, pattern = r"^(-?[0-9]{1,16}\.[0-9]{1,18})?$",
            description = "`older_events` of the previous page")),
    responses((status = 200, body = ShipmentDetail),
              (status = 404, description = "no such shipment, or not yours to see", body = ProblemDetails)))]
pub async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(tracking_number): Path<String>,
    ApiQuery(page): ApiQuery<TimelinePage>,
) -> Result<Json<ShipmentDetail>, AppError> {
    let number = shipment_in_path(&tracking_number)?;
    let before = page
        .before
        .as_deref()
        .filter(|raw| !raw.is_empty())
        .map(TimelineCursor::decode)
        .transpose()?;
    Ok(Json(
        shipments::detail(&state.pool, &viewer, &number, before).await?,
    ))
}

/// Posts a status event (operators and admins). With an `Idempotency-Key`
/// header, a retry with the same key and body returns the first response and
/// records nothing new; the same key with a different body is a 422.
#[utoipa::path(post, path = "/api/v1/shipments/{tracking_number}/events", tag = "shipments",
    params(("tracking_number" = String, Path),
           ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    request_body = StatusPostRequest,
    responses((status = 201, body = ShipmentEvent), (status = 403, body = ProblemDetails),
              (status = 404, body = ProblemDetails),
              (status = 409, description = "the transition is not allowed", body = ProblemDetails),
              (status = 422, body = ProblemDetails)))]
pub async fn post_status(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(tracking_number): Path<String>,
    headers: HeaderMap,
    ApiJson(event): ApiJson<StatusPostRequest>,
) -> Result<Response, AppError> {
    let number = shipment_in_path(&tracking_number)?;
    let post = StatusPost::parse(event, chrono::Utc::now())?;
    let Some(key) = headers.get("idempotency-key") else {
        let event = shipments::post_status(&state.pool, &viewer, &number, &post).await?;
        return Ok((StatusCode::CREATED, Json(event)).into_response());
    };
    // A header that is not visible ASCII reads as empty, which the key refuses.
    let key = IdempotencyKey::parse(key.to_str().unwrap_or_default())?;
    let reply = shipments::post_status_once(&state.pool, &viewer, &number, &post, &key).await?;
    Ok(reply_response(reply))
}

/// A reply as the idempotency store holds it: problems keep their content type.
fn reply_response(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    if status.is_success() {
        (status, Json(reply.body)).into_response()
    } else {
        problem_response(status, &reply.body)
    }
}

/// One status for many shipments (operators and admins): each row's transition
/// is checked on its own and reported in `outcomes`, in the order given.
#[utoipa::path(post, path = "/api/v1/status-updates", tag = "shipments", request_body = BulkStatusPostRequest,
    responses((status = 200, body = Vec<BulkOutcome>), (status = 403, body = ProblemDetails),
              (status = 422, body = ProblemDetails)))]
pub async fn post_status_bulk(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(update): ApiJson<BulkStatusPostRequest>,
) -> Result<Json<Vec<BulkOutcome>>, AppError> {
    let bulk = BulkStatusPost::parse(update, chrono::Utc::now())?;
    Ok(Json(
        shipments::post_status_bulk(&state.pool, &viewer, &bulk).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct ReopenRequest {
    /// Where the journey goes on (any status that is not final).
    status: ShipmentStatus,
    /// Why, for the timeline (up to 500 characters).
    reason: String,
}

/// Reopens a delivered, returned, lost or cancelled shipment (admins). The
/// reason is recorded on its timeline.
#[utoipa::path(post, path = "/api/v1/shipments/{tracking_number}/reopen", tag = "shipments",
    params(("tracking_number" = String, Path)), request_body = ReopenRequest,
    responses((status = 201, body = ShipmentEvent), (status = 403, body = ProblemDetails),
              (status = 404, body = ProblemDetails),
              (status = 409, description = "the shipment is not in a final status", body = ProblemDetails),
              (status = 422, body = ProblemDetails)))]
pub async fn reopen(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(tracking_number): Path<String>,
    ApiJson(body): ApiJson<ReopenRequest>,
) -> Result<(StatusCode, Json<ShipmentEvent>), AppError> {
    let number = shipment_in_path(&tracking_number)?;
    let reopening = Reopening::parse(body.status, &body.reason)?;
    let event = shipments::reopen(&state.pool, &viewer, &number, &reopening).await?;
    Ok((StatusCode::CREATED, Json(event)))
}

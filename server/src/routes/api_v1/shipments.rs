//! `/api/v1/shipments…`: lists, detail, creation and status events.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use app::domain::{
    BulkOutcome, BulkStatusUpdate, NewShipment, NewStatusEvent, ShipmentDetail, ShipmentEvent, ShipmentList,
    ShipmentQuery, ShipmentSummary,
};
use app::error::AppError;
use app::ssr::auth::current_user::CurrentUser;
use app::ssr::idempotency::{self, Claim};
use app::ssr::shipments;
use app::ssr::state::AppState;

use super::openapi::{ListParams, ProblemDetails};
use crate::routes::extract::ApiJson;

/// The shipments the caller may see, filtered, one page at a time.
#[utoipa::path(get, path = "/api/v1/shipments", tag = "shipments", params(ListParams),
    responses((status = 200, body = ShipmentList), (status = 401, body = ProblemDetails),
              (status = 422, description = "a filter is not valid", body = ProblemDetails)))]
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<ShipmentList>, AppError> {
    let query = ShipmentQuery::from_params(|name| params.get(name).map(String::as_str))
        .map_err(|e| AppError::validation(e.field, e.message))?;
    Ok(Json(shipments::list(&state.pool, &user, &query).await?))
}

/// Registers a shipment for a customer (operators and admins).
#[utoipa::path(post, path = "/api/v1/shipments", tag = "shipments", request_body = NewShipment,
    responses((status = 201, body = ShipmentSummary), (status = 403, body = ProblemDetails),
              (status = 422, body = ProblemDetails)))]
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(new): ApiJson<NewShipment>,
) -> Result<(StatusCode, Json<ShipmentSummary>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(shipments::create(&state.pool, &user, new).await?),
    ))
}

/// One shipment and its timeline.
#[utoipa::path(get, path = "/api/v1/shipments/{tracking_number}", tag = "shipments",
    params(("tracking_number" = String, Path)),
    responses((status = 200, body = ShipmentDetail),
              (status = 404, description = "no such shipment, or not yours to see", body = ProblemDetails)))]
pub async fn detail(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(tracking_number): Path<String>,
) -> Result<Json<ShipmentDetail>, AppError> {
    Ok(Json(
        shipments::detail(&state.pool, &user, &tracking_number).await?,
    ))
}

/// Posts a status event (operators and admins). With an `Idempotency-Key`
/// header, a retry with the same key and body returns the first response and
/// records nothing new; the same key with a different body is a 422.
#[utoipa::path(post, path = "/api/v1/shipments/{tracking_number}/events", tag = "shipments",
    params(("tracking_number" = String, Path),
           ("Idempotency-Key" = Option<String>, Header, description = "makes retries safe")),
    request_body = NewStatusEvent,
    responses((status = 201, body = ShipmentEvent), (status = 403, body = ProblemDetails),
              (status = 404, body = ProblemDetails),
              (status = 409, description = "the transition is not allowed", body = ProblemDetails),
              (status = 422, body = ProblemDetails)))]
pub async fn post_status(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(tracking_number): Path<String>,
    headers: HeaderMap,
    ApiJson(event): ApiJson<NewStatusEvent>,
) -> Result<Response, AppError> {
    let Some(key) = headers.get("idempotency-key") else {
        let event = shipments::post_status(&state.pool, &user, &tracking_number, event).await?;
        return Ok((StatusCode::CREATED, Json(event)).into_response());
    };
    let key = key
        .to_str()
        .map_err(|_| AppError::validation("Idempotency-Key", "use ASCII characters only"))?;
    let body = serde_json::to_vec(&event).map_err(|e| anyhow::anyhow!("fingerprinting a request: {e}"))?;
    let request_hash = idempotency::fingerprint(&[b"post_status", tracking_number.as_bytes(), &body]);
    if let Claim::Replay { status, body } = idempotency::claim(&state.pool, &user, key, &request_hash).await?
    {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
        return Ok(stored_response(status, body));
    }
    let (status, body) = match shipments::post_status(&state.pool, &user, &tracking_number, event).await {
        Ok(event) => (
            StatusCode::CREATED,
            serde_json::to_value(&event).unwrap_or_default(),
        ),
        Err(error) => (error.status_code(), error.problem_body()),
    };
    idempotency::store(&state.pool, &user, key, status.as_u16(), &body).await?;
    Ok(stored_response(status, body))
}

/// A response rebuilt from what the idempotency table holds: problems keep
/// their content type.
fn stored_response(status: StatusCode, body: serde_json::Value) -> Response {
    if status.is_success() {
        (status, Json(body)).into_response()
    } else {
        let mut response = (status, body.to_string()).into_response();
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

/// One status for many shipments (operators and admins): each row's transition
/// is checked on its own and reported in `outcomes`, in the order given.
#[utoipa::path(post, path = "/api/v1/status-updates", tag = "shipments", request_body = BulkStatusUpdate,
    responses((status = 200, body = Vec<BulkOutcome>), (status = 403, body = ProblemDetails),
              (status = 422, body = ProblemDetails)))]
pub async fn post_status_bulk(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(update): ApiJson<BulkStatusUpdate>,
) -> Result<Json<Vec<BulkOutcome>>, AppError> {
    Ok(Json(
        shipments::post_status_bulk(&state.pool, &user, update).await?,
    ))
}

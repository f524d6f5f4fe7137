//! `/api/v1/webhooks`: a person's webhook endpoints, their secrets, replay,
//! test deliveries and delivery log. Thin, over `app::ssr::actions::webhooks`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use app::domain::input::WebhookEndpointRequest;
use app::domain::{Viewer, WebhookAttempt, WebhookEndpoint, WebhookSecret};
use app::error::{AppError, ProblemDetails};
use app::ssr::actions::webhooks::{self, ReplayFrom};
use app::ssr::web::AppState;

use crate::routes::support::extract::{ApiJson, ApiPath};

/// Your webhook endpoints.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<WebhookEndpoint>), (status = 401, body = ProblemDetails)))]
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<Vec<WebhookEndpoint>>, AppError> {
    Ok(Json(webhooks::list(&state.pool, &viewer).await?))
}

/// Registers an endpoint. It receives, signed (Standard Webhooks v1), the
/// changes you may see that match its topics, committed from now on. The
/// secret is shown once, in this answer.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookEndpointRequest,
    responses((status = 201, body = WebhookSecret), (status = 401, body = ProblemDetails),
              (status = 409, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
pub async fn register(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(body): ApiJson<WebhookEndpointRequest>,
) -> Result<(StatusCode, Json<WebhookSecret>), AppError> {
    let created = webhooks::register(&state.pool, state.webhooks.policy, &viewer, &body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One of your endpoints.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = WebhookEndpoint), (status = 401, body = ProblemDetails),
              (status = 404, body = ProblemDetails)))]
pub async fn get(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<WebhookEndpoint>, AppError> {
    Ok(Json(webhooks::get(&state.pool, &viewer, id).await?))
}

/// Changes an endpoint's URL and topics.
#[utoipa::path(put, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    request_body = WebhookEndpointRequest,
    responses((status = 200, body = WebhookEndpoint), (status = 401, body = ProblemDetails),
              (status = 404, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
pub async fn change(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<WebhookEndpointRequest>,
) -> Result<Json<WebhookEndpoint>, AppError> {
    Ok(Json(
        webhooks::change(&state.pool, state.webhooks.policy, &viewer, id, &body).await?,
    ))
}

/// Deletes an endpoint and its log.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ProblemDetails), (status = 404, body = ProblemDetails)))]
pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, AppError> {
    webhooks::delete(&state.pool, &viewer, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Switch {
    /// On: deliveries resume where they stopped, nothing skipped. Off: they wait.
    enabled: bool,
}

/// Switches an endpoint on or off.
#[utoipa::path(put, path = "/api/v1/webhooks/{id}/enabled", tag = "webhooks", params(("id" = i64, Path)),
    request_body = Switch,
    responses((status = 200, body = WebhookEndpoint), (status = 401, body = ProblemDetails),
              (status = 404, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
pub async fn set_enabled(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Switch>,
) -> Result<Json<WebhookEndpoint>, AppError> {
    Ok(Json(
        webhooks::set_enabled(&state.pool, &viewer, id, body.enabled).await?,
    ))
}

/// A new secret, shown once. The old one keeps signing beside it for 24
/// hours (both signatures are sent), so receivers can switch over.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/secret", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = WebhookSecret), (status = 401, body = ProblemDetails),
              (status = 404, body = ProblemDetails)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<WebhookSecret>, AppError> {
    Ok(Json(webhooks::rotate_secret(&state.pool, &viewer, id).await?))
}

/// Where a replay starts: after a stream position (the `position` of a
/// delivered payload), or from a time on.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Replay {
    After(ReplayAfter),
    Since(ReplaySince),
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayAfter {
    #[schema(minimum = 0)]
    after: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaySince {
    since: DateTime<Utc>,
}

/// Delivers again, in order, everything the endpoint receives after a
/// stream position or since a time, with the same `webhook-id`s as before
/// (receivers that kept them skip what they have).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/replay", tag = "webhooks", params(("id" = i64, Path)),
    request_body = Replay,
    responses((status = 202, body = WebhookEndpoint), (status = 401, body = ProblemDetails),
              (status = 404, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
pub async fn replay(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Replay>,
) -> Result<(StatusCode, Json<WebhookEndpoint>), AppError> {
    let from = match body {
        Replay::After(ReplayAfter { after }) => ReplayFrom::After(after),
        Replay::Since(ReplaySince { since }) => ReplayFrom::Since(since),
    };
    let endpoint = webhooks::replay(&state.pool, &viewer, id, from).await?;
    Ok((StatusCode::ACCEPTED, Json(endpoint)))
}

/// Sends a test event (`webhook.test`) now and answers how it went.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/test", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = WebhookAttempt), (status = 401, body = ProblemDetails),
              (status = 404, body = ProblemDetails)))]
pub async fn send_test(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<WebhookAttempt>, AppError> {
    Ok(Json(
        webhooks::send_test(&state.pool, state.webhooks.policy, &viewer, id).await?,
    ))
}

/// The endpoint's newest 50 delivery attempts: time, attempt, HTTP status,
/// latency and the first bytes of the answer.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<WebhookAttempt>), (status = 401, body = ProblemDetails),
              (status = 404, body = ProblemDetails)))]
pub async fn deliveries(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<WebhookAttempt>>, AppError> {
    Ok(Json(webhooks::attempts(&state.pool, &viewer, id).await?))
}

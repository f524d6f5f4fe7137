//! `/api/v1` endpoints for watching, delivery instructions and problems: thin,
//! over `app::ssr::actions::{watching, problems}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use app::domain::{input, Problem, ShipmentSummary, Viewer};
use app::error::{AppError, ProblemDetails};
use app::ssr::actions::{problems, shipment_in_path, watching};
use app::ssr::web::AppState;

use crate::routes::support::extract::{ApiJson, ApiPath, ClientIp};

#[derive(Deserialize, ToSchema)]
pub struct WatchRequest {
    tracking_number: String,
    /// The destination's postal code: the proof that you know the shipment.
    postal_code: String,
}

/// Starts watching a shipment. An unknown number and a wrong postal code get
/// the same 404.
#[utoipa::path(post, path = "/api/v1/watches", tag = "watching", request_body = WatchRequest,
    responses((status = 201, body = ShipmentSummary), (status = 404, body = ProblemDetails),
              (status = 422, body = ProblemDetails)))]
pub async fn watch(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientIp(client): ClientIp,
    ApiJson(body): ApiJson<WatchRequest>,
) -> Result<(StatusCode, Json<ShipmentSummary>), AppError> {
    let proof = input::WatchProof::parse(&body.tracking_number, &body.postal_code)?;
    let summary = watching::watch(&state.pool, &viewer, &proof, client).await?;
    Ok((StatusCode::CREATED, Json(summary)))
}

/// Stops watching a shipment (204 also when you were not watching it).
#[utoipa::path(delete, path = "/api/v1/watches/{tracking_number}", tag = "watching",
    params(("tracking_number" = String, Path)), responses((status = 204), (status = 401, body = ProblemDetails)))]
pub async fn unwatch(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(tracking_number): Path<String>,
) -> Result<StatusCode, AppError> {
    watching::unwatch(&state.pool, &viewer, &shipment_in_path(&tracking_number)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct InstructionsRequest {
    /// Up to 500 characters; blank removes them.
    instructions: String,
}

/// Sets the delivery instructions of your own shipment.
#[utoipa::path(put, path = "/api/v1/shipments/{tracking_number}/instructions", tag = "watching",
    params(("tracking_number" = String, Path)), request_body = InstructionsRequest,
    responses((status = 204), (status = 403, description = "not your shipment", body = ProblemDetails),
              (status = 404, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
pub async fn set_instructions(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(tracking_number): Path<String>,
    ApiJson(body): ApiJson<InstructionsRequest>,
) -> Result<StatusCode, AppError> {
    let number = shipment_in_path(&tracking_number)?;
    let instructions = input::instructions(&body.instructions)?;
    watching::set_instructions(&state.pool, &viewer, &number, instructions.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct ProblemReport {
    /// What is wrong, up to 2000 characters.
    description: String,
}

/// Reports a problem on a shipment you can see.
#[utoipa::path(post, path = "/api/v1/shipments/{tracking_number}/problems", tag = "problems",
    params(("tracking_number" = String, Path)), request_body = ProblemReport,
    responses((status = 201, body = Problem), (status = 404, body = ProblemDetails),
              (status = 422, body = ProblemDetails)))]
pub async fn report_problem(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(tracking_number): Path<String>,
    ApiJson(body): ApiJson<ProblemReport>,
) -> Result<(StatusCode, Json<Problem>), AppError> {
    let number = shipment_in_path(&tracking_number)?;
    let description = input::problem_description(&body.description)?;
    let problem = problems::report(&state.pool, &viewer, &number, &description).await?;
    Ok((StatusCode::CREATED, Json(problem)))
}

/// Every open problem, oldest first (operators and admins).
#[utoipa::path(get, path = "/api/v1/problems", tag = "problems",
    responses((status = 200, body = Vec<Problem>), (status = 403, body = ProblemDetails)))]
pub async fn open_problems(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<Vec<Problem>>, AppError> {
    Ok(Json(problems::open_problems(&state.pool, &viewer).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct Resolution {
    /// What was done about it.
    resolution: String,
}

/// Resolves an open problem (operators and admins).
#[utoipa::path(post, path = "/api/v1/problems/{id}/resolution", tag = "problems",
    params(("id" = i64, Path)), request_body = Resolution,
    responses((status = 204), (status = 403, body = ProblemDetails),
              (status = 404, description = "no such open problem", body = ProblemDetails)))]
pub async fn resolve_problem(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Resolution>,
) -> Result<StatusCode, AppError> {
    let resolution = input::resolution(&body.resolution)?;
    problems::resolve(&state.pool, &viewer, id, &resolution).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! Status imports in the API: `POST /api/v1/status-imports` (the CSV as the
//! body) and `GET /api/v1/status-imports/{id}` (the report as JSON, or as CSV
//! for `Accept: text/csv` / `format=csv`). Over `app::ssr::actions::imports`,
//! like the console's upload form (`routes::forms::imports`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use app::domain::csv::record;
use app::domain::import::ImportReport;
use app::domain::Viewer;
use app::error::{AppError, ProblemDetails};
use app::ssr::actions::imports;
use app::ssr::web::AppState;

use crate::routes::support::csv;
use crate::routes::support::extract::{ApiPath, ApiQuery};

/// Imports a CSV of status updates (header row: `tracking_number,status`
/// and optionally `location,note,occurred_at`). Each row is applied or
/// refused on its own; the same file again changes nothing (200 with the
/// first report, `already_imported`).
#[utoipa::path(post, path = "/api/v1/status-imports", tag = "shipments",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 201, body = ImportReport), (status = 200, description = "this file was imported before", body = ImportReport),
              (status = 403, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, AppError> {
    let report = imports::import_status_csv(&state.pool, &viewer, None, &body).await?;
    let status = if report.already_imported {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(report)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct ReportParams {
    format: Option<String>,
}

/// An import's report: JSON, or CSV (`line,tracking_number,status,outcome,reason`).
#[utoipa::path(get, path = "/api/v1/status-imports/{id}", tag = "shipments",
    params(("id" = i64, Path, description = "the import"),
           ("format" = Option<String>, Query, description = "`csv` for the report as CSV", pattern = "^(csv|json)?$")),
    responses((status = 200, content((ImportReport = "application/json"), (String = "text/csv"))),
              (status = 403, body = ProblemDetails), (status = 404, body = ProblemDetails)))]
pub async fn report(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(params): ApiQuery<ReportParams>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let report = imports::report(&state.pool, &viewer, id).await?;
    let csv = match params.format.as_deref() {
        Some("csv") => true,
        None | Some("") | Some("json") => params.format.is_none() && csv::accepts_csv(&headers),
        Some(_) => return Err(AppError::validation("format", "format is csv or json")),
    };
    if !csv {
        return Ok(Json(report).into_response());
    }
    let mut body = record(["line", "tracking_number", "status", "outcome", "reason"]);
    for row in &report.rows {
        let line = row.line.to_string();
        let outcome = if row.applied { "applied" } else { "refused" };
        body.push_str(&record([
            line.as_str(),
            &row.tracking_number,
            &row.status,
            outcome,
            row.reason.as_deref().unwrap_or(""),
        ]));
    }
    Ok(csv::download(body, &format!("import-{id}-report.csv")))
}

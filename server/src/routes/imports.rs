//! Status imports' doors: `POST /api/v1/status-imports` (the CSV as the body),
//! `GET /api/v1/status-imports/{id}` (the report as JSON, or as CSV for
//! `Accept: text/csv` / `format=csv`), and the console's upload form
//! (`POST /operator/imports`, multipart, works without JavaScript). All over
//! `app::ssr::actions::imports`.

use axum::body::Bytes;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::Deserialize;

use app::domain::csv::record;
use app::domain::import::{ImportReport, MAX_IMPORT_BYTES};
use app::domain::Viewer;
use app::error::{AppError, ProblemDetails};
use app::ssr::actions::imports;
use app::ssr::web::AppState;

use super::extract::{ApiPath, ApiQuery};

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
        None | Some("") | Some("json") => params.format.is_none() && super::csv::accepts_csv(&headers),
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
    Ok(super::csv::download(body, &format!("import-{id}-report.csv")))
}

/// `POST /operator/imports`: the console's form (field `file`). Answers 303
/// to the report page, or back to the console with why.
pub async fn upload(
    State(state): State<AppState>,
    viewer: Result<Viewer, AppError>,
    mut form: Multipart,
) -> Response {
    let Ok(viewer) = viewer else {
        return Redirect::to("/login?next=/operator").into_response();
    };
    let mut file = None;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().map(str::to_owned);
        match field.bytes().await {
            Ok(bytes) if bytes.len() <= MAX_IMPORT_BYTES => file = Some((name, bytes)),
            _ => return Redirect::to("/operator?import_error=size").into_response(),
        }
        break;
    }
    let Some((name, bytes)) = file.filter(|(_, bytes)| !bytes.is_empty()) else {
        return Redirect::to("/operator?import_error=empty").into_response();
    };
    match imports::import_status_csv(&state.pool, &viewer, name.as_deref(), &bytes).await {
        Ok(report) => Redirect::to(&format!("/operator/imports/{}", report.id)).into_response(),
        Err(AppError::Validation { .. }) => Redirect::to("/operator?import_error=file").into_response(),
        Err(error) => error.into_response(),
    }
}

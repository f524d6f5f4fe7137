//! `POST /operator/imports`: the console's CSV upload form (multipart, works
//! without JavaScript), over `app::ssr::actions::imports` like the API's
//! `POST /api/v1/status-imports`.

use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Redirect, Response};

use app::domain::import::MAX_IMPORT_BYTES;
use app::domain::Viewer;
use app::error::AppError;
use app::ssr::actions::imports;
use app::ssr::web::AppState;

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

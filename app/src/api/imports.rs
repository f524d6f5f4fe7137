//! The import report page's server function (staff). Thin, over
//! `ssr::actions::imports`; uploads go through the console's form or the API.

use leptos::prelude::*;

use crate::domain::import::ImportReport;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{api::as_viewer, ssr::actions::imports};

#[server(endpoint = "read_import_report")]
pub async fn read_import_report(id: i64) -> Result<ImportReport, AppError> {
    as_viewer(|state, viewer| async move { imports::report(&state.pool, &viewer, id).await }).await
}

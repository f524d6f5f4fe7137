//! CSV downloads, streamed: rows are written as they are read, a page at a
//! time, so an export of 100,000 shipments holds one page in memory, not the
//! file.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use sqlx::PgPool;

use app::domain::csv::{record, shipment_record, SHIPMENT_COLUMNS};
use app::domain::{ShipmentQuery, Viewer};
use app::error::AppError;
use app::ssr::actions::shipments::Export;

/// Whether the client asked for CSV before JSON (`Accept: text/csv`).
pub fn accepts_csv(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|item| item.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .find(|kind| kind == "text/csv" || kind == "application/json")
        .is_some_and(|kind| kind == "text/csv")
}

/// Every shipment `viewer` may see that matches `query`'s filters, as CSV.
/// The snapshot is opened before the response starts, so a database that is
/// away answers 503 like any request; a failure after the first byte cuts the
/// download off (the file is then visibly incomplete, never silently short).
pub async fn shipments(pool: &PgPool, viewer: Viewer, query: ShipmentQuery) -> Result<Response, AppError> {
    let mut export = Export::begin(pool, viewer, query).await?;
    let body = async_stream::try_stream! {
        yield Bytes::from(record(SHIPMENT_COLUMNS));
        while let Some(page) = export.next_page().await? {
            let mut chunk = String::with_capacity(page.len() * 96);
            for shipment in &page {
                chunk.push_str(&shipment_record(shipment));
            }
            yield Bytes::from(chunk);
        }
    };
    let body = Body::from_stream(futures::StreamExt::map(body, |item: Result<Bytes, AppError>| {
        item.map_err(|error| std::io::Error::other(error.to_string()))
    }));
    let filename = format!("shipments-{}.csv", chrono::Utc::now().format("%Y%m%d-%H%M"));
    Ok(download(body, &filename))
}

/// A CSV response the browser saves as `filename`.
pub fn download(body: impl IntoResponse, filename: &str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

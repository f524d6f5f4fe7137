//! What a visitor gets while the database is unavailable: 503 with
//! `Retry-After`, never a 500. The API and server functions answer with a
//! problem document ([`AppError::Unavailable`]); pages with the short page
//! below, which retries on its own.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use app::error::{AppError, UNAVAILABLE_RETRY_AFTER_SECS};

/// The page shown instead of any page while the database is unavailable. It
/// reloads itself every few seconds, so the user lands back on what they asked
/// for once the database is back, without doing anything.
pub fn unavailable_page() -> Response {
    let seconds = UNAVAILABLE_RETRY_AFTER_SECS;
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta http-equiv="refresh" content="{seconds}">
<title>Temporarily unavailable · Shipwatch</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5}}</style>
</head>
<body>
<main>
<h1>Shipwatch is briefly unavailable</h1>
<p role="status">We cannot reach our database right now; nothing you did was lost. This page tries again every {seconds} seconds by itself.</p>
<p><a href="">Try again now</a></p>
</main>
</body>
</html>
"#
    );
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, Html(html)).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// The session layer answers a bare 500 (no body) when it cannot save a
/// session, which with sessions in PostgreSQL means the database is
/// unavailable (signing in during a restart, say). Those become a 503 problem
/// document with `Retry-After` — or, for a page, the page above. Our own 500s
/// always carry a body and pass unchanged.
pub async fn session_store_failures(request: Request, next: Next) -> Response {
    let page = is_page_request(&request);
    let response = next.run(request).await;
    let bare = response.status() == StatusCode::INTERNAL_SERVER_ERROR
        && !response.headers().contains_key(header::CONTENT_TYPE);
    match (bare, page) {
        (true, true) => unavailable_page(),
        (true, false) => AppError::Unavailable.into_response(),
        (false, _) => response,
    }
}

/// A page (or file) being fetched, rather than the API or a server function.
fn is_page_request(request: &Request) -> bool {
    request.method() == axum::http::Method::GET && !request.uri().path().starts_with("/api/")
}

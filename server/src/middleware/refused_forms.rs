//! Forms on server functions, without JavaScript: a refusal shows the page
//! again with its errors and what was typed.
//!
//! Without JavaScript an `ActionForm` is a plain form post to its server
//! function. Leptos answers a refusal with the error encoded in a `Location`
//! back to the form's page (`?__path=…&__err=…`), but with the error's status
//! (422, 409), which browsers do not follow: the user saw a bare JSON body.
//! Here, such a refusal is answered with that page itself, rendered for the
//! same user at that URL (so Leptos shows the errors under their fields),
//! with the submitted fields in the request ([`FormEcho`]) so the form shows
//! them again, and a 422 or 409 status. Success (a redirect back) and every
//! request with JavaScript pass through untouched.

use std::net::SocketAddr;

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceExt as _;

use app::error::AppError;
use app::ssr::web::form_echo::{refusal_status, FormEcho};

/// Forms are a few fields; anything larger is not one of ours.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// Middleware around the whole app; `app` is the app without it, to render
/// the form's page again.
pub async fn render_refused_forms(app: Router, request: Request, next: Next) -> Response {
    if !is_plain_form_post_to_a_server_function(&request) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return AppError::validation("form", "this form is too large").into_response();
    };
    let echo = FormEcho {
        action: parts.uri.path().to_owned(),
        fields: form_urlencoded::parse(&bytes).into_owned().collect(),
    };
    let headers = parts.headers.clone();
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().cloned();
    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let Some(page) = refused_form_page(&response) else {
        return response;
    };

    let mut again = Request::new(Body::empty());
    *again.uri_mut() = page;
    *again.headers_mut() = headers;
    again.headers_mut().remove(header::CONTENT_TYPE);
    again.headers_mut().remove(header::CONTENT_LENGTH);
    again
        .headers_mut()
        .insert(header::ACCEPT, HeaderValue::from_static("text/html"));
    again.extensions_mut().insert(echo);
    if let Some(peer) = peer {
        again.extensions_mut().insert(peer);
    }
    let status = refusal_status(response.status().as_u16());
    let mut rendered = match app.oneshot(again).await {
        Ok(rendered) => rendered,
        Err(never) => match never {},
    };
    if rendered.status() == StatusCode::OK {
        *rendered.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    }
    rendered
}

/// A form a browser submitted on its own (no JavaScript: it asks for HTML)
/// to a server function (under `/api/`, but not the JSON API or the stream).
fn is_plain_form_post_to_a_server_function(request: &Request) -> bool {
    let path = request.uri().path();
    let header_has = |name: header::HeaderName, needle: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains(needle))
    };
    request.method() == Method::POST
        && path.starts_with("/api/")
        && !path.starts_with("/api/v1/")
        && path != "/api/events"
        && header_has(header::ACCEPT, "text/html")
        && header_has(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
}

/// The page to render again: the path and query of the `Location` of a
/// refusal that carries the error for the form (`__err`), on our own origin
/// (only the path is kept, whatever host the browser's Referer named).
fn refused_form_page(response: &Response) -> Option<Uri> {
    if !(response.status().is_client_error() || response.status().is_server_error()) {
        return None;
    }
    let location: Uri = response
        .headers()
        .get(header::LOCATION)?
        .to_str()
        .ok()?
        .parse()
        .ok()?;
    let page = location.path_and_query()?;
    page.query()?
        .contains("__err=")
        .then(|| page.as_str().parse().ok())?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(status: u16, location: &str) -> Response {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::from_u16(status).expect("status");
        response.headers_mut().insert(
            header::LOCATION,
            HeaderValue::from_str(location).expect("location"),
        );
        response
    }

    #[test]
    fn only_a_refusal_naming_its_error_is_rendered_again_on_our_own_origin() {
        let page = refused_form_page(&refusal(
            422,
            "http://evil.example/shipments/SW1?__path=%2Fapi%2Fx&__err=e30",
        ));
        assert_eq!(
            page.expect("a page").to_string(),
            "/shipments/SW1?__path=%2Fapi%2Fx&__err=e30"
        );
        assert!(
            refused_form_page(&refusal(302, "http://127.0.0.1/?x=1")).is_none(),
            "success"
        );
        assert!(
            refused_form_page(&refusal(422, "http://127.0.0.1/")).is_none(),
            "no error in it"
        );
    }
}

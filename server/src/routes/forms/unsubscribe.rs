//! `/unsubscribe?token=…`: the link at the foot of every notification email.
//! It works signed out — the signed token is the authority, not a session.
//!
//! `GET` only shows a page with a button: mail scanners open links, and an
//! open must not unsubscribe anyone. `POST` (the button, or a mail provider's
//! one-click request per RFC 8058, `List-Unsubscribe=One-Click`) turns the
//! account's email notifications off. A tampered or foreign token is refused
//! with 400 and changes nothing.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use app::error::AppError;
use app::ssr::actions::notifications;
use app::ssr::auth::signing::{Purpose, MAX_TOKEN_LEN};
use app::ssr::web::AppState;

#[derive(Debug, Deserialize)]
pub struct TokenParam {
    #[serde(default)]
    token: String,
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Shipwatch</title></head>\
         <body><main><h1>{title}</h1>{body}</main></body></html>"
    );
    (status, Html(html)).into_response()
}

fn refused() -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "This link is not valid",
        "<p>This unsubscribe link is not valid (it may have been cut short or changed). \
         <a href=\"/settings\">Sign in and turn emails off in your notification settings</a> instead.</p>",
    )
}

/// The confirmation page. The token is checked here already, so a bad link
/// says so before anyone presses the button.
pub async fn confirm(State(state): State<AppState>, Query(param): Query<TokenParam>) -> Response {
    if state
        .signing_key
        .verify(Purpose::Unsubscribe, param.token.trim())
        .is_none()
    {
        return refused();
    }
    // Only characters a signed token has (base64url and '.') are echoed.
    let token: String = param
        .token
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(MAX_TOKEN_LEN)
        .collect();
    page(
        StatusCode::OK,
        "Stop Shipwatch emails?",
        &format!(
            "<p>You will no longer get emails about your shipments. The bell in the app keeps \
             telling you what changed.</p>\
             <form method=\"post\" action=\"/unsubscribe\"><input type=\"hidden\" name=\"token\" value=\"{token}\">\
             <button type=\"submit\">Stop emails</button></form>"
        ),
    )
}

/// Turns email off. The token comes in the form (the button) or in the query
/// (one-click unsubscribe posts to the link itself).
pub async fn apply(State(state): State<AppState>, Query(query): Query<TokenParam>, body: Bytes) -> Response {
    // The body is read as a form whatever its declared type: mail providers
    // differ in how they label the one-click POST.
    let token = form_urlencoded::parse(&body)
        .find_map(|(name, value)| (name == "token").then(|| value.into_owned()))
        .unwrap_or(query.token);
    match notifications::unsubscribe(&state.pool, &state.signing_key, &token).await {
        Ok(()) => page(
            StatusCode::OK,
            "You will get no more emails",
            "<p>Email notifications are off for your account. You can turn them on again in your \
             <a href=\"/settings\">notification settings</a>.</p>",
        ),
        Err(AppError::Validation { .. }) => refused(),
        Err(error) => error.into_response(),
    }
}

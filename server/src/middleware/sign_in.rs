//! Sign-in for pages: signed-out visitors of a page are sent to `/login`.
//! Whether a request is signed in is `app::ssr::web::BrowserSession`'s to
//! say, as for the API and server functions, so a session past its lifetime
//! is signed out for pages and data alike.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use app::error::AppError;
use app::ssr::web::{AppState, BrowserSession, SignedIn};

use crate::routes::support::url::urlencode;

/// The pages a visitor may open without an account.
const PUBLIC_PAGES: [&str; 3] = ["/login", "/register", "/track"];

/// Sends signed-out visitors of a page to `/login`, remembering where they were
/// going. Layered on the app's page routes only: the API answers 401 itself,
/// and probes and static files need no account. A signed-in request carries
/// `SignedIn` on to the page (its shell starts the live stream with it).
pub async fn pages_require_sign_in(
    State(state): State<AppState>,
    session: BrowserSession,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    // `/track/<link>`: the public tracking page; its signed link is the authority.
    // HEAD is a GET without the body, so it is guarded alike.
    let reads = matches!(*request.method(), Method::GET | Method::HEAD);
    if !reads || PUBLIC_PAGES.contains(&path) || path.starts_with("/track/") {
        return next.run(request).await;
    }
    let rendered_at = state.hub.last_position();
    match session.current(&state).await {
        Ok(Some(signed_in)) => {
            request.extensions_mut().insert(SignedIn {
                email: signed_in.user.email,
                rendered_at,
            });
            next.run(request).await
        }
        // No session, one past its lifetime, or its account was deleted.
        Ok(None) => {
            let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
            let login = if target == "/" {
                "/login".to_owned()
            } else {
                format!("/login?next={}", urlencode(target))
            };
            Redirect::to(&login).into_response()
        }
        Err(AppError::Unavailable) => super::outage::unavailable_page(),
        Err(error) => error.into_response(),
    }
}

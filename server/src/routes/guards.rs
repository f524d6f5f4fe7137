//! Middleware that protects every route: the same-origin check for
//! state-changing requests, and sign-in for pages.

use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use app::error::AppError;
use app::ssr::auth::session::{session_error, USER_ID_KEY};
use app::ssr::db;
use app::ssr::web::AppState;
use app::ssr::web::{has_bearer_token, SignedIn};

/// Refuses (403) a state-changing request that is not authenticated by a bearer
/// token unless its `Origin` (or, lacking that, `Referer`) is our own origin.
/// A cross-site page can make a browser send our cookie, but not forge Origin.
pub async fn same_origin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // A signed link acts by its token alone, never by the cookie, so a
    // cross-site request gains nothing there (and mail providers' one-click
    // unsubscribe posts from elsewhere by design).
    let signed_link = request.uri().path() == "/unsubscribe";
    if safe
        || signed_link
        || has_bearer_token(request.headers())
        || comes_from_us(&request, &state.public_origin)
    {
        return next.run(request).await;
    }
    tracing::warn!(method = %request.method(), path = request.uri().path(), "cross-origin request refused");
    AppError::Forbidden.into_response()
}

fn comes_from_us(request: &Request, public_origin: &str) -> bool {
    let headers = request.headers();
    let claimed = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|v| *v != "null")
        .map(str::to_owned)
        .or_else(|| {
            let referer = headers.get(header::REFERER)?.to_str().ok()?;
            let after_scheme = referer.find("://")? + 3;
            let end = referer[after_scheme..]
                .find('/')
                .map_or(referer.len(), |i| after_scheme + i);
            Some(referer[..end].to_owned())
        });
    let Some(origin) = claimed else { return false };
    if origin.eq_ignore_ascii_case(public_origin) {
        return true;
    }
    // Also accept the host the browser addressed (e.g. localhost vs 127.0.0.1).
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, h)| h);
    matches!((host, origin_host), (Some(h), Some(o)) if h.eq_ignore_ascii_case(o))
}

/// The pages a visitor may open without an account.
const PUBLIC_PAGES: [&str; 3] = ["/login", "/register", "/track"];

/// Sends signed-out visitors of a page to `/login`, remembering where they were
/// going. Layered on the app's page routes only: the API answers 401 itself,
/// and probes and static files need no account. A signed-in request carries
/// `SignedIn` on to the page (its shell starts the live stream with it).
pub async fn pages_require_sign_in(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    // `/track/<link>`: the public tracking page; its signed link is the authority.
    if request.method() != Method::GET || PUBLIC_PAGES.contains(&path) || path.starts_with("/track/") {
        return next.run(request).await;
    }
    let rendered_at = state.hub.last_position();
    let user = match session.get::<i64>(USER_ID_KEY).await {
        Ok(Some(user_id)) => db::users::find_by_id(&state.pool, user_id).await,
        Ok(None) => Ok(None),
        Err(error) => Err(session_error(error)),
    };
    match user {
        Ok(Some(user)) => {
            request.extensions_mut().insert(SignedIn {
                email: user.email,
                rendered_at,
            });
            next.run(request).await
        }
        // No session, or its account was deleted.
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

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
pub fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(urlencode("/shipments/SW1?x=1&y"), "/shipments/SW1%3Fx%3D1%26y");
        assert_eq!(urlencode("a b@c"), "a%20b%40c");
    }
}

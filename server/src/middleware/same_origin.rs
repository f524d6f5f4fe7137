//! The same-origin check for state-changing requests (CSRF): layered on
//! every route.

use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::error::AppError;
use app::ssr::web::{has_bearer_token, AppState};

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

//! Per-client API rate limits (`app::ssr::auth::api_limit`) around the JSON
//! API and the live streams: each request (a stream: its opening, not its
//! frames) is counted against its token, session or address; every answer
//! says what is left (`RateLimit-Policy`, `RateLimit`), and one over the
//! quota is `429` with `Retry-After` before it reaches a handler.

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

use app::ssr::auth::api_limit::{self, ApiClient};
use app::ssr::auth::client::ClientAddr;
use app::ssr::auth::session::COOKIE_NAME;
use app::ssr::web::AppState;

static RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
static RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// Who the request is counted against: its bearer token, else its session
/// cookie, else its address.
fn client_of(request: &Request) -> Option<ApiClient> {
    let headers = request.headers();
    if let Some(token) = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(ApiClient::Token(token.trim().to_owned()));
    }
    let session = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.to_owned());
    if let Some(session) = session {
        return Some(ApiClient::Session(session));
    }
    request
        .extensions()
        .get::<ClientAddr>()
        .copied()
        .map(ApiClient::Address)
}

pub async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(client) = client_of(&request) else {
        return next.run(request).await;
    };
    let standing = match api_limit::count(&state.pool, state.api_limits, &client).await {
        Ok(standing) => standing,
        // The database is away: the request meets the same outage and
        // answers "try again shortly" itself; nothing to count meanwhile.
        Err(_) => return next.run(request).await,
    };
    let mut response = if standing.exceeded {
        standing.refusal().into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (&RATELIMIT_POLICY, standing.policy_header()),
        (&RATELIMIT, standing.limit_header()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name.clone(), value);
        }
    }
    response
}

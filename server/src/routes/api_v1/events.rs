//! `GET /api/v1/events?after=`: the live feed as long-poll JSON. It reads
//! the same `app::ssr::stream::Feed` as the SSE stream (`routes::streams`),
//! which owns resume; this handler only encodes it.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;

use app::domain::EventPage;
use app::error::{AppError, ProblemDetails};
use app::ssr::auth::credential::Authenticated;
use app::ssr::stream::{log, Feed};
use app::ssr::web::AppState;

use crate::routes::streams::FeedParams;
use crate::routes::support::extract::ApiQuery;

#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    params(("after" = Option<String>, Query,
            description = "resume after this cursor (the `cursor` of the previous page); an unusable one starts afresh (`reset`)")),
    responses((status = 200, body = EventPage), (status = 401, body = ProblemDetails)))]
/// `GET /api/v1/events?after=`: events after the cursor that the caller may
/// see; waits (up to the long-poll timeout) when there are none yet, and
/// answers with everything at hand (at most one replay page).
pub async fn long_poll(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<FeedParams>,
    auth: Authenticated,
) -> Result<Response, AppError> {
    let mut feed = Feed::open(&state.hub, &state.pool, auth, None, params.after.as_deref()).await?;
    let mut cursor = feed.cursor();
    if feed.was_reset() {
        return Ok(Json(EventPage {
            events: Vec::new(),
            cursor,
            reset: true,
        })
        .into_response());
    }
    let first = match tokio::time::timeout(state.stream.long_poll_timeout, feed.next()).await {
        Ok(result) => result?,
        Err(_) => None,
    };
    // An `EventPage`, written around the events' JSON as it was encoded for
    // the stream, not decoded and encoded again.
    let mut body = Vec::with_capacity(4096);
    body.extend_from_slice(b"{\"events\":[");
    let mut item = first;
    let mut count: i64 = 0;
    while let Some(current) = item {
        if count > 0 {
            body.push(b',');
        }
        body.extend_from_slice(current.frame_for(feed.user().id, feed.user().role).json());
        cursor = current.position;
        count += 1;
        item = if count < log::PAGE { feed.ready() } else { None };
    }
    body.extend_from_slice(format!("],\"cursor\":{cursor},\"reset\":false}}").as_bytes());
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response())
}

//! The live feed's two doors: `GET /api/events` (Server-Sent Events) and
//! `GET /api/v1/events?after=` (the same feed as long-poll JSON). Both read
//! one `app::ssr::stream::Feed`, which owns resume (replay after the cursor,
//! then live, nothing lost or twice); these handlers only encode it.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use app::domain::EventPage;
use app::error::{AppError, ProblemDetails};
use app::ssr::auth::credential::Authenticated;
use app::ssr::stream::{log, Feed};
use app::ssr::web::AppState;

use crate::routes::extract::ApiQuery;

#[derive(Debug, Deserialize)]
pub struct FeedParams {
    /// Resume after this cursor (a first connect; reconnects send Last-Event-ID).
    after: Option<String>,
}

/// `GET /api/events`.
pub async fn stream(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<FeedParams>,
    headers: HeaderMap,
    auth: Authenticated,
) -> Result<Response, AppError> {
    let last_event_id = headers.get("last-event-id").and_then(|v| v.to_str().ok());
    let mut feed = Feed::open(
        &state.hub,
        &state.pool,
        auth,
        last_event_id,
        params.after.as_deref(),
    )
    .await?;
    let retry = state.stream.retry;
    let heartbeat = state.stream.heartbeat;
    let mut listening = state.hub.listener_status();

    // Who is watching (two plain values, not a copy of the account).
    let (viewer_id, viewer_role) = (feed.user().id, feed.user().role);
    let events = async_stream::stream! {
        let start = feed.cursor();
        // `id:` without data sets the browser's Last-Event-ID without firing an
        // event, so even a stream that has delivered nothing yet resumes from
        // where it started, not from "now" (which would skip what happened
        // while it was away). During shutdown the feed ends right after this,
        // so the browser retries (elsewhere) instead of failing.
        yield Ok::<Bytes, Infallible>(Bytes::from(format!("retry: {}\nid: {start}\n\n", retry.as_millis())));
        if feed.was_reset() {
            yield Ok(Bytes::from(format!("event: reset\nid: {start}\ndata: {{\"cursor\":{start}}}\n\n")));
        }
        // While the database is away the stream stays open (heartbeats go on)
        // and says so (`event: listener`, "reconnecting", then "live"): no
        // change can arrive meanwhile, and none is lost.
        if !*listening.borrow_and_update() {
            yield Ok(listener_event(false));
        }
        // Ends when the hub closes the feed or the database fails mid-replay;
        // the browser reconnects and resumes from the last id it saw.
        'feed: loop {
            // One `next()` is kept across status changes and heartbeats,
            // never cancelled.
            let next = feed.next();
            tokio::pin!(next);
            loop {
                tokio::select! {
                    item = &mut next => match item {
                        Ok(Some(item)) => {
                            // The bytes encoded once for this viewer's audience.
                            yield Ok(item.frame_for(viewer_id, viewer_role).sse());
                            break;
                        }
                        _ => break 'feed,
                    },
                    changed = listening.changed() => {
                        if changed.is_err() {
                            break 'feed;
                        }
                        let up = *listening.borrow_and_update();
                        yield Ok(listener_event(up));
                    }
                    // Idle: a comment keeps proxies and the browser from
                    // timing the stream out.
                    () = tokio::time::sleep(heartbeat) => yield Ok(Bytes::from_static(b": ping\n\n")),
                }
            }
        }
    };

    Ok(sse_response(events))
}

/// A Server-Sent Events response around `events`: not cached, and not
/// buffered by nginx-style proxies.
pub fn sse_response<S>(events: S) -> Response
where
    S: futures::Stream<Item = Result<Bytes, Infallible>> + Send + 'static,
{
    let mut response = Body::from_stream(events).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

fn listener_event(up: bool) -> Bytes {
    Bytes::from_static(if up {
        b"event: listener\ndata: live\n\n"
    } else {
        b"event: listener\ndata: reconnecting\n\n"
    })
}

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

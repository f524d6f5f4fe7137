//! The live feed's two doors: `GET /api/events` (Server-Sent Events) and
//! `GET /api/v1/events?after=` (the same feed as long-poll JSON). Both read
//! one `app::ssr::stream::Feed`, which owns resume (replay after the cursor,
//! then live, nothing lost or twice); these handlers only encode it.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use app::domain::{CurrentUser, EventPage, StreamEvent};
use app::error::{AppError, ProblemDetails};
use app::ssr::auth::credential::Authenticated;
use app::ssr::stream::{log, Feed, StreamItem};
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
    let mut listening = state.hub.listener_status();

    let viewer = feed.user().clone();
    let events = async_stream::stream! {
        let start = feed.cursor();
        // `id:` without data sets the browser's Last-Event-ID without firing an
        // event, so even a stream that has delivered nothing yet resumes from
        // where it started, not from "now" (which would skip what happened
        // while it was away). During shutdown the feed ends right after this,
        // so the browser retries (elsewhere) instead of failing.
        yield Ok::<Event, Infallible>(Event::default().retry(retry).id(start.to_string()));
        if feed.was_reset() {
            yield Ok(Event::default().event("reset").id(start.to_string()).data(format!("{{\"cursor\":{start}}}")));
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
            // One `next()` is kept across status changes, never cancelled.
            let next = feed.next();
            tokio::pin!(next);
            loop {
                tokio::select! {
                    item = &mut next => match item {
                        Ok(Some(item)) => {
                            yield Ok(frame(&item, &viewer));
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
                }
            }
        }
    };

    let mut response = Sse::new(events)
        .keep_alive(
            KeepAlive::new()
                .interval(state.stream.heartbeat)
                .event(Event::default().comment("ping")),
        )
        .into_response();
    // Tell nginx-style proxies not to buffer the stream.
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

fn listener_event(up: bool) -> Event {
    Event::default()
        .event("listener")
        .data(if up { "live" } else { "reconnecting" })
}

fn frame(item: &StreamItem, viewer: &CurrentUser) -> Event {
    Event::default()
        .id(item.position.to_string())
        .event("shipment")
        .data(&**item.json_for(viewer.id, viewer.role))
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
) -> Result<Json<EventPage>, AppError> {
    let mut feed = Feed::open(&state.hub, &state.pool, auth, None, params.after.as_deref()).await?;
    let mut page = EventPage {
        events: Vec::new(),
        cursor: feed.cursor(),
        reset: feed.was_reset(),
    };
    if page.reset {
        return Ok(Json(page));
    }
    let first = match tokio::time::timeout(state.stream.long_poll_timeout, feed.next()).await {
        Ok(result) => result?,
        Err(_) => None,
    };
    let mut item = first;
    while let Some(current) = item {
        let event: StreamEvent = serde_json::from_str(current.json_for(feed.user().id, feed.user().role))
            .map_err(|e| anyhow::anyhow!("stream frame: {e}"))?;
        page.cursor = current.position;
        page.events.push(event);
        item = if page.events.len() < log::PAGE as usize {
            feed.ready()
        } else {
            None
        };
    }
    Ok(Json(page))
}

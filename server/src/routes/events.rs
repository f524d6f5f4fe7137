//! The live feed: `GET /api/events` (Server-Sent Events) and
//! `GET /api/v1/events?after=` (the same feed as long-poll JSON).
//!
//! Resume without loss or duplicates: register with the hub first, then replay
//! from the database everything after the client's cursor that it may see,
//! then forward live events, skipping any the replay already sent (positions
//! only grow, so "≤ last sent" means "already sent").

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use app::domain::{EventPage, StreamEvent};
use app::error::AppError;
use app::ssr::auth::current_user::Authenticated;
use app::ssr::state::AppState;
use app::ssr::stream::{log, StreamItem};

#[derive(Debug, Deserialize)]
pub struct FeedParams {
    /// Resume after this cursor (a first connect; reconnects send Last-Event-ID).
    after: Option<String>,
}

/// Where a client resumes, or `None` to start from now.
enum Resume {
    After(i64),
    Now,
    /// The cursor was malformed or from the future: tell the client to refetch.
    Reset,
}

fn resume_point(headers: &HeaderMap, after: Option<&str>, head: i64) -> Resume {
    let given = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or(after)
        .map(str::trim)
        .filter(|v| !v.is_empty());
    match given {
        None => Resume::Now,
        Some(raw) => match raw.parse::<i64>() {
            Ok(cursor) if (0..=head).contains(&cursor) => Resume::After(cursor),
            _ => Resume::Reset,
        },
    }
}

/// `GET /api/events`.
pub async fn stream(
    State(state): State<AppState>,
    Query(params): Query<FeedParams>,
    headers: HeaderMap,
    auth: Authenticated,
) -> Result<Response, AppError> {
    // During shutdown the stream below ends right after `retry:`, so the
    // browser retries (elsewhere) instead of failing on an error status.
    // Register before reading anything, so nothing committed meanwhile is missed.
    let mut subscription = state.hub.subscribe(&auth.user, auth.credential);
    let head = log::head(&state.pool).await?;
    let resume = resume_point(&headers, params.after.as_deref(), head);
    let pool = state.pool.clone();
    let user = auth.user;

    let events = async_stream::stream! {
        let mut last = match resume {
            Resume::After(cursor) => cursor,
            Resume::Now | Resume::Reset => head,
        };
        // `id:` without data sets the browser's Last-Event-ID without firing an
        // event, so even a stream that has delivered nothing yet resumes from
        // where it started, not from "now" (which would skip what happened
        // while it was away).
        yield Ok::<Event, Infallible>(Event::default().retry(state.stream.retry).id(last.to_string()));
        if matches!(resume, Resume::Reset) {
            yield Ok(Event::default().event("reset").id(head.to_string()).data(format!("{{\"cursor\":{head}}}")));
        }
        if matches!(resume, Resume::After(_)) {
            loop {
                let page = match log::read_visible_after(&pool, &user, last).await {
                    Ok(page) => page,
                    // End the stream; the browser reconnects and resumes from `last`.
                    Err(_) => return,
                };
                let full = page.len() as i64 >= log::PAGE;
                metrics::counter!("shipwatch_replayed_events_total").increment(page.len() as u64);
                for item in page {
                    last = item.position;
                    yield Ok(frame(&item));
                }
                if !full {
                    break;
                }
            }
        }
        loop {
            tokio::select! {
                item = subscription.receiver.recv() => match item {
                    Some(item) if item.position > last => {
                        last = item.position;
                        yield Ok(frame(&item));
                    }
                    Some(_) => {}
                    // Closed by the hub: lagging, authorization ended, or shutdown.
                    None => break,
                },
                _ = subscription.shutdown.changed() => break,
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

fn frame(item: &StreamItem) -> Event {
    Event::default()
        .id(item.position.to_string())
        .event("shipment")
        .data(&*item.json)
}

#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    params(("after" = Option<String>, Query, description = "resume after this cursor (the `cursor` of the previous page)")),
    responses((status = 200, body = EventPage), (status = 401, body = crate::routes::api_v1::openapi::ProblemDetails)))]
/// `GET /api/v1/events?after=`: events after the cursor that the caller may
/// see; waits (up to the long-poll timeout) when there are none yet.
pub async fn long_poll(
    State(state): State<AppState>,
    Query(params): Query<FeedParams>,
    auth: Authenticated,
) -> Result<Json<EventPage>, AppError> {
    let mut subscription = state.hub.subscribe(&auth.user, auth.credential);
    let head = log::head(&state.pool).await?;
    let (after, reset) = match resume_point(&HeaderMap::new(), params.after.as_deref(), head) {
        Resume::After(cursor) => (cursor, false),
        Resume::Now => (head, false),
        Resume::Reset => (head, true),
    };
    let mut items: Vec<Arc<StreamItem>> = if reset {
        Vec::new()
    } else {
        log::read_visible_after(&state.pool, &auth.user, after)
            .await?
            .into_iter()
            .map(Arc::new)
            .collect()
    };
    if items.is_empty() && !reset {
        let wait = tokio::time::timeout(state.stream.long_poll_timeout, async {
            while let Some(item) = subscription.receiver.recv().await {
                if item.position > after {
                    return Some(item);
                }
            }
            None
        });
        if let Ok(Some(first)) = wait.await {
            items.push(first);
            // Whatever else has already arrived goes in the same answer.
            while let Ok(item) = subscription.receiver.try_recv() {
                items.push(item);
            }
        }
    }
    let mut events = Vec::with_capacity(items.len());
    let mut cursor = after;
    for item in items {
        let event: StreamEvent =
            serde_json::from_str(&item.json).map_err(|e| anyhow::anyhow!("stream frame: {e}"))?;
        cursor = cursor.max(item.position);
        events.push(event);
    }
    Ok(Json(EventPage {
        events,
        cursor,
        reset,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_event_id_wins_over_after_and_bad_cursors_reset() {
        let mut headers = HeaderMap::new();
        assert!(matches!(resume_point(&headers, None, 10), Resume::Now));
        assert!(matches!(resume_point(&headers, Some("4"), 10), Resume::After(4)));
        headers.insert("last-event-id", HeaderValue::from_static("7"));
        assert!(matches!(resume_point(&headers, Some("4"), 10), Resume::After(7)));
        assert!(matches!(
            resume_point(&HeaderMap::new(), Some("11"), 10),
            Resume::Reset
        ));
        assert!(matches!(
            resume_point(&HeaderMap::new(), Some("abc"), 10),
            Resume::Reset
        ));
        assert!(matches!(
            resume_point(&HeaderMap::new(), Some("-1"), 10),
            Resume::Reset
        ));
    }
}

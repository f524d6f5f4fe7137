//! The live streams (Server-Sent Events): `GET /api/events`, the signed-in
//! user's or integration's feed, and `GET /api/track/events?token=`, the
//! public tracking page's stream of one shipment. Each handler authorises
//! its stream and says where its frames come from; the wire format, the
//! heartbeats and the response headers are `app::ssr::stream::wire`'s.
//!
//! Mounted outside the compression layer (`startup::build_app`): a
//! compressor would hold frames back, and an encoder's state costs ~5 KiB
//! per open stream.

use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use app::error::AppError;
use app::ssr::actions::public_tracking;
use app::ssr::auth::credential::Authenticated;
use app::ssr::stream::{wire, Feed};
use app::ssr::web::AppState;

use crate::middleware::latency::track_latency;
use crate::routes::support::extract::ApiQuery;

/// The streams' routes (latency is tracked per route, as for every door).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/events", get(feed))
        .route("/api/track/events", get(public_shipment))
        .route_layer(axum::middleware::from_fn(track_latency))
}

#[derive(Debug, Deserialize)]
pub struct FeedParams {
    /// Resume after this cursor (a first connect; reconnects send Last-Event-ID).
    pub after: Option<String>,
}

/// `GET /api/events`: replay after the cursor, then live (`Feed` owns
/// resume: nothing lost or twice).
pub async fn feed(
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
    let mut listening = state.hub.listener_status();
    let start = feed.cursor();
    // Who is watching (two plain values, not a copy of the account).
    let (viewer_id, viewer_role) = (feed.user().id, feed.user().role);
    // During shutdown the feed ends right after the opening, so the browser
    // retries (elsewhere) instead of failing.
    let frames = async_stream::stream! {
        if feed.was_reset() {
            yield wire::reset(start);
        }
        // While the database is away the stream stays open (heartbeats go
        // on) and says so: no change can arrive meanwhile, and none is lost.
        if !*listening.borrow_and_update() {
            yield wire::listener(false);
        }
        // Ends when the hub closes the feed or the database fails mid-replay;
        // the browser reconnects and resumes from the last id it saw.
        'feed: loop {
            // One `next()` is kept across listener changes, never cancelled.
            let next = feed.next();
            tokio::pin!(next);
            loop {
                tokio::select! {
                    item = &mut next => match item {
                        Ok(Some(item)) => {
                            // The bytes encoded once for this viewer's audience.
                            yield item.frame_for(viewer_id, viewer_role).sse();
                            break;
                        }
                        _ => break 'feed,
                    },
                    changed = listening.changed() => {
                        if changed.is_err() {
                            break 'feed;
                        }
                        let up = *listening.borrow_and_update();
                        yield wire::listener(up);
                    }
                }
            }
        }
    };
    Ok(wire::sse_response(
        wire::opening(state.stream.retry, Some(start)),
        frames,
        state.stream.heartbeat,
    ))
}

#[derive(Debug, Deserialize)]
pub struct PublicParams {
    #[serde(default)]
    token: String,
}

/// `GET /api/track/events?token=`: the shipment's status changes
/// (`event: update`), until the token expires; then the stream ends and the
/// page fetches a new token. Authorised by the token the page carries
/// (`actions::public_tracking`), not by a session.
pub async fn public_shipment(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<PublicParams>,
) -> Result<Response, AppError> {
    let (shipment_id, expires) = public_tracking::stream_scope(&state.signing_key, &params.token)?;
    let mut subscription = state.hub.public.subscribe(shipment_id)?;
    let left = u64::try_from(expires - chrono::Utc::now().timestamp()).unwrap_or(0);
    let until = tokio::time::Instant::now() + Duration::from_secs(left);
    let mut shutdown = state.hub.shutdown_receiver();
    let frames = async_stream::stream! {
        loop {
            tokio::select! {
                frame = subscription.receiver.recv() => match frame {
                    Ok(frame) => yield frame,
                    // Fell behind, or the feed closed: end; the page reloads
                    // what it shows and reconnects.
                    Err(_) => break,
                },
                () = tokio::time::sleep_until(until) => break,
                _ = shutdown.changed() => break,
            }
        }
    };
    Ok(wire::sse_response(
        wire::opening(state.stream.retry, None),
        frames,
        state.stream.heartbeat,
    ))
}

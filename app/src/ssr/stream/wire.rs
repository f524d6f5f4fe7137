//! The Server-Sent Events wire format, in one place: what every live stream
//! (the signed-in one, `GET /api/events`, and the public tracking page's)
//! writes, and the one loop that interleaves heartbeats with its frames.
//!
//! An event is encoded once per audience when the log is read, then shared:
//! every stream of that audience is handed the same bytes (a reference count,
//! no copy), so fanning one event out to a thousand streams costs no JSON
//! encoding or formatting per stream.
//!
//! The frames, as docs/live-stream.md describes them to clients:
//! - the opening: `retry: <ms>` (how long a browser waits before
//!   reconnecting, `StreamSettings::retry`) and, on resumable streams,
//!   `id: <cursor>` without data, which sets the browser's Last-Event-ID;
//! - `id: <position>`, `event: shipment`, `data: <StreamEvent JSON>`;
//! - `event: reset` with the new cursor, when the client's was unusable;
//! - `event: listener`, `data: reconnecting` / `live`, while the server's
//!   database connection is down and once it is back;
//! - `event: update`, `data: <PublicUpdate JSON>` on the public stream;
//! - `: ping`, a comment after a quiet heartbeat interval.

use std::convert::Infallible;
use std::ops::Range;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures::{Stream, StreamExt as _};

use crate::domain::tracking::PublicUpdate;
use crate::domain::StreamEvent;

/// The comment sent after a heartbeat interval without a frame: it keeps
/// proxies and the browser from timing the stream out.
pub const HEARTBEAT: &[u8] = b": ping\n\n";

/// The first bytes of a stream: the reconnect delay and, for a resumable
/// stream, its starting cursor. `id:` without data sets the browser's
/// Last-Event-ID without firing an event, so even a stream that has
/// delivered nothing yet resumes from where it started, not from "now"
/// (which would skip what happened while it was away).
pub fn opening(retry: Duration, cursor: Option<i64>) -> Bytes {
    let retry = retry.as_millis();
    Bytes::from(match cursor {
        Some(cursor) => format!("retry: {retry}\nid: {cursor}\n\n"),
        None => format!("retry: {retry}\n\n"),
    })
}

/// The client's cursor was unusable: it starts afresh from `cursor` (and
/// refetches what it shows).
pub fn reset(cursor: i64) -> Bytes {
    Bytes::from(format!(
        "event: reset\nid: {cursor}\ndata: {{\"cursor\":{cursor}}}\n\n"
    ))
}

/// Whether the server's own database connection is up: while it is down no
/// change can arrive, and none is lost (the page says "Reconnecting…").
pub fn listener(up: bool) -> Bytes {
    Bytes::from_static(if up {
        b"event: listener\ndata: live\n\n"
    } else {
        b"event: listener\ndata: reconnecting\n\n"
    })
}

/// A status change as the public tracking page receives it.
pub fn public_update(update: &PublicUpdate) -> Result<Bytes, serde_json::Error> {
    let json = serde_json::to_string(update)?;
    Ok(Bytes::from(format!("event: update\ndata: {json}\n\n")))
}

/// The response of every live stream: `opening`, then each of `frames` as
/// it comes, with [`HEARTBEAT`] after each `heartbeat` without one; it ends
/// when `frames` does. Not cached, not buffered by nginx-style proxies, and
/// (by where the router mounts it) never compressed.
///
/// `frames` is polled again after a heartbeat, never dropped, so a frame it
/// was in the middle of producing is not lost.
pub fn sse_response<S>(opening: Bytes, frames: S, heartbeat: Duration) -> Response
where
    S: Stream<Item = Bytes> + Send + 'static,
{
    let body = async_stream::stream! {
        yield Ok::<Bytes, Infallible>(opening);
        let mut frames = std::pin::pin!(frames);
        loop {
            tokio::select! {
                frame = frames.next() => match frame {
                    Some(frame) => yield Ok(frame),
                    None => break,
                },
                () = tokio::time::sleep(heartbeat) => yield Ok(Bytes::from_static(HEARTBEAT)),
            }
        }
    };
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// One audience's view of one event: the complete Server-Sent Events frame
/// (`id: <position>`, `event: shipment`, `data: <StreamEvent as JSON>`),
/// whose `data` line is also what the long-poll returns.
#[derive(Debug, Clone)]
pub struct Frame {
    sse: Bytes,
    /// Where the JSON lies inside `sse`.
    json: Range<usize>,
}

impl Frame {
    pub fn encode(event: &StreamEvent) -> Result<Self, serde_json::Error> {
        let head = format!("id: {}\nevent: shipment\ndata: ", event.position);
        let mut bytes = Vec::with_capacity(head.len() + 512);
        bytes.extend_from_slice(head.as_bytes());
        // Compact JSON escapes every line break, so it is one `data:` line.
        serde_json::to_writer(&mut bytes, event)?;
        let json = head.len()..bytes.len();
        bytes.extend_from_slice(b"\n\n");
        Ok(Self {
            sse: Bytes::from(bytes),
            json,
        })
    }

    /// The whole SSE frame, shared.
    pub fn sse(&self) -> Bytes {
        self.sse.clone()
    }

    /// The event as JSON.
    pub fn json(&self) -> &[u8] {
        &self.sse[self.json.clone()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EventKind, ShipmentEvent, ShipmentStatus, ShipmentSummary};

    #[test]
    fn the_frame_is_one_sse_event_whose_data_is_the_json() {
        let summary: ShipmentSummary = serde_json::from_value(serde_json::json!({
            "tracking_number": "SW1000000001", "status": "in_transit", "origin": "Lyon",
            "destination": "Oslo", "carrier": "Posten", "eta": null, "last_location": null,
            "updated_at": "2026-12-02T10:00:00Z"
        }))
        .expect("summary");
        let event = StreamEvent {
            position: 42,
            event: ShipmentEvent {
                id: 7,
                tracking_number: summary.tracking_number.clone(),
                kind: EventKind::Status,
                status: Some(ShipmentStatus::InTransit),
                location: Some("Hub\nwith a line break".into()),
                note: None,
                occurred_at: summary.updated_at,
                actor: "ops@example.com".into(),
            },
            shipment: summary,
            counts: None,
        };
        let frame = Frame::encode(&event).expect("encodes");
        let text = std::str::from_utf8(&frame.sse).expect("utf-8");
        let json = std::str::from_utf8(frame.json()).expect("utf-8");
        assert_eq!(text, format!("id: 42\nevent: shipment\ndata: {json}\n\n"));
        assert_eq!(text.matches('\n').count(), 4, "one data line: {text}");
        let back: StreamEvent = serde_json::from_slice(frame.json()).expect("the data is the event");
        assert_eq!(back, event);
    }

    #[test]
    fn the_opening_carries_the_retry_and_the_starting_cursor() {
        assert_eq!(
            &opening(Duration::from_millis(1500), Some(7))[..],
            b"retry: 1500\nid: 7\n\n"
        );
        assert_eq!(&opening(Duration::from_secs(1), None)[..], b"retry: 1000\n\n");
    }

    #[test]
    fn control_frames_are_one_event_each() {
        assert_eq!(&reset(9)[..], b"event: reset\nid: 9\ndata: {\"cursor\":9}\n\n");
        assert_eq!(&listener(false)[..], b"event: listener\ndata: reconnecting\n\n");
        assert_eq!(&listener(true)[..], b"event: listener\ndata: live\n\n");
    }
}

//! An event as it goes on the wire, encoded once per audience when the log is
//! read, then shared: every stream of that audience is handed the same bytes
//! (a reference count, no copy), so fanning one event out to a thousand
//! streams costs no JSON encoding or formatting per stream.

use std::ops::Range;

use axum::body::Bytes;

use crate::domain::StreamEvent;

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
}

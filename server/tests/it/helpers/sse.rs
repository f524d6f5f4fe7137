//! Live streams as a browser reads them: a real SSE parser
//! (eventsource-stream) over a real HTTP response. Every test that opens a
//! stream goes through here.

use std::time::Duration;

use app::domain::StreamEvent;
use eventsource_stream::Eventsource as _;
use futures::StreamExt as _;

use super::TestApp;

/// An open stream: parsed events as they arrive.
pub struct Sse {
    events: std::pin::Pin<Box<dyn futures::Stream<Item = eventsource_stream::Event> + Send>>,
}

impl Sse {
    pub async fn open(app: &TestApp, client: &reqwest::Client, last_event_id: Option<i64>) -> Self {
        let mut request = client.get(app.url("/api/events"));
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        let response = request.send().await.expect("connect");
        assert_eq!(response.status(), 200);
        Self::over(response)
    }

    /// The events of an open stream's response (any stream: `/api/events`,
    /// the public `/api/track/events`).
    pub fn over(response: reqwest::Response) -> Self {
        let events = response
            .bytes_stream()
            .eventsource()
            .take_while(|e| futures::future::ready(e.is_ok()))
            .filter_map(|e| futures::future::ready(e.ok()));
        Self {
            events: Box::pin(events),
        }
    }

    /// The next `shipment` event, or `None` if the stream ended or stayed quiet.
    pub async fn next_shipment(&mut self, wait: Duration) -> Option<(i64, StreamEvent)> {
        loop {
            let event = tokio::time::timeout(wait, self.events.next()).await.ok()??;
            if event.event == "shipment" {
                let frame: StreamEvent = serde_json::from_str(&event.data).expect("one-line JSON frame");
                assert_eq!(
                    event.id.parse::<i64>().ok(),
                    Some(frame.position),
                    "id: is the cursor"
                );
                return Some((frame.position, frame));
            }
        }
    }

    /// The next event named `name` (`shipment`, `update`, `reset`,
    /// `listener`…), or `None` if the stream ended or stayed quiet.
    pub async fn next_named(&mut self, name: &str, wait: Duration) -> Option<eventsource_stream::Event> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let event = tokio::time::timeout_at(deadline, self.events.next())
                .await
                .ok()??;
            if event.event == name {
                return Some(event);
            }
        }
    }

    /// Whether the server ended the stream within `wait`.
    pub async fn ends_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.events.next()).await {
                Ok(None) => return true,
                Ok(Some(_)) => continue,
                Err(_) => return false,
            }
        }
    }
}

/// The raw bytes a stream starts with, up to its first blank line (the end
/// of its first frame): the `retry:` line and the opening cursor.
pub async fn opening(response: &mut reqwest::Response) -> String {
    let mut raw = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !raw.contains("\n\n") {
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .expect("the stream opens in time")
            .expect("chunk")
            .expect("still open");
        raw.push_str(&String::from_utf8_lossy(&chunk));
    }
    raw
}

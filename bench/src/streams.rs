//! The clients: SSE streams parsed with a real SSE parser, recording when each
//! stream position (the frame's `id:`) arrives, and how often (twice would be
//! a duplicate).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use eventsource_stream::Eventsource as _;
use futures::StreamExt as _;

/// What one stream received: position → (first arrival, how many times).
pub type Received = HashMap<i64, (Instant, u32)>;

/// Every stream's arrivals, indexed like the viewers.
pub type Arrivals = Arc<Vec<Mutex<Received>>>;

pub fn arrivals(streams: usize) -> Arrivals {
    Arc::new((0..streams).map(|_| Mutex::default()).collect())
}

/// Opens a stream with a bearer token; resolves once the server answered
/// (it registers the stream with its hub before answering), then keeps
/// reading in a task until aborted.
pub async fn open(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    index: usize,
    arrivals: Arrivals,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let response = client.get(url).bearer_auth(token).send().await?;
    anyhow::ensure!(
        response.status().is_success(),
        "stream {index}: {}",
        response.status()
    );
    Ok(tokio::spawn(async move {
        let mut events = response.bytes_stream().eventsource();
        while let Some(Ok(event)) = events.next().await {
            let now = Instant::now();
            if event.event != "shipment" {
                continue;
            }
            // The frame's `id:` is its position (what a browser resumes
            // from); its JSON is not decoded here: at 50,000 frames a second
            // that alone took a quarter of a core from the box the server
            // is measured on. The integration tests check the JSON.
            let Ok(position) = event.id.parse::<i64>() else {
                continue;
            };
            if let Ok(mut received) = arrivals[index].lock() {
                received.entry(position).or_insert((now, 0)).1 += 1;
            }
        }
    }))
}

/// Opens a stream and never reads it: the server must drop it when its buffer
/// overflows, without growing memory.
pub async fn open_stalled(
    client: &reqwest::Client,
    url: &str,
    token: &str,
) -> anyhow::Result<reqwest::Response> {
    let response = client.get(url).bearer_auth(token).send().await?;
    anyhow::ensure!(
        response.status().is_success(),
        "stalled stream: {}",
        response.status()
    );
    Ok(response)
}

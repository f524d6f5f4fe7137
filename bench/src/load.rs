//! The write load: writers posting status changes through the real JSON API,
//! paced to a rate or as fast as they can, recording when each was sent.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One accepted write: the event id, when the POST was sent, how long it took.
pub type SentWrite = (i64, Instant, Duration);

/// What the writers did.
pub struct WriteLog {
    pub sent: Vec<SentWrite>,
    pub failed: u64,
    pub seconds: f64,
}

/// How to write.
pub struct Load<'a> {
    pub base: &'a str,
    pub token: &'a str,
    pub shipments: &'a [String],
    /// Writes per second over all writers; 0 = as fast as they can.
    pub rate: u32,
    pub writers: usize,
    pub seconds: u64,
}

pub async fn run(client: &reqwest::Client, load: Load<'_>) -> anyhow::Result<WriteLog> {
    let sent: Arc<Mutex<Vec<SentWrite>>> = Arc::default();
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let until = started + Duration::from_secs(load.seconds);
    let writers_n = load.writers.max(1) as u64;
    let writers: Vec<_> = (0..writers_n)
        .map(|first| {
            let writer = Writer {
                client: client.clone(),
                url_base: load.base.to_owned(),
                token: load.token.to_owned(),
                shipments: load.shipments.to_vec(),
                sent: sent.clone(),
                failed: failed.clone(),
            };
            let pace = Pace {
                started,
                until,
                rate: load.rate,
                first,
                step: writers_n,
            };
            tokio::spawn(writer.run(pace))
        })
        .collect();
    for writer in writers {
        writer.await?;
    }
    let sent = sent.lock().map(|s| s.clone()).unwrap_or_default();
    Ok(WriteLog {
        sent,
        failed: failed.load(Ordering::Relaxed),
        seconds: started.elapsed().as_secs_f64().max(0.001),
    })
}

/// When a writer sends: write number `k` is due at `k / rate` seconds; the
/// writers interleave (writer `first` takes `first`, `first + step`, …).
struct Pace {
    started: Instant,
    until: Instant,
    rate: u32,
    first: u64,
    step: u64,
}

struct Writer {
    client: reqwest::Client,
    url_base: String,
    token: String,
    shipments: Vec<String>,
    sent: Arc<Mutex<Vec<SentWrite>>>,
    failed: Arc<AtomicU64>,
}

impl Writer {
    async fn run(self, pace: Pace) {
        let mut k = pace.first;
        loop {
            if pace.rate > 0 {
                let due = pace.started + Duration::from_secs_f64(k as f64 / f64::from(pace.rate));
                if due >= pace.until {
                    break;
                }
                tokio::time::sleep_until(due.into()).await;
            } else if Instant::now() >= pace.until {
                break;
            }
            self.post(k).await;
            k += pace.step;
        }
    }

    async fn post(&self, k: u64) {
        let number = &self.shipments[(k as usize) % self.shipments.len()];
        let before = Instant::now();
        let response = self
            .client
            .post(format!("{}/api/v1/shipments/{number}/events", self.url_base))
            .bearer_auth(&self.token)
            .json(&serde_json::json!({"status": "in_transit", "location": format!("Hub {}", k % 17)}))
            .send()
            .await;
        let id = match response {
            Ok(r) if r.status().is_success() => r
                .json::<serde_json::Value>()
                .await
                .ok()
                .and_then(|v| v["id"].as_i64()),
            _ => None,
        };
        match id {
            Some(id) => {
                if let Ok(mut sent) = self.sent.lock() {
                    sent.push((id, before, before.elapsed()));
                }
            }
            None => {
                self.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

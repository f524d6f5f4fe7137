//! Fault injection: writers and resuming streams keep going while the server
//! is killed (SIGKILL and SIGTERM) and PostgreSQL crash-restarts
//! (`pg_ctl restart -m immediate`), on a throwaway cluster of its own (a crash
//! of the shared one would take down everything else using it).
//!
//! What must hold, checked against the log afterwards:
//! * every acknowledged write is in the log, numbered, and the log holds
//!   nothing else (a retried write was not applied twice);
//! * every stream received every event it may see exactly once, and none it
//!   may not see, across all its reconnects (each resumes from the last
//!   position it received, as a browser does with `Last-Event-ID`);
//! * no response was a 500: unavailability is a 503 or a refused connection,
//!   then recovery.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::domain::StreamEvent;
use eventsource_stream::Eventsource as _;
use futures::StreamExt as _;
use server::embedded_postgres::EmbeddedPostgres;

use crate::instances::Instance;
use crate::seed::{self, Viewer};
use crate::tally;

/// The faults, in turn: each kind `rounds` times.
#[derive(Debug, Clone, Copy)]
enum Fault {
    KillServer,
    StopServer,
    CrashDatabase,
}

const FAULTS: [Fault; 3] = [Fault::KillServer, Fault::StopServer, Fault::CrashDatabase];

/// What the clients saw, beyond the deliveries.
#[derive(Default)]
struct Seen {
    /// Responses with a status of 500 or above other than 503, by door.
    server_errors: Vec<(&'static str, u16)>,
    /// Other answers a client did not expect (a 4xx), by door.
    unexpected: Vec<(&'static str, u16)>,
    /// 503 answers (expected while the server drains or the database is away).
    unavailable: usize,
    /// Connections refused or cut (expected while the server is down).
    refused: usize,
    /// Stream (re)connections.
    reconnects: usize,
}

/// Stops the throwaway cluster and removes its files, however the run ends.
struct Throwaway(EmbeddedPostgres);

impl Drop for Throwaway {
    fn drop(&mut self) {
        if let Err(error) = self.0.destroy() {
            eprintln!("removing the fault-injection cluster: {error:#}");
        }
    }
}

pub async fn run(server_bin: &Path, rounds: usize, customers: usize) -> anyhow::Result<()> {
    let cluster = EmbeddedPostgres::new(PathBuf::from(format!("target/faults-{}", std::process::id())));
    let url = tokio::task::spawn_blocking({
        let cluster = cluster.clone();
        move || cluster.ensure_running()
    })
    .await??;
    let cluster = Throwaway(cluster);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect(&url)
        .await?;
    app::ssr::db::migrate(&pool).await?;
    let seeded = seed::seed(&pool, customers, 2, customers).await?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut server = Some(Instance::start_at(server_bin, &url, port).await?);
    let base = format!("http://127.0.0.1:{port}");
    let start = crate::head(&pool).await?;
    println!(
        "faults: {} streams, 4 writers, {rounds} rounds of SIGKILL / SIGTERM / PostgreSQL crash",
        seeded.viewers.len()
    );

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let stop = Arc::new(AtomicBool::new(false));
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let acked: Arc<Mutex<Vec<i64>>> = Arc::default();
    let acks = Arc::new(AtomicUsize::new(0));

    let received: Vec<Arc<Mutex<HashMap<i64, u32>>>> =
        seeded.viewers.iter().map(|_| Arc::default()).collect();
    let readers: Vec<_> = seeded
        .viewers
        .iter()
        .zip(&received)
        .map(|(viewer, received)| {
            tokio::spawn(read_resuming(
                client.clone(),
                format!("{base}/api/events"),
                viewer.token.clone(),
                start,
                received.clone(),
                seen.clone(),
            ))
        })
        .collect();
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let post = Poster {
                client: client.clone(),
                base: base.clone(),
                token: seeded.writer_token.clone(),
                shipments: seeded.shipments.clone(),
                seen: seen.clone(),
            };
            let (stop, acked, acks) = (stop.clone(), acked.clone(), acks.clone());
            tokio::spawn(async move {
                let mut k = writer;
                while !stop.load(Ordering::Relaxed) {
                    let id = post.until_acknowledged(k).await;
                    if let Ok(mut acked) = acked.lock() {
                        acked.push(id);
                    }
                    acks.fetch_add(1, Ordering::Relaxed);
                    k += 4;
                }
            })
        })
        .collect();

    let began = Instant::now();
    let mut counted = HashMap::<&str, usize>::new();
    for round in 0..rounds * FAULTS.len() {
        wait_for_acks(&acks, acks.load(Ordering::Relaxed) + 25).await?;
        let fault = FAULTS[round % FAULTS.len()];
        let at = Instant::now();
        match fault {
            Fault::KillServer | Fault::StopServer => {
                let running = server.take().ok_or_else(|| anyhow::anyhow!("no server"))?;
                if matches!(fault, Fault::KillServer) {
                    running.kill();
                } else {
                    running.stop();
                }
                server = Some(Instance::start_at(server_bin, &url, port).await?);
            }
            Fault::CrashDatabase => {
                let cluster = cluster.0.clone();
                let restarted = tokio::task::spawn_blocking(move || cluster.restart_immediately()).await??;
                anyhow::ensure!(restarted, "the fault-injection cluster was not running");
            }
        }
        let name = match fault {
            Fault::KillServer => "server SIGKILL",
            Fault::StopServer => "server SIGTERM",
            Fault::CrashDatabase => "PostgreSQL crash",
        };
        *counted.entry(name).or_default() += 1;
        println!(
            "  {name} at {:.1} s (back in {:.1} s), {} writes acknowledged so far",
            began.elapsed().as_secs_f64(),
            at.elapsed().as_secs_f64(),
            acks.load(Ordering::Relaxed)
        );
    }
    // Recovery: writes go on being acknowledged after the last fault.
    wait_for_acks(&acks, acks.load(Ordering::Relaxed) + 25).await?;
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await?;
    }

    let head = crate::head(&pool).await?;
    let expected = tally::expected(&pool, start, head).await?;
    let acked = acked.lock().map(|a| a.clone()).unwrap_or_default();
    let acked_in_log: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM shipment_events WHERE id = ANY($1) AND stream_position > $2",
    )
    .bind(&acked)
    .bind(start)
    .fetch_one(&pool)
    .await?;
    let owed = tally::owed(&seeded.viewers, &expected);
    wait_for_deliveries(&received, owed).await;
    for reader in readers {
        reader.abort();
    }
    if let Some(server) = server {
        server.stop();
    }

    let (lost, duplicated, misrouted, delivered) = check(&seeded.viewers, &received, &expected);
    let seen = seen.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    println!(
        "writes acknowledged: {} ({} in the log, numbered; the log holds {} events since the start)",
        acked.len(),
        acked_in_log,
        expected.len()
    );
    println!(
        "deliveries: {delivered} of {owed} owed; lost {lost}, duplicated {duplicated}, misrouted {misrouted}"
    );
    println!(
        "answers while faulted: {} × 503, {} refused or cut connections, {} stream (re)connects, \
         5xx other than 503: {:?}, other unexpected: {:?}",
        seen.unavailable, seen.refused, seen.reconnects, seen.server_errors, seen.unexpected
    );
    println!(
        "RESULT faults server_sigkill={} server_sigterm={} database_crashes={} writes={} events={} deliveries={delivered} \
         lost={lost} duplicated={duplicated} misrouted={misrouted} responses_5xx={} responses_503={} refused={}",
        counted.get("server SIGKILL").unwrap_or(&0),
        counted.get("server SIGTERM").unwrap_or(&0),
        counted.get("PostgreSQL crash").unwrap_or(&0),
        acked.len(),
        expected.len(),
        seen.server_errors.len(),
        seen.unavailable,
        seen.refused,
    );
    anyhow::ensure!(
        acked_in_log == acked.len() as i64 && expected.len() == acked.len(),
        "{} writes were acknowledged, {acked_in_log} of them are in the log, which holds {} events",
        acked.len(),
        expected.len()
    );
    anyhow::ensure!(
        lost == 0 && duplicated == 0 && misrouted == 0,
        "lost {lost}, duplicated {duplicated}, misrouted {misrouted}"
    );
    anyhow::ensure!(
        seen.server_errors.is_empty(),
        "answered 5xx: {:?}",
        seen.server_errors
    );
    anyhow::ensure!(
        seen.unexpected.is_empty(),
        "unexpected answers: {:?}",
        seen.unexpected
    );
    Ok(())
}

/// Posts status changes with an `Idempotency-Key`, as an integration that
/// must not lose a change would.
struct Poster {
    client: reqwest::Client,
    base: String,
    token: String,
    shipments: Vec<String>,
    seen: Arc<Mutex<Seen>>,
}

impl Poster {
    /// Posts write `k` until the server acknowledges it; returns its event id.
    /// A retry carries the same key, so a write whose answer was lost (the
    /// server died after committing) is not applied twice.
    async fn until_acknowledged(&self, k: usize) -> i64 {
        let number = &self.shipments[k % self.shipments.len()];
        let key = format!("faults-{k}");
        loop {
            let response = self
                .client
                .post(format!("{}/api/v1/shipments/{number}/events", self.base))
                .bearer_auth(&self.token)
                .header("Idempotency-Key", &key)
                .json(&serde_json::json!({"status": "in_transit", "location": format!("Hub {}", k % 17)}))
                .send()
                .await;
            match response {
                Ok(r) if r.status().is_success() => {
                    if let Some(id) = r
                        .json::<serde_json::Value>()
                        .await
                        .ok()
                        .and_then(|v| v["id"].as_i64())
                    {
                        return id;
                    }
                    self.note_refused();
                }
                // "Still being processed": the first attempt's answer is coming.
                Ok(r) if r.status() == 409 => {}
                Ok(r) => self.note_status("status post", r.status().as_u16()),
                Err(_) => self.note_refused(),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn note_status(&self, door: &'static str, status: u16) {
        note_status(&self.seen, door, status);
    }

    fn note_refused(&self) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.refused += 1;
        }
    }
}

fn note_status(seen: &Mutex<Seen>, door: &'static str, status: u16) {
    if let Ok(mut seen) = seen.lock() {
        match status {
            503 => seen.unavailable += 1,
            500.. => seen.server_errors.push((door, status)),
            _ => seen.unexpected.push((door, status)),
        }
    }
}

/// One stream that resumes after every disconnect from the last position it
/// received, counting each position it is handed.
async fn read_resuming(
    client: reqwest::Client,
    url: String,
    token: String,
    start: i64,
    received: Arc<Mutex<HashMap<i64, u32>>>,
    seen: Arc<Mutex<Seen>>,
) {
    let mut last = start;
    loop {
        let response = client
            .get(&url)
            .bearer_auth(&token)
            .header("Last-Event-ID", last.to_string())
            // The stream itself is long-lived: no overall timeout.
            .timeout(Duration::from_secs(24 * 3600))
            .send()
            .await;
        if let Ok(mut seen) = seen.lock() {
            seen.reconnects += 1;
        }
        match response {
            Ok(response) if response.status().is_success() => {
                let mut events = response.bytes_stream().eventsource();
                while let Some(Ok(event)) = events.next().await {
                    if event.event != "shipment" {
                        continue;
                    }
                    let Ok(frame) = serde_json::from_str::<StreamEvent>(&event.data) else {
                        continue;
                    };
                    last = frame.position;
                    if let Ok(mut received) = received.lock() {
                        *received.entry(frame.position).or_default() += 1;
                    }
                }
            }
            Ok(response) => note_status(&seen, "stream", response.status().as_u16()),
            Err(_) => {
                if let Ok(mut seen) = seen.lock() {
                    seen.refused += 1;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_for_acks(acks: &AtomicUsize, at_least: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while acks.load(Ordering::Relaxed) < at_least {
        anyhow::ensure!(
            Instant::now() < deadline,
            "writes stopped being acknowledged ({} of {at_least})",
            acks.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

async fn wait_for_deliveries(received: &[Arc<Mutex<HashMap<i64, u32>>>], owed: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let got: usize = received
            .iter()
            .map(|r| r.lock().map(|r| r.len()).unwrap_or(0))
            .sum();
        if got >= owed {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Lost, duplicated and misrouted deliveries, and deliveries in all.
fn check(
    viewers: &[Viewer],
    received: &[Arc<Mutex<HashMap<i64, u32>>>],
    expected: &[(i64, i64)],
) -> (usize, usize, usize, usize) {
    let (mut lost, mut duplicated, mut misrouted, mut delivered) = (0, 0, 0, 0);
    for (viewer, received) in viewers.iter().zip(received) {
        let received = received.lock().map(|r| r.clone()).unwrap_or_default();
        for (position, owner) in expected {
            let times = received.get(position).copied().unwrap_or(0) as usize;
            delivered += times;
            if viewer.sees(*owner) {
                lost += usize::from(times == 0);
                duplicated += times.saturating_sub(1);
            } else {
                misrouted += times;
            }
        }
    }
    (lost, duplicated, misrouted, delivered)
}

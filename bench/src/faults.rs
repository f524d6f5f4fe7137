//! Fault injection: writers and resuming streams keep going while the server
//! is killed (SIGKILL and SIGTERM) and PostgreSQL crash-restarts
//! (`pg_ctl restart -m immediate`), on a throwaway cluster of its own (a crash
//! of the shared one would take down everything else using it).
//!
//! The same run with several instances behind nginx (the repository's own
//! proxy settings, `scripts/nginx-local`) does what an upgrade does instead:
//! a rolling restart, each instance in turn stopped with SIGTERM, drained,
//! started again and waited for until ready before the next, and one instance
//! killed outright per round. Through the proxy no client may see a 5xx at
//! all (not even a 503) or a refused connection, and a cut stream must be
//! live again within 5 s.
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

use crate::instances::{free_port, Instance};
use crate::proxy::Proxy;
use crate::seed::{self, Viewer};
use crate::tally;

/// The faults, in turn: each kind `rounds` times.
#[derive(Debug, Clone, Copy)]
enum Fault {
    KillServer,
    StopServer,
    CrashDatabase,
    /// Every instance in turn: SIGTERM, drain, start, ready, next.
    RollingRestart,
    /// One instance (the next in turn) SIGKILLed and started again.
    KillInstance,
}

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::KillServer => "server SIGKILL",
            Fault::StopServer => "server SIGTERM",
            Fault::CrashDatabase => "PostgreSQL crash",
            Fault::RollingRestart => "rolling restart",
            Fault::KillInstance => "instance SIGKILL",
        }
    }
}

/// What to run: the single-instance faults, or a rolling restart behind nginx.
pub struct Plan {
    /// Rounds: each fault of the mode once per round.
    pub rounds: usize,
    pub customers: usize,
    /// Behind nginx with this many instances: rolling restarts and instance
    /// kills instead of the single-instance faults.
    pub behind_proxy: Option<usize>,
    /// Writes per second over all writers; 0 = as fast as they can.
    pub rate: u32,
    /// Behind the proxy, a stream cut by a fault must be open again within
    /// this (5 s in the benchmark; the test command's smoke run, on a box
    /// busy with everything else, only checks that streams come back).
    pub live_again_within: Duration,
}

impl Plan {
    fn faults(&self) -> &'static [Fault] {
        if self.behind_proxy.is_some() {
            &[Fault::RollingRestart, Fault::KillInstance]
        } else {
            &[Fault::KillServer, Fault::StopServer, Fault::CrashDatabase]
        }
    }

    /// Acknowledged writes between faults: 25, or two seconds' worth at the
    /// paced rate (so a fault meets the offered load, not the tail of the
    /// previous one's recovery).
    fn steady_writes(&self) -> usize {
        if self.rate == 0 {
            25
        } else {
            (self.rate as usize * 2).max(25)
        }
    }

    /// Writers posting at once: each waits for its write's answer (a commit,
    /// an fsync or two, tens of milliseconds on this disk), so a paced run
    /// needs enough of them to offer its rate.
    fn writers(&self) -> usize {
        if self.rate == 0 {
            4
        } else {
            (self.rate as usize / 8).clamp(4, 32)
        }
    }
}

/// What the clients saw, beyond the deliveries.
#[derive(Default)]
struct Seen {
    /// Responses with a status of 500 or above other than 503, by door.
    server_errors: Vec<(&'static str, u16)>,
    /// Other answers a client did not expect (a 4xx), by door.
    unexpected: Vec<(&'static str, u16)>,
    /// 503 answers (expected while the server drains or the database is away).
    unavailable: usize,
    /// The 503s by door and by the fault under way when they were answered.
    unavailable_during: HashMap<(&'static str, &'static str), usize>,
    /// The fault under way ("steady" between faults).
    phase: &'static str,
    /// Connections refused or cut (expected while the server is down).
    refused: usize,
    /// Stream (re)connections.
    reconnects: usize,
    /// The longest a stream was without an open response, from being cut to
    /// being open again.
    longest_gap: Duration,
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

pub async fn run(server_bin: &Path, plan: Plan) -> anyhow::Result<()> {
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
    let seeded = seed::seed(&pool, plan.customers, 2, plan.customers).await?;
    let instances = plan.behind_proxy.unwrap_or(1);
    let mut servers = Vec::new();
    for _ in 0..instances {
        let port = free_port()?;
        servers.push((port, Some(Instance::start_at(server_bin, &url, port).await?)));
    }
    let proxy = match plan.behind_proxy {
        Some(_) => Some(Proxy::start(&servers.iter().map(|(port, _)| *port).collect::<Vec<_>>()).await?),
        None => None,
    };
    let base = match &proxy {
        Some(proxy) => proxy.base.clone(),
        None => format!("http://127.0.0.1:{}", servers[0].0),
    };
    let start = crate::head(&pool).await?;
    let faults = plan.faults();
    let writers_n = plan.writers();
    println!(
        "faults: {} streams, {writers_n} writers ({}), {} instance(s){}, {} rounds of {}",
        seeded.viewers.len(),
        if plan.rate == 0 {
            "as fast as they can".to_owned()
        } else {
            format!("{} writes/s", plan.rate)
        },
        instances,
        if proxy.is_some() { " behind nginx" } else { "" },
        plan.rounds,
        faults.iter().map(|f| f.name()).collect::<Vec<_>>().join(" / ")
    );

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let stop = Arc::new(AtomicBool::new(false));
    let seen: Arc<Mutex<Seen>> = Arc::default();
    set_phase(&seen, "steady");
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
    let writers: Vec<_> = (0..writers_n)
        .map(|writer| {
            let post = Poster {
                client: client.clone(),
                base: base.clone(),
                token: seeded.writer_token.clone(),
                shipments: seeded.shipments.clone(),
                seen: seen.clone(),
            };
            let (stop, acked, acks) = (stop.clone(), acked.clone(), acks.clone());
            let rate = plan.rate;
            tokio::spawn(async move {
                // Paced: this writer's share of the rate, one write per tick.
                let mut ticks = (rate > 0).then(|| {
                    let mut ticks =
                        tokio::time::interval(Duration::from_secs_f64(writers_n as f64 / f64::from(rate)));
                    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    ticks
                });
                let mut k = writer;
                while !stop.load(Ordering::Relaxed) {
                    if let Some(ticks) = ticks.as_mut() {
                        ticks.tick().await;
                    }
                    let id = post.until_acknowledged(k).await;
                    if let Ok(mut acked) = acked.lock() {
                        acked.push(id);
                    }
                    acks.fetch_add(1, Ordering::Relaxed);
                    k += writers_n;
                }
            })
        })
        .collect();

    let began = Instant::now();
    let mut counted = HashMap::<&str, usize>::new();
    let mut next_to_kill = 0;
    for round in 0..plan.rounds * faults.len() {
        wait_for_acks(&acks, acks.load(Ordering::Relaxed) + plan.steady_writes()).await?;
        let fault = faults[round % faults.len()];
        let at = Instant::now();
        set_phase(&seen, fault.name());
        match fault {
            Fault::KillServer | Fault::StopServer | Fault::KillInstance => {
                let index = if matches!(fault, Fault::KillInstance) {
                    next_to_kill = (next_to_kill + 1) % servers.len();
                    next_to_kill
                } else {
                    0
                };
                let (port, slot) = &mut servers[index];
                let running = slot.take().ok_or_else(|| anyhow::anyhow!("no server"))?;
                if matches!(fault, Fault::StopServer) {
                    tokio::task::spawn_blocking(move || running.stop()).await?;
                } else {
                    running.kill();
                }
                *slot = Some(Instance::start_at(server_bin, &url, *port).await?);
            }
            Fault::RollingRestart => {
                for (port, slot) in &mut servers {
                    let running = slot.take().ok_or_else(|| anyhow::anyhow!("no server"))?;
                    // SIGTERM, then wait for the drain (off the runtime's threads).
                    tokio::task::spawn_blocking(move || running.stop()).await?;
                    *slot = Some(Instance::start_at(server_bin, &url, *port).await?);
                }
            }
            Fault::CrashDatabase => {
                let cluster = cluster.0.clone();
                let restarted = tokio::task::spawn_blocking(move || cluster.restart_immediately()).await??;
                anyhow::ensure!(restarted, "the fault-injection cluster was not running");
            }
        }
        // Until the cut streams are back and the writes flow again, what
        // clients see is still this fault's doing.
        wait_for_acks(&acks, acks.load(Ordering::Relaxed) + 5).await?;
        set_phase(&seen, "steady");
        let name = fault.name();
        *counted.entry(name).or_default() += 1;
        println!(
            "  {name} at {:.1} s (back in {:.1} s), {} writes acknowledged so far",
            began.elapsed().as_secs_f64(),
            at.elapsed().as_secs_f64(),
            acks.load(Ordering::Relaxed)
        );
    }
    // Recovery: writes go on being acknowledged after the last fault.
    wait_for_acks(&acks, acks.load(Ordering::Relaxed) + plan.steady_writes()).await?;
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await?;
    }
    let write_seconds = began.elapsed().as_secs_f64();

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
    for (_, server) in servers {
        if let Some(server) = server {
            server.stop();
        }
    }
    drop(proxy);

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
         longest a stream was closed: {:.2} s, 5xx other than 503: {:?}, other unexpected: {:?}; \
         the 503s by (door, fault): {:?}",
        seen.unavailable,
        seen.refused,
        seen.reconnects,
        seen.longest_gap.as_secs_f64(),
        seen.server_errors,
        seen.unexpected,
        seen.unavailable_during
    );
    let counts: Vec<String> = [
        ("server_sigkill", "server SIGKILL"),
        ("server_sigterm", "server SIGTERM"),
        ("database_crashes", "PostgreSQL crash"),
        ("rolling_restarts", "rolling restart"),
        ("instance_sigkill", "instance SIGKILL"),
    ]
    .iter()
    .map(|(key, name)| format!("{key}={}", counted.get(name).unwrap_or(&0)))
    .collect();
    println!(
        "RESULT faults instances={instances} proxy={} {} writes={} writes_per_s={:.0} events={} deliveries={delivered} \
         lost={lost} duplicated={duplicated} misrouted={misrouted} responses_5xx={} responses_503={} refused={} \
         reconnects={} longest_gap_s={:.2}",
        plan.behind_proxy.is_some(),
        counts.join(" "),
        acked.len(),
        acked.len() as f64 / write_seconds,
        expected.len(),
        seen.server_errors.len(),
        seen.unavailable,
        seen.refused,
        seen.reconnects,
        seen.longest_gap.as_secs_f64(),
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
    if plan.behind_proxy.is_some() {
        // Through the proxy a restart is invisible: no 503, no refused
        // connection, and a cut stream is back within seconds. A SIGKILL may
        // cost the requests that instance was in the middle of (nginx cannot
        // repeat a POST it already sent; the writer retries with its key).
        let outside_kills: usize = seen
            .unavailable_during
            .iter()
            .filter(|((_, phase), _)| *phase != Fault::KillInstance.name())
            .map(|(_, n)| n)
            .sum();
        anyhow::ensure!(
            outside_kills == 0 && seen.refused == 0,
            "behind the proxy, clients saw 503s {:?} and {} refused connections",
            seen.unavailable_during,
            seen.refused
        );
        anyhow::ensure!(
            seen.longest_gap <= plan.live_again_within,
            "a stream was closed for {:.2} s (at most {:?})",
            seen.longest_gap.as_secs_f64(),
            plan.live_again_within
        );
    }
    Ok(())
}

fn set_phase(seen: &Mutex<Seen>, phase: &'static str) {
    if let Ok(mut seen) = seen.lock() {
        seen.phase = phase;
    }
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
            503 => {
                seen.unavailable += 1;
                let phase = seen.phase;
                *seen.unavailable_during.entry((door, phase)).or_default() += 1;
            }
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
    // When the stream was last cut (none before the first connection).
    let mut cut_at: Option<Instant> = None;
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
                if let (Some(cut), Ok(mut seen)) = (cut_at.take(), seen.lock()) {
                    seen.longest_gap = seen.longest_gap.max(cut.elapsed());
                }
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
        cut_at.get_or_insert_with(Instant::now);
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

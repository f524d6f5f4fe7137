//! `shipwatch-bench`: how fast and how completely the live stream delivers.
//!
//! It starts the real app in this process on a loopback port, against a fresh
//! database next to the configured one (the embedded cluster by default), opens
//! N authenticated SSE streams over real HTTP, writes status changes at a set
//! rate for a set time, and prints:
//!
//! * latency from the start of each write to its arrival on every stream that
//!   may see it (p50 / p95 / p99 / max): an upper bound on commit→client,
//!   since it includes the write itself (~1 ms);
//! * events delivered per second, and the achieved write rate;
//! * lost and duplicated deliveries, which must be 0 (the exit code says so).
//!
//! Streams are split between customers (each sees only their own shipments)
//! and operators (who see everything), per `--operators`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use app::domain::{ShipmentStatus, StreamEvent, TrackingNumber};
use app::ssr::db::status::{record_status_change, StatusChange};
use clap::Parser;
use eventsource_stream::Eventsource as _;
use futures::StreamExt as _;

#[derive(Debug, Parser)]
#[command(
    name = "shipwatch-bench",
    about = "Measure Shipwatch's live stream: latency, throughput, loss"
)]
struct Args {
    /// Open streams.
    #[arg(long, default_value_t = 100)]
    streams: usize,
    /// Of which this many are operators (they receive every event).
    #[arg(long, default_value_t = 0)]
    operators: usize,
    /// Status changes per second, spread over the customers' shipments.
    #[arg(long, default_value_t = 100)]
    rate: u32,
    /// How long to write, in seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent writers.
    #[arg(long, default_value_t = 8)]
    writers: usize,
    /// Extra operator streams that connect and never read a byte: they must be
    /// dropped when their buffer overflows, without growing memory.
    #[arg(long, default_value_t = 0)]
    stalled: usize,
    #[command(flatten)]
    database: server::database::DatabaseArgs,
}

/// Arrival times per position, per stream.
type Arrivals = Arc<Mutex<Vec<HashMap<i64, Vec<Instant>>>>>;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let customers = args.streams.saturating_sub(args.operators).max(1);
    println!(
        "shipwatch-bench: {} streams ({} customers, {} operators), {} writes/s for {} s, {} writers",
        args.streams, customers, args.operators, args.rate, args.seconds, args.writers
    );

    let url = args.database.recreate_sibling("shipwatch_bench").await?;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(40)
        .connect(&url)
        .await?;
    let setup = Instant::now();
    let users = seed(&pool, customers, args.operators).await?;
    println!(
        "seeded {} users and {} shipments in {:.1?}",
        users.len(),
        customers,
        setup.elapsed()
    );

    let addr = serve(pool.clone()).await?;
    let base = format!("http://{addr}");
    let start_position: i64 = sqlx::query_scalar("SELECT position FROM event_stream_head")
        .fetch_one(&pool)
        .await?;

    // Open every stream and wait until each is registered.
    let arrivals: Arrivals = Arc::new(Mutex::new(vec![HashMap::new(); users.len()]));
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(users.len());
    let mut readers = Vec::new();
    for (index, user) in users.iter().enumerate() {
        let client = sign_in(&base, &user.email).await?;
        let (arrivals, ready, url) = (arrivals.clone(), ready_tx.clone(), format!("{base}/api/events"));
        readers.push(tokio::spawn(async move {
            read_stream(client, url, index, arrivals, ready).await
        }));
    }
    for _ in 0..users.len() {
        ready_rx.recv().await.context("a stream failed to open")?;
    }
    println!("{} streams open", users.len());

    let mut stalled = Vec::new();
    if args.stalled > 0 {
        let client = sign_in(
            &base,
            &users
                .iter()
                .find(|u| u.operator)
                .map_or(users[0].email.clone(), |u| u.email.clone()),
        )
        .await?;
        for _ in 0..args.stalled {
            // Keep the response but never read its body.
            stalled.push(client.get(format!("{base}/api/events")).send().await?);
        }
        println!("{} stalled streams open (never read)", stalled.len());
    }
    let rss_before = rss_kib();

    // Write at the requested rate, spread over `writers` tasks.
    let numbers: Vec<TrackingNumber> = users.iter().filter_map(|u| u.shipment.clone()).collect();
    let sent: Arc<Mutex<Vec<(i64, Instant)>>> = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let total = u64::from(args.rate) * args.seconds;
    let writers: Vec<_> = (0..args.writers.max(1))
        .map(|w| {
            let (pool, numbers, sent) = (pool.clone(), numbers.clone(), sent.clone());
            let (rate, writers_n) = (f64::from(args.rate.max(1)), args.writers.max(1) as u64);
            tokio::spawn(async move {
                let mut k = w as u64;
                while k < total {
                    let due = started + Duration::from_secs_f64(k as f64 / rate);
                    tokio::time::sleep_until(due.into()).await;
                    let number = &numbers[(k as usize) % numbers.len()];
                    let change = StatusChange {
                        status: ShipmentStatus::InTransit,
                        location: Some(format!("Hub {}", k % 17)),
                        note: None,
                        occurred_at: None,
                        actor_id: None,
                    };
                    let before = Instant::now();
                    if let Ok(event) = record_status_change(&pool, number, &change).await {
                        sent.lock().map(|mut s| s.push((event.id, before))).ok();
                    }
                    k += writers_n;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await?;
    }
    let write_secs = started.elapsed().as_secs_f64();
    let end_position: i64 = sqlx::query_scalar("SELECT position FROM event_stream_head")
        .fetch_one(&pool)
        .await?;

    // Who should have received what.
    let expected: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT e.stream_position, s.owner_id FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id
         WHERE e.stream_position > $1 AND e.stream_position <= $2 ORDER BY 1",
    )
    .bind(start_position)
    .bind(end_position)
    .fetch_all(&pool)
    .await?;
    let written = expected.len();

    // Let deliveries drain (bounded wait), then stop the readers.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let delivered: usize = arrivals
            .lock()
            .map(|a| a.iter().map(HashMap::len).sum())
            .unwrap_or(0);
        let wanted: usize = users
            .iter()
            .map(|u| expected.iter().filter(|(_, owner)| u.sees(*owner)).count())
            .sum();
        if delivered >= wanted || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for reader in &readers {
        reader.abort();
    }

    // When each position's write started.
    let sent = sent.lock().map(|s| s.clone()).unwrap_or_default();
    let ids: Vec<i64> = sent.iter().map(|(id, _)| *id).collect();
    let positions: HashMap<i64, i64> =
        sqlx::query_as::<_, (i64, i64)>("SELECT id, stream_position FROM shipment_events WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(&pool)
            .await?
            .into_iter()
            .collect();
    let position_started: HashMap<i64, Instant> = sent
        .iter()
        .filter_map(|(id, before)| Some((*positions.get(id)?, *before)))
        .collect();

    let arrivals = arrivals.lock().map(|a| a.clone()).unwrap_or_default();
    let (mut latencies, mut lost, mut duplicated, mut delivered) = (Vec::new(), 0usize, 0usize, 0usize);
    for (user, got) in users.iter().zip(&arrivals) {
        for (position, owner) in &expected {
            if !user.sees(*owner) {
                if got.contains_key(position) {
                    anyhow::bail!(
                        "{} received position {position}, which it may not see",
                        user.email
                    );
                }
                continue;
            }
            match got.get(position) {
                None => lost += 1,
                Some(times) => {
                    delivered += times.len();
                    duplicated += times.len() - 1;
                    if let Some(start) = position_started.get(position) {
                        latencies.push(times[0].saturating_duration_since(*start));
                    }
                }
            }
        }
    }
    latencies.sort_unstable();
    let pct = |p: f64| -> String {
        if latencies.is_empty() {
            return "n/a".into();
        }
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        format!("{:.2} ms", latencies[i].as_secs_f64() * 1000.0)
    };
    println!(
        "writes committed: {written} in {write_secs:.1} s ({:.0}/s)",
        written as f64 / write_secs
    );
    println!("deliveries: {delivered} ({:.0}/s)", delivered as f64 / write_secs);
    println!(
        "latency write-start→client: p50 {} | p95 {} | p99 {} | max {}",
        pct(0.50),
        pct(0.95),
        pct(0.99),
        pct(1.0)
    );
    println!("lost: {lost} | duplicated: {duplicated}");
    if let (Some(before), Some(after)) = (rss_before, rss_kib()) {
        println!(
            "process RSS (server and clients together): {:.1} MiB before writing, {:.1} MiB after ({:+.1} MiB)",
            before as f64 / 1024.0,
            after as f64 / 1024.0,
            (after as f64 - before as f64) / 1024.0
        );
    }
    drop(stalled);
    if lost > 0 || duplicated > 0 {
        anyhow::bail!("the stream lost or duplicated events");
    }
    Ok(())
}

/// This process's resident memory, from /proc (Linux).
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct BenchUser {
    id: i64,
    email: String,
    operator: bool,
    shipment: Option<TrackingNumber>,
}

impl BenchUser {
    fn sees(&self, owner_id: i64) -> bool {
        self.operator || self.id == owner_id
    }
}

/// Customers with one in-transit shipment each, and operators. The password
/// hash is computed once and shared: hashing is not what we measure.
async fn seed(pool: &sqlx::PgPool, customers: usize, operators: usize) -> anyhow::Result<Vec<BenchUser>> {
    let password = app::domain::NewPassword::parse(PASSWORD.into()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash = app::ssr::auth::password::hash_password(password).await?;
    let mut users = Vec::new();
    for i in 0..customers + operators {
        let operator = i >= customers;
        let email = format!("{}{i}@bench.example", if operator { "ops" } else { "customer" });
        let role = if operator { "operator" } else { "customer" };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (email, password_hash, role) VALUES ($1, $2, $3::user_role) RETURNING id",
        )
        .bind(&email)
        .bind(&hash)
        .bind(role)
        .fetch_one(pool)
        .await?;
        let shipment = if operator {
            None
        } else {
            let number = format!("BN{i:010}");
            sqlx::query(
                "INSERT INTO shipments (tracking_number, owner_id, origin, destination, destination_postal_code, carrier, status)
                 VALUES ($1, $2, 'Rotterdam', 'Lyon', '69001', 'DHL', 'in_transit')",
            )
            .bind(&number)
            .bind(id)
            .execute(pool)
            .await?;
            Some(TrackingNumber::parse(&number).map_err(|e| anyhow::anyhow!("{e}"))?)
        };
        users.push(BenchUser {
            id,
            email,
            operator,
            shipment,
        });
    }
    Ok(users)
}

const PASSWORD: &str = "bench-password";

/// The real app, in this process, on a free loopback port.
async fn serve(pool: sqlx::PgPool) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let config = server::startup::AppConfig {
        leptos_options: leptos::config::LeptosOptions::builder()
            .output_name("shipwatch")
            .site_addr(addr)
            .build(),
        login_limits: app::ssr::auth::throttle::LoginLimits {
            per_email: 1000,
            per_client: 1_000_000,
            ..Default::default()
        },
        public_origin: format!("http://{addr}"),
        session: app::ssr::auth::session::SessionConfig {
            secure: false,
            idle_timeout: Duration::from_secs(3600),
        },
        stream: app::ssr::state::StreamSettings::default(),
        stream_buffer: 1024,
        auth_recheck: Duration::from_secs(2),
    };
    let running = server::startup::build_app(pool, config).await?;
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            running.router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while !running.hub.listener_connected() {
        anyhow::ensure!(Instant::now() < deadline, "the listener did not connect");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(addr)
}

async fn sign_in(base: &str, email: &str) -> anyhow::Result<reqwest::Client> {
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let response = client
        .post(format!("{base}/api/v1/session"))
        .header("origin", base)
        .json(&serde_json::json!({"email": email, "password": PASSWORD}))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "sign-in as {email}: {}",
        response.status()
    );
    Ok(client)
}

async fn read_stream(
    client: reqwest::Client,
    url: String,
    index: usize,
    arrivals: Arrivals,
    ready: tokio::sync::mpsc::Sender<()>,
) -> anyhow::Result<()> {
    let response = client.get(url).send().await?;
    anyhow::ensure!(response.status().is_success(), "stream: {}", response.status());
    // The server registers a stream with its hub before answering, so
    // response headers mean "subscribed".
    let _ = ready.send(()).await;
    let mut events = response.bytes_stream().eventsource();
    while let Some(event) = events.next().await {
        let event = event?;
        let now = Instant::now();
        if event.event == "shipment" {
            let frame: StreamEvent = serde_json::from_str(&event.data)?;
            if let Ok(mut all) = arrivals.lock() {
                all[index].entry(frame.position).or_default().push(now);
            }
        }
    }
    Ok(())
}

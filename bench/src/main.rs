//! `shipwatch-bench`: the live stream's load harness.
//!
//! It seeds a fresh database next to the configured one, starts one or two
//! real `server` processes against it, opens N authenticated SSE streams to
//! them over real HTTP (parsed with a real SSE parser), posts status changes
//! through the real JSON API at a set rate (or as fast as the writers can),
//! and prints:
//!
//! * write→client latency (from sending the POST to the frame's arrival on each
//!   stream that may see it) p50/p95/p99/max, and the server's own share of it:
//!   arrival minus the moment a bare LISTEN client on the same database heard
//!   the commit's NOTIFY;
//! * writes committed per second and deliveries per second;
//! * server RSS per open stream, read from `/proc/<server pid>`;
//! * lost and duplicated deliveries (it exits non-zero unless both are 0);
//! * with `--pgbench`, the raw INSERT + `pg_notify` rate of this box.
//!
//! The last line is `RESULT key=value …`, which `scripts/bench` turns into the
//! table in BENCHMARKS.md.

mod floor;
mod instances;
mod seed;
mod streams;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;

use instances::Instance;

#[derive(Parser)]
#[command(about = "Load harness for Shipwatch's live stream: latency, throughput, memory, loss")]
struct Args {
    /// Streams that read (customers and operators).
    #[arg(long, default_value_t = 100)]
    streams: usize,
    /// Of which this many are operators (they receive every change).
    #[arg(long, default_value_t = 0)]
    operators: usize,
    /// Status changes per second, spread over the shipments; 0 = as fast as
    /// the writers can (the sustained-throughput scenario).
    #[arg(long, default_value_t = 100)]
    rate: u32,
    /// How long to write, in seconds (0: only open streams and measure memory).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent writers, each posting one change at a time.
    #[arg(long, default_value_t = 8)]
    writers: usize,
    /// Extra operator streams that connect and never read a byte.
    #[arg(long, default_value_t = 0)]
    stalled: usize,
    /// Server processes on the one database; streams alternate between them,
    /// writes all go to the first, so most deliveries cross instances.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=4))]
    instances: u8,
    /// The server binary to start.
    #[arg(long, default_value = "target/release/server")]
    server_bin: PathBuf,
    /// Also measure the raw `pgbench` INSERT + pg_notify rate (scenario e).
    #[arg(long)]
    pgbench: bool,
    /// Shipments in the database (at least one per customer stream).
    #[arg(long, default_value_t = 100)]
    shipments: usize,
    /// Also page through the operator's list this many pages deep (50 a page),
    /// timing each page: keyset paging should cost the same on page 200 as on 1.
    #[arg(long, default_value_t = 0)]
    list_pages: usize,
    #[command(flatten)]
    database: server::database::DatabaseArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let open_files = raise_open_file_limit();
    let customers = args.streams.saturating_sub(args.operators);
    println!(
        "shipwatch-bench: {} streams ({customers} customers, {} operators) on {} instance(s), {} writes/s for {} s, {} writers; open-file limit {open_files}",
        args.streams,
        args.operators,
        args.instances,
        if args.rate == 0 { "max".to_owned() } else { args.rate.to_string() },
        args.seconds,
        args.writers
    );

    let url = args.database.recreate_sibling("shipwatch_bench").await?;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(8)
        .connect(&url)
        .await?;
    app::ssr::db::migrate(&pool).await?;
    let setup = Instant::now();
    let seeded = seed::seed(&pool, customers, args.operators, args.shipments).await?;
    println!(
        "seeded {} viewers and {} shipments in {:.1?}",
        seeded.viewers.len(),
        seeded.shipments.len(),
        setup.elapsed()
    );

    let mut servers = Vec::new();
    for _ in 0..args.instances {
        servers.push(Instance::start(&args.server_bin, &url).await?);
    }
    let mut result = run(&args, &pool, &url, &seeded, &servers).await;
    if let (Ok(report), true) = (&mut result, args.list_pages > 0) {
        match time_list_pages(&servers[0].base, &seeded.writer_token, args.list_pages).await {
            Ok(timing) => report.push_str(&timing),
            Err(error) => result = Err(error),
        }
    }
    for server in servers {
        server.stop();
    }
    let report = result?;
    if args.pgbench {
        let tps = floor::pgbench(&url, &pool).await?;
        println!("pgbench floor (INSERT + pg_notify, 8 clients): {tps:.0} transactions/s");
        println!("RESULT {report} pgbench_tps={tps:.0}");
    } else {
        println!("RESULT {report}");
    }
    Ok(())
}

/// The measured part; returns the `key=value` summary.
async fn run(
    args: &Args,
    pool: &sqlx::PgPool,
    url: &str,
    seeded: &seed::Seeded,
    servers: &[Instance],
) -> anyhow::Result<String> {
    let rss = || -> Option<u64> { servers.iter().map(Instance::rss_kib).sum() };
    let head = || async {
        sqlx::query_scalar::<_, i64>("SELECT position FROM event_stream_head")
            .fetch_one(pool)
            .await
    };
    let rss_empty = rss();

    let (notified, listener) = floor::listen(url).await?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build()?;

    // Open every stream, a few hundred at a time (a burst of 10,000 connects
    // would overflow the listen backlog, which is not what we measure).
    let arrivals = streams::arrivals(seeded.viewers.len());
    let opening = Instant::now();
    let permits = Arc::new(tokio::sync::Semaphore::new(256));
    let mut opened = Vec::new();
    for (index, viewer) in seeded.viewers.iter().enumerate() {
        let permit = permits.clone().acquire_owned().await?;
        let (client, arrivals, token) = (client.clone(), arrivals.clone(), viewer.token.clone());
        let stream_url = format!("{}/api/events", servers[index % servers.len()].base);
        opened.push(tokio::spawn(async move {
            let reader = streams::open(&client, &stream_url, &token, index, arrivals).await;
            drop(permit);
            reader
        }));
    }
    let mut readers = Vec::new();
    for open in opened {
        readers.push(open.await?.context("opening a stream")?);
    }
    println!("{} streams open in {:.1?}", readers.len(), opening.elapsed());

    let mut stalled = Vec::new();
    if let Some(operator) = seeded
        .viewers
        .iter()
        .find(|v| v.operator)
        .or(seeded.viewers.first())
    {
        for i in 0..args.stalled {
            let stream_url = format!("{}/api/events", servers[i % servers.len()].base);
            stalled.push(streams::open_stalled(&client, &stream_url, &operator.token).await?);
        }
    }
    // Let allocations settle before reading memory.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_open = rss();
    let open_streams = seeded.viewers.len() + stalled.len();
    let per_stream = match (rss_empty, rss_open) {
        (Some(empty), Some(open)) if open_streams > 0 => {
            (open.saturating_sub(empty) as f64 * 1024.0 / open_streams as f64).round()
        }
        _ => 0.0,
    };
    println!(
        "server RSS: {:.1} MiB with no streams, {:.1} MiB with {open_streams} open ({:.1} KiB per stream)",
        kib_to_mib(rss_empty),
        kib_to_mib(rss_open),
        per_stream / 1024.0
    );

    // Write through the API.
    let start_position = head().await?;
    let sent: Arc<Mutex<Vec<(i64, Instant, Duration)>>> = Arc::default();
    let failed = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let until = started + Duration::from_secs(args.seconds);
    let writers_n = args.writers.max(1) as u64;
    let writers: Vec<_> = (0..writers_n)
        .map(|w| {
            let (client, sent, failed) = (client.clone(), sent.clone(), failed.clone());
            let (token, numbers) = (seeded.writer_token.clone(), seeded.shipments.clone());
            let base = servers[0].base.clone();
            let rate = args.rate;
            tokio::spawn(async move {
                let mut k = w;
                loop {
                    if rate > 0 {
                        let due = started + Duration::from_secs_f64(k as f64 / f64::from(rate));
                        if due >= until {
                            break;
                        }
                        tokio::time::sleep_until(due.into()).await;
                    } else if Instant::now() >= until {
                        break;
                    }
                    let number = &numbers[(k as usize) % numbers.len()];
                    let before = Instant::now();
                    let response = client
                        .post(format!("{base}/api/v1/shipments/{number}/events"))
                        .bearer_auth(&token)
                        .json(&serde_json::json!({"status": "in_transit", "location": format!("Hub {}", k % 17)}))
                        .send()
                        .await;
                    let id = match response {
                        Ok(r) if r.status().is_success() => r.json::<serde_json::Value>().await.ok().and_then(|v| v["id"].as_i64()),
                        _ => None,
                    };
                    match id {
                        Some(id) => {
                            if let Ok(mut s) = sent.lock() {
                                s.push((id, before, before.elapsed()));
                            }
                        }
                        None => {
                            failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                    k += writers_n;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await?;
    }
    let write_secs = started.elapsed().as_secs_f64().max(0.001);
    let end_position = head().await?;

    // Who should have received what.
    let expected: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT e.stream_position, s.owner_id FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id
         WHERE e.stream_position > $1 AND e.stream_position <= $2 ORDER BY 1",
    )
    .bind(start_position)
    .bind(end_position)
    .fetch_all(pool)
    .await?;
    let wanted: usize = seeded
        .viewers
        .iter()
        .map(|v| expected.iter().filter(|(_, owner)| v.sees(*owner)).count())
        .sum();

    // Let deliveries drain (bounded wait), then stop the readers.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let delivered: usize = arrivals
            .iter()
            .map(|a| a.lock().map(|a| a.len()).unwrap_or(0))
            .sum();
        if delivered >= wanted || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rss_after = rss();
    for reader in &readers {
        reader.abort();
    }
    listener.abort();
    drop(stalled);

    // When each position's write was sent.
    let sent = sent.lock().map(|s| s.clone()).unwrap_or_default();
    let ids: Vec<i64> = sent.iter().map(|(id, _, _)| *id).collect();
    let positions: HashMap<i64, i64> =
        sqlx::query_as::<_, (i64, i64)>("SELECT id, stream_position FROM shipment_events WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect();
    let sent_at: HashMap<i64, Instant> = sent
        .iter()
        .filter_map(|(id, before, _)| Some((*positions.get(id)?, *before)))
        .collect();
    let notified = notified.lock().map(|n| n.clone()).unwrap_or_default();

    let (mut to_client, mut server_share, mut to_notify) = (Vec::new(), Vec::new(), Vec::new());
    let (mut lost, mut duplicated, mut delivered) = (0usize, 0usize, 0usize);
    for (position, _) in &expected {
        if let (Some(sent), Some(heard)) = (sent_at.get(position), notified.get(position)) {
            to_notify.push(heard.saturating_duration_since(*sent));
        }
    }
    for (viewer, received) in seeded.viewers.iter().zip(arrivals.iter()) {
        let received = received.lock().map(|r| r.clone()).unwrap_or_default();
        for (position, owner) in &expected {
            let got = received.get(position);
            if !viewer.sees(*owner) {
                anyhow::ensure!(
                    got.is_none(),
                    "a stream received position {position}, which it may not see"
                );
                continue;
            }
            let Some((arrived, times)) = got else {
                lost += 1;
                continue;
            };
            delivered += *times as usize;
            duplicated += (*times as usize).saturating_sub(1);
            if let Some(sent) = sent_at.get(position) {
                to_client.push(arrived.saturating_duration_since(*sent));
            }
            if let Some(heard) = notified.get(position) {
                server_share.push(arrived.saturating_duration_since(*heard));
            }
        }
    }
    let post_latency: Vec<Duration> = sent.iter().map(|(_, _, took)| *took).collect();
    let written = expected.len();
    let failed = failed.load(std::sync::atomic::Ordering::Relaxed);

    let to_client = Percentiles::of(to_client);
    let server_share = Percentiles::of(server_share);
    let to_notify = Percentiles::of(to_notify);
    let post = Percentiles::of(post_latency);
    println!(
        "writes committed: {written} in {write_secs:.1} s ({:.0}/s), {failed} failed",
        written as f64 / write_secs
    );
    println!("deliveries: {delivered} ({:.0}/s)", delivered as f64 / write_secs);
    println!("latency write→client:        {}", to_client.line());
    println!("  of which server (NOTIFY→client): {}", server_share.line());
    println!("floor: write→bare LISTEN client: {}", to_notify.line());
    println!("POST round trip:              {}", post.line());
    println!("lost: {lost} | duplicated: {duplicated}");
    println!(
        "server RSS after writing: {:.1} MiB ({:+.1} MiB while writing)",
        kib_to_mib(rss_after),
        kib_to_mib(rss_after) - kib_to_mib(rss_open)
    );
    anyhow::ensure!(
        lost == 0 && duplicated == 0,
        "the stream lost {lost} or duplicated {duplicated} deliveries"
    );
    anyhow::ensure!(failed == 0 || args.rate == 0, "{failed} writes failed");

    Ok(format!(
        "streams={} operators={} instances={} rate={} writes_per_s={:.0} deliveries_per_s={:.0} \
         p50_ms={} p95_ms={} p99_ms={} max_ms={} server_p50_ms={} server_p99_ms={} notify_p50_ms={} notify_p99_ms={} \
         rss_open_mib={:.1} rss_per_stream_kib={:.1} lost={lost} duplicated={duplicated} failed={failed}",
        seeded.viewers.len(),
        args.operators,
        servers.len(),
        args.rate,
        written as f64 / write_secs,
        delivered as f64 / write_secs,
        to_client.ms(0.50),
        to_client.ms(0.95),
        to_client.ms(0.99),
        to_client.ms(1.0),
        server_share.ms(0.50),
        server_share.ms(0.99),
        to_notify.ms(0.50),
        to_notify.ms(0.99),
        kib_to_mib(rss_open),
        per_stream / 1024.0,
    ))
}

/// Pages through `GET /api/v1/shipments` as an operator, following
/// `next_page`, and reports the time of the first and of the deepest page.
async fn time_list_pages(base: &str, token: &str, pages: usize) -> anyhow::Result<String> {
    let client = reqwest::Client::new();
    let mut times = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..pages {
        let url = match &after {
            Some(after) => format!("{base}/api/v1/shipments?after={after}"),
            None => format!("{base}/api/v1/shipments"),
        };
        let started = Instant::now();
        let page: serde_json::Value = client
            .get(url)
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        times.push(started.elapsed());
        match page["next_page"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
    }
    let first = times.first().copied().unwrap_or_default();
    let last = times.last().copied().unwrap_or_default();
    let all = Percentiles::of(times.clone());
    println!(
        "operator list, {} pages of 50: first {:.2} ms, last {:.2} ms, {}",
        times.len(),
        first.as_secs_f64() * 1000.0,
        last.as_secs_f64() * 1000.0,
        all.line()
    );
    Ok(format!(
        " list_pages={} list_first_ms={:.2} list_last_ms={:.2} list_p50_ms={}",
        times.len(),
        first.as_secs_f64() * 1000.0,
        last.as_secs_f64() * 1000.0,
        all.ms(0.5)
    ))
}

/// Sorted durations, read by quantile.
struct Percentiles(Vec<Duration>);

impl Percentiles {
    fn of(mut values: Vec<Duration>) -> Self {
        values.sort_unstable();
        Self(values)
    }

    fn ms(&self, quantile: f64) -> String {
        if self.0.is_empty() {
            return "n/a".into();
        }
        let i = ((self.0.len() as f64 - 1.0) * quantile).round() as usize;
        format!("{:.2}", self.0[i].as_secs_f64() * 1000.0)
    }

    fn line(&self) -> String {
        format!(
            "p50 {} | p95 {} | p99 {} | max {} ms ({} samples)",
            self.ms(0.50),
            self.ms(0.95),
            self.ms(0.99),
            self.ms(1.0),
            self.0.len()
        )
    }
}

fn kib_to_mib(kib: Option<u64>) -> f64 {
    kib.unwrap_or(0) as f64 / 1024.0
}

/// Raises this process's open-file limit to its hard limit (10,000 streams
/// need 10,000 sockets here and in the server, which inherits the limit).
fn raise_open_file_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(error) => {
            eprintln!("could not raise the open-file limit: {error}");
            0
        }
    }
}

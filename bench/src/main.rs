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
//! * with `--pgbench`, the raw INSERT + `pg_notify` rate of this box, and the
//!   app's own status-change statement sent straight by pgbench.
//!
//! The last line is `RESULT key=value …`, which `scripts/bench` turns into the
//! table in BENCHMARKS.md.

mod export;
mod fanout_floor;
mod faults;
mod floor;
mod instances;
mod load;
mod proxy;
mod scale;
mod seed;
mod streams;
mod tally;

use std::path::PathBuf;
use std::sync::Arc;
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
    /// Also measure the raw `pgbench` INSERT + pg_notify rate and the status-change
    /// statement alone under pgbench.
    #[arg(long)]
    pgbench: bool,
    /// Shipments in the database (at least one per customer stream).
    #[arg(long, default_value_t = 100)]
    shipments: usize,
    /// Also page through the operator's list this many pages deep (50 a page),
    /// timing each page: keyset paging should cost the same on page 200 as on 1.
    #[arg(long, default_value_t = 0)]
    list_pages: usize,
    /// Instead of the stream scenarios: load the scale data set (this many
    /// shipments, ten events each, a tenth as many customers) with COPY and
    /// measure page, search and replay costs on it.
    #[arg(long, num_args = 0..=1, default_missing_value = "1000000")]
    scale: Option<usize>,
    /// With --scale: measure the data set loaded last time instead of loading it again.
    #[arg(long)]
    scale_reuse: bool,
    /// Instead of the stream scenarios: fault injection on a throwaway
    /// PostgreSQL cluster, this many rounds of (server SIGKILL, server
    /// SIGTERM, PostgreSQL crash) under writes and resuming streams.
    #[arg(long, num_args = 0..=1, default_missing_value = "3")]
    faults: Option<usize>,
    /// Instead of the stream scenarios: --instances instances behind nginx
    /// (scripts/nginx-local) on a throwaway cluster, this many rounds of (a
    /// rolling restart, one instance SIGKILLed) under --rate writes/s and
    /// resuming streams; no client may see a 5xx or a refused connection.
    #[arg(long, num_args = 0..=1, default_missing_value = "1")]
    rolling: Option<usize>,
    /// Instead of writing: download every shipment as CSV (an operator's
    /// export of `--shipments` rows), timing it and sampling server memory.
    #[arg(long)]
    export: bool,
    /// Who is notified of the writes: `default` (the schema's defaults: the
    /// writes, scans to in transit, notify nobody but are still checked),
    /// `every-change` (every customer asks for every status: each write
    /// makes a notification with an email queued), or `off` (the
    /// notification trigger disabled: the write path without it).
    #[arg(long, default_value = "default", value_parser = ["default", "every-change", "off"])]
    notifications: String,
    /// With --rolling: the longest a cut stream may stay closed, in seconds.
    #[arg(long, default_value_t = 5)]
    live_again_within: u64,
    /// After the server's run, the same streams, rate and duration against
    /// the fan-out floors (bare processes writing the same frames, one
    /// `write(2)` each, from one loop or from a task per stream): what this
    /// box's loopback TCP costs per delivery before any server logic.
    #[arg(long)]
    fanout_floor: bool,
    /// Be a fan-out floor's process (started by the harness itself).
    #[arg(long, hide = true)]
    serve_fanout_floor: Option<fanout_floor::Writer>,
    #[command(flatten)]
    database: server::database::DatabaseArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let open_files = raise_open_file_limit();
    if let Some(writer) = args.serve_fanout_floor {
        return fanout_floor::serve(writer).await;
    }
    if let Some(rounds) = args.faults {
        let plan = faults::Plan {
            rounds,
            customers: args.streams.saturating_sub(2).max(1),
            behind_proxy: None,
            rate: 0,
            live_again_within: std::time::Duration::MAX,
        };
        return faults::run(&args.server_bin, plan).await;
    }
    if let Some(rounds) = args.rolling {
        anyhow::ensure!(args.instances >= 2, "--rolling needs --instances 2 or more");
        let plan = faults::Plan {
            rounds,
            customers: args.streams.saturating_sub(2).max(1),
            behind_proxy: Some(usize::from(args.instances)),
            rate: args.rate,
            live_again_within: std::time::Duration::from_secs(args.live_again_within),
        };
        return faults::run(&args.server_bin, plan).await;
    }
    if let Some(shipments) = args.scale {
        return scale::run(&args.database, shipments, args.scale_reuse, &args.server_bin).await;
    }
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

    match args.notifications.as_str() {
        "off" => {
            sqlx::query("ALTER TABLE shipment_events DISABLE TRIGGER shipment_events_notify_people")
                .execute(&pool)
                .await?;
        }
        "every-change" => {
            sqlx::query("UPDATE notification_preferences SET statuses = enum_range(NULL::shipment_status)")
                .execute(&pool)
                .await?;
        }
        _ => {}
    }
    println!("notifications: {}", args.notifications);

    let mut servers = Vec::new();
    for _ in 0..args.instances {
        servers.push(Instance::start(&args.server_bin, &url).await?);
    }
    if args.export {
        let client = reqwest::Client::new();
        let result = export::measure(&client, &servers[0], &seeded.writer_token).await;
        for server in servers {
            server.stop();
        }
        println!("RESULT {}", result?);
        return Ok(());
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
    let mut report = result?;
    if args.fanout_floor {
        for &writer in <fanout_floor::Writer as clap::ValueEnum>::value_variants() {
            let floor = fanout_floor::measure(writer, seeded.viewers.len(), args.rate, args.seconds).await?;
            println!(
                "fan-out floor, {} (one write(2) per frame): {:.1} µs of CPU per delivery, \
                 {} of {} delivered, emit→client {}",
                writer.describe(),
                floor.cpu_us_per_delivery,
                floor.delivered,
                floor.owed,
                floor.latency.line()
            );
            let key = writer.name();
            report.push_str(&format!(
                " floor_{key}_cpu_us_per_delivery={:.1} floor_{key}_p99_ms={}",
                floor.cpu_us_per_delivery,
                floor.latency.ms(0.99)
            ));
        }
    }
    if args.pgbench {
        // As many database clients as the harness had writers: the same
        // chance to share a commit's fsync (group commit) as the API had.
        let clients = args.writers;
        let tps = floor::pgbench(&url, &pool, clients).await?;
        println!("pgbench floor (INSERT + pg_notify, {clients} clients): {tps:.0} transactions/s");
        let statement_tps = floor::pgbench_status_change(&url, &pool, clients).await?;
        println!(
            "the app's status-change statement under pgbench ({clients} clients): {statement_tps:.0}/s ({:.1} % of the floor)",
            100.0 * statement_tps / tps
        );
        println!("RESULT {report} pgbench_tps={tps:.0} statement_tps={statement_tps:.0}");
    } else {
        println!("RESULT {report}");
    }
    Ok(())
}

/// The measured part: open the streams, read memory, write, wait for the
/// deliveries, check them. Returns the `key=value` summary.
async fn run(
    args: &Args,
    pool: &sqlx::PgPool,
    url: &str,
    seeded: &seed::Seeded,
    servers: &[Instance],
) -> anyhow::Result<String> {
    let rss = || -> Option<u64> { servers.iter().map(Instance::rss_kib).sum() };
    let rss_empty = rss();
    let (notified, listener) = floor::listen(url).await?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build()?;

    let arrivals = streams::arrivals(seeded.viewers.len());
    let readers = open_streams(&client, seeded, servers, &arrivals).await?;
    let stalled = open_stalled(&client, args.stalled, seeded, servers).await?;
    // Let allocations settle before reading memory.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_open = rss();
    let open_streams = seeded.viewers.len() + stalled.len();
    let per_stream_kib = match (rss_empty, rss_open) {
        (Some(empty), Some(open)) if open_streams > 0 => {
            open.saturating_sub(empty) as f64 / open_streams as f64
        }
        _ => 0.0,
    };
    println!(
        "server RSS: {:.1} MiB with no streams, {:.1} MiB with {open_streams} open ({per_stream_kib:.1} KiB per stream)",
        kib_to_mib(rss_empty),
        kib_to_mib(rss_open),
    );

    let start_position = head(pool).await?;
    let cpu = || -> Option<u64> { servers.iter().map(Instance::cpu_ticks).sum() };
    let cpu_before = cpu();
    let load = load::Load {
        base: &servers[0].base,
        token: &seeded.writer_token,
        shipments: &seeded.shipments,
        rate: args.rate,
        writers: args.writers,
        seconds: args.seconds,
    };
    // The writers keep their connections open between writes, as any HTTP
    // client posting status changes at a rate does (the streams' client
    // above keeps none idle: each stream holds its own connection).
    let writers = reqwest::Client::new();
    let writes = load::run(&writers, load).await?;
    let expected = tally::expected(pool, start_position, head(pool).await?).await?;
    tally::wait_for(&arrivals, tally::owed(&seeded.viewers, &expected)).await;
    let cpu_us_per_write = match (cpu_before, cpu()) {
        (Some(before), Some(after)) if !expected.is_empty() => {
            (after - before) as f64 * 1e6 / instances::TICKS_PER_SECOND / expected.len() as f64
        }
        _ => 0.0,
    };
    let rss_after = rss();
    for reader in &readers {
        reader.abort();
    }
    listener.abort();
    drop(stalled);

    let sent_at = tally::sent_at(pool, &writes.sent).await?;
    let notified = floor::by_position(pool, &notified).await?;
    let counted = tally::tally(&seeded.viewers, &arrivals, &expected, &sent_at, &notified)?;
    let memory = Memory {
        open_mib: kib_to_mib(rss_open),
        after_mib: kib_to_mib(rss_after),
        per_stream_kib,
    };
    let deliveries_per_write = counted.delivered as f64 / expected.len().max(1) as f64;
    let cpu_us_per_delivery = cpu_us_per_write / deliveries_per_write.max(1.0);
    println!(
        "server CPU: {cpu_us_per_write:.0} µs per write (writing, routing and delivering it), \
         {cpu_us_per_delivery:.1} µs per delivery"
    );
    let mut report = report(
        args,
        seeded.viewers.len(),
        servers.len(),
        expected.len(),
        &writes,
        &counted,
        &memory,
    );
    report.push_str(&format!(
        " server_cpu_us_per_write={cpu_us_per_write:.0} server_cpu_us_per_delivery={cpu_us_per_delivery:.1}"
    ));
    anyhow::ensure!(
        counted.lost == 0 && counted.duplicated == 0,
        "the stream lost {} or duplicated {} deliveries",
        counted.lost,
        counted.duplicated
    );
    anyhow::ensure!(
        writes.failed == 0 || args.rate == 0,
        "{} writes failed",
        writes.failed
    );
    Ok(report)
}

/// Server memory while the streams were open.
struct Memory {
    open_mib: f64,
    after_mib: f64,
    per_stream_kib: f64,
}

/// Prints the run's figures and returns them as the `RESULT key=value` line.
fn report(
    args: &Args,
    streams: usize,
    instances: usize,
    written: usize,
    writes: &load::WriteLog,
    counted: &tally::Tally,
    memory: &Memory,
) -> String {
    let secs = writes.seconds;
    let post = Percentiles::of(writes.sent.iter().map(|(_, _, took)| *took).collect());
    println!(
        "writes committed: {written} in {secs:.1} s ({:.0}/s), {} failed",
        written as f64 / secs,
        writes.failed
    );
    println!(
        "deliveries: {} ({:.0}/s)",
        counted.delivered,
        counted.delivered as f64 / secs
    );
    println!("latency write→client:        {}", counted.to_client.line());
    println!(
        "  of which server (NOTIFY→client): {}",
        counted.server_share.line()
    );
    println!("floor: write→bare LISTEN client: {}", counted.to_notify.line());
    println!("POST round trip:              {}", post.line());
    println!("lost: {} | duplicated: {}", counted.lost, counted.duplicated);
    println!(
        "server RSS after writing: {:.1} MiB ({:+.1} MiB while writing)",
        memory.after_mib,
        memory.after_mib - memory.open_mib
    );
    let (to_client, server_share, to_notify) =
        (&counted.to_client, &counted.server_share, &counted.to_notify);
    format!(
        "streams={streams} operators={} instances={instances} rate={} writes_per_s={:.0} deliveries_per_s={:.0} \
         p50_ms={} p95_ms={} p99_ms={} max_ms={} server_p50_ms={} server_p99_ms={} notify_p50_ms={} notify_p99_ms={} \
         rss_open_mib={:.1} rss_per_stream_kib={:.1} lost={} duplicated={} failed={}",
        args.operators,
        args.rate,
        written as f64 / secs,
        counted.delivered as f64 / secs,
        to_client.ms(0.50),
        to_client.ms(0.95),
        to_client.ms(0.99),
        to_client.ms(1.0),
        server_share.ms(0.50),
        server_share.ms(0.99),
        to_notify.ms(0.50),
        to_notify.ms(0.99),
        memory.open_mib,
        memory.per_stream_kib,
        counted.lost,
        counted.duplicated,
        writes.failed,
    )
}

/// The newest position, once every event committed so far has one (the
/// servers number them right after each commit).
pub(crate) async fn head(pool: &sqlx::PgPool) -> anyhow::Result<i64> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (head, unnumbered): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT position FROM event_stream_head),
                    (SELECT count(*) FROM shipment_events WHERE stream_position IS NULL)",
        )
        .fetch_one(pool)
        .await?;
        if unnumbered == 0 {
            return Ok(head);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{unnumbered} events were never numbered"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Opens every viewer's stream, a few hundred at a time (a burst of 10,000
/// connects would overflow the listen backlog, which is not what we measure),
/// alternating between the instances.
async fn open_streams(
    client: &reqwest::Client,
    seeded: &seed::Seeded,
    servers: &[Instance],
    arrivals: &streams::Arrivals,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
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
    Ok(readers)
}

/// Opens `count` operator streams that never read a byte.
async fn open_stalled(
    client: &reqwest::Client,
    count: usize,
    seeded: &seed::Seeded,
    servers: &[Instance],
) -> anyhow::Result<Vec<reqwest::Response>> {
    let mut stalled = Vec::new();
    let Some(operator) = seeded
        .viewers
        .iter()
        .find(|v| v.operator)
        .or(seeded.viewers.first())
    else {
        return Ok(stalled);
    };
    for i in 0..count {
        let stream_url = format!("{}/api/events", servers[i % servers.len()].base);
        stalled.push(streams::open_stalled(client, &stream_url, &operator.token).await?);
    }
    Ok(stalled)
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
pub struct Percentiles(Vec<Duration>);

impl Percentiles {
    pub fn of(mut values: Vec<Duration>) -> Self {
        values.sort_unstable();
        Self(values)
    }

    pub fn samples(&self) -> usize {
        self.0.len()
    }

    pub fn ms(&self, quantile: f64) -> String {
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

//! The fan-out floors: what delivering one SSE frame to one of N loopback
//! HTTP/1.1 streams costs a process on this box when it does nothing else.
//!
//! A separate process (this binary with `--serve-fanout-floor <writer>`)
//! answers every connection with an SSE response head, then, for every
//! position read from its standard input, writes the same pre-encoded chunk
//! (a frame of the server's own format, `Frame::encode`) to every connection,
//! one `write(2)` each, with no HTTP library and no database. Two writers:
//!
//! * [`Writer::Loop`]: one thread writes every connection in turn: no tasks,
//!   no wake-ups. The least any process can spend while it makes one system
//!   call per frame.
//! * [`Writer::Tasks`]: the shape of the server: a tokio task per connection
//!   (the default multi-threaded runtime, as the server's), woken through a
//!   broadcast channel for every frame.
//!
//! The harness reads them with the same SSE readers as the server and divides
//! the process's CPU time (`/proc/<pid>/stat`, like the server's) by the
//! frames delivered; scenario b measures them after the server, in the same
//! run.

use std::io::{BufRead as _, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::instances::{cpu_ticks, TICKS_PER_SECOND};
use crate::streams;
use crate::Percentiles;

/// The SSE response head (the server's, less the headers that change nothing
/// on the wire after it).
const RESPONSE_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n";

/// How the floor process writes its frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Writer {
    Loop,
    Tasks,
}

impl Writer {
    /// Its name on the command line and in the `RESULT` line's keys.
    pub fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self)
            .map(|value| value.get_name().to_owned())
            .unwrap_or_default()
    }

    /// What it is, for the printed figures.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Loop => "one thread writing every stream in turn",
            Self::Tasks => "a tokio task per stream",
        }
    }
}

/// The floor process: prints its port, then serves until its input ends.
pub async fn serve(writer: Writer) -> anyhow::Result<()> {
    match writer {
        Writer::Loop => tokio::task::block_in_place(serve_from_one_loop),
        Writer::Tasks => serve_from_tasks().await,
    }
}

fn print_port(port: u16) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{port}")?;
    Ok(stdout.flush()?)
}

/// The positions to send, one per line of standard input.
fn positions() -> impl Iterator<Item = anyhow::Result<i64>> {
    std::io::stdin()
        .lock()
        .lines()
        .map(|line| line?.trim().parse().context("a position per line"))
}

fn serve_from_one_loop() -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    print_port(listener.local_addr()?.port())?;
    let connections: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    let accepted = connections.clone();
    std::thread::spawn(move || {
        for connection in listener.incoming().flatten() {
            // A stream that fails its handshake is one the harness counts as
            // lost; nothing else to do with it here.
            let _ = answer(connection, &accepted);
        }
    });
    let mut failed_writes = 0_u64;
    for position in positions() {
        let chunk = chunk(position?)?;
        let connections = connections.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        for mut connection in connections.iter() {
            // Non-blocking: a full socket buffer is a lost frame, which the
            // harness reports (at these rates none fills).
            if !matches!(connection.write(&chunk), Ok(n) if n == chunk.len()) {
                failed_writes += 1;
            }
        }
    }
    if failed_writes > 0 {
        eprintln!("fan-out floor: {failed_writes} writes did not complete");
    }
    Ok(())
}

async fn serve_from_tasks() -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    print_port(listener.local_addr()?.port())?;
    let (frames, _) = tokio::sync::broadcast::channel::<Arc<Vec<u8>>>(64);
    let subscriptions = frames.clone();
    tokio::spawn(async move {
        while let Ok((connection, _)) = listener.accept().await {
            // As in the loop: a failed stream is the harness's to count.
            tokio::spawn(stream_from_task(connection, subscriptions.subscribe()));
        }
    });
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        for position in positions() {
            // No receiver yet is not an error: the frame had nobody to go to.
            let _ = frames.send(Arc::new(chunk(position?)?));
        }
        Ok(())
    })
    .await?
}

async fn stream_from_task(
    mut connection: tokio::net::TcpStream,
    mut frames: tokio::sync::broadcast::Receiver<Arc<Vec<u8>>>,
) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut head = Vec::new();
    let mut buffer = [0_u8; 1024];
    while !head_complete(&head)? {
        let read = connection.read(&mut buffer).await?;
        anyhow::ensure!(read > 0, "closed before its request head");
        head.extend_from_slice(&buffer[..read]);
    }
    connection.set_nodelay(true)?;
    connection.write_all(RESPONSE_HEAD).await?;
    loop {
        match frames.recv().await {
            Ok(chunk) => connection.write_all(&chunk).await?,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                eprintln!("fan-out floor: a stream fell behind");
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
        }
    }
}

/// Whether a request head read so far is complete (bounded: 16 KiB).
fn head_complete(head: &[u8]) -> anyhow::Result<bool> {
    anyhow::ensure!(head.len() < 16 * 1024, "request head too long");
    Ok(head.windows(4).any(|w| w == b"\r\n\r\n"))
}

/// Reads the request head, answers with the SSE head and registers the
/// connection (under the lock, so no frame can precede the head).
fn answer(mut connection: TcpStream, connections: &Mutex<Vec<TcpStream>>) -> anyhow::Result<()> {
    let mut head = Vec::new();
    let mut buffer = [0_u8; 1024];
    while !head_complete(&head)? {
        let read = connection.read(&mut buffer)?;
        anyhow::ensure!(read > 0, "closed before its request head");
        head.extend_from_slice(&buffer[..read]);
    }
    // As the server does (`serving.rs`).
    connection.set_nodelay(true)?;
    let mut connections = connections.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    connection.write_all(RESPONSE_HEAD)?;
    connection.set_nonblocking(true)?;
    connections.push(connection);
    Ok(())
}

/// A frame as the server encodes it for an operator (a status event with its
/// count move), wrapped in its HTTP/1.1 chunk.
fn chunk(position: i64) -> anyhow::Result<Vec<u8>> {
    let event: app::domain::StreamEvent = serde_json::from_value(serde_json::json!({
        "position": position,
        "event": {
            "id": position, "tracking_number": "SW1000000042", "kind": "status",
            "status": "in_transit", "location": "Hub 3", "note": null,
            "occurred_at": "2026-12-03T10:00:00Z", "actor": "ops@example.com"
        },
        "shipment": {
            "tracking_number": "SW1000000042", "status": "in_transit", "origin": "Lyon",
            "destination": "Oslo", "carrier": "Posten", "eta": null, "last_location": "Hub 3",
            "updated_at": "2026-12-03T10:00:00Z"
        },
        "counts": {
            "from": { "status": "picked_up", "needs_attention": false },
            "to": { "status": "in_transit", "needs_attention": false }
        }
    }))?;
    let frame = app::ssr::stream::wire::Frame::encode(&event)?.sse();
    let mut chunk = format!("{:x}\r\n", frame.len()).into_bytes();
    chunk.extend_from_slice(&frame);
    chunk.extend_from_slice(b"\r\n");
    Ok(chunk)
}

/// What the floor measured.
pub struct Measured {
    pub cpu_us_per_delivery: f64,
    pub latency: Percentiles,
    pub delivered: usize,
    pub owed: usize,
}

/// Starts a floor process, opens `streams` SSE readers on it, has it send
/// `rate` frames a second for `seconds`, and measures its CPU per delivery
/// and the emit→client latency.
pub async fn measure(writer: Writer, streams_n: usize, rate: u32, seconds: u64) -> anyhow::Result<Measured> {
    let mut child = Command::new(std::env::current_exe()?)
        .arg("--serve-fanout-floor")
        .arg(writer.name())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let result = drive(&mut child, writer, streams_n, rate, seconds).await;
    let _ = child.kill();
    let _ = child.wait();
    result
}

async fn drive(
    child: &mut std::process::Child,
    writer: Writer,
    streams_n: usize,
    rate: u32,
    seconds: u64,
) -> anyhow::Result<Measured> {
    let mut port = String::new();
    std::io::BufReader::new(child.stdout.take().context("floor stdout")?).read_line(&mut port)?;
    let url = format!("http://127.0.0.1:{}/", port.trim());
    let mut input = child.stdin.take().context("floor stdin")?;

    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build()?;
    let arrivals = streams::arrivals(streams_n);
    let mut readers = Vec::with_capacity(streams_n);
    for index in 0..streams_n {
        readers.push(streams::open(&client, &url, "floor", index, arrivals.clone()).await?);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    let cpu_before = cpu_ticks(child.id()).context("floor CPU")?;
    let mut emitted = Vec::new();
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / rate.max(1));
    for position in 1..=i64::from(rate) * i64::try_from(seconds)? {
        ticks.tick().await;
        emitted.push(Instant::now());
        writeln!(input, "{position}")?;
        input.flush()?;
    }
    let owed = streams_n * emitted.len();
    crate::tally::wait_for(&arrivals, owed).await;
    let cpu_after = cpu_ticks(child.id()).context("floor CPU")?;
    for reader in &readers {
        reader.abort();
    }

    let mut latencies = Vec::with_capacity(owed);
    let mut delivered = 0;
    for received in arrivals.iter() {
        let received = received.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        for (position, (at, times)) in received.iter() {
            let Some(sent) = usize::try_from(*position - 1).ok().and_then(|i| emitted.get(i)) else {
                continue;
            };
            delivered += usize::try_from(*times)?;
            latencies.push(at.saturating_duration_since(*sent));
        }
    }
    // A floor that lost or repeated frames measured something else.
    anyhow::ensure!(
        delivered == owed,
        "the fan-out floor ({writer:?}) delivered {delivered} of {owed} frames"
    );
    Ok(Measured {
        cpu_us_per_delivery: (cpu_after - cpu_before) as f64 * 1e6
            / TICKS_PER_SECOND
            / delivered.max(1) as f64,
        latency: Percentiles::of(latencies),
        delivered,
        owed,
    })
}

//! The fan-out floor: what delivering one SSE frame to one of N loopback
//! HTTP/1.1 streams costs a process on this box when it does nothing else.
//!
//! A separate process (this binary with `--serve-fanout-floor`) answers every
//! connection with an SSE response head, then, for every position read from its
//! standard input, writes the same pre-encoded chunk (a frame of the server's
//! own format, `Frame::encode`) to every connection with one `write(2)` each,
//! from one thread: no tasks, no wake-ups, no HTTP library, no database. The
//! harness reads it with the same SSE readers as the server and divides the
//! process's CPU time (`/proc/<pid>/stat`, like the server's) by the frames
//! delivered. Scenario b compares the server against it in the same run: the
//! server cannot spend less per delivery than this without writing several
//! frames per system call.

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

/// The floor process: prints its port, then serves until its input ends.
pub fn serve() -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{}", listener.local_addr()?.port())?;
    stdout.flush()?;
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
    for line in std::io::stdin().lock().lines() {
        let position: i64 = line?.trim().parse().context("a position per line")?;
        let chunk = chunk(position)?;
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

/// Reads the request head, answers with the SSE head and registers the
/// connection (under the lock, so no frame can precede the head).
fn answer(mut connection: TcpStream, connections: &Mutex<Vec<TcpStream>>) -> anyhow::Result<()> {
    let mut head = Vec::new();
    let mut buffer = [0_u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = connection.read(&mut buffer)?;
        anyhow::ensure!(read > 0 && head.len() < 16 * 1024, "bad request head");
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
    let frame = app::ssr::stream::frame::Frame::encode(&event)?.sse();
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

/// Starts the floor process, opens `streams` SSE readers on it, has it send
/// `rate` frames a second for `seconds`, and measures its CPU per delivery
/// and the emit→client latency.
pub async fn measure(streams_n: usize, rate: u32, seconds: u64) -> anyhow::Result<Measured> {
    let mut child = Command::new(std::env::current_exe()?)
        .arg("--serve-fanout-floor")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let result = drive(&mut child, streams_n, rate, seconds).await;
    let _ = child.kill();
    let _ = child.wait();
    result
}

async fn drive(
    child: &mut std::process::Child,
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
    Ok(Measured {
        cpu_us_per_delivery: (cpu_after - cpu_before) as f64 * 1e6
            / TICKS_PER_SECOND
            / delivered.max(1) as f64,
        latency: Percentiles::of(latencies),
        delivered,
        owed,
    })
}

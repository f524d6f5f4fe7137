//! Server instances under test: the real `server` binary, each its own process
//! on its own loopback port, so the server's memory can be read from
//! `/proc/<pid>` apart from the harness's clients.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where the instances' own log lines go (appended).
pub const SERVER_LOG: &str = "target/bench-server.log";

fn server_log() -> anyhow::Result<std::fs::File> {
    Ok(std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(SERVER_LOG)?)
}

/// Linux's `USER_HZ`, the unit of `/proc/<pid>/stat` times.
pub const TICKS_PER_SECOND: f64 = 100.0;

pub struct Instance {
    pub base: String,
    child: Child,
}

impl Instance {
    /// Starts `server serve` against `database_url` on a free port and waits
    /// until it is ready.
    pub async fn start(binary: &Path, database_url: &str) -> anyhow::Result<Self> {
        let port = free_port()?;
        Self::start_at(binary, database_url, port).await
    }

    /// The same on a given port (a restarted instance keeps its address).
    pub async fn start_at(binary: &Path, database_url: &str, port: u16) -> anyhow::Result<Self> {
        anyhow::ensure!(
            binary.exists(),
            "{} not found: build it first (`cargo build --release -p server`, or pass --server-bin)",
            binary.display()
        );
        let base = format!("http://127.0.0.1:{port}");
        let child = Command::new(binary)
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("SHIPWATCH_ADDR", format!("127.0.0.1:{port}"))
            // The harness is many clients sharing a few tokens and addresses.
            .env("SHIPWATCH_API_RATE_LIMIT", "100000000")
            .env("SHIPWATCH_API_RATE_LIMIT_ANONYMOUS", "100000000")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            // Warnings (an instance killed mid-request, a database crash) go
            // to a file, not over the harness's figures.
            .stderr(server_log()?)
            .spawn()?;
        let instance = Self { base, child };
        wait_until_ready(&instance.base, Duration::from_secs(60), SERVER_LOG).await?;
        Ok(instance)
    }

    /// The server process's resident memory in KiB, from `/proc/<pid>/status`.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// CPU time the server process has used (user + system), in clock ticks
    /// (`TICKS_PER_SECOND`), from `/proc/<pid>/stat`.
    pub fn cpu_ticks(&self) -> Option<u64> {
        cpu_ticks(self.child.id())
    }

    /// Kills the server outright (SIGKILL): a crash, no drain.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the server the way an orchestrator would (SIGTERM), then waits.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(12);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU time process `pid` has used (user + system), in clock ticks
/// (`TICKS_PER_SECOND`), from `/proc/<pid>/stat`.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are 14th and 15th.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until `GET {base}/readyz` answers 2xx; after `within`, an error that
/// points at `log`.
pub async fn wait_until_ready(base: &str, within: Duration, log: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + within;
    loop {
        let ready = client.get(format!("{base}/readyz")).send().await;
        if ready.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{base} did not become ready within {within:?} (its log: {log})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

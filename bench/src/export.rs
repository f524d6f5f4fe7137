//! The CSV export at size: an operator downloads every shipment (the seeded
//! `--shipments`) as CSV; the harness times the download to its last byte,
//! counts the rows, and samples the server's RSS while it streams, so "flat
//! memory" is a figure (the peak above the idle server), not a claim.

use std::time::{Duration, Instant};

use futures::StreamExt as _;

use crate::instances::Instance;

/// Downloads the export once; returns the `key=value` summary.
pub async fn measure(client: &reqwest::Client, server: &Instance, token: &str) -> anyhow::Result<String> {
    let idle = server.rss_kib().unwrap_or(0);
    let started = Instant::now();
    let response = client
        .get(format!("{}/api/v1/shipments", server.base))
        .bearer_auth(token)
        .header("Accept", "text/csv")
        .send()
        .await?
        .error_for_status()?;
    let first_byte = started.elapsed();
    let mut body = response.bytes_stream();
    let (mut bytes, mut lines, mut peak) = (0usize, 0usize, idle);
    let mut sampled = Instant::now();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
        if sampled.elapsed() > Duration::from_millis(20) {
            peak = peak.max(server.rss_kib().unwrap_or(0));
            sampled = Instant::now();
        }
    }
    let total = started.elapsed();
    peak = peak.max(server.rss_kib().unwrap_or(0));
    let rows = lines.saturating_sub(1);
    println!(
        "export: {rows} rows, {:.1} MiB in {:.2} s (first byte after {:.0} ms); server RSS {:.1} MiB idle, {:.1} MiB at most while streaming (+{:.1} MiB)",
        bytes as f64 / 1_048_576.0,
        total.as_secs_f64(),
        first_byte.as_secs_f64() * 1000.0,
        idle as f64 / 1024.0,
        peak as f64 / 1024.0,
        peak.saturating_sub(idle) as f64 / 1024.0,
    );
    Ok(format!(
        "export_rows={rows} export_bytes={bytes} export_seconds={:.2} export_first_byte_ms={:.0} rss_idle_kib={idle} rss_peak_kib={peak}",
        total.as_secs_f64(),
        first_byte.as_secs_f64() * 1000.0
    ))
}

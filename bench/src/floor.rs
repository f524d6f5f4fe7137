//! The floors the server is measured against: a bare LISTEN client on the same
//! database (how soon PostgreSQL itself tells anyone about a commit), and a
//! raw `pgbench` INSERT + `pg_notify` rate (how fast this box can commit and
//! notify at all), and the app's own status-change statement under pgbench
//! (how fast the schema lets it write, before any HTTP).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sqlx::postgres::PgListener;

/// When each event's announcement (sent by its writer right after the commit;
/// the payload is the event ids, comma-separated) reached a bare listener.
pub type NotifyTimes = Arc<Mutex<HashMap<i64, Instant>>>;

/// Listens on the app's channel and records arrivals until aborted.
pub async fn listen(database_url: &str) -> anyhow::Result<(NotifyTimes, tokio::task::JoinHandle<()>)> {
    let mut listener = PgListener::connect(database_url).await?;
    listener.listen(app::ssr::db::announcer::CHANNEL).await?;
    let times: NotifyTimes = Arc::default();
    let record = times.clone();
    let task = tokio::spawn(async move {
        while let Ok(notification) = listener.recv().await {
            let now = Instant::now();
            if let Ok(mut times) = record.lock() {
                for event_id in notification
                    .payload()
                    .split(',')
                    .filter_map(|id| id.parse::<i64>().ok())
                {
                    times.insert(event_id, now);
                }
            }
        }
    });
    Ok((times, task))
}

/// The notification times by stream position (events are numbered after
/// their commit was notified).
pub async fn by_position(pool: &sqlx::PgPool, times: &NotifyTimes) -> anyhow::Result<HashMap<i64, Instant>> {
    let times = times.lock().map(|t| t.clone()).unwrap_or_default();
    let ids: Vec<i64> = times.keys().copied().collect();
    let positions: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, stream_position FROM shipment_events WHERE id = ANY($1) AND stream_position IS NOT NULL",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    Ok(positions
        .into_iter()
        .filter_map(|(id, position)| Some((position, *times.get(&id)?)))
        .collect())
}

/// Transactions per second of `INSERT … ; SELECT pg_notify(…)` with as many
/// clients as the harness had writers, for 10 s, as reported by pgbench.
pub async fn pgbench(database_url: &str, pool: &sqlx::PgPool, clients: usize) -> anyhow::Result<f64> {
    sqlx::query("CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, payload text NOT NULL, at timestamptz NOT NULL DEFAULT now())")
        .execute(pool)
        .await?;
    run_pgbench(
        database_url,
        clients,
        "BEGIN;\nINSERT INTO bench_floor (payload) VALUES ('{\"position\":1,\"shipment_id\":1}');\nSELECT pg_notify('bench_floor', '{\"position\":1}');\nCOMMIT;\n",
    )
}

/// Transactions per second of the app's own status change, sent straight to
/// PostgreSQL by pgbench (as many clients and as long as [`pgbench`]) on the
/// seeded shipments: what the write path would reach with no HTTP, no
/// authentication, no numbering and no stream, i.e. the ceiling the schema
/// itself (the shipment update with its triggers, the event row with its
/// indexes) sets below the bare INSERT floor. The statement is the one of
/// `app::ssr::db::events::append_status_move`, with literal values, followed
/// (as in the app) by its announcement after the commit.
pub async fn pgbench_status_change(
    database_url: &str,
    pool: &sqlx::PgPool,
    clients: usize,
) -> anyhow::Result<f64> {
    let (first, last): (i64, i64) =
        sqlx::query_as("SELECT min(id), max(id) FROM shipments WHERE status = 'in_transit'")
            .fetch_one(pool)
            .await?;
    let actor: i64 = sqlx::query_scalar("SELECT id FROM users WHERE role = 'operator' ORDER BY id LIMIT 1")
        .fetch_one(pool)
        .await?;
    let script = format!(
        "\\set n random({first}, {last})\n\
         WITH moved AS (UPDATE shipments SET status = 'in_transit', last_location = COALESCE('Hub 3', last_location), \
         updated_at = GREATEST(updated_at, now()) WHERE id = :n AND status = ANY('{{in_transit}}'::shipment_status[]) RETURNING id) \
         INSERT INTO shipment_events (shipment_id, kind, status, location, note, occurred_at, recorded_at, actor_id, \
         announced_after_commit) \
         SELECT moved.id, 'status', 'in_transit', 'Hub 3', NULL, now(), now(), {actor}, true FROM moved \
         RETURNING id, occurred_at, COALESCE((SELECT email FROM users WHERE id = {actor}), 'someone');\n\
         SELECT pg_notify('{channel}', '');\n",
        channel = app::ssr::db::announcer::CHANNEL,
    );
    run_pgbench(database_url, clients, &script)
}

/// Runs one pgbench script (`clients` clients, 2 threads, 10 s) and reads its tps.
fn run_pgbench(database_url: &str, clients: usize, script_text: &str) -> anyhow::Result<f64> {
    let script = std::env::temp_dir().join(format!("shipwatch-bench-{}.sql", std::process::id()));
    std::fs::write(&script, script_text)?;
    let output = Command::new(pgbench_binary()?)
        .args([
            "-n",
            "-c",
            &clients.max(2).to_string(),
            "-j",
            "2",
            "-T",
            "10",
            "-f",
        ])
        .arg(&script)
        .arg(database_url)
        .output()?;
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "pgbench failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    text.lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| {
            l.trim_start_matches("tps = ")
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .ok_or_else(|| anyhow::anyhow!("no tps in pgbench's output:\n{text}"))
}

fn pgbench_binary() -> anyhow::Result<PathBuf> {
    if let Ok(path) = which("pgbench") {
        return Ok(path);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")?
        .filter_map(|e| Some(e.ok()?.path().join("bin/pgbench")))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found.pop().ok_or_else(|| {
        anyhow::anyhow!("pgbench not found: install PostgreSQL's client tools (Debian: postgresql-15)")
    })
}

fn which(name: &str) -> anyhow::Result<PathBuf> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|p| p.exists())
        .ok_or_else(|| anyhow::anyhow!("{name} not on PATH"))
}

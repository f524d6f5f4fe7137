//! The one LISTEN connection of this process.
//!
//! A notification is only a wake-up call: on each one the listener reads the
//! log after the last position it dispatched, so a missed or coalesced
//! notification loses nothing. When the connection drops (PostgreSQL restart,
//! `pg_terminate_backend`, network) sqlx's listener silently misses what was
//! sent meanwhile, so we reconnect with backoff and backfill from the log before
//! listening again. No loop here polls the database on a timer.
//!
//! The same connection hears access changes (`access::CHANNEL`: an account
//! signed out, lost a token or changed role) and asks the hub to re-check
//! that account's streams.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::postgres::PgListener;
use sqlx::PgPool;

use super::hub::Hub;
use super::{access, log};

pub const CHANNEL: &str = "shipment_events";

/// Runs until the hub shuts down.
pub async fn run(pool: PgPool, hub: Arc<Hub>) {
    let mut backoff = Duration::from_millis(100);
    let mut shutdown = hub.shutdown_receiver();
    loop {
        if hub.is_shutting_down() {
            return;
        }
        match listen(&pool, &hub, &mut backoff, &mut shutdown).await {
            Ok(()) => return,
            // Shutting down: the pool closing under us is expected, not news.
            Err(_) if hub.is_shutting_down() || pool.is_closed() => return,
            Err(error) => {
                hub.set_listener_connected(false);
                metrics::counter!("shipwatch_listener_reconnects_total").increment(1);
                tracing::warn!(error = format!("{error:#}"), retry_in = ?backoff, "live stream listener lost its connection");
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    _ = shutdown.changed() => return,
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// One connection's life: connect, listen, backfill, then dispatch on every
/// notification. Returns `Ok` only on shutdown.
async fn listen(
    pool: &PgPool,
    hub: &Arc<Hub>,
    backoff: &mut Duration,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen_all([CHANNEL, access::CHANNEL]).await?;
    hub.set_listener_connected(true);
    tracing::info!("live stream listener connected");
    // Anything committed while we were away (or before we started listening).
    catch_up(pool, hub, None).await?;
    // Access changes notified while we were away are lost: check every stream.
    hub.recheck_all();
    *backoff = Duration::from_millis(100);
    loop {
        tokio::select! {
            notification = listener.try_recv() => {
                match notification? {
                    Some(n) if n.channel() == access::CHANNEL => {
                        if let Ok(user_id) = n.payload().parse::<i64>() {
                            hub.recheck_user(user_id);
                        }
                    }
                    Some(_) => catch_up(pool, hub, Some(Instant::now())).await?,
                    // sqlx would reconnect quietly; we start over instead, so the
                    // readiness flag and the backfill cover the gap.
                    None => anyhow::bail!("the LISTEN connection was closed"),
                }
            }
            _ = shutdown.changed() => return Ok(()),
        }
    }
}

/// Dispatches every event after the hub's last position, in order.
async fn catch_up(pool: &PgPool, hub: &Hub, notified_at: Option<Instant>) -> anyhow::Result<()> {
    loop {
        let items = log::read_after(pool, hub.last_position())
            .await
            .map_err(|e| anyhow::anyhow!("reading the event log: {e}"))?;
        let full_page = items.len() as i64 >= log::PAGE;
        for item in items {
            hub.dispatch(Arc::new(item), notified_at);
        }
        if !full_page {
            return Ok(());
        }
    }
}

//! The one LISTEN connection of this process.
//!
//! A notification is only a wake-up call. An announcement of committed
//! events (`shipment_events`, sent by their writer after its commit:
//! `db::announcer`) asks this process to number them (`log::sequence`: one
//! short transaction, whichever server gets there first; the others only
//! glance at the index of unnumbered events); a numbering
//! (`shipment_events_numbered`, from any server) asks it to read the log
//! after the last position it dispatched. Both read from the database what
//! is there, so a missed or coalesced notification loses nothing. When the
//! connection drops (PostgreSQL restart, `pg_terminate_backend`, network)
//! sqlx's listener silently misses what was sent meanwhile, so we reconnect
//! with backoff, then number and backfill before listening again. No loop
//! here polls the database on a timer.
//!
//! The same connection hears access changes (`access::CHANNEL`: an account
//! signed out, lost a token or changed role) and asks the hub to re-check
//! that account's streams.
//!
//! The numbering and the log reads run on that connection too, between two
//! waits (notifications arriving meanwhile are buffered by sqlx): a pooled
//! connection would cost a round trip more each time, as sqlx tests every
//! connection given back to the pool with one. The connection is its own,
//! outside the request pool, and named [`APPLICATION_NAME`] in
//! `pg_stat_activity`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgListener, PgPoolOptions};
use sqlx::{Acquire as _, PgPool};

use crate::ssr::db;

use super::hub::Hub;
use super::{access, log};

/// Events were committed (not yet numbered): their writer's announcement
/// (`db::announcer`) after its commit; the payload is their ids.
pub const CHANNEL: &str = crate::ssr::db::announcer::CHANNEL;
/// Events were numbered; the payload is the newest position.
pub const NUMBERED: &str = "shipment_events_numbered";

/// What the listener's connection is called in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "shipwatch listener";

/// Runs until the hub shuts down or the request pool closes, then closes
/// its own connection.
pub async fn run(pool: PgPool, hub: Arc<Hub>) {
    let own = PgPoolOptions::new()
        // One in use; room for a second while the one given up after an
        // error is still being closed (on a cut network that can take the
        // kernel's timeouts), so a reconnect never waits for it.
        .max_connections(2)
        .acquire_timeout(db::acquire_timeout())
        .connect_lazy_with(
            (*pool.connect_options())
                .clone()
                .application_name(APPLICATION_NAME),
        );
    tokio::select! {
        () = listen_with_backoff(&pool, &own, &hub) => {}
        _ = pool.close_event() => {}
    }
    own.close().await;
}

/// Listens on `own` connections, again and again with backoff after each
/// one is lost, until the hub shuts down; `pool` is the request pool, told
/// when the database went away.
async fn listen_with_backoff(pool: &PgPool, own: &PgPool, hub: &Arc<Hub>) {
    let mut backoff = Duration::from_millis(100);
    let mut shutdown = hub.shutdown_receiver();
    loop {
        if hub.is_shutting_down() {
            return;
        }
        match listen(own, hub, &mut backoff, &mut shutdown).await {
            Ok(()) => return,
            // Shutting down: the pool closing under us is expected, not news.
            Err(_) if hub.is_shutting_down() || pool.is_closed() => return,
            Err(error) => {
                // The database may have gone away: the pool tests what it
                // kept idle meanwhile before handing it out.
                db::freshness::lost(pool);
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
    own: &PgPool,
    hub: &Arc<Hub>,
    backoff: &mut Duration,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let mut listener = PgListener::connect_with(own).await?;
    listener.listen_all([CHANNEL, NUMBERED, access::CHANNEL]).await?;
    hub.set_listener_connected(true);
    tracing::info!("live stream listener connected");
    // Anything committed while we were away (or before we started listening).
    sequence(&mut listener).await?;
    catch_up(&mut listener, hub, None).await?;
    // Access changes notified while we were away are lost: check every stream.
    hub.recheck_all();
    *backoff = Duration::from_millis(100);
    loop {
        tokio::select! {
            notification = listener.try_recv() => {
                // sqlx would reconnect quietly on `None`; we start over
                // instead, so the readiness flag and the backfill cover the gap.
                let Some(first) = notification? else {
                    anyhow::bail!("the LISTEN connection was closed");
                };
                let notified_at = Instant::now();
                // Everything already received is handled with one sequencer
                // run and one log read, however many events it announces.
                let mut wake = Wake::default();
                wake.note(&first);
                while let Some(more) = listener.next_buffered() {
                    wake.note(&more);
                }
                if wake.committed {
                    sequence(&mut listener).await?;
                }
                if wake.committed || wake.numbered_up_to > hub.last_position() {
                    catch_up(&mut listener, hub, Some(notified_at)).await?;
                }
                for user_id in wake.access_changed {
                    hub.recheck_user(user_id);
                }
            }
            _ = shutdown.changed() => return Ok(()),
        }
    }
}

/// What a burst of notifications asks for.
#[derive(Default)]
struct Wake {
    /// New events were committed: number them.
    committed: bool,
    /// Another server numbered events up to this position: read them.
    numbered_up_to: i64,
    /// Accounts whose access changed.
    access_changed: Vec<i64>,
}

impl Wake {
    fn note(&mut self, notification: &sqlx::postgres::PgNotification) {
        match notification.channel() {
            CHANNEL => self.committed = true,
            NUMBERED => {
                let position = notification.payload().parse().unwrap_or(i64::MAX);
                self.numbered_up_to = self.numbered_up_to.max(position);
            }
            access::CHANNEL => {
                if let Ok(user_id) = notification.payload().parse::<i64>() {
                    self.access_changed.push(user_id);
                }
            }
            _ => {}
        }
    }
}

/// Numbers every committed, unnumbered event.
async fn sequence(listener: &mut PgListener) -> anyhow::Result<()> {
    log::sequence(listener.acquire().await?)
        .await
        .map_err(|e| anyhow::anyhow!("numbering the event log: {e}"))
}

/// Dispatches every event after the hub's last position, in order.
async fn catch_up(listener: &mut PgListener, hub: &Hub, notified_at: Option<Instant>) -> anyhow::Result<()> {
    loop {
        let items = log::read_after(listener.acquire().await?, hub.last_position())
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

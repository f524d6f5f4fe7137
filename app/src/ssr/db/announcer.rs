//! Announcing committed events, so that a server numbers them for the live
//! stream: `pg_notify('shipment_events', <ids>)`, sent after the commit.
//!
//! After, never inside: a NOTIFY inside a transaction makes its commit take
//! PostgreSQL's database-wide notification lock and hold it through the
//! commit's disk flush, so every writer would wait for the previous one's
//! (see the "announce after commit" migration). Sent on its own, a NOTIFY
//! writes nothing to the WAL and does not wait for the disk.
//!
//! Writers that commit at the same moment share one announcement, as their
//! commits share one flush: each adds its ids to the next batch and waits
//! until that batch has been sent, and one task per database sends a batch
//! as soon as the previous one is out. A lone writer waits for one NOTIFY,
//! as it would on its own; under load a NOTIFY carries the ids of every
//! writer that committed while the previous one was on its way, which saves
//! a database round trip per write and wakes every listener once per batch.
//!
//! The task keeps one connection from batch to batch (sqlx tests every
//! connection given back to the pool with a round trip of its own, which
//! would double the announcement's cost), replaces it when a send on it fails
//! (the database restarted since), and lets it go when the pool closes.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres};
use tokio::sync::{watch, Notify};

use super::lock;

/// The NOTIFY channel that asks the servers to number committed events; the
/// payload is their ids, comma-separated (possibly none).
pub const CHANNEL: &str = "shipment_events";

/// At most this many ids per notification (PostgreSQL's payload limit is
/// 8,000 bytes; an id is at most 19 digits and a comma).
const IDS_PER_NOTIFICATION: usize = 256;

/// Tells every server that the events `ids` were committed (none named:
/// "look anyway"). Returns once a notification naming them has been sent.
///
/// Best effort: the write it follows has committed whatever happens here. If
/// the announcement fails (the database went away just after the commit),
/// the events are numbered by the next announcement, or when a server's
/// listener reconnects, which always numbers what is pending first.
pub async fn announce(pool: &PgPool, ids: &[i64]) {
    let announcer = announcer_for(pool);
    let batch = {
        let mut next = lock(&announcer.next);
        next.ids.extend_from_slice(ids);
        next.wanted = true;
        next.number
    };
    announcer.wake.notify_one();
    let mut sent = announcer.sent.clone();
    // An error means the sending task is gone (its runtime is shutting
    // down): nothing will be sent, so there is nothing to wait for.
    let _ = sent.wait_for(|&last_sent| last_sent >= batch).await;
}

/// One database's batches: the shared half (the task keeps the sender).
#[derive(Clone)]
struct Announcer {
    next: Arc<Mutex<NextBatch>>,
    wake: Arc<Notify>,
    /// The number of the last batch sent.
    sent: watch::Receiver<u64>,
}

/// What the next notification will carry.
#[derive(Default)]
struct NextBatch {
    /// Its number (the first batch is 1, so "0 sent" means none yet).
    number: u64,
    ids: Vec<i64>,
    /// Someone is waiting for it (their ids may be none).
    wanted: bool,
}

/// Announcers by database (several pools on one database share one; tests
/// run many databases in one process).
static ANNOUNCERS: LazyLock<Mutex<HashMap<String, Announcer>>> = LazyLock::new(Mutex::default);

fn announcer_for(pool: &PgPool) -> Announcer {
    let database = super::database_key(&pool.connect_options());
    let mut announcers = lock(&ANNOUNCERS);
    if let Some(announcer) = announcers.get(&database) {
        // A task whose runtime has shut down has dropped its sender.
        if announcer.sent.has_changed().is_ok() {
            return announcer.clone();
        }
    }
    let (sender, sent) = watch::channel(0);
    let announcer = Announcer {
        next: Arc::new(Mutex::new(NextBatch {
            number: 1,
            ..NextBatch::default()
        })),
        wake: Arc::new(Notify::new()),
        sent,
    };
    tokio::spawn(send_batches(pool.clone(), announcer.clone(), sender));
    announcers.insert(database, announcer.clone());
    announcer
}

/// Sends each batch as soon as the one before it is out, until the pool
/// closes (its connection must go back for the pool to finish closing).
async fn send_batches(pool: PgPool, announcer: Announcer, sender: watch::Sender<u64>) {
    let mut held = None;
    let mut closing = std::pin::pin!(pool.close_event());
    loop {
        tokio::select! {
            () = announcer.wake.notified() => {}
            _ = &mut closing => return,
        }
        let (number, ids) = {
            let mut next = lock(&announcer.next);
            if !next.wanted {
                continue;
            }
            let number = next.number;
            next.number += 1;
            next.wanted = false;
            (number, std::mem::take(&mut next.ids))
        };
        send(&pool, &mut held, &ids).await;
        sender.send_replace(number);
    }
}

async fn send(pool: &PgPool, held: &mut Option<PoolConnection<Postgres>>, ids: &[i64]) {
    let chunks: Vec<&[i64]> = if ids.is_empty() {
        vec![&[]]
    } else {
        ids.chunks(IDS_PER_NOTIFICATION).collect()
    };
    for chunk in chunks {
        let payload = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        if let Err(error) = notify_on_held(pool, held, &payload).await {
            metrics::counter!("shipwatch_event_announcements_failed_total").increment(1);
            tracing::warn!(
                %error,
                "announcing committed events failed; they are numbered at the next announcement or listener reconnect"
            );
            return;
        }
    }
}

/// Sends one notification on the held connection; if that fails, once more
/// on a fresh one from the pool, which is then held.
async fn notify_on_held(
    pool: &PgPool,
    held: &mut Option<PoolConnection<Postgres>>,
    payload: &str,
) -> Result<(), sqlx::Error> {
    if let Some(connection) = held.as_mut() {
        if notify(connection, payload).await.is_ok() {
            return Ok(());
        }
        if let Some(mut failed) = held.take() {
            failed.close_on_drop();
        }
    }
    let mut connection = pool.acquire().await?;
    notify(&mut connection, payload).await?;
    *held = Some(connection);
    Ok(())
}

async fn notify(connection: &mut PgConnection, payload: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(connection)
        .await
        .map(drop)
}

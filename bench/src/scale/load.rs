//! Loads a generated data set into a freshly migrated database with `COPY`.
//!
//! Everything happens in one transaction that first truncates the tables, so
//! `COPY … FREEZE` can write rows already frozen and visible (no vacuum pass
//! afterwards). Triggers are off for the load (`session_replication_role =
//! replica`, which needs a superuser, as the embedded cluster's is): the data
//! already follows the rules they enforce, and the position and NOTIFY
//! triggers are for live writes. The secondary indexes are dropped first and
//! rebuilt from their own definitions at the end — building an index once is
//! far cheaper than inserting ten million random keys into it.

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::Context as _;
use chrono::DateTime;
use sqlx::{Connection as _, PgConnection};

use super::dataset::{Dataset, Size, CARRIERS, LOCATIONS, OPERATORS};

/// Bytes per `COPY` message.
const CHUNK: usize = 4 << 20;
/// The password every scale account signs in with.
pub const PASSWORD: &str = "scale-password";
/// The tables the load replaces, and whose secondary indexes it rebuilds.
const TABLES: [&str; 4] = ["users", "shipments", "shipment_events", "shipment_watchers"];

/// Loads `data` and reports each phase's time.
pub async fn load(url: &str, size: Size, data: &Dataset, now: i64) -> anyhow::Result<()> {
    let mut db = PgConnection::connect(url).await?;
    let superuser: bool = sqlx::query_scalar("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        .fetch_one(&mut db)
        .await?;
    anyhow::ensure!(
        superuser,
        "the scale load turns triggers off while it copies, which needs a superuser (the embedded cluster's user is one)"
    );
    let password_hash = app::ssr::auth::password::hash_password(
        app::domain::NewPassword::parse(PASSWORD.to_owned()).map_err(|e| anyhow::anyhow!("{e:?}"))?,
    )
    .await
    .map_err(|e| anyhow::anyhow!("hashing the scale password: {e}"))?;

    let mut tx = db.begin().await?;
    for setting in [
        "SET LOCAL session_replication_role = replica",
        "SET LOCAL maintenance_work_mem = '1GB'",
        "SET LOCAL synchronous_commit = off",
    ] {
        sqlx::query(setting).execute(&mut *tx).await?;
    }
    sqlx::query(&format!("TRUNCATE {} CASCADE", TABLES.join(", ")))
        .execute(&mut *tx)
        .await?;
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT indexname, indexdef FROM pg_indexes
         WHERE schemaname = 'public' AND tablename = ANY($1) AND indexdef NOT LIKE 'CREATE UNIQUE %'",
    )
    .bind(TABLES)
    .fetch_all(&mut *tx)
    .await?;
    for (name, _) in &indexes {
        sqlx::query(&format!(r#"DROP INDEX "{name}""#))
            .execute(&mut *tx)
            .await?;
    }

    let phase = Instant::now();
    let customers = size.customers;
    copy(
        &mut tx,
        "COPY users (id, email, password_hash, role, created_at) FROM STDIN (FREEZE)",
        customers + OPERATORS,
        |i, out| {
            let id = i + 1;
            let (email, role) = if i < customers {
                let kind = if (id as u32) <= data.business.len() as u32 {
                    "business"
                } else {
                    "customer"
                };
                (format!("{kind}{id}@scale.example"), "customer")
            } else {
                (format!("operator{}@scale.example", i - customers + 1), "operator")
            };
            let _ = writeln!(
                out,
                "{id}\t{email}\t{password_hash}\t{role}\t{}",
                timestamp(now - 800 * 86_400)
            );
        },
    )
    .await?;
    println!("  users: {} in {:.1?}", customers + OPERATORS, phase.elapsed());

    // A shipment's summary is its newest event's.
    let phase = Instant::now();
    let mut last = vec![(0usize, 0i64); data.shipments.len()];
    for (i, event) in data.events.iter().enumerate() {
        last[event.shipment as usize] = (i, event.occurred_at);
    }
    copy(
        &mut tx,
        "COPY shipments (id, tracking_number, owner_id, origin, destination, destination_postal_code,
                         carrier, status, last_location, eta, created_at, updated_at) FROM STDIN (FREEZE)",
        data.shipments.len(),
        |i, out| {
            let s = &data.shipments[i];
            let (newest, updated_at) = last[i];
            let event = &data.events[newest];
            let eta = if event.status.is_final() {
                "\\N".to_owned()
            } else {
                date(s.created_at + 5 * 86_400)
            };
            let _ = writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{eta}\t{}\t{}",
                i + 1,
                tracking_number(i + 1, s.carrier),
                s.owner,
                LOCATIONS[s.origin as usize],
                LOCATIONS[s.destination as usize],
                s.postal_code,
                CARRIERS[s.carrier as usize],
                event.status.as_str(),
                LOCATIONS[event.location as usize],
                timestamp(s.created_at),
                timestamp(updated_at),
            );
        },
    )
    .await?;
    println!("  shipments: {} in {:.1?}", data.shipments.len(), phase.elapsed());

    let phase = Instant::now();
    let first_operator = customers + 1;
    copy(
        &mut tx,
        "COPY shipment_events (id, stream_position, shipment_id, kind, status, location, note,
                               occurred_at, recorded_at, actor_id) FROM STDIN (FREEZE)",
        data.events.len(),
        |i, out| {
            let e = &data.events[i];
            let (note, actor) = if e.status == app::domain::ShipmentStatus::Pending {
                ("Shipment registered".to_owned(), "\\N".to_owned())
            } else {
                ("\\N".to_owned(), (first_operator + i % OPERATORS).to_string())
            };
            let at = timestamp(e.occurred_at);
            let _ = writeln!(
                out,
                "{id}\t{id}\t{}\tstatus\t{}\t{}\t{note}\t{at}\t{at}\t{actor}",
                e.shipment + 1,
                e.status.as_str(),
                LOCATIONS[e.location as usize],
                id = i + 1,
            );
        },
    )
    .await?;
    println!("  events: {} in {:.1?}", data.events.len(), phase.elapsed());

    copy(
        &mut tx,
        "COPY shipment_watchers (shipment_id, user_id, created_at) FROM STDIN (FREEZE)",
        data.watchers.len(),
        |i, out| {
            let (shipment, watcher) = data.watchers[i];
            let created = data.shipments[shipment as usize].created_at;
            let _ = writeln!(out, "{}\t{watcher}\t{}", shipment + 1, timestamp(created + 3600));
        },
    )
    .await?;

    let phase = Instant::now();
    for (name, definition) in &indexes {
        let one = Instant::now();
        sqlx::query(definition)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("rebuilding {name}"))?;
        println!("  index {name}: {:.1?}", one.elapsed());
    }
    println!("  indexes rebuilt in {:.1?}", phase.elapsed());
    // The counters and tallies the load bypassed.
    sqlx::raw_sql(
        "SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users));
         SELECT setval(pg_get_serial_sequence('shipments', 'id'), (SELECT max(id) FROM shipments));
         SELECT setval(pg_get_serial_sequence('shipment_events', 'id'), (SELECT max(id) FROM shipment_events));
         UPDATE event_stream_head SET position = (SELECT max(stream_position) FROM shipment_events);
         SELECT recount_shipment_status_tallies();",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let phase = Instant::now();
    sqlx::query("ANALYZE").execute(&mut db).await?;
    println!("  analyzed in {:.1?}", phase.elapsed());
    Ok(())
}

/// Streams `rows` rows, written by `row`, through one `COPY` statement.
async fn copy(
    tx: &mut PgConnection,
    statement: &str,
    rows: usize,
    mut row: impl FnMut(usize, &mut String),
) -> anyhow::Result<u64> {
    let mut sink = tx.copy_in_raw(statement).await?;
    let mut buffer = String::with_capacity(CHUNK + 4096);
    for i in 0..rows {
        row(i, &mut buffer);
        if buffer.len() >= CHUNK {
            sink.send(std::mem::take(&mut buffer).into_bytes()).await?;
            buffer.reserve(CHUNK + 4096);
        }
    }
    if !buffer.is_empty() {
        sink.send(buffer.into_bytes()).await?;
    }
    Ok(sink.finish().await?)
}

/// A unique, random-looking tracking number: a carrier prefix and the id
/// scrambled by a multiplication that is a bijection modulo 36^10.
pub fn tracking_number(id: usize, carrier: u8) -> String {
    const PREFIXES: [&str; 5] = ["JD", "1Z", "DP", "GL", "PN"];
    const MODULUS: u128 = 3_656_158_440_062_976; // 36^10
    const FACTOR: u128 = 2_862_933_555_777_941; // odd and not a multiple of 3: coprime to 36^10
    let mut scrambled = (id as u128 * FACTOR) % MODULUS;
    let mut digits = [b'0'; 10];
    for digit in digits.iter_mut().rev() {
        *digit = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(scrambled % 36) as usize];
        scrambled /= 36;
    }
    format!(
        "{}{}",
        PREFIXES[carrier as usize % PREFIXES.len()],
        String::from_utf8_lossy(&digits)
    )
}

fn timestamp(seconds: i64) -> String {
    DateTime::from_timestamp(seconds, 0)
        .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M:%S+00").to_string())
}

fn date(seconds: i64) -> String {
    DateTime::from_timestamp(seconds, 0).map_or_else(String::new, |t| t.format("%Y-%m-%d").to_string())
}

//! Storage, the bottom layer of the core: the pool, the migrations, and the
//! queries on the tables every concern shares — shipments, their events (one
//! append for all writers), users, problems and watchers. Tables that belong
//! to a single concern are queried by that concern alone: sessions, API tokens
//! and sign-in failures by `auth`, the event log's replay and the credential
//! access checks by `stream`, idempotency keys by `actions::idempotency`. Every query
//! is checked at compile time against the committed `.sqlx/` cache.

pub mod announcer;
pub mod events;
pub mod freshness;
pub mod problems;
pub mod shipments;
pub mod status;
pub mod users;
pub mod watchers;

use std::str::FromStr as _;
use std::time::Duration;

use anyhow::Context as _;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

/// The schema migrations, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// How long a request waits for a database connection before it is answered
/// 503 (the database is down or restarting, or every connection is busy):
/// `SHIPWATCH_DB_ACQUIRE_TIMEOUT_MS`, 3 seconds by default. Also how long the
/// first connection may take at start-up, so a wrong `DATABASE_URL` is
/// reported instead of hanging.
pub fn acquire_timeout() -> Duration {
    std::env::var("SHIPWATCH_DB_ACQUIRE_TIMEOUT_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_secs(3), Duration::from_millis)
}

/// Opens a connection pool (see [`acquire_timeout`]). Its connections are
/// tested before use only when they may have died while idle (`freshness`).
///
/// JIT compilation is off (`jit = off`): it starts when a plan's estimated
/// cost is high, which a replay over many shipments reaches, and it costs
/// 20 ms or more of compiling to save less than that on queries like ours.
pub async fn connect(database_url: &str) -> anyhow::Result<PgPool> {
    let options = PgConnectOptions::from_str(database_url)
        .context("DATABASE_URL is not a valid PostgreSQL connection URL")?
        .options([("jit", "off")]);
    let database = database_key(&options);
    PgPoolOptions::new()
        .max_connections(20)
        .test_before_acquire(false)
        .before_acquire(freshness::before_acquire(&database))
        .acquire_timeout(acquire_timeout())
        .connect_with(options)
        .await
        .context("could not connect to the database (check DATABASE_URL and that PostgreSQL is running)")
}

/// Which database a pool talks to (`host:port/name`), for what is kept per
/// database rather than per pool: tests run many pools and databases in one
/// process.
pub(crate) fn database_key(options: &PgConnectOptions) -> String {
    format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or_default()
    )
}

/// Locks a process-wide map or value kept per database. A poisoned lock only
/// means a panic elsewhere while holding it; what it guards (ids to announce,
/// when a database was last lost) is still what it was.
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Applies every migration that has not run yet.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await.context("applying database migrations")
}

/// True when a query returned a unique-constraint violation on `constraint`.
pub(crate) fn is_unique_violation(error: &sqlx::Error, constraint: &str) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.is_unique_violation() && e.constraint() == Some(constraint))
}

/// A transaction whose statements are each planned for their actual
/// parameters (`plan_cache_mode = force_custom_plan`), for the list queries:
/// they hold optional filters (`$3 IS NULL OR …`), the viewer's kind and a
/// search pattern, and only a plan that knows them drops the unused arms of
/// `shipments_visible_to` and picks the index for the filter (the trigram
/// index needs the pattern). A generic plan, which PostgreSQL may switch to
/// after five runs of a prepared statement, would pick one index for every
/// case. A client's replay reads in one too (`stream::log::read_visible_after`):
/// whether probing its shipments or reading the log since its cursor is
/// cheaper depends on both.
///
/// Only there: planning costs tenths of a millisecond per statement, and on
/// the write path (whose statements and triggers have one good plan) forcing
/// it for every connection cut the sustained write rate by a third
/// (BENCHMARKS.md, "Write path, fan-out and memory per stream").
pub async fn planned_for_parameters(
    pool: &PgPool,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL plan_cache_mode = force_custom_plan")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

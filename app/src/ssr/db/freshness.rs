//! When a pooled connection is tested before a request gets it.
//!
//! sqlx tests every idle connection with a round trip before handing it out
//! (`test_before_acquire`), and again whenever one comes back to the pool
//! (always, on release). The first of those cost about a fifth of the
//! server's CPU per write under load, and more of PostgreSQL's (BENCHMARKS.md,
//! "Pool round trips"): every request paid a round trip to PostgreSQL, and a
//! wake-up of its backend, per connection it took. A connection that came
//! back tested can only have died since if the database went away meanwhile,
//! so it is tested again only then:
//!
//! * it has been idle since before this process last saw its database go
//!   away ([`lost`], called when the live stream's LISTEN connection drops,
//!   which it does at once when PostgreSQL stops or restarts); or
//! * it has been idle longer than [`RETEST_AFTER_IDLE`], in case it ended on
//!   its own (an idle timeout, `pg_terminate_backend`, the network) without
//!   the listener noticing. Under load connections idle for milliseconds, so
//!   the test is skipped exactly when it would cost the most.
//!
//! A request that takes a connection in the moment between the database
//! going away and the listener noticing fails as it would have anyway
//! (503, try again shortly): the database is down then.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnectionMetadata;
use sqlx::{Connection as _, PgConnection, PgPool};

use super::lock;

/// An idle connection older than this is tested before use.
pub const RETEST_AFTER_IDLE: Duration = Duration::from_secs(5);

/// When one database was last seen going away (never, yet: `None`).
type LastLoss = Arc<Mutex<Option<Instant>>>;

/// Each database's (by [`super::database_key`]).
static LOST_AT: LazyLock<Mutex<HashMap<String, LastLoss>>> = LazyLock::new(Mutex::default);

fn lost_at(database: &str) -> LastLoss {
    let mut lost = lock(&LOST_AT);
    Arc::clone(lost.entry(database.to_owned()).or_default())
}

/// Notes that a connection to `pool`'s database was lost just now: the pool's
/// connections idle since then are tested before they are handed out.
pub fn lost(pool: &PgPool) {
    let at = lost_at(&super::database_key(&pool.connect_options()));
    *lock(&at) = Some(Instant::now());
}

/// What sqlx's `before_acquire` hook returns: keep the connection or not.
type Verdict<'c> = Pin<Box<dyn Future<Output = Result<bool, sqlx::Error>> + Send + 'c>>;

/// The pool's `before_acquire` hook for connections to `database`: tests
/// (pings) a connection only when it may have died while idle.
pub fn before_acquire(
    database: &str,
) -> impl for<'c> Fn(&'c mut PgConnection, PoolConnectionMetadata) -> Verdict<'c> + Send + Sync + 'static {
    let lost_at = lost_at(database);
    move |connection, meta| {
        let last_loss = *lock(&lost_at);
        let test = needs_test(meta.idle_for, last_loss.map(|at| at.elapsed()));
        Box::pin(async move {
            if test {
                connection.ping().await?;
            }
            Ok(true)
        })
    }
}

/// Whether a connection idle for `idle_for` is tested, when the database was
/// last seen going away `since_loss` ago.
fn needs_test(idle_for: Duration, since_loss: Option<Duration>) -> bool {
    idle_for > RETEST_AFTER_IDLE || since_loss.is_some_and(|since| since <= idle_for)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_connections_idle_across_a_loss_or_for_long_are_tested() {
        let ms = Duration::from_millis;
        assert!(!needs_test(ms(3), None), "busy, nothing lost: handed out as is");
        assert!(!needs_test(ms(3), Some(ms(40))), "used again since the loss");
        assert!(needs_test(ms(40), Some(ms(3))), "idle since before the loss");
        assert!(needs_test(RETEST_AFTER_IDLE + ms(1), None), "idle for long");
    }
}

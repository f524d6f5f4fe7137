//! Keeps authorization live on open streams without re-checking every stream
//! on a timer. A stream's credentials are checked when it opens, again when
//! the database says its account's access changed (sign-out, sign-out
//! everywhere, token revoked, role changed — the `shipwatch_access`
//! notifications of the access-changes migration, passed on by the
//! listener), and again when its session or token would expire by time
//! (idle timeout, lifetime, expiry), which writes nothing and so notifies
//! nothing. A stream whose credentials no longer hold is closed; its client
//! reconnects and is judged afresh (a signed-out one gets 401, which stops a
//! browser's EventSource). Unwatching needs nothing here: routing reads
//! watchers with every event.
//!
//! So the work follows the changes: one account's streams per notification,
//! a batch of due streams per expiry, and each stream at least once per
//! safety-net interval (`--auth-recheck-secs`) in case a notification was
//! lost in a way the listener's reconnect (which re-checks every stream) did
//! not cover.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio::time::Instant;

use crate::domain::Role;
use crate::ssr::auth::credential::Credential;

use super::hub::{Closed, Hub};

/// The NOTIFY channel of access changes; the payload is an account id.
pub const CHANNEL: &str = "shipwatch_access";
/// After a failed check (database away), when to try those streams again.
const RETRY: Duration = Duration::from_secs(2);
/// Checked this long after an expiry, so the database agrees it has passed.
const AFTER_EXPIRY: Duration = Duration::from_millis(100);

/// Runs until the hub shuts down. `safety_net`: the longest a stream goes
/// unchecked; `session_lifetime`: how long after signing in a session ends,
/// however active.
pub async fn run(pool: PgPool, hub: Arc<Hub>, safety_net: Duration, session_lifetime: Duration) {
    let mut shutdown = hub.shutdown_receiver();
    loop {
        let wake_at = hub
            .schedule()
            .next()
            .unwrap_or_else(|| Instant::now() + safety_net);
        tokio::select! {
            () = tokio::time::sleep_until(wake_at) => {}
            // Something was scheduled (perhaps earlier): look again.
            () = hub.schedule().changed() => {}
            _ = shutdown.changed() => return,
        }
        let due = hub.schedule().take_due(Instant::now());
        if due.is_empty() {
            continue;
        }
        let streams = hub.credentials_of(&due);
        if let Err(error) = check(&pool, &hub, &streams, safety_net, session_lifetime).await {
            tracing::warn!(%error, streams = streams.len(), "could not re-check stream credentials; will retry");
            for (id, ..) in &streams {
                hub.schedule().check_at(*id, Instant::now() + RETRY);
            }
        }
    }
}

/// Closes the given streams whose credentials no longer hold, and schedules
/// the rest for when theirs would expire (at the latest `safety_net` from now).
async fn check(
    pool: &PgPool,
    hub: &Hub,
    streams: &[(u64, i64, Role, Credential)],
    safety_net: Duration,
    session_lifetime: Duration,
) -> Result<(), sqlx::Error> {
    if streams.is_empty() {
        return Ok(());
    }
    let mut session_ids = Vec::new();
    let mut token_ids = Vec::new();
    let mut user_ids = Vec::new();
    for (_, user_id, _, credential) in streams {
        user_ids.push(*user_id);
        match credential {
            Credential::Session(id) => session_ids.push(id.clone()),
            Credential::Token(id) => token_ids.push(*id),
        }
    }
    // Each live credential with when it ends by time (None: never).
    let sessions: HashMap<String, Option<DateTime<Utc>>> = sqlx::query!(
        r#"SELECT s.id AS "id!",
                  LEAST(s.expiry_date, u.signed_in_at + make_interval(secs => $2)) AS "ends_at: DateTime<Utc>"
           FROM tower_sessions.session s
           JOIN user_sessions u ON u.session_id = s.id
           WHERE s.id = ANY($1) AND s.expiry_date > now()
             AND u.signed_in_at > now() - make_interval(secs => $2)"#,
        &session_ids,
        session_lifetime.as_secs_f64(),
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|row| (row.id, row.ends_at))
    .collect();
    let tokens: HashMap<i64, Option<DateTime<Utc>>> = sqlx::query!(
        r#"SELECT id, expires_at AS "expires_at: DateTime<Utc>" FROM api_tokens
           WHERE id = ANY($1) AND revoked_at IS NULL
             AND (expires_at IS NULL OR expires_at > now())"#,
        &token_ids
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|row| (row.id, row.expires_at))
    .collect();
    let roles: HashMap<i64, Role> = sqlx::query!(
        r#"SELECT id, role AS "role: Role" FROM users WHERE id = ANY($1)"#,
        &user_ids
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|row| (row.id, row.role))
    .collect();

    let now = Utc::now();
    let latest = Instant::now() + safety_net;
    let mut revoked = Vec::new();
    for (id, user_id, role, credential) in streams {
        let live = match credential {
            Credential::Session(session) => sessions.get(session),
            Credential::Token(token) => tokens.get(token),
        };
        match live {
            Some(ends_at) if roles.get(user_id) == Some(role) => {
                let next = ends_at
                    .and_then(|at| (at - now).to_std().ok())
                    .map_or(latest, |left| (Instant::now() + left + AFTER_EXPIRY).min(latest));
                hub.schedule().check_at(*id, next);
            }
            _ => revoked.push(*id),
        }
    }
    if !revoked.is_empty() {
        tracing::info!(
            streams = revoked.len(),
            "closing streams whose authorization ended"
        );
        hub.close(&revoked, Closed::Unauthorized);
    }
    Ok(())
}

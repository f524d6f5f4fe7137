//! Keeps authorization live on open streams: every few seconds, one query per
//! kind of credential checks all open streams at once, and streams whose
//! session ended (sign-out, sign-out everywhere, idle expiry, lifetime), whose token was revoked, or whose user's
//! role changed are closed. A closed client reconnects and is then judged
//! afresh (a signed-out one gets 401, which stops a browser's EventSource).
//! Unwatching needs nothing here: routing reads watchers with every event.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;

use crate::domain::Role;
use crate::ssr::auth::credential::Credential;

use super::hub::{Closed, Hub};

/// Runs until the hub shuts down. `session_lifetime`: how long after signing
/// in a session ends, however active.
pub async fn run(pool: PgPool, hub: Arc<Hub>, every: Duration, session_lifetime: Duration) {
    let mut shutdown = hub.shutdown_receiver();
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = shutdown.changed() => return,
        }
        if let Err(error) = sweep(&pool, &hub, session_lifetime).await {
            tracing::warn!(%error, "could not re-check stream credentials; will retry");
        }
    }
}

/// Closes every stream whose credentials no longer hold.
pub async fn sweep(pool: &PgPool, hub: &Hub, session_lifetime: Duration) -> Result<(), sqlx::Error> {
    let streams = hub.credentials();
    if streams.is_empty() {
        return Ok(());
    }
    let mut session_ids = Vec::new();
    let mut token_ids = Vec::new();
    let mut user_ids = Vec::new();
    for (_, user_id, _, credential) in &streams {
        user_ids.push(*user_id);
        match credential {
            Credential::Session(id) => session_ids.push(id.clone()),
            Credential::Token(id) => token_ids.push(*id),
        }
    }
    let live_sessions: HashSet<String> = sqlx::query_scalar!(
        r#"SELECT s.id AS "id!" FROM tower_sessions.session s
           JOIN user_sessions u ON u.session_id = s.id
           WHERE s.id = ANY($1) AND s.expiry_date > now()
             AND u.signed_in_at > now() - make_interval(secs => $2)"#,
        &session_ids,
        session_lifetime.as_secs_f64(),
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();
    let live_tokens: HashSet<i64> = sqlx::query_scalar!(
        "SELECT id FROM api_tokens WHERE id = ANY($1) AND revoked_at IS NULL
         AND (expires_at IS NULL OR expires_at > now())",
        &token_ids
    )
    .fetch_all(pool)
    .await?
    .into_iter()
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

    let revoked: Vec<u64> = streams
        .into_iter()
        .filter(|(_, user_id, role, credential)| {
            let credential_ok = match credential {
                Credential::Session(id) => live_sessions.contains(id),
                Credential::Token(id) => live_tokens.contains(id),
            };
            !credential_ok || roles.get(user_id) != Some(role)
        })
        .map(|(id, ..)| id)
        .collect();
    if !revoked.is_empty() {
        tracing::info!(
            streams = revoked.len(),
            "closing streams whose authorization ended"
        );
        hub.close(&revoked, Closed::Unauthorized);
    }
    Ok(())
}

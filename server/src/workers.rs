//! The app's background work, started in one place, beside the server: none
//! of it answers a request.
//!
//! - the live stream's listener (LISTEN, numbering, fan-out to the hub) and
//!   its access checks (sign-outs, revocations, role changes, expiries);
//! - the notification email sender (when `SHIPWATCH_SMTP_URL` is set);
//! - the webhook deliverer;
//! - the sweeps, hourly: expired sessions, day-old idempotency keys, API
//!   rate-limit windows, month-old webhook delivery attempts.
//!
//! Each runs for the life of the process, in every instance: they coordinate
//! through the database (the sequencer's lock, the outbox's `SKIP LOCKED`).

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tower_sessions::ExpiredDeletion as _;

use app::ssr::auth::session::SessionStore;
use app::ssr::auth::signing::SigningKey;
use app::ssr::notify::message::Letterhead;
use app::ssr::notify::sender::{self, EmailSettings};
use app::ssr::stream::{access, listener, Hub};
use app::ssr::webhooks::{delivery, WebhookSettings};

/// What the background work needs.
pub struct Workers<'a> {
    pub pool: &'a PgPool,
    pub hub: &'a Arc<Hub>,
    pub sessions: &'a SessionStore,
    pub signing_key: &'a SigningKey,
    /// The longest an open stream goes without its credential re-checked.
    pub auth_recheck: Duration,
    pub session_lifetime: Duration,
    /// For links in emails.
    pub public_origin: &'a str,
    /// `None`: email is off.
    pub email: Option<EmailSettings>,
    pub webhooks: WebhookSettings,
}

/// How often the sweeps run.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// Starts every background task. Fails only on settings that cannot work
/// (an SMTP URL that does not parse), before anything is served.
pub fn start(workers: Workers<'_>) -> anyhow::Result<()> {
    let Workers {
        pool,
        hub,
        sessions,
        signing_key,
        auth_recheck,
        session_lifetime,
        public_origin,
        email,
        webhooks,
    } = workers;
    tokio::spawn(listener::run(pool.clone(), Arc::clone(hub)));
    tokio::spawn(access::run(
        pool.clone(),
        Arc::clone(hub),
        auth_recheck,
        session_lifetime,
    ));
    match email {
        Some(email) => {
            let transport = sender::transport(&email).map_err(|e| anyhow::anyhow!(e))?;
            let letterhead = Letterhead {
                public_origin: public_origin.to_owned(),
                from: email.from.clone(),
            };
            tracing::info!(from = %email.from, "notification emails on");
            tokio::spawn(sender::run(
                pool.clone(),
                email,
                transport,
                letterhead,
                signing_key.clone(),
            ));
        }
        None => tracing::info!("notification emails off (SHIPWATCH_SMTP_URL is not set)"),
    }
    tokio::spawn(delivery::run(pool.clone(), Arc::clone(hub), webhooks));
    tokio::spawn(sessions.clone().continuously_delete_expired(SWEEP_EVERY));
    tokio::spawn(sweep_hourly(pool.clone()));
    Ok(())
}

/// What is kept only for a while, forgotten hourly: idempotency keys (a
/// day), API rate-limit windows long over, webhook delivery attempts older
/// than 30 days.
async fn sweep_hourly(pool: PgPool) {
    let mut every_hour = tokio::time::interval(SWEEP_EVERY);
    loop {
        every_hour.tick().await;
        if let Err(error) = app::ssr::actions::idempotency::forget_old(&pool).await {
            tracing::warn!(%error, "could not clean up old idempotency keys");
        }
        if let Err(error) = app::ssr::auth::api_limit::forget_old(&pool).await {
            tracing::warn!(%error, "could not clean up old API rate-limit windows");
        }
        if let Err(error) = app::ssr::webhooks::endpoints::forget_old_attempts(&pool).await {
            tracing::warn!(%error, "could not clean up old webhook delivery attempts");
        }
    }
}

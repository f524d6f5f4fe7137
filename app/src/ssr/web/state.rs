//! What every request handler and server function can reach.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;

use std::sync::Arc;
use std::time::Duration;

use crate::ssr::auth::client::TrustedProxies;
use crate::ssr::auth::password::HashTurns;
use crate::ssr::auth::signing::SigningKey;
use crate::ssr::auth::throttle::LoginLimits;
use crate::ssr::stream::Hub;

/// Shared by the axum router and provided to server functions as context.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub pool: PgPool,
    pub leptos_options: LeptosOptions,
    pub login_limits: LoginLimits,
    /// Proxies whose `X-Forwarded-For` / `Forwarded` is believed.
    pub trusted_proxies: TrustedProxies,
    /// The bearer token that may read `/metrics` on the app's port (`None`:
    /// only on the metrics listen address).
    pub metrics_token: Option<Arc<str>>,
    /// A session this long after signing in is over, however active.
    pub session_lifetime: Duration,
    /// Password hashes each client has in progress on this server.
    pub hash_turns: Arc<HashTurns>,
    /// The origin browsers use to reach us (`http://127.0.0.1:3000`); requests
    /// that change state with a cookie must come from it.
    pub public_origin: String,
    /// The live stream's fan-out for this process.
    pub hub: Arc<Hub>,
    pub stream: StreamSettings,
    /// Signs and checks links that act without a session (unsubscribe).
    pub signing_key: SigningKey,
    /// Outgoing webhooks: the address rules, retries.
    pub webhooks: crate::ssr::webhooks::WebhookSettings,
    /// Requests per window per API client.
    pub api_limits: crate::ssr::auth::api_limit::ApiLimits,
}

/// Timings of the live stream.
#[derive(Debug, Clone)]
pub struct StreamSettings {
    /// A `: ping` comment this often keeps proxies from closing idle streams.
    pub heartbeat: Duration,
    /// The `retry:` a browser waits before reconnecting.
    pub retry: Duration,
    /// How long a long-poll waits for news before answering empty.
    pub long_poll_timeout: Duration,
    /// Open streams (and long-polls) one user may have at once.
    pub max_per_user: usize,
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(15),
            retry: Duration::from_millis(1000),
            long_poll_timeout: Duration::from_secs(25),
            max_per_user: 16,
        }
    }
}

impl AppState {
    /// The state of the current server function call.
    pub fn from_context() -> Result<Self, crate::error::AppError> {
        leptos::prelude::use_context::<Self>().ok_or_else(|| {
            tracing::error!("AppState missing from the server function context");
            crate::error::AppError::Internal
        })
    }
}

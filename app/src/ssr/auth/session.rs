//! Browser sessions: tower-sessions with its PostgreSQL store, so a session
//! survives a restart and is shared by every server instance.

use std::time::Duration;

use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

use crate::error::AppError;

/// Name of the session cookie.
pub const COOKIE_NAME: &str = "shipwatch_session";
/// Session key holding the signed-in user's id.
pub const USER_ID_KEY: &str = "user_id";

/// How the session cookie behaves.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Send the cookie over HTTPS only (on when the public URL is https).
    pub secure: bool,
    /// A session unused for this long expires.
    pub idle_timeout: Duration,
}

/// Creates the session table if needed and returns the store.
pub async fn store(pool: &sqlx::PgPool) -> anyhow::Result<PostgresStore> {
    let store = PostgresStore::new(pool.clone());
    store.migrate().await?;
    Ok(store)
}

/// The cookie layer: HttpOnly, SameSite=Lax, Secure as configured, with an
/// idle expiry that each request pushes forward.
pub fn layer(store: PostgresStore, config: &SessionConfig) -> SessionManagerLayer<PostgresStore> {
    let idle = tower_sessions::cookie::time::Duration::seconds(
        i64::try_from(config.idle_timeout.as_secs()).unwrap_or(i64::MAX),
    );
    SessionManagerLayer::new(store)
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.secure)
        .with_expiry(Expiry::OnInactivity(idle))
}

/// Marks the session as signed in, under a new id so that an id planted before
/// sign-in (session fixation) is worthless.
pub async fn sign_in(session: &Session, user_id: i64) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    session.insert(USER_ID_KEY, user_id).await.map_err(session_error)
}

/// Deletes the session server-side, so the old cookie is worthless.
pub async fn sign_out(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(session_error)
}

/// Sessions live in PostgreSQL: a store that cannot be reached is the
/// database being unavailable (503, try again), not a fault of ours.
pub fn session_error(error: tower_sessions::session::Error) -> AppError {
    use tower_sessions::session::Error;
    use tower_sessions::session_store::Error as StoreError;
    if let Error::Store(StoreError::Backend(_)) = error {
        tracing::warn!(%error, "session store unavailable");
        return AppError::Unavailable;
    }
    tracing::error!(%error, "session store error");
    AppError::Internal
}

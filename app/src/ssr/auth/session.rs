//! Browser sessions: tower-sessions with its PostgreSQL store, so a session
//! survives a restart and is shared by every server instance.
//!
//! A session ends when unused for the idle timeout, and in any case a fixed
//! lifetime after signing in (30 days by default). Each signed-in session is
//! also listed against its account (`user_sessions`), so "sign out
//! everywhere" can end them all.

use std::time::Duration;

use sqlx::PgPool;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

use crate::error::AppError;

/// Name of the session cookie.
pub const COOKIE_NAME: &str = "shipwatch_session";
/// Session key holding the signed-in user's id.
pub const USER_ID_KEY: &str = "user_id";
/// Session key holding when the session signed in (Unix seconds).
pub const SIGNED_IN_AT_KEY: &str = "signed_in_at";

/// How the session cookie behaves.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Send the cookie over HTTPS only (on when the public URL is https).
    pub secure: bool,
    /// A session unused for this long expires.
    pub idle_timeout: Duration,
    /// A session this long after signing in expires, however active.
    pub lifetime: Duration,
}

/// The default [`SessionConfig::lifetime`].
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);

/// Where sessions are kept: PostgreSQL, shared by every instance.
pub type SessionStore = PostgresStore;

/// Creates the session table if needed and returns the store.
pub async fn store(pool: &sqlx::PgPool) -> anyhow::Result<SessionStore> {
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
/// sign-in (session fixation) is worthless, and lists it against the account.
pub async fn sign_in(pool: &PgPool, session: &Session, user_id: i64) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(USER_ID_KEY, user_id)
        .await
        .map_err(session_error)?;
    session
        .insert(SIGNED_IN_AT_KEY, chrono::Utc::now().timestamp())
        .await
        .map_err(session_error)?;
    // Saved now (rather than after the response) so it has its id to list.
    session.save().await.map_err(session_error)?;
    let id = session.id().ok_or(AppError::Internal)?.to_string();
    sqlx::query!(
        "INSERT INTO user_sessions (session_id, user_id) VALUES ($1, $2)
         ON CONFLICT (session_id) DO UPDATE SET user_id = $2, signed_in_at = now()",
        id,
        user_id
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Whether a session that signed in at `signed_in_at` (Unix seconds; `None`
/// for one signed in before lifetimes were recorded) is past its lifetime.
pub fn outlived(signed_in_at: Option<i64>, lifetime: Duration) -> bool {
    let age = signed_in_at.map(|at| chrono::Utc::now().timestamp().saturating_sub(at));
    age.is_none_or(|secs| secs < 0 || secs as u64 >= lifetime.as_secs())
}

/// Deletes the session server-side, so the old cookie is worthless.
pub async fn sign_out(pool: &PgPool, session: &Session) -> Result<(), AppError> {
    if let Some(id) = session.id() {
        sqlx::query!("DELETE FROM user_sessions WHERE session_id = $1", id.to_string())
            .execute(pool)
            .await?;
    }
    session.flush().await.map_err(session_error)
}

/// Ends every session of the account: each browser's next request (and any
/// open stream, as soon as the sign-out is notified) finds itself signed out.
pub async fn end_all(pool: &PgPool, user_id: i64) -> Result<u64, AppError> {
    let mut tx = pool.begin().await?;
    let ended = sqlx::query!(
        "DELETE FROM tower_sessions.session
         WHERE id IN (SELECT session_id FROM user_sessions WHERE user_id = $1)",
        user_id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query!("DELETE FROM user_sessions WHERE user_id = $1", user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(ended)
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

//! The public tracking page: anyone with a shipment's tracking number and
//! destination postcode may follow its status, without an account.
//!
//! The lookup is throttled per client like the watch form (a wrong postcode
//! and an unknown number get the same answer), and answers with a signed
//! link — shareable, carrying no postcode — valid for [`LINK_DAYS`]. The
//! page's live stream is authorised by a second token that lasts only
//! [`STREAM_MINUTES`], minted with each view of the page.

use chrono::Utc;
use sqlx::PgPool;

use crate::domain::input::WatchProof;
use crate::domain::tracking::PublicTracking;
use crate::error::AppError;
use crate::ssr::auth::client::ClientAddr;
use crate::ssr::auth::signing::{Purpose, SigningKey};
use crate::ssr::auth::throttle;
use crate::ssr::db;

/// How long a shareable tracking link works.
pub const LINK_DAYS: i64 = 30;
/// How long a stream token works (the page gets a new one when it runs out).
pub const STREAM_MINUTES: i64 = 15;

fn link_gone() -> AppError {
    AppError::NotFound("this tracking link (it may have expired; look the shipment up again)".to_owned())
}

/// Looks a shipment up by its proof; returns its shareable link token.
pub async fn look_up(
    pool: &PgPool,
    key: &SigningKey,
    proof: &WatchProof,
    client: Option<ClientAddr>,
) -> Result<String, AppError> {
    let attempt = throttle::track_attempt(pool, client).await?;
    let shipment_id = db::watchers::matching(pool, proof).await?.ok_or_else(|| {
        AppError::NotFound("a shipment with this tracking number and postal code".to_owned())
    })?;
    attempt.release(pool).await?;
    let expires = Utc::now().timestamp() + LINK_DAYS * 24 * 3600;
    Ok(key.sign_until(Purpose::Track, shipment_id, expires))
}

/// The page behind a link: status, ETA, public timeline, and a fresh stream
/// token. An expired, changed or foreign link is "not found".
pub async fn view(pool: &PgPool, key: &SigningKey, link: &str) -> Result<PublicTracking, AppError> {
    let now = Utc::now().timestamp();
    let (shipment_id, _) = key
        .verify_until(Purpose::Track, link.trim(), now)
        .ok_or_else(link_gone)?;
    let (tracking_number, status, eta, timeline) = db::shipments::public_view(pool, shipment_id)
        .await?
        .ok_or_else(link_gone)?;
    Ok(PublicTracking {
        tracking_number,
        status,
        eta,
        timeline,
        stream_token: key.sign_until(Purpose::TrackStream, shipment_id, now + STREAM_MINUTES * 60),
    })
}

/// The shipment a stream token lets its holder follow, and until when (Unix
/// seconds); refused (401) when it is not a valid, unexpired stream token.
pub fn stream_scope(key: &SigningKey, token: &str) -> Result<(i64, i64), AppError> {
    key.verify_until(Purpose::TrackStream, token.trim(), Utc::now().timestamp())
        .ok_or(AppError::Unauthorized)
}

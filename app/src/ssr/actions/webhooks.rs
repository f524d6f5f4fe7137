//! Webhook endpoints, as their owner manages them. A person's endpoints
//! receive what that person may see (staff: every shipment); nobody sees or
//! changes another person's endpoints.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::domain::input::{WebhookEndpointDraft, WebhookEndpointRequest};
use crate::domain::{Viewer, WebhookAttempt, WebhookEndpoint, WebhookSecret};
use crate::error::AppError;
use crate::ssr::auth::policy;
use crate::ssr::webhooks::target::AddressPolicy;
use crate::ssr::webhooks::{delivery, endpoints};

/// The request, bounded and with its URL checked against the address rules.
fn checked(request: &WebhookEndpointRequest, rules: AddressPolicy) -> Result<WebhookEndpointDraft, AppError> {
    let draft = request
        .parse()
        .map_err(|e| AppError::validation(e.field, e.message))?;
    rules
        .check(&draft.url)
        .map_err(|reason| AppError::validation("url", reason))?;
    Ok(draft)
}

pub async fn register(
    pool: &PgPool,
    rules: AddressPolicy,
    viewer: &Viewer,
    request: &WebhookEndpointRequest,
) -> Result<WebhookSecret, AppError> {
    let owner = policy::require_person(viewer)?;
    let draft = checked(request, rules)?;
    let (endpoint, secret) = endpoints::create(pool, owner.id, &draft).await?;
    Ok(WebhookSecret {
        endpoint,
        secret,
        previous_secret_until: None,
    })
}

pub async fn list(pool: &PgPool, viewer: &Viewer) -> Result<Vec<WebhookEndpoint>, AppError> {
    endpoints::list(pool, policy::require_person(viewer)?.id).await
}

pub async fn get(pool: &PgPool, viewer: &Viewer, id: i64) -> Result<WebhookEndpoint, AppError> {
    endpoints::get(pool, policy::require_person(viewer)?.id, id).await
}

pub async fn change(
    pool: &PgPool,
    rules: AddressPolicy,
    viewer: &Viewer,
    id: i64,
    request: &WebhookEndpointRequest,
) -> Result<WebhookEndpoint, AppError> {
    let owner = policy::require_person(viewer)?;
    let draft = checked(request, rules)?;
    endpoints::update(pool, owner.id, id, &draft).await
}

/// Switches an endpoint on or off; on again, it resumes where it stopped.
pub async fn set_enabled(
    pool: &PgPool,
    viewer: &Viewer,
    id: i64,
    enabled: bool,
) -> Result<WebhookEndpoint, AppError> {
    endpoints::set_enabled(pool, policy::require_person(viewer)?.id, id, enabled).await
}

pub async fn delete(pool: &PgPool, viewer: &Viewer, id: i64) -> Result<(), AppError> {
    endpoints::delete(pool, policy::require_person(viewer)?.id, id).await
}

pub async fn rotate_secret(pool: &PgPool, viewer: &Viewer, id: i64) -> Result<WebhookSecret, AppError> {
    let owner = policy::require_person(viewer)?;
    let (secret, until) = endpoints::rotate_secret(pool, owner.id, id).await?;
    Ok(WebhookSecret {
        endpoint: endpoints::get(pool, owner.id, id).await?,
        secret,
        previous_secret_until: Some(until),
    })
}

/// Where a replay starts: after a stream position, or from a time.
#[derive(Debug, Clone, Copy)]
pub enum ReplayFrom {
    After(i64),
    Since(DateTime<Utc>),
}

/// Delivers again, in order, what the endpoint would have received after
/// the given point (same `webhook-id`s as the first time).
pub async fn replay(
    pool: &PgPool,
    viewer: &Viewer,
    id: i64,
    from: ReplayFrom,
) -> Result<WebhookEndpoint, AppError> {
    let owner = policy::require_person(viewer)?;
    let after = match from {
        ReplayFrom::After(position) if position < 0 => {
            return Err(AppError::validation("after", "a stream position is 0 or more"))
        }
        ReplayFrom::After(position) => position,
        ReplayFrom::Since(at) => endpoints::position_before(pool, at).await?,
    };
    endpoints::replay_after(pool, owner.id, id, after).await
}

pub async fn send_test(
    pool: &PgPool,
    rules: AddressPolicy,
    viewer: &Viewer,
    id: i64,
) -> Result<WebhookAttempt, AppError> {
    delivery::send_test(pool, rules, policy::require_person(viewer)?.id, id).await
}

pub async fn attempts(pool: &PgPool, viewer: &Viewer, id: i64) -> Result<Vec<WebhookAttempt>, AppError> {
    endpoints::attempts(pool, policy::require_person(viewer)?.id, id).await
}

//! Reported problems: anyone who can see a shipment may report one; staff
//! resolve them. Both appear on the shipment's timeline (and so on every open
//! page, through the live stream) because each is also an event in the log.

use sqlx::PgPool;

use crate::domain::{Audience, Problem, TrackingNumber, Viewer};
use crate::error::AppError;
use crate::ssr::auth::{policy, throttle};
use crate::ssr::db;

/// Reports a problem on a shipment the viewer can see (at most
/// `throttle::PROBLEM_REPORTS_PER_HOUR` an hour per user: each reaches the
/// depot).
pub async fn report(
    pool: &PgPool,
    viewer: &Viewer,
    tracking_number: &TrackingNumber,
    description: &str,
) -> Result<Problem, AppError> {
    let reporter = policy::require_person(viewer)?;
    let shipment_id = policy::visible_shipment_id(pool, viewer, tracking_number).await?;
    let _counted = throttle::problem_report(pool, reporter.id).await?;
    let (id, reported_at) = db::problems::report(pool, shipment_id, reporter.id, description).await?;
    Ok(Problem {
        id,
        tracking_number: tracking_number.to_string(),
        description: description.to_owned(),
        reported_by: reporter.email.clone(),
        reported_at,
        resolved_at: None,
        resolution: None,
    })
}

/// Resolves an open problem (staff), with a note saying what was done.
pub async fn resolve(
    pool: &PgPool,
    viewer: &Viewer,
    problem_id: i64,
    resolution: &str,
) -> Result<(), AppError> {
    policy::require_staff(viewer)?;
    let resolver = policy::require_person(viewer)?;
    db::problems::resolve(pool, problem_id, resolver.id, resolution).await
}

/// Every open problem, oldest first (staff: the console's queue).
pub async fn open_problems(pool: &PgPool, viewer: &Viewer) -> Result<Vec<Problem>, AppError> {
    policy::require_staff(viewer)?;
    let open = db::problems::open(pool, None).await?;
    Ok(open
        .into_iter()
        .map(|(problem, role)| Audience::Staff.problem(problem, role))
        .collect())
}

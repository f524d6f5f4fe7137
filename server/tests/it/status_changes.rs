use app::domain::input::StatusPost;
use app::domain::{ShipmentStatus, TrackingNumber};
use app::error::AppError;
use app::ssr::db::status::{record_status_change, Rule};
use sqlx::PgPool;

use crate::helpers::shipments_of;

fn change(status: ShipmentStatus) -> StatusPost {
    StatusPost {
        status,
        location: Some("Depot 7".into()),
        note: None,
        occurred_at: None,
    }
}

/// Records an ordinary change to `status` as the system.
async fn record(
    pool: &PgPool,
    number: &TrackingNumber,
    status: ShipmentStatus,
) -> Result<app::domain::ShipmentEvent, AppError> {
    record_status_change(pool, number, &change(status), None, Rule::Ordinary).await
}

/// Tracking numbers of demo shipments currently in `status`, whoever owns them.
async fn shipments_in(pool: &PgPool, status: &str) -> Vec<TrackingNumber> {
    shipments_of(pool, "%", status).await
}

async fn status_and_events(pool: &PgPool, number: &TrackingNumber) -> (String, Vec<String>) {
    let status: String = sqlx::query_scalar("SELECT status::text FROM shipments WHERE tracking_number = $1")
        .bind(number.as_str())
        .fetch_one(pool)
        .await
        .expect("status");
    let events: Vec<String> = sqlx::query_scalar(
        "SELECT e.status::text FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id
         WHERE s.tracking_number = $1 ORDER BY e.id",
    )
    .bind(number.as_str())
    .fetch_all(pool)
    .await
    .expect("events");
    (status, events)
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_legal_change_appends_an_event_and_moves_the_summary(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let number = shipments_in(&pool, "out_for_delivery").await.remove(0);
    let (_, before) = status_and_events(&pool, &number).await;

    let event = record(&pool, &number, ShipmentStatus::Delivered)
        .await
        .expect("legal");
    assert_eq!(event.status, Some(ShipmentStatus::Delivered));
    assert_eq!(event.actor, "system");

    let (status, after) = status_and_events(&pool, &number).await;
    assert_eq!(status, "delivered");
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(after.last().map(String::as_str), Some("delivered"));
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn an_illegal_change_is_refused_naming_both_states_and_writes_nothing(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let number = shipments_in(&pool, "delivered").await.remove(0);
    let before = status_and_events(&pool, &number).await;

    let error = record(&pool, &number, ShipmentStatus::InTransit)
        .await
        .expect_err("illegal");
    let AppError::Conflict(message) = error else {
        panic!("expected a conflict, got {error:?}")
    };
    assert!(
        message.contains("delivered") && message.contains("in_transit"),
        "{message}"
    );
    assert_eq!(status_and_events(&pool, &number).await, before);
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn the_database_itself_refuses_an_illegal_update_naming_both_states(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let number = shipments_in(&pool, "delivered").await.remove(0);
    let error = sqlx::query("UPDATE shipments SET status = 'in_transit' WHERE tracking_number = $1")
        .bind(number.as_str())
        .execute(&pool)
        .await
        .expect_err("trigger refuses");
    let message = error.to_string();
    assert!(message.contains("from delivered to in_transit"), "{message}");
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn an_unknown_tracking_number_is_not_found(pool: PgPool) {
    let number = TrackingNumber::parse("SW0000000000").expect("valid");
    let error = record(&pool, &number, ShipmentStatus::InTransit)
        .await
        .expect_err("unknown");
    assert!(matches!(error, AppError::NotFound(_)), "{error:?}");
}

/// Two operators at once, twenty times over: `delivered` and
/// `returning_to_sender` are both legal from `in_transit` but not from each
/// other, so exactly one may win each race.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn of_two_concurrent_conflicting_changes_exactly_one_succeeds(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let mut candidates = shipments_in(&pool, "in_transit").await;
    candidates.extend(shipments_in(&pool, "picked_up").await);
    assert!(candidates.len() >= 10, "enough shipments to race on");

    for number in &candidates {
        let (_, events_before) = status_and_events(&pool, number).await;
        let (deliver, send_back) = (
            change(ShipmentStatus::Delivered),
            change(ShipmentStatus::ReturningToSender),
        );
        let (a, b) = tokio::join!(
            record_status_change(&pool, number, &deliver, None, Rule::Ordinary),
            record_status_change(&pool, number, &send_back, None, Rule::Ordinary),
        );
        let (winner, loser) = match (a, b) {
            (Ok(winner), Err(loser)) | (Err(loser), Ok(winner)) => (winner, loser),
            other => panic!("{number}: expected exactly one success, got {other:?}"),
        };
        let AppError::Conflict(message) = loser else {
            panic!("{number}: loser got {loser:?}")
        };
        let won = winner.status.expect("status event");
        assert!(
            message.contains(won.as_str()),
            "{message} names the winning state"
        );

        let (status, events_after) = status_and_events(&pool, number).await;
        assert_eq!(status, won.as_str(), "summary agrees with the winner");
        assert_eq!(
            events_after.len(),
            events_before.len() + 1,
            "exactly one event appended"
        );
    }
}

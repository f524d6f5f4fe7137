//! Per-user and per-client limits on what costs the depot or the server:
//! open streams, postcode guesses to watch, problem reports, and events
//! dated in the future.

use sqlx::PgPool;

use crate::helpers::TestApp;

/// One account may hold 16 live streams (every browser shares one among its
/// tabs); the 17th is refused with 429 and `Retry-After`, and a slot frees up
/// when a stream closes.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn one_account_cannot_hold_more_than_16_streams(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let alice = app.as_user("alice@example.com").await;
    let mut open = Vec::new();
    for _ in 0..16 {
        let stream = alice.get("/api/events").await;
        assert_eq!(stream.status(), 200);
        open.push(stream);
    }
    let refused = alice.get("/api/events").await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let problem: serde_json::Value = refused.json().await.expect("problem");
    assert!(problem["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("16 live connections"));
    // Someone else is not affected.
    assert_eq!(
        app.as_user("bob@example.com")
            .await
            .get("/api/events")
            .await
            .status(),
        200
    );

    drop(open.pop());
    let mut reopened = false;
    for _ in 0..100 {
        let again = alice.get("/api/events").await;
        if again.status() == 200 {
            reopened = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(reopened, "a closed stream frees its slot");
}

/// Guessing a shipment's postcode to watch it is stopped: after 20 refused
/// attempts in 15 minutes every further one is 429 (even the right postcode),
/// and other users are not affected.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn guessing_a_postcode_to_watch_is_throttled(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let (number, postcode): (String, String) = sqlx::query_as(
        "SELECT s.tracking_number, s.destination_postal_code FROM shipments s JOIN users u ON u.id = s.owner_id
         WHERE u.email = 'bob@example.com' ORDER BY s.id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .expect("bob's shipment");
    let app = TestApp::spawn(pool).await;
    let alice = app.as_user("alice@example.com").await;
    let watch = |who: TestApp, postal_code: String| {
        let number = number.clone();
        async move {
            who.post_json(
                "/api/v1/watches",
                serde_json::json!({"tracking_number": number, "postal_code": postal_code}),
            )
            .await
        }
    };
    let mut statuses = Vec::new();
    for guess in 0..30 {
        statuses.push(
            watch(alice.clone(), format!("{guess:05}"))
                .await
                .status()
                .as_u16(),
        );
    }
    assert!(statuses[..20].iter().all(|s| *s == 404), "{statuses:?}");
    assert!(statuses[20..].iter().all(|s| *s == 429), "{statuses:?}");
    let right = watch(alice.clone(), postcode.clone()).await;
    assert_eq!(right.status(), 429, "still throttled, even when right");
    assert!(right.headers().contains_key("retry-after"));
    let carol = app.as_user("ops@example.com").await;
    assert_ne!(
        watch(carol, postcode).await.status(),
        429,
        "others are not affected"
    );
}

/// Problem reports reach the depot's queue, so one customer cannot flood
/// it: 20 an hour, then 429 with Retry-After; others can still report.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn problem_reports_are_limited_per_user_per_hour(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let numbers = crate::helpers::tracking_numbers_of(&pool, "alice@example.com").await;
    let app = TestApp::spawn(pool).await;
    let alice = app.as_user("alice@example.com").await;
    let report = |who: TestApp, i: usize| {
        let number = numbers[i % numbers.len()].clone();
        async move {
            who.post_json(
                &format!("/api/v1/shipments/{number}/problems"),
                serde_json::json!({"description": format!("problem {i}")}),
            )
            .await
        }
    };
    for i in 0..20 {
        assert_eq!(report(alice.clone(), i).await.status(), 201, "report {i}");
    }
    let flood = report(alice.clone(), 20).await;
    assert_eq!(flood.status(), 429);
    assert!(flood.headers().contains_key("retry-after"));
    let ops = app.as_user("ops@example.com").await;
    assert_eq!(report(ops, 0).await.status(), 201, "others are not affected");
}

/// An event dated more than 5 minutes ahead of the server's clock is refused:
/// it would pin the shipment's "last update" and the list order in the future.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn an_event_dated_in_the_future_is_refused(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let ops = app.as_user("ops@example.com").await;
    let number = crate::helpers::shipments_of(&pool, "%", "in_transit")
        .await
        .remove(0);
    let at = |minutes: i64| (chrono::Utc::now() + chrono::Duration::minutes(minutes)).to_rfc3339();
    let post = |occurred_at: String| {
        let ops = ops.clone();
        let number = number.clone();
        async move {
            ops.post_json(
                &format!("/api/v1/shipments/{number}/events"),
                serde_json::json!({"status": "in_transit", "occurred_at": occurred_at}),
            )
            .await
        }
    };
    let ahead = post(at(8)).await;
    assert_eq!(ahead.status(), 422);
    let problem: serde_json::Value = ahead.json().await.expect("problem");
    assert_eq!(problem["errors"][0]["field"], "occurred_at");
    assert_eq!(
        post(at(4)).await.status(),
        201,
        "scanner clocks may drift a little"
    );
}

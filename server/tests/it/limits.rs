//! Per-user and per-client limits on what costs the depot or the server:
//! API requests per window, open streams, postcode guesses to watch, problem reports, and events
//! dated in the future.

use std::time::Duration;

use app::ssr::auth::api_limit::ApiLimits;
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

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .expect("text")
        .to_owned()
}

/// Every API client has its own quota per window, counted across all
/// instances on the database: each answer says what is left
/// (`RateLimit-Policy`, `RateLimit`), and the request over the quota gets
/// 429 with `Retry-After`. A stream counts once, when it opens. Clients
/// without a token or session are counted by address.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn api_clients_get_a_quota_shared_by_every_instance_and_told_on_each_answer(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let limits = ApiLimits {
        per_client: 5,
        anonymous: 3,
        window: Duration::from_secs(600),
    };
    let first = TestApp::spawn_configured(pool.clone(), |c| c.api_limits = limits).await;
    let second = TestApp::spawn_configured(pool.clone(), |c| c.api_limits = limits).await;
    let alice = first.as_user("alice@example.com").await;
    let bob = first.as_user("bob@example.com").await;

    let mut remaining = Vec::new();
    for app in [&first, &first, &second, &second, &first] {
        let response = alice
            .client
            .get(app.url("/api/v1/shipments"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "ratelimit-policy"), "\"default\";q=5;w=600");
        remaining.push(header(&response, "ratelimit"));
    }
    assert!(remaining[0].starts_with("\"default\";r=4;t="), "{remaining:?}");
    let left: Vec<&str> = remaining
        .iter()
        .map(|r| r.split(';').nth(1).expect("r"))
        .collect();
    assert_eq!(
        left,
        ["r=4", "r=3", "r=2", "r=1", "r=0"],
        "one count across both instances"
    );
    let refused = alice
        .client
        .get(second.url("/api/v1/shipments"))
        .send()
        .await
        .expect("request");
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = header(&refused, "retry-after").parse().expect("seconds");
    assert!((1..=600).contains(&retry_after), "{retry_after}");
    assert!(header(&refused, "ratelimit").starts_with("\"default\";r=0;"));

    // Bob's quota is his own; his stream counts once, however many frames it carries.
    let stream = bob.get("/api/events").await;
    assert_eq!(stream.status(), 200);
    assert!(header(&stream, "ratelimit").starts_with("\"default\";r=4;"));
    let ops = TestApp::spawn_configured(pool.clone(), |c| c.api_limits = ApiLimits::default())
        .await
        .as_user("ops@example.com")
        .await;
    let number = crate::helpers::shipments_of(&pool, "bob@example.com", "in_transit")
        .await
        .remove(0);
    for note in ["one", "two"] {
        let posted = ops
            .post_json(
                &format!("/api/v1/shipments/{}/events", number.as_str()),
                serde_json::json!({"status": "in_transit", "note": note}),
            )
            .await;
        assert_eq!(posted.status(), 201);
    }
    let mut frames = crate::helpers::sse::Sse::over(stream);
    assert!(frames.next_shipment(Duration::from_secs(5)).await.is_some());
    assert!(frames.next_shipment(Duration::from_secs(5)).await.is_some());
    let after = bob.get("/api/v1/shipments").await;
    assert!(
        header(&after, "ratelimit").starts_with("\"default\";r=3;"),
        "the frames did not count"
    );

    // Anonymous: by address (127.0.0.5, where nobody signed in).
    let anonymous = first.seen_from("127.0.0.5");
    for left in ["r=2", "r=1", "r=0"] {
        let response = anonymous.get("/api/openapi.json").await;
        assert_eq!(response.status(), 200);
        assert!(header(&response, "ratelimit").contains(left));
    }
    assert_eq!(anonymous.get("/api/openapi.json").await.status(), 429);
    let elsewhere = TestApp::browser_from("127.0.0.2")
        .get(first.url("/api/openapi.json"))
        .send()
        .await
        .expect("request");
    assert_eq!(elsewhere.status(), 200, "another address has its own quota");
}

//! Abuse cases (issue 12): what a hostile client sends, and that it gets
//! nowhere.

use sqlx::PgPool;

use crate::helpers::{TestApp, DEMO_PASSWORD};

/// Signing in with `next` only ever lands on a path of ours: every known
/// open-redirect trick goes to `/`.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn sign_in_redirects_only_to_our_own_paths(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let app = TestApp::spawn(pool).await;
    let cases = [
        ("/shipments/SW1?x=1", "/shipments/SW1?x=1"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/%09/evil.example", "/"),
        ("/%2F/evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("%2F%2Fevil.example", "/"),
        ("https:evil.example", "/"),
        ("https://evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/\r\nSet-Cookie: x=1", "/"),
        ("/ /evil.example", "/"),
        ("/\u{3000}/evil.example", "/"),
        ("", "/"),
    ];
    for (next, expected) in cases {
        let response = TestApp::browser()
            .post(app.url("/login"))
            .header("origin", app.origin())
            .form(&[
                ("email", "alice@example.com"),
                ("password", DEMO_PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .expect("sign in");
        assert_eq!(response.status(), 303, "next = {next:?}");
        assert_eq!(
            response.headers()["location"].to_str().expect("location"),
            expected,
            "next = {next:?}"
        );
    }
}

/// An event dated more than 5 minutes ahead of the server's clock is refused:
/// it would pin the shipment's "last update" and the list order in the future.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn an_event_dated_in_the_future_is_refused(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let app = TestApp::spawn(pool.clone()).await;
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

/// Sign-in bounds its input before the database or a hash sees it: a 1.5 MB
/// password or a 300 KB email is a 422, not an argon2 run or a query.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn sign_in_refuses_oversized_input_before_hashing(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let app = TestApp::spawn(pool).await;
    let long_password = app.sign_in("alice@example.com", &"x".repeat(1_500_000)).await;
    assert_eq!(long_password.status(), 422);
    let problem: serde_json::Value = long_password.json().await.expect("problem");
    assert_eq!(problem["errors"][0]["field"], "password");
    let long_email = app
        .sign_in(&format!("{}@example.com", "a".repeat(300_000)), DEMO_PASSWORD)
        .await;
    assert_eq!(long_email.status(), 422);
    assert_eq!(
        app.sign_in("alice@example.com", &"x".repeat(129)).await.status(),
        422
    );
    app.sign_in_ok("alice@example.com").await;
}

/// Invented HTTP methods do not become metric labels (each would be a new
/// time series kept for ever).
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn invented_methods_do_not_create_metric_series(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for method in ["AAAA1", "AAAA2", "AAAA3"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        app.client
            .request(method, app.url("/api/get_shipment"))
            .header("origin", app.origin())
            .send()
            .await
            .expect("request");
    }
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(!metrics.contains("AAAA"), "no label per invented method");
    assert!(metrics.contains(r#"method="other""#));
}

/// Every response carries the browser defences: no sniffing, no framing, no
/// full URLs in Referer to other sites.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn responses_carry_browser_defences(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for path in ["/login", "/api/v1/session", "/healthz"] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        let csp = headers["content-security-policy"].to_str().expect("csp");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            headers.get("strict-transport-security").is_none(),
            "plain http: no HSTS"
        );
    }
}

/// One account may hold 16 live streams (every browser shares one among its
/// tabs); the 17th is refused with 429 and `Retry-After`, and a slot frees up
/// when a stream closes.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn one_account_cannot_hold_more_than_16_streams(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let app = TestApp::spawn(pool).await;
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

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

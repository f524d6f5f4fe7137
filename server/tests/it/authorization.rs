//! Who may see and do what, checked on every path: page, server function, REST.

use reqwest::header::ORIGIN;
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{tracking_numbers_of, TestApp};

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn alice_cannot_read_bobs_shipment_by_page_server_function_or_api(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let app = TestApp::spawn(pool).await;
    let bobs = tracking_numbers_of(&app.pool, "bob@example.com").await.remove(0);
    let alices = tracking_numbers_of(&app.pool, "alice@example.com")
        .await
        .remove(0);
    app.sign_in_ok("alice@example.com").await;

    // Page.
    let page = app.get(&format!("/shipments/{bobs}")).await;
    assert_eq!(page.status(), 404);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("Shipment not found") && !html.contains("Timeline"),
        "{html}"
    );
    let own = app.get(&format!("/shipments/{alices}")).await;
    assert_eq!(own.status(), 200);
    assert!(own.text().await.expect("html").contains("Timeline"));

    // Server function.
    let server_fn = |number: String| {
        app.client
            .post(app.url("/api/get_shipment"))
            .header(ORIGIN, app.origin())
            .form(&[("tracking_number", number)])
            .send()
    };
    let hidden = server_fn(bobs.clone()).await.expect("server fn");
    assert_eq!(hidden.status(), 404);
    let body = hidden.text().await.expect("body");
    assert!(body.contains("NotFound") && !body.contains("Rotterdam"), "{body}");
    assert_eq!(server_fn(alices.clone()).await.expect("server fn").status(), 200);

    // REST.
    let rest = app.get(&format!("/api/v1/shipments/{bobs}")).await;
    assert_eq!(rest.status(), 404);
    let problem: Value = rest.json().await.expect("json");
    assert_eq!(problem["status"], 404);
    // Same answer as for a number that does not exist at all.
    let nonexistent = app.get("/api/v1/shipments/SW9999999999").await;
    let nonexistent: Value = nonexistent.json().await.expect("json");
    assert_eq!(problem["title"], nonexistent["title"]);
    assert_eq!(
        app.get(&format!("/api/v1/shipments/{alices}")).await.status(),
        200
    );
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_customer_calling_an_operator_action_gets_403(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let app = TestApp::spawn(pool).await;
    let alices = tracking_numbers_of(&app.pool, "alice@example.com")
        .await
        .remove(0);
    app.sign_in_ok("alice@example.com").await;
    let response = app
        .post_json(
            &format!("/api/v1/shipments/{alices}/events"),
            json!({"status": "exception"}),
        )
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn an_illegal_transition_through_the_api_is_a_409_naming_both_states(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let delivered: String =
        sqlx::query_scalar("SELECT tracking_number FROM shipments WHERE status = 'delivered' LIMIT 1")
            .fetch_one(&pool)
            .await
            .expect("delivered shipment");
    let app = TestApp::spawn(pool).await;
    app.sign_in_ok("ops@example.com").await;
    let response = app
        .post_json(
            &format!("/api/v1/shipments/{delivered}/events"),
            json!({"status": "in_transit"}),
        )
        .await;
    assert_eq!(response.status(), 409);
    let problem: Value = response.json().await.expect("json");
    let detail = problem["detail"].as_str().expect("detail");
    assert!(
        detail.contains("delivered") && detail.contains("in_transit"),
        "{detail}"
    );

    let unknown_status = app
        .post_json(
            &format!("/api/v1/shipments/{delivered}/events"),
            json!({"status": "teleported"}),
        )
        .await;
    assert_eq!(unknown_status.status(), 422);
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn signed_out_api_calls_get_401_problem_json(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for path in [
        "/api/v1/shipments",
        "/api/v1/shipments/SW0000000001",
        "/api/v1/session",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 401, "{path}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_role_change_applies_to_the_next_request(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let app = TestApp::spawn(pool).await;
    app.sign_in_ok("alice@example.com").await;
    let before: Value = app.get("/api/v1/shipments").await.json().await.expect("json");
    assert_eq!(before["total"], 60);
    let email = app::domain::Email::parse("alice@example.com").expect("email");
    app::ssr::db::users::set_role(&app.pool, &email, app::domain::Role::Operator)
        .await
        .expect("promote");
    let after: Value = app.get("/api/v1/shipments").await.json().await.expect("json");
    assert_eq!(after["total"], 100, "same session, new rights");
}

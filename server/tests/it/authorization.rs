//! Who may see and do what, checked on every path: page, server function, REST.

use reqwest::header::ORIGIN;
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{tracking_numbers_of, TestApp};

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn alice_cannot_read_bobs_shipment_by_page_server_function_or_api(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
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
    let app = TestApp::seeded(pool).await;
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
    let app = TestApp::seeded(pool).await;
    app.sign_in_ok("alice@example.com").await;
    let before = app.get_json("/api/v1/shipments").await;
    assert_eq!(before["total"], 60);
    let email = app::domain::Email::parse("alice@example.com").expect("email");
    app::ssr::db::users::set_role(&app.pool, &email, app::domain::Role::Operator)
        .await
        .expect("promote");
    let after = app.get_json("/api/v1/shipments").await;
    assert_eq!(after["total"], 100, "same session, new rights");
}

/// Least privilege between customers: a watcher sees status, time,
/// location and the depot's notes — not the owner's delivery instructions,
/// postcode or problem reports, and nobody's email; the owner sees their
/// own instructions but the depot only as "Depot operator". Pages, the API
/// and the stream's replay agree. Staff keep every detail.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn watchers_and_owners_see_no_emails_and_watchers_no_private_details(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let (number, postcode): (String, String) = sqlx::query_as(
        "SELECT s.tracking_number, s.destination_postal_code FROM shipments s JOIN users u ON u.id = s.owner_id
         WHERE u.email = 'bob@example.com' AND s.status = 'in_transit' ORDER BY s.id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .expect("bob's shipment");
    let app = TestApp::spawn(pool).await;
    let (alice, bob, ops) = (
        app.as_user("alice@example.com").await,
        app.as_user("bob@example.com").await,
        app.as_user("ops@example.com").await,
    );
    let watched = alice
        .post_json(
            "/api/v1/watches",
            serde_json::json!({"tracking_number": number, "postal_code": postcode}),
        )
        .await;
    assert_eq!(watched.status(), 201);
    let secret_instructions = "key under the blue flowerpot";
    let secret_problem = "my flat 4B buzzer is broken";
    assert_eq!(
        bob.send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/shipments/{number}/instructions"),
            serde_json::json!({"instructions": secret_instructions}),
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        bob.post_json(
            &format!("/api/v1/shipments/{number}/problems"),
            serde_json::json!({"description": secret_problem}),
        )
        .await
        .status(),
        201
    );
    assert_eq!(
        ops.post_json(
            &format!("/api/v1/shipments/{number}/events"),
            serde_json::json!({"status": "out_for_delivery", "location": "Leeds depot", "note": "On the van"}),
        )
        .await
        .status(),
        201
    );

    let text_of = |who: TestApp, path: String| async move {
        let response = who.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        response.text().await.expect("body")
    };
    let detail = format!("/api/v1/shipments/{number}");
    let page = format!("/shipments/{number}");
    let replay = "/api/v1/events?after=0".to_owned();
    for (path, body) in [
        (&detail, text_of(alice.clone(), detail.clone()).await),
        (&page, text_of(alice.clone(), page.clone()).await),
        (&replay, text_of(alice.clone(), replay.clone()).await),
    ] {
        assert!(
            body.contains("Leeds depot") && body.contains("On the van"),
            "{path}: public details shown"
        );
        // (The page names alice herself, in its header.)
        for private in [
            secret_instructions,
            secret_problem,
            postcode.as_str(),
            "ops@example.com",
            "bob@example.com",
        ] {
            assert!(!body.contains(private), "{path} shows {private:?} to a watcher");
        }
        assert!(body.contains("Depot operator"), "{path}: the actor as a role");
    }
    for (path, body) in [
        (&detail, text_of(bob.clone(), detail.clone()).await),
        (&replay, text_of(bob.clone(), replay.clone()).await),
    ] {
        assert!(
            body.contains(secret_instructions),
            "{path}: the owner sees their instructions"
        );
        assert!(
            !body.contains("ops@example.com"),
            "{path}: no operator email for the owner"
        );
    }
    let staff_view = text_of(ops.clone(), detail.clone()).await;
    assert!(staff_view.contains("ops@example.com") && staff_view.contains("bob@example.com"));
    assert!(staff_view.contains(secret_instructions) && staff_view.contains(secret_problem));
}

/// A delivered shipment moves on only through the admin action: a database
/// session that sets the setting the trigger used to trust, or records a
/// reopening in a customer's name, is refused by the database itself.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn only_the_admin_action_can_reopen_a_delivered_shipment(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let number = crate::helpers::shipments_of(&pool, "%", "delivered")
        .await
        .remove(0)
        .to_string();
    let mut tx = pool.begin().await.expect("begin");
    sqlx::query("SELECT set_config('shipwatch.reopen_reason', 'because I can', true)")
        .execute(&mut *tx)
        .await
        .expect("set");
    let bypass = sqlx::query("UPDATE shipments SET status = 'in_transit' WHERE tracking_number = $1")
        .bind(&number)
        .execute(&mut *tx)
        .await;
    assert!(bypass.is_err(), "a session setting no longer reopens");
    tx.rollback().await.expect("rollback");

    let mut tx = pool.begin().await.expect("begin");
    let forged = sqlx::query(
        "INSERT INTO shipment_reopenings (shipment_id, to_status, reason, reopened_by)
         SELECT s.id, 'in_transit', 'forged', u.id FROM shipments s, users u
         WHERE s.tracking_number = $1 AND u.email = 'alice@example.com'",
    )
    .bind(&number)
    .execute(&mut *tx)
    .await;
    assert!(forged.is_err(), "only an admin can be recorded as reopening");
    tx.rollback().await.expect("rollback");
    let status: String = sqlx::query_scalar("SELECT status::text FROM shipments WHERE tracking_number = $1")
        .bind(&number)
        .fetch_one(&pool)
        .await
        .expect("status");
    assert_eq!(status, "delivered");
}

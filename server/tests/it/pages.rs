use crate::helpers::TestApp;
use sqlx::PgPool;

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn the_operator_dashboard_is_rendered_on_the_server_with_every_demo_shipment(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let numbers: Vec<String> = sqlx::query_scalar("SELECT tracking_number FROM shipments")
        .fetch_all(&pool)
        .await
        .expect("numbers");
    let app = TestApp::spawn(pool).await;
    app.sign_in_ok("ops@example.com").await;

    // Two pages of 50, rendered on the server (no JavaScript needed).
    let first = app.get("/").await;
    assert_eq!(first.status(), 200);
    let first = first.text().await.expect("html");
    assert!(
        first.contains("50 shipments on this page"),
        "caption counts the rows"
    );
    let next = first
        .split("href=\"/?after=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a next-page link");
    let second = app
        .get(&format!("/?after={next}"))
        .await
        .text()
        .await
        .expect("html");
    assert_eq!(numbers.len(), 100);
    for number in &numbers {
        assert!(
            first.contains(number.as_str()) != second.contains(number.as_str()),
            "{number} is on exactly one of the two pages"
        );
    }
    assert!(
        first.contains("Out for delivery") && first.contains("Exception"),
        "status badges"
    );
    // Filters by URL: only delivered rows, and the count link says how many.
    let delivered = app
        .get("/?status=delivered&limit=200")
        .await
        .text()
        .await
        .expect("html");
    assert!(
        delivered.contains(r#"aria-current="page""#),
        "the active filter is marked"
    );
    assert!(delivered.contains("badge badge-delivered"));
    assert!(
        !delivered.contains("badge badge-in_transit"),
        "no other statuses in the table"
    );
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_new_customer_sees_a_helpful_empty_state(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let registered = app
        .post_json(
            "/api/v1/users",
            serde_json::json!({"email": "new@example.com", "password": "long enough pw"}),
        )
        .await;
    assert_eq!(registered.status(), 201);
    assert_eq!(
        app.sign_in("new@example.com", "long enough pw").await.status(),
        200
    );
    let html = app.get("/").await.text().await.expect("html");
    assert!(html.contains("No shipments yet"), "{html}");
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn signed_out_visitors_of_a_page_are_sent_to_the_login_page(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/login");
    let response = app.get("/shipments/SW0000000001").await;
    assert_eq!(
        response.headers()["location"],
        "/login?next=/shipments/SW0000000001"
    );
    let login = app.get("/login").await;
    assert_eq!(login.status(), 200);
    let html = login.text().await.expect("html");
    assert!(html.contains("Sign in"), "{html}");
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn an_unknown_page_is_a_404_with_a_way_back(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let app = TestApp::spawn(pool).await;
    app.sign_in_ok("alice@example.com").await;
    let response = app.get("/no-such-page").await;
    assert_eq!(response.status(), 404);
    assert!(response
        .text()
        .await
        .expect("html")
        .contains("Go to your shipments"));
}

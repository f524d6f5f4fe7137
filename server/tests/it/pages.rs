use crate::helpers::TestApp;
use sqlx::PgPool;

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn the_dashboard_is_rendered_on_the_server_with_every_demo_shipment(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let numbers: Vec<String> = sqlx::query_scalar("SELECT tracking_number FROM shipments")
        .fetch_all(&pool)
        .await
        .expect("numbers");
    let app = TestApp::spawn(pool).await;

    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("html");
    assert_eq!(numbers.len(), 100);
    for number in &numbers {
        assert!(
            html.contains(number.as_str()),
            "{number} missing from the page"
        );
    }
    assert!(html.contains("100 shipments"), "caption counts the rows");
    assert!(
        html.contains("Out for delivery") && html.contains("Exception"),
        "status badges"
    );
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn an_empty_database_shows_a_helpful_empty_state(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let html = app.get("/").await.text().await.expect("html");
    assert!(html.contains("No shipments yet"), "{html}");
    assert!(html.contains("server seed-demo"));
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn an_unknown_page_is_a_404_with_a_way_back(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app.get("/no-such-page").await;
    assert_eq!(response.status(), 404);
    assert!(response
        .text()
        .await
        .expect("html")
        .contains("Go to your shipments"));
}

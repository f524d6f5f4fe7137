use crate::helpers::TestApp;
use sqlx::PgPool;

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn healthz_and_readyz_answer_ok_with_a_reachable_database(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(app.get("/readyz").await.status(), 200);
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn readyz_reports_unavailable_when_the_database_is_gone(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    pool.close().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    let body = response.text().await.expect("body");
    assert!(
        ["database unavailable", "live stream listener reconnecting"].contains(&body.trim()),
        "a short reason, no internal detail: {body}"
    );
    // Liveness does not depend on the database.
    assert_eq!(app.get("/healthz").await.status(), 200);
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
    let metrics = app.metrics().await.text().await.expect("metrics");
    assert!(!metrics.contains("AAAA"), "no label per invented method");
    assert!(metrics.contains(r#"method="other""#));
}

/// `/metrics` on the app's port is not public: without the configured
/// bearer token (or with a wrong one) it is refused, and an app with no
/// token configured does not serve it there at all.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn metrics_are_not_public_on_the_app_port(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    assert_eq!(app.get("/metrics").await.status(), 401);
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("test-metrics-tokeN")
        .send()
        .await
        .expect("request");
    assert_eq!(wrong.status(), 401);
    let scraped = app.metrics().await;
    assert_eq!(scraped.status(), 200);
    assert!(scraped
        .text()
        .await
        .expect("body")
        .contains("shipwatch_http_request_duration_seconds"));
    let without_token = TestApp::spawn_configured(pool, |config| config.metrics_token = None).await;
    assert_eq!(without_token.get("/metrics").await.status(), 404);
}

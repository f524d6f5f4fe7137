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

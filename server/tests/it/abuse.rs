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

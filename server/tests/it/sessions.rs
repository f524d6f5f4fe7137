//! How long a credential lasts: a session's absolute lifetime, a token's
//! expiry, and "sign out everywhere".

use std::time::Duration;

use sqlx::PgPool;

use crate::helpers::TestApp;

/// A session ends a fixed time after signing in, however active it is: with
/// a one-second lifetime, a browser that keeps asking is signed out all the
/// same (idle expiry alone never would).
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_session_ends_after_its_lifetime_however_active(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    // Long enough that signing in and the first request fit in it on a busy
    // machine (1 s did not, once, with every other test running).
    const LIFETIME: Duration = Duration::from_secs(3);
    let app = TestApp::spawn_configured(pool, |config| {
        config.session.lifetime = LIFETIME;
    })
    .await;
    let signing_in = tokio::time::Instant::now();
    let alice = app.as_user("alice@example.com").await;
    assert_eq!(alice.get("/api/v1/session").await.status(), 200);
    // Active all along: a request every 50 ms, until refused or well past it.
    let deadline = signing_in + LIFETIME + Duration::from_secs(10);
    let ended_after = loop {
        let status = alice.get("/api/v1/session").await.status();
        if status == 401 {
            break signing_in.elapsed();
        }
        assert_eq!(status, 200, "signed in, or not: nothing else");
        assert!(
            tokio::time::Instant::now() < deadline,
            "still signed in after its lifetime"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Sign-in times are kept to the second, so it may end up to 1 s early.
    assert!(
        ended_after + Duration::from_secs(1) >= LIFETIME,
        "ended after {ended_after:?}, before its lifetime"
    );
    alice.sign_in_ok("alice@example.com").await;
}

/// An API token issued with an expiry works until then and not after; the
/// admin list shows when it expires.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn an_api_token_stops_working_when_it_expires(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let email = app::domain::Email::parse("ops@example.com").expect("email");
    app::ssr::db::users::set_role(&pool, &email, app::domain::Role::Admin)
        .await
        .expect("admin");
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.as_user("ops@example.com").await;
    let issued = admin
        .post_json(
            "/api/v1/tokens",
            serde_json::json!({"email": "alice@example.com", "name": "a week's feed", "expires_in_days": 7}),
        )
        .await;
    assert_eq!(issued.status(), 201);
    let issued: serde_json::Value = issued.json().await.expect("issued");
    let token = issued["token"].as_str().expect("token").to_owned();
    let listed = admin.get_json("/api/v1/tokens").await;
    let expires = listed[0]["expires_at"].as_str().expect("an expiry").to_owned();
    assert!(expires.starts_with(
        &(chrono::Utc::now() + chrono::Duration::days(7))
            .format("%Y-%m-%d")
            .to_string()
    ));
    let whoami = || {
        reqwest::Client::new()
            .get(app.url("/api/v1/session"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(whoami().await.expect("request").status(), 200);
    // A week passes.
    sqlx::query("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(issued["id"].as_i64().expect("id"))
        .execute(&pool)
        .await
        .expect("age the token");
    assert_eq!(whoami().await.expect("request").status(), 401);
    let too_long = admin
        .post_json(
            "/api/v1/tokens",
            serde_json::json!({"email": "alice@example.com", "name": "forever and a day", "expires_in_days": 99999}),
        )
        .await;
    assert_eq!(too_long.status(), 422);
}

/// "Sign out everywhere" ends every session of the account — another
/// browser's included, and its open stream — for the user themself and for
/// an admin acting on a user; a customer cannot do it to someone else.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn sign_out_everywhere_ends_every_browser_of_the_account(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let email = app::domain::Email::parse("ops@example.com").expect("email");
    app::ssr::db::users::set_role(&pool, &email, app::domain::Role::Admin)
        .await
        .expect("admin");
    let app = TestApp::spawn(pool).await;
    let (laptop, phone) = (
        app.as_user("alice@example.com").await,
        app.as_user("alice@example.com").await,
    );
    let mut stream = phone.get("/api/events").await;
    assert_eq!(stream.status(), 200);
    let everywhere = laptop
        .send_json(reqwest::Method::DELETE, "/api/v1/sessions", serde_json::json!({}))
        .await;
    assert_eq!(everywhere.status(), 204);
    assert_eq!(laptop.get("/api/v1/session").await.status(), 401);
    assert_eq!(
        phone.get("/api/v1/session").await.status(),
        401,
        "the other browser too"
    );
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        while stream.chunk().await.expect("read").is_some() {}
    })
    .await;
    assert!(closed.is_ok(), "its open stream ends");

    let bob = app.as_user("bob@example.com").await;
    let alice = app.as_user("alice@example.com").await;
    let by_customer = bob
        .send_json(
            reqwest::Method::DELETE,
            "/api/v1/users/alice@example.com/sessions",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(by_customer.status(), 403);
    assert_eq!(alice.get("/api/v1/session").await.status(), 200);
    let admin = app.as_user("ops@example.com").await;
    let by_admin = admin
        .send_json(
            reqwest::Method::DELETE,
            "/api/v1/users/alice@example.com/sessions",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(by_admin.status(), 204);
    assert_eq!(alice.get("/api/v1/session").await.status(), 401);
    assert_eq!(
        bob.get("/api/v1/session").await.status(),
        200,
        "others stay signed in"
    );
}

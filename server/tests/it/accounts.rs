//! Registration, sign-in, sessions, tokens, throttling and CSRF, over real HTTP.

use std::time::Duration;

use app::ssr::auth::throttle::LoginLimits;
use reqwest::header::{AUTHORIZATION, ORIGIN, SET_COOKIE};
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{TestApp, DEMO_PASSWORD};

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("shipwatch_session="))
        .map(str::to_owned)
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_owned()
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn register_sign_in_and_see_only_your_own_shipments(pool: PgPool) {
    let app = TestApp::seeded(pool).await;

    let created = app
        .post_json(
            "/api/v1/users",
            json!({"email": "Carol@Example.com", "password": "correct horse"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let account: Value = created.json().await.expect("json");
    assert_eq!(account, json!({"email": "carol@example.com", "role": "customer"}));

    assert_eq!(
        app.sign_in("carol@example.com", "correct horse").await.status(),
        200
    );
    let list = app.get_json("/api/v1/shipments").await;
    assert_eq!(
        list["shipments"],
        serde_json::json!([]),
        "a new customer owns nothing"
    );
    assert_eq!(list["total"], 0);

    let alice = TestApp {
        client: TestApp::browser(),
        ..app
    };
    alice.sign_in_ok("alice@example.com").await;
    let list = alice.get_json("/api/v1/shipments?limit=200").await;
    let list = list["shipments"].as_array().cloned().unwrap_or_default();
    let mine = crate::helpers::tracking_numbers_of(&alice.pool, "alice@example.com").await;
    let mut seen: Vec<String> = list
        .iter()
        .map(|s| s["tracking_number"].as_str().unwrap_or_default().to_owned())
        .collect();
    seen.sort();
    assert_eq!(seen, mine, "exactly alice's 60 shipments");
    assert_eq!(seen.len(), 60);
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn registration_refuses_bad_input_with_field_errors(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    for (body, field) in [
        (
            json!({"email": "not-an-email", "password": "long enough pw"}),
            "email",
        ),
        (
            json!({"email": "dan@example.com", "password": "short"}),
            "password",
        ),
    ] {
        let response = app.post_json("/api/v1/users", body).await;
        assert_eq!(response.status(), 422);
        assert_eq!(response.headers()["content-type"], "application/problem+json");
        let problem: Value = response.json().await.expect("json");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    // An address already in use is a conflict (409), whatever its case.
    let taken = app
        .post_json(
            "/api/v1/users",
            json!({"email": "ALICE@example.com", "password": "long enough pw"}),
        )
        .await;
    assert_eq!(taken.status(), 409);
    let malformed = app
        .client
        .post(app.url("/api/v1/users"))
        .header(ORIGIN, app.origin())
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(malformed.status(), 422);
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn the_session_cookie_is_http_only_lax_and_renewed_at_sign_in(pool: PgPool) {
    let app = TestApp::seeded(pool).await;

    // A visitor gets a session before signing in (a failed attempt stores nothing,
    // so plant one through a page that touches the session).
    let anonymous = app.get("/login").await;
    let before = session_cookie(&anonymous);

    let response = app.sign_in("alice@example.com", DEMO_PASSWORD).await;
    assert_eq!(response.status(), 200);
    let cookie = session_cookie(&response).expect("session cookie set at sign-in");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http in tests: {cookie}");
    if let Some(before) = before {
        assert_ne!(
            cookie_value(&before),
            cookie_value(&cookie),
            "session id changes at sign-in"
        );
    }

    // Sign in again from the same browser: the id changes again.
    let again = app.sign_in("alice@example.com", DEMO_PASSWORD).await;
    let renewed = session_cookie(&again).expect("cookie");
    assert_ne!(
        cookie_value(&renewed),
        cookie_value(&cookie),
        "session id changes at every sign-in"
    );
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn after_sign_out_the_old_cookie_gets_401(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let response = app.sign_in("alice@example.com", DEMO_PASSWORD).await;
    let cookie = cookie_value(&session_cookie(&response).expect("cookie"));
    assert_eq!(app.get("/api/v1/session").await.status(), 200);

    let out = app
        .client
        .delete(app.url("/api/v1/session"))
        .header(ORIGIN, app.origin())
        .send()
        .await
        .expect("delete");
    assert_eq!(out.status(), 204);

    // Replay the old cookie from a client that kept it.
    let replay = reqwest::Client::new()
        .get(app.url("/api/v1/shipments"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("replay");
    assert_eq!(replay.status(), 401);
    assert_eq!(replay.headers()["content-type"], "application/problem+json");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM tower_sessions.session")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(rows, 0, "the session is deleted server-side");
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn unknown_email_and_wrong_password_get_byte_identical_answers(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let unknown = app.sign_in("nobody@example.com", "whatever password").await;
    let wrong = app.sign_in("alice@example.com", "whatever password").await;
    assert_eq!(unknown.status(), 401);
    assert_eq!(wrong.status(), 401);
    let header_names = |r: &reqwest::Response| {
        let mut names: Vec<String> = r
            .headers()
            .keys()
            .map(|k| k.as_str().to_owned())
            .filter(|k| k != "date")
            .collect();
        names.sort();
        names
    };
    assert_eq!(header_names(&unknown), header_names(&wrong));
    let (unknown, wrong) = (
        unknown.bytes().await.expect("body"),
        wrong.bytes().await.expect("body"),
    );
    assert_eq!(unknown, wrong);
    assert!(String::from_utf8_lossy(&wrong).contains("email address or password"));
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn the_eleventh_wrong_password_gets_429_and_success_resets_the_count(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    for attempt in 1..=10 {
        let response = app.sign_in("bob@example.com", "wrong password").await;
        assert_eq!(response.status(), 401, "attempt {attempt}");
    }
    let eleventh = app.sign_in("bob@example.com", "wrong password").await;
    assert_eq!(eleventh.status(), 429);
    let retry_after: u64 = eleventh.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    // Even the right password waits: that is the point.
    assert_eq!(app.sign_in("bob@example.com", DEMO_PASSWORD).await.status(), 429);
    // Another account is not affected.
    assert_eq!(
        app.sign_in("alice@example.com", DEMO_PASSWORD).await.status(),
        200
    );

    // A success resets the count (shown with a short window that has passed).
    let quick = TestApp::spawn_configured(app.pool.clone(), |config| {
        config.login_limits = LoginLimits {
            per_email: 2,
            per_client: 100,
            window: Duration::from_secs(3600),
            ..LoginLimits::default()
        }
    })
    .await;
    assert_eq!(
        quick.sign_in("ops@example.com", "wrong password").await.status(),
        401
    );
    assert_eq!(
        quick.sign_in("ops@example.com", DEMO_PASSWORD).await.status(),
        200
    );
    assert_eq!(
        quick.sign_in("ops@example.com", "wrong password").await.status(),
        401
    );
    assert_eq!(
        quick.sign_in("ops@example.com", DEMO_PASSWORD).await.status(),
        200,
        "count was reset"
    );
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn one_client_spraying_many_emails_is_stopped(pool: PgPool) {
    let app = TestApp::spawn_configured(pool, |config| {
        config.login_limits = LoginLimits {
            per_email: 10,
            per_client: 5,
            window: Duration::from_secs(900),
            ..LoginLimits::default()
        }
    })
    .await;
    for i in 0..5 {
        assert_eq!(
            app.sign_in(&format!("user{i}@example.com"), "guess guess")
                .await
                .status(),
            401
        );
    }
    assert_eq!(
        app.sign_in("user9@example.com", "guess guess").await.status(),
        429
    );
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_cross_origin_cookie_post_is_refused_but_bearer_requests_are_not(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let number = crate::helpers::tracking_numbers_of(&app.pool, "alice@example.com")
        .await
        .remove(0);

    // Signed in as the operator, a forged form post from another site.
    app.sign_in_ok("ops@example.com").await;
    let path = format!("/api/v1/shipments/{number}/events");
    let forged = app
        .client
        .post(app.url(&path))
        .header(ORIGIN, "http://evil.example")
        .json(&json!({"status": "exception"}))
        .send()
        .await
        .expect("request");
    assert_eq!(forged.status(), 403);
    let no_origin = app
        .client
        .post(app.url(&path))
        .json(&json!({"status": "exception"}))
        .send()
        .await
        .expect("request");
    assert_eq!(no_origin.status(), 403, "no Origin or Referer: refused");
    let form = app
        .client
        .post(app.url("/logout"))
        .header(ORIGIN, "http://evil.example")
        .send()
        .await
        .expect("request");
    assert_eq!(form.status(), 403, "forms are protected too");

    // A bearer token needs no Origin: a browser never attaches one by itself.
    let email = app::domain::Email::parse("ops@example.com").expect("email");
    let (_, token) = app::ssr::auth::tokens::create_token(&app.pool, &email, "scanner", None)
        .await
        .expect("token");
    let with_token = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/shipments/{number}")))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .expect("request");
    assert_eq!(with_token.status(), 200);
}

/// The demo on a running app, and a new API token of the demo operator's
/// (its id and its secret).
async fn with_an_operators_token(pool: PgPool) -> (TestApp, i64, String) {
    let app = TestApp::seeded(pool).await;
    let email = app::domain::Email::parse("ops@example.com").expect("email");
    let (id, token) = app::ssr::auth::tokens::create_token(&app.pool, &email, "depot scanner", None)
        .await
        .expect("token");
    (app, id, token)
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_bearer_token_works_until_it_is_revoked(pool: PgPool) {
    let (app, id, token) = with_an_operators_token(pool).await;
    let number: String = sqlx::query_scalar(
        "SELECT s.tracking_number FROM shipments s JOIN users u ON u.id = s.owner_id
         WHERE u.email = 'bob@example.com' AND s.status = 'in_transit' LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .expect("one of bob's shipments in transit");
    let client = reqwest::Client::new();
    let response = client
        .post(app.url(&format!("/api/v1/shipments/{number}/events")))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .json(&json!({"status": "out_for_delivery", "location": "Depot 4"}))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 201);
    let event: Value = response.json().await.expect("json");
    assert_eq!(event["actor"], "ops@example.com");
    assert_eq!(event["status"], "out_for_delivery");

    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM api_tokens WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .expect("hash");
    assert_ne!(stored, token.as_bytes(), "only a hash is stored");

    app::ssr::auth::tokens::revoke_token(&app.pool, id)
        .await
        .expect("revoke");
    let after = client
        .get(app.url("/api/v1/shipments"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .expect("request");
    assert_eq!(after.status(), 401);
    let garbage = client
        .get(app.url("/api/v1/shipments"))
        .header(AUTHORIZATION, "Bearer swt_not-a-token")
        .send()
        .await
        .expect("request");
    assert_eq!(garbage.status(), 401);
}

/// A token's `last_used_at` is refreshed at most once a minute, and the
/// refresh never makes a request wait: when many requests with one token
/// find it due at once, one of them writes it and the others go on. (They
/// used to queue on the token's row, each behind the previous one's commit:
/// 19 refreshes of 15.7 ms each within 10 s under 32 writers, BENCHMARKS.md
/// issue 14.) Here another transaction holds the row while a request comes in.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_request_does_not_wait_for_another_to_refresh_its_tokens_last_use(pool: PgPool) {
    let (app, id, token) = with_an_operators_token(pool).await;
    // Due for a refresh, and held by someone refreshing it right now.
    let mut refreshing = app.pool.begin().await.expect("begin");
    sqlx::query("UPDATE api_tokens SET last_used_at = now() - interval '1 hour' WHERE id = $1")
        .bind(id)
        .execute(&mut *refreshing)
        .await
        .expect("hold the token's row");

    let answered = tokio::time::timeout(
        Duration::from_secs(5),
        reqwest::Client::new()
            .get(app.url("/api/v1/shipments"))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .send(),
    )
    .await
    .expect("the request waited for the other refresh")
    .expect("request");
    assert_eq!(answered.status(), 200);
    refreshing.rollback().await.expect("rollback");
}

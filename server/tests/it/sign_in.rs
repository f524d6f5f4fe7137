//! Sign-in and registration under attack: bounded input, safe redirects,
//! throttles that parallel guesses cannot slip past, hashing that one client
//! cannot monopolise, and messages a link cannot write.

use std::time::Duration;

use app::ssr::auth::throttle::LoginLimits;
use app::ssr::web::TrustedProxies;
use sqlx::PgPool;

use crate::helpers::{TestApp, DEMO_PASSWORD};

/// Signing in with `next` only ever lands on a path of ours: every known
/// open-redirect trick goes to `/`.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn sign_in_redirects_only_to_our_own_paths(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
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

/// Sign-in bounds its input before the database or a hash sees it: a 1.5 MB
/// password or a 300 KB email is a 422, not an argon2 run or a query.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn sign_in_refuses_oversized_input_before_hashing(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let long_password = app.sign_in("alice@example.com", &"x".repeat(1_500_000)).await;
    assert_eq!(long_password.status(), 422);
    let problem: serde_json::Value = long_password.json().await.expect("problem");
    assert_eq!(problem["errors"][0]["field"], "password");
    let long_email = app
        .sign_in(&format!("{}@example.com", "a".repeat(300_000)), DEMO_PASSWORD)
        .await;
    assert_eq!(long_email.status(), 422);
    assert_eq!(
        app.sign_in("alice@example.com", &"x".repeat(129)).await.status(),
        422
    );
    app.sign_in_ok("alice@example.com").await;
}

fn quick_limits(per_email: i64, per_client: i64) -> LoginLimits {
    LoginLimits {
        per_email,
        per_client,
        window: Duration::from_secs(900),
        ..LoginLimits::default()
    }
}

/// One client firing many sign-ins at once cannot queue password hashes in
/// front of everybody else: beyond two in progress it is told to wait (429,
/// no hashing), and alice, elsewhere, signs in normally meanwhile.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn one_client_cannot_queue_up_password_hashing(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let flooder = app.seen_from("127.0.0.2");
    let flood = (0..12).map(|i| {
        let flooder = flooder.clone();
        async move {
            flooder
                .sign_in(&format!("nobody{i}@example.com"), "guess guess")
                .await
                .status()
                .as_u16()
        }
    });
    let alice = app.seen_from("127.0.0.3");
    let (statuses, alice_status) = tokio::join!(
        futures::future::join_all(flood),
        alice.sign_in("alice@example.com", DEMO_PASSWORD)
    );
    assert_eq!(alice_status.status(), 200);
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(refused >= 6, "most of the burst waits: {statuses:?}");
    assert!(statuses.iter().all(|s| *s == 429 || *s == 401), "{statuses:?}");
}

/// Registrations are counted per client: the 11th account from one address
/// within the hour is refused with 429 and Retry-After; another address can
/// still register, and a taken email is refused without creating anything.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn registrations_from_one_client_are_limited(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let one = app.seen_from("127.0.0.2");
    let register = |who: TestApp, email: String| async move {
        who.post_json(
            "/api/v1/users",
            serde_json::json!({"email": email, "password": "a long enough password"}),
        )
        .await
    };
    for i in 0..10 {
        let response = register(one.clone(), format!("new{i}@example.com")).await;
        assert_eq!(response.status(), 201, "registration {i}");
    }
    let eleventh = register(one.clone(), "new10@example.com".into()).await;
    assert_eq!(eleventh.status(), 429);
    assert!(eleventh.headers().contains_key("retry-after"));
    let other = app.seen_from("127.0.0.3");
    assert_eq!(
        register(other.clone(), "elsewhere@example.com".into())
            .await
            .status(),
        201
    );
    let taken = register(other, "new0@example.com".into()).await;
    assert_eq!(taken.status(), 409);
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(accounts, 11);
}

/// Failed sign-ins by someone else — on other accounts from alice's network,
/// and on alice's own email from anywhere — do not lock alice out of the
/// browser she has signed in with before (OWASP's device cookie). A browser
/// she has never used is still locked out, and her own browser has its own
/// allowance of wrong passwords.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn others_failing_cannot_lock_alice_out_of_her_own_browser(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let app = TestApp::spawn_configured(pool, |config| config.login_limits = quick_limits(3, 5)).await;
    let alices_browser = app.seen_from("127.0.0.2");
    alices_browser.sign_in_ok("alice@example.com").await;

    let office_neighbour = app.seen_from("127.0.0.2");
    for i in 0..5 {
        office_neighbour
            .sign_in(&format!("user{i}@example.com"), "guess guess")
            .await;
    }
    assert_eq!(
        office_neighbour
            .sign_in("someone@example.com", "guess guess")
            .await
            .status(),
        429,
        "the shared address is throttled"
    );
    let attacker = app.seen_from("127.0.0.4");
    for _ in 0..3 {
        attacker.sign_in("alice@example.com", "guess guess").await;
    }
    assert_eq!(
        attacker
            .sign_in("alice@example.com", DEMO_PASSWORD)
            .await
            .status(),
        429,
        "alice's email is throttled for unknown browsers"
    );

    assert_eq!(
        alices_browser
            .sign_in("alice@example.com", DEMO_PASSWORD)
            .await
            .status(),
        200,
        "alice's own browser still gets in"
    );
    let new_browser = app.seen_from("127.0.0.2");
    assert_eq!(
        new_browser
            .sign_in("alice@example.com", DEMO_PASSWORD)
            .await
            .status(),
        429
    );
    for _ in 0..3 {
        assert_eq!(
            alices_browser
                .sign_in("alice@example.com", "typo typo")
                .await
                .status(),
            401
        );
    }
    assert_eq!(
        alices_browser
            .sign_in("alice@example.com", DEMO_PASSWORD)
            .await
            .status(),
        429,
        "the browser's own allowance is used up"
    );
}

/// Parallel guesses cannot slip past the limit: an attempt is counted
/// before its password is checked, so of 12 simultaneous wrong passwords
/// for bob (from 12 addresses) exactly 3 are checked, the rest get 429.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn parallel_guesses_cannot_pass_the_limit(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let app = TestApp::spawn_configured(pool, |config| config.login_limits = quick_limits(3, 100)).await;
    let guesses = (0..12).map(|i| {
        let guesser = app.seen_from(&format!("127.0.1.{}", i + 1));
        async move {
            guesser
                .sign_in("bob@example.com", &format!("guess number {i}"))
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(checked, 3, "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        12 - checked,
        "{statuses:?}"
    );
}

/// Behind a configured proxy, clients are told apart by the address the
/// proxy forwarded; without that setting, forwarded headers are ignored
/// (anyone could send them) and the peer is the client.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn clients_behind_a_trusted_proxy_are_counted_apart(pool: PgPool) {
    let behind_proxy = TestApp::spawn_configured(pool.clone(), |config| {
        config.login_limits = quick_limits(100, 3);
        config.trusted_proxies = TrustedProxies::parse("127.0.0.1").expect("list");
    })
    .await;
    let sign_in_via = |app: &TestApp, forwarded_for: &str, i: usize| {
        app.client
            .post(app.url("/api/v1/session"))
            .header("origin", app.origin())
            .header("x-forwarded-for", forwarded_for)
            .json(&serde_json::json!({"email": format!("user{i}@example.com"), "password": "guess guess"}))
            .send()
    };
    for i in 0..3 {
        let response = sign_in_via(&behind_proxy, "203.0.113.5", i)
            .await
            .expect("sign in");
        assert_eq!(response.status(), 401);
    }
    let status = |r: Result<reqwest::Response, reqwest::Error>| r.expect("sign in").status().as_u16();
    assert_eq!(status(sign_in_via(&behind_proxy, "203.0.113.5", 9).await), 429);
    assert_eq!(
        status(sign_in_via(&behind_proxy, "203.0.113.6", 9).await),
        401,
        "another client behind the same proxy is not throttled"
    );

    let no_proxy = TestApp::spawn_configured(pool, |config| config.login_limits = quick_limits(100, 3)).await;
    for (i, forged) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        .iter()
        .enumerate()
    {
        assert_eq!(status(sign_in_via(&no_proxy, forged, i).await), 401);
    }
    assert_eq!(
        status(sign_in_via(&no_proxy, "198.51.100.4", 9).await),
        429,
        "forged X-Forwarded-For does not make a new client"
    );
}

/// The sign-in and registration pages say only what we wrote: a link with
/// its own `error=` text shows a generic message, not the text; a real
/// refusal comes back as a code and reads as before.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn sign_in_messages_cannot_be_written_by_a_link(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let spoof = "Your account is suspended. Call +1 555 0100";
    for page in ["/login", "/register"] {
        let body = app
            .get(&format!(
                "{page}?error={}",
                spoof.replace(' ', "%20").replace('+', "%2B")
            ))
            .await
            .text()
            .await
            .expect("html");
        assert!(!body.contains("555 0100"), "{page} repeats the link's text");
        assert!(body.contains("that did not work; please try again"), "{page}");
    }
    let refused = app
        .client
        .post(app.url("/login"))
        .header("origin", app.origin())
        .form(&[("email", "alice@example.com"), ("password", "not her password")])
        .send()
        .await
        .expect("sign in");
    let location = refused.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(location.starts_with("/login?error=credentials&"), "{location}");
    let body = app.get(&location).await.text().await.expect("html");
    assert!(body.contains("the email address or password is not right"));
}

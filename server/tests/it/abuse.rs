//! Abuse cases (issue 12): what a hostile client sends, and that it gets
//! nowhere.

use std::time::Duration;

use app::ssr::auth::throttle::LoginLimits;
use app::ssr::web::TrustedProxies;
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

/// An event dated more than 5 minutes ahead of the server's clock is refused:
/// it would pin the shipment's "last update" and the list order in the future.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn an_event_dated_in_the_future_is_refused(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let app = TestApp::spawn(pool.clone()).await;
    let ops = app.as_user("ops@example.com").await;
    let number = crate::helpers::shipments_of(&pool, "%", "in_transit")
        .await
        .remove(0);
    let at = |minutes: i64| (chrono::Utc::now() + chrono::Duration::minutes(minutes)).to_rfc3339();
    let post = |occurred_at: String| {
        let ops = ops.clone();
        let number = number.clone();
        async move {
            ops.post_json(
                &format!("/api/v1/shipments/{number}/events"),
                serde_json::json!({"status": "in_transit", "occurred_at": occurred_at}),
            )
            .await
        }
    };
    let ahead = post(at(8)).await;
    assert_eq!(ahead.status(), 422);
    let problem: serde_json::Value = ahead.json().await.expect("problem");
    assert_eq!(problem["errors"][0]["field"], "occurred_at");
    assert_eq!(
        post(at(4)).await.status(),
        201,
        "scanner clocks may drift a little"
    );
}

/// Sign-in bounds its input before the database or a hash sees it: a 1.5 MB
/// password or a 300 KB email is a 422, not an argon2 run or a query.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn sign_in_refuses_oversized_input_before_hashing(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let app = TestApp::spawn(pool).await;
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

/// Every response carries the browser defences: no sniffing, no framing, no
/// full URLs in Referer to other sites.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn responses_carry_browser_defences(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for path in ["/login", "/api/v1/session", "/healthz"] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        let csp = headers["content-security-policy"].to_str().expect("csp");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            headers.get("strict-transport-security").is_none(),
            "plain http: no HSTS"
        );
    }
}

/// One account may hold 16 live streams (every browser shares one among its
/// tabs); the 17th is refused with 429 and `Retry-After`, and a slot frees up
/// when a stream closes.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn one_account_cannot_hold_more_than_16_streams(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let app = TestApp::spawn(pool).await;
    let alice = app.as_user("alice@example.com").await;
    let mut open = Vec::new();
    for _ in 0..16 {
        let stream = alice.get("/api/events").await;
        assert_eq!(stream.status(), 200);
        open.push(stream);
    }
    let refused = alice.get("/api/events").await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
    let problem: serde_json::Value = refused.json().await.expect("problem");
    assert!(problem["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("16 live connections"));
    // Someone else is not affected.
    assert_eq!(
        app.as_user("bob@example.com")
            .await
            .get("/api/events")
            .await
            .status(),
        200
    );

    drop(open.pop());
    let mut reopened = false;
    for _ in 0..100 {
        let again = alice.get("/api/events").await;
        if again.status() == 200 {
            reopened = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(reopened, "a closed stream frees its slot");
}

/// Guessing a shipment's postcode to watch it is stopped: after 20 refused
/// attempts in 15 minutes every further one is 429 (even the right postcode),
/// and other users are not affected.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn guessing_a_postcode_to_watch_is_throttled(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let (number, postcode): (String, String) = sqlx::query_as(
        "SELECT s.tracking_number, s.destination_postal_code FROM shipments s JOIN users u ON u.id = s.owner_id
         WHERE u.email = 'bob@example.com' ORDER BY s.id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .expect("bob's shipment");
    let app = TestApp::spawn(pool).await;
    let alice = app.as_user("alice@example.com").await;
    let watch = |who: TestApp, postal_code: String| {
        let number = number.clone();
        async move {
            who.post_json(
                "/api/v1/watches",
                serde_json::json!({"tracking_number": number, "postal_code": postal_code}),
            )
            .await
        }
    };
    let mut statuses = Vec::new();
    for guess in 0..30 {
        statuses.push(
            watch(alice.clone(), format!("{guess:05}"))
                .await
                .status()
                .as_u16(),
        );
    }
    assert!(statuses[..20].iter().all(|s| *s == 404), "{statuses:?}");
    assert!(statuses[20..].iter().all(|s| *s == 429), "{statuses:?}");
    let right = watch(alice.clone(), postcode.clone()).await;
    assert_eq!(right.status(), 429, "still throttled, even when right");
    assert!(right.headers().contains_key("retry-after"));
    let carol = app.as_user("ops@example.com").await;
    assert_ne!(
        watch(carol, postcode).await.status(),
        429,
        "others are not affected"
    );
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
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let app = TestApp::spawn(pool).await;
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
    let app = TestApp::spawn_with_limits(pool, quick_limits(3, 5)).await;
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
    let app = TestApp::spawn_with_limits(pool, quick_limits(3, 100)).await;
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

    let no_proxy = TestApp::spawn_with_limits(pool, quick_limits(100, 3)).await;
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

/// Once shutdown begins, open streams end (their browsers resume on another
/// instance), and a stream asked for during the drain opens with its resume
/// point and ends at once, instead of staying open past the drain or being
/// refused with a 503 that a proxy would pass on while another instance is
/// restarting too. A long-poll answers at once with no news and its cursor.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn streams_end_and_new_ones_end_at_once_once_shutdown_begins(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let app = TestApp::spawn(pool).await;
    let alice = app.as_user("alice@example.com").await;
    let mut open = alice.get("/api/events").await;
    assert_eq!(open.status(), 200);
    app.hub.shut_down();
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while open.chunk().await.expect("read").is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the open stream ends");
    let late = alice.get("/api/events").await;
    assert_eq!(late.status(), 200, "a stream during the drain is not an error");
    let body = tokio::time::timeout(Duration::from_secs(10), late.text())
        .await
        .expect("a stream during the drain ends at once")
        .expect("body");
    assert!(
        body.contains("retry: ") && body.contains("\nid: "),
        "it tells the browser where to resume: {body:?}"
    );
    let poll = tokio::time::timeout(Duration::from_secs(10), alice.get("/api/v1/events"))
        .await
        .expect("a long-poll during the drain answers at once");
    assert_eq!(poll.status(), 200);
    let page: serde_json::Value = poll.json().await.expect("page");
    assert_eq!(page["events"], serde_json::json!([]));
    assert!(page["cursor"].is_i64(), "with its cursor: {page}");
}

/// Pages allow only scripts carrying this response's nonce (a fresh one each
/// time) or from our origin; every inline script the page has carries it.
/// Other responses allow nothing at all.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn pages_run_only_scripts_with_their_nonce(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let app = TestApp::spawn(pool).await;
    let alice = app.as_user("alice@example.com").await;
    let mut nonces = Vec::new();
    for path in ["/", "/login"] {
        let response = alice.get(path).await;
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .expect("ascii")
            .to_owned();
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("{path}: no nonce in {policy}"))
            .to_owned();
        assert!(
            policy.contains("frame-ancestors 'none'") && !policy.contains(" 'unsafe-eval'"),
            "{policy}"
        );
        let body = response.text().await.expect("html");
        let scripts: Vec<&str> = body.split("<script").skip(1).collect();
        assert!(!scripts.is_empty(), "{path} has scripts");
        for script in scripts {
            let tag = script.split('>').next().unwrap_or_default();
            assert!(
                tag.contains(&format!("nonce=\"{nonce}\"")) || tag.contains("src="),
                "{path}: inline script without the nonce: <script{tag}>"
            );
        }
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "a fresh nonce per response");
    let api = alice.get("/api/v1/session").await;
    assert!(api.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .starts_with("default-src 'none'"));
}

/// The sign-in and registration pages say only what we wrote: a link with
/// its own `error=` text shows a generic message, not the text; a real
/// refusal comes back as a code and reads as before.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn sign_in_messages_cannot_be_written_by_a_link(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let app = TestApp::spawn(pool).await;
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

/// Problem reports reach the depot's queue, so one customer cannot flood
/// it: 20 an hour, then 429 with Retry-After; others can still report.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn problem_reports_are_limited_per_user_per_hour(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let numbers = crate::helpers::tracking_numbers_of(&pool, "alice@example.com").await;
    let app = TestApp::spawn(pool).await;
    let alice = app.as_user("alice@example.com").await;
    let report = |who: TestApp, i: usize| {
        let number = numbers[i % numbers.len()].clone();
        async move {
            who.post_json(
                &format!("/api/v1/shipments/{number}/problems"),
                serde_json::json!({"description": format!("problem {i}")}),
            )
            .await
        }
    };
    for i in 0..20 {
        assert_eq!(report(alice.clone(), i).await.status(), 201, "report {i}");
    }
    let flood = report(alice.clone(), 20).await;
    assert_eq!(flood.status(), 429);
    assert!(flood.headers().contains_key("retry-after"));
    let ops = app.as_user("ops@example.com").await;
    assert_eq!(report(ops, 0).await.status(), 201, "others are not affected");
}

/// The embedded database asks for a password: the server's URL carries the
/// secret generated with the cluster (kept 0600 in its data directory), and
/// a local account connecting without it is refused.
#[tokio::test]
async fn the_embedded_database_refuses_connections_without_its_secret() {
    use std::os::unix::fs::PermissionsExt as _;
    let (url, _throwaway) = crate::outage::throwaway_cluster("auth-test").await;
    let base = std::path::PathBuf::from(format!("../target/auth-test-{}", std::process::id()));
    let secret = std::fs::read_to_string(base.join("postgres.secret")).expect("secret");
    let mode = std::fs::metadata(base.join("postgres.secret"))
        .expect("metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "only we can read the secret");
    assert!(
        url.contains(&format!(":{}@", secret.trim())),
        "the URL carries the secret"
    );
    let with_secret = sqlx::PgPool::connect(&url)
        .await
        .expect("connect with the secret");
    with_secret.close().await;
    let without = url.replacen(&format!(":{}@", secret.trim()), "@", 1);
    assert!(
        sqlx::PgPool::connect(&without).await.is_err(),
        "no password, no connection"
    );
    let wrong = url.replacen(secret.trim(), "0123456789abcdef0123456789abcdef", 1);
    assert!(
        sqlx::PgPool::connect(&wrong).await.is_err(),
        "a wrong one neither"
    );
}

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
    let listed: serde_json::Value = admin.get("/api/v1/tokens").await.json().await.expect("tokens");
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

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use crate::helpers::TestApp;

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
    // A listed row, not any mention: the second page's live list carries
    // the first page's last row in its cursor (the island's props).
    let row = |number: &str| format!(r#"data-tracking-number="{number}""#);
    for number in &numbers {
        assert!(
            first.contains(&row(number)) != second.contains(&row(number)),
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

/// A session past its absolute lifetime (`SHIPWATCH_SESSION_MAX_DAYS`) is
/// signed out for pages as for data: a page redirects to sign in instead of
/// rendering a signed-in shell whose data calls answer 401.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_page_opened_with_a_session_past_its_lifetime_goes_to_sign_in(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let app = TestApp::spawn_configured(pool, |config| config.session.lifetime = Duration::ZERO).await;
    app.sign_in_ok("alice@example.com").await;
    let response = app.get("/notifications").await;
    assert_eq!(response.status(), 303, "redirected, not a signed-in shell");
    assert_eq!(response.headers()["location"], "/login?next=/notifications");
    let whoami = app.get("/api/v1/session").await;
    assert_eq!(whoami.status(), 401, "and the data says the same");
}

/// `HEAD` answers as `GET` would, without the body: the same status and
/// headers, signed out (the redirect to sign in) and signed in (the page).
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn head_answers_a_page_as_get_does(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    for signed_in in [false, true] {
        if signed_in {
            app.sign_in_ok("alice@example.com").await;
        }
        for path in ["/", "/notifications"] {
            let get = app.get(path).await;
            let head = app.client.head(app.url(path)).send().await.expect("head");
            assert_eq!(
                head.status(),
                get.status(),
                "HEAD {path} (signed in: {signed_in})"
            );
            for name in ["location", "content-type", "cache-control"] {
                assert_eq!(
                    head.headers().get(name),
                    get.headers().get(name),
                    "{name} of HEAD {path} (signed in: {signed_in})"
                );
            }
            assert!(head.bytes().await.expect("body").is_empty(), "HEAD has no body");
        }
    }
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn an_unknown_page_is_a_404_with_a_way_back(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    app.sign_in_ok("alice@example.com").await;
    let response = app.get("/no-such-page").await;
    assert_eq!(response.status(), 404);
    assert!(response
        .text()
        .await
        .expect("html")
        .contains("Go to your shipments"));
}

/// A shipment with 10,000 events: the page shows the newest 50 (small HTML),
/// "Older events" links to the next page without JavaScript, and the API
/// returns the same pages with a cursor.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_long_history_is_paged_on_the_page_and_in_the_api(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let number: String = sqlx::query_scalar(
        "SELECT s.tracking_number FROM shipments s JOIN users u ON u.id = s.owner_id
         WHERE u.email = 'alice@example.com' ORDER BY s.id LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .expect("a shipment of alice's");
    sqlx::query(
        "INSERT INTO shipment_events (shipment_id, kind, note, occurred_at, recorded_at)
         SELECT s.id, 'problem_reported', 'scan ' || n, now() + make_interval(secs => n / 1000.0), now()
         FROM shipments s, generate_series(1, 10000) n WHERE s.tracking_number = $1",
    )
    .bind(&number)
    .execute(&pool)
    .await
    .expect("10,000 events");
    let app = TestApp::spawn(pool).await;
    app.sign_in_ok("alice@example.com").await;

    let page = app.get(&format!("/shipments/{number}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.len() < 150 * 1024, "the page is {} bytes", html.len());
    assert!(
        html.contains("scan 10000") && html.contains("scan 9951"),
        "the newest 50"
    );
    assert!(!html.contains("scan 9950<"), "not the 51st");
    let older = html
        .split(&format!("href=\"/shipments/{number}?before="))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an Older events link")
        .to_owned();
    let second = app
        .get(&format!("/shipments/{number}?before={older}"))
        .await
        .text()
        .await
        .expect("html");
    assert!(second.contains("scan 9950") && second.contains("scan 9901"));
    assert!(!second.contains("scan 9951<") && !second.contains("scan 10000<"));
    assert!(second.contains("Newest events"));

    let api = |before: Option<String>| {
        let app = app.clone();
        let number = number.clone();
        async move {
            let path = match before {
                Some(cursor) => format!("/api/v1/shipments/{number}?before={cursor}"),
                None => format!("/api/v1/shipments/{number}"),
            };
            app.get(&path)
                .await
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    let mut cursor = None;
    let mut notes = Vec::new();
    for _ in 0..3 {
        let detail = api(cursor.clone()).await;
        let timeline = detail["timeline"].as_array().expect("timeline").clone();
        assert_eq!(timeline.len(), 50);
        notes.extend(
            timeline
                .iter()
                .map(|e| e["note"].as_str().unwrap_or_default().to_owned()),
        );
        cursor = detail["older_events"].as_str().map(str::to_owned);
        assert!(cursor.is_some(), "more pages");
    }
    let expected: Vec<String> = (9851..=10000).rev().map(|n| format!("scan {n}")).collect();
    assert_eq!(notes, expected, "three pages in order, nothing twice or skipped");
    let bad = app
        .get(&format!("/api/v1/shipments/{number}?before=yesterday"))
        .await;
    assert_eq!(bad.status(), 422);
}

/// Starting an app runs every page once without its data, to list the routes;
/// Leptos holds resources back process-wide meanwhile. A page that began
/// loading in that moment used to wait forever (the tests start many apps in
/// one process; a rare page in them never answered).
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn pages_keep_answering_while_another_app_starts_in_the_same_process(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let ops = app.as_user("ops@example.com").await;
    let options = (*app.pool.connect_options()).clone();
    let stop = Arc::new(AtomicBool::new(false));
    let starts = std::thread::spawn({
        let stop = Arc::clone(&stop);
        move || {
            let mut starts = 0;
            while !stop.load(Ordering::Relaxed) {
                // A runtime per start: dropping it ends that app's tasks.
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async {
                    let pool = PgPoolOptions::new()
                        .max_connections(4)
                        .connect_with(options.clone())
                        .await
                        .expect("pool");
                    let addr = "127.0.0.1:0".parse().expect("addr");
                    let config = TestApp::config(addr);
                    server::startup::build_app(pool, config).await.expect("app");
                });
                starts += 1;
            }
            starts
        }
    });

    let pages = [
        ("/", StatusCode::OK, "shipments on this page"),
        (
            "/admin",
            StatusCode::FORBIDDEN,
            "This page is not for your account",
        ),
    ];
    for round in 0..100 {
        for (path, expected, shown) in pages {
            let page = tokio::time::timeout(Duration::from_secs(10), async {
                let page = ops.get(path).await;
                (page.status(), page.text().await.expect("html"))
            })
            .await;
            let Ok((status, html)) = page else {
                panic!("request {round}: {path} did not answer within 10 s while apps were starting");
            };
            assert_eq!(status, expected, "request {round}: {path}");
            assert!(html.contains(shown), "request {round}: {path} shows {shown:?}");
        }
    }
    stop.store(true, Ordering::Relaxed);
    let starts = starts.join().expect("starts");
    assert!(starts > 0, "another app started meanwhile");
}

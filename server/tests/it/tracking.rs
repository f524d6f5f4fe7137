//! The public tracking page: no account, a throttled lookup by tracking
//! number and postcode, a shareable link without the postcode, a view that
//! reveals nothing private, and a live stream authorised by a short-lived
//! token.

use std::time::Duration;

use serde_json::json;
use sqlx::PgPool;

use crate::helpers::sse::{self, Sse};
use crate::helpers::{shipments_of, TestApp};

async fn postcode_of(pool: &PgPool, number: &str) -> String {
    sqlx::query_scalar("SELECT destination_postal_code FROM shipments WHERE tracking_number = $1")
        .bind(number)
        .fetch_one(pool)
        .await
        .expect("postcode")
}

/// Posts the lookup form as a browser without an account would.
async fn look_up(app: &TestApp, client: &reqwest::Client, number: &str, postcode: &str) -> reqwest::Response {
    client
        .post(app.url("/track"))
        .header("Origin", app.origin())
        .form(&[("tracking_number", number), ("postal_code", postcode)])
        .send()
        .await
        .expect("lookup")
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().expect("ascii").to_owned()
}

/// The page's data behind a link, through its server function.
async fn view(app: &TestApp, client: &reqwest::Client, link: &str) -> reqwest::Response {
    client
        .post(app.url("/api/tracking_page"))
        .header("Origin", app.origin())
        .form(&[("link", link)])
        .send()
        .await
        .expect("view")
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn anyone_with_number_and_postcode_follows_a_shipment_live_and_sees_nothing_private(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let number = shipments_of(&pool, "alice@%", "in_transit").await.remove(0);
    let number = number.as_str();
    let postcode = postcode_of(&pool, number).await;
    // Private things on it: instructions, a problem report, an operator's note.
    let alice = app.as_user("alice@example.com").await;
    let set = alice
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/shipments/{number}/instructions"),
            json!({ "instructions": "Key under the blue flowerpot" }),
        )
        .await;
    assert!(set.status().is_success());
    let reported = alice
        .post_json(
            &format!("/api/v1/shipments/{number}/problems"),
            json!({ "description": "Box was wet" }),
        )
        .await;
    assert!(reported.status().is_success());

    let visitor = TestApp::browser();
    let wrong = look_up(&app, &visitor, number, "ZZ9 9ZZ").await;
    assert_eq!(wrong.status(), 303);
    let back = location(&wrong);
    assert!(back.starts_with("/track?error=not-found"), "{back}");
    assert!(!back.contains("ZZ9"), "the postcode stays out of URLs");

    let found = look_up(&app, &visitor, &number.to_lowercase(), &postcode.to_lowercase()).await;
    assert_eq!(found.status(), 303);
    let link = location(&found);
    let token = link.strip_prefix("/track/").expect("a tracking link").to_owned();
    let squashed = postcode.replace(' ', "");
    assert!(
        !link.contains(&postcode) && !link.contains(&squashed),
        "no postcode in the link"
    );

    // The page, signed out: status, timeline; nothing private.
    let page = visitor.get(app.url(&link)).send().await.expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains(number) && html.contains("In transit"));
    for private in [
        "@example.com",
        "flowerpot",
        "Box was wet",
        "Sorted at hub",
        "Depot operator",
        &postcode,
    ] {
        assert!(!html.contains(private), "the public page shows {private:?}");
    }
    let data: serde_json::Value = view(&app, &visitor, &token).await.json().await.expect("view");
    let stream_token = data["stream_token"].as_str().expect("stream token").to_owned();
    let text = data.to_string();
    assert!(!text.contains("@example.com") && !text.contains("flowerpot") && !text.contains("note"));

    // Live: a change posted by an operator reaches the public stream.
    let stream = visitor
        .get(app.url(&format!("/api/track/events?token={stream_token}")))
        .send()
        .await
        .expect("stream");
    assert_eq!(stream.status(), 200);
    let mut events = Sse::over(stream);
    let operator = app.as_user("ops@example.com").await;
    let posted = operator
        .post_json(
            &format!("/api/v1/shipments/{number}/events"),
            json!({ "status": "out_for_delivery", "location": "Leeds depot", "note": "Driver: Sam, van 12" }),
        )
        .await;
    assert_eq!(posted.status(), 201);
    let update = events
        .next_named("update", Duration::from_secs(10))
        .await
        .expect("the change arrives")
        .data;
    let update: serde_json::Value = serde_json::from_str(&update).expect("json");
    assert_eq!(update["status"], "out_for_delivery");
    assert_eq!(update["event"]["location"], "Leeds depot");
    assert!(
        !update.to_string().contains("Sam"),
        "no operator's note: {update}"
    );
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn tokens_keep_to_their_purpose_and_the_lookup_is_throttled(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let number = shipments_of(&pool, "bob@%", "in_transit").await.remove(0);
    let number = number.as_str();
    let postcode = postcode_of(&pool, number).await;
    let visitor = TestApp::browser();
    let link = location(&look_up(&app, &visitor, number, &postcode).await);
    let token = link.strip_prefix("/track/").expect("link").to_owned();

    // A changed link is not found; the page link does not open the stream,
    // nor the stream token the page.
    let mut tampered = token.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    let page = visitor
        .get(app.url(&format!("/track/{tampered}")))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 404);
    let stream = visitor
        .get(app.url(&format!("/api/track/events?token={token}")))
        .send()
        .await
        .expect("stream");
    assert_eq!(stream.status(), 401);
    let data: serde_json::Value = view(&app, &visitor, &token).await.json().await.expect("view");
    let stream_token = data["stream_token"].as_str().expect("token");
    assert_eq!(view(&app, &visitor, stream_token).await.status(), 404);

    // Guessing postcodes from one client runs into the watch form's limit.
    let guesser = TestApp::browser_from("127.0.0.3");
    let mut throttled = false;
    for attempt in 0..70 {
        let response = look_up(&app, &guesser, number, &format!("AB{attempt:02} 1CD")).await;
        if location(&response).contains("error=throttled") {
            throttled = true;
            break;
        }
    }
    assert!(throttled, "60 wrong guesses in 15 minutes are the most");
    // Even the right postcode is refused now, from that client…
    assert!(location(&look_up(&app, &guesser, number, &postcode).await).contains("error=throttled"));
    // … but not from another.
    assert!(
        location(&look_up(&app, &TestApp::browser_from("127.0.0.4"), number, &postcode).await)
            .starts_with("/track/")
    );
}

/// Both live streams, the signed-in one and the public tracking page's, tell
/// the browser the configured reconnect delay (`StreamSettings::retry`).
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn both_streams_tell_the_browser_the_configured_retry(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let app = TestApp::spawn_configured(pool.clone(), |config| {
        config.stream.retry = Duration::from_millis(1234);
    })
    .await;
    let alice = app.as_user("alice@example.com").await;
    let mut own = alice.get("/api/events").await;
    assert_eq!(own.status(), 200);
    let opening = sse::opening(&mut own).await;
    assert!(opening.starts_with("retry: 1234\nid: "), "{opening:?}");

    let number = shipments_of(&pool, "alice@%", "in_transit").await.remove(0);
    let postcode = postcode_of(&pool, number.as_str()).await;
    let visitor = TestApp::browser();
    let found = look_up(&app, &visitor, number.as_str(), &postcode).await;
    let link = location(&found);
    let token = link.strip_prefix("/track/").expect("a tracking link");
    let data: serde_json::Value = view(&app, &visitor, token).await.json().await.expect("view");
    let stream_token = data["stream_token"].as_str().expect("stream token");
    let mut public = visitor
        .get(app.url(&format!("/api/track/events?token={stream_token}")))
        .send()
        .await
        .expect("stream");
    assert_eq!(public.status(), 200);
    assert_eq!(sse::opening(&mut public).await, "retry: 1234\n\n");
}

//! Outgoing webhooks, received by a real HTTP server that verifies every
//! delivery with the reference Standard Webhooks library
//! (`helpers::receiver`).

use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::receiver::{Received, Receiver};
use crate::helpers::{shipments_of, TestApp};

/// Registers an endpoint for the signed-in `who`; returns its id and secret.
async fn register(who: &TestApp, url: &str, topics: &[&str]) -> (i64, String) {
    let response = who
        .post_json("/api/v1/webhooks", json!({"url": url, "topics": topics}))
        .await;
    assert_eq!(response.status(), 201, "registering {url}");
    let body: Value = response.json().await.expect("json");
    let secret = body["secret"].as_str().expect("a secret").to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    (body["endpoint"]["id"].as_i64().expect("an id"), secret)
}

/// The operator posts an in-transit scan to `number` (a legal, repeatable change).
async fn scan(ops: &TestApp, number: &str, note: &str) {
    let response = ops
        .post_json(
            &format!("/api/v1/shipments/{number}/events"),
            json!({"status": "in_transit", "location": "Hub", "note": note}),
        )
        .await;
    assert_eq!(response.status(), 201, "scan of {number}");
}

fn notes(received: &[Received]) -> Vec<String> {
    received
        .iter()
        .map(|r| {
            r.payload.as_ref().expect("verified")["data"]["event"]["note"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// Alice's endpoint gets her changes, in stream order, each verified by the
/// reference library, with a `webhook-id` per event; none of bob's, and
/// none of a shipment she stopped watching.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_customer_receives_what_she_may_see_in_order_and_signed(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let (alice, ops) = (
        app.as_user("alice@example.com").await,
        app.as_user("ops@example.com").await,
    );
    let receiver = Receiver::start();
    let (_, secret) = register(&alice, &receiver.url(), &["status"]).await;
    receiver.set(&[&secret], 200).await;
    let hers = shipments_of(&pool, "alice@example.com", "in_transit").await;
    let bobs = shipments_of(&pool, "bob@example.com", "in_transit").await;

    scan(&ops, bobs[0].as_str(), "bob's first").await;
    for (i, number) in hers.iter().take(3).enumerate() {
        scan(&ops, number.as_str(), &format!("hers {i}")).await;
    }
    scan(&ops, bobs[1].as_str(), "bob's second").await;
    scan(&ops, hers[0].as_str(), "hers 3").await;

    let received = receiver.wait_for(4).await;
    assert!(received.iter().all(|r| r.verified), "{received:#?}");
    assert_eq!(notes(&received), ["hers 0", "hers 1", "hers 2", "hers 3"]);
    let positions: Vec<i64> = received.iter().map(Received::position).collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "in stream order: {positions:?}"
    );
    let ids: std::collections::HashSet<&str> = received.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), 4, "one webhook-id per event");
    assert_eq!(received[0].event_type(), "shipment.status_changed");
    assert_eq!(received[0].payload.as_ref().expect("verified")["version"], 1);

    // She watches bob's shipment, then stops: only the change in between reaches her.
    let postcode: String =
        sqlx::query_scalar("SELECT destination_postal_code FROM shipments WHERE tracking_number = $1")
            .bind(bobs[2].as_str())
            .fetch_one(&pool)
            .await
            .expect("postcode");
    let watched = alice
        .post_json(
            "/api/v1/watches",
            json!({"tracking_number": bobs[2].as_str(), "postal_code": postcode}),
        )
        .await;
    assert_eq!(watched.status(), 201);
    scan(&ops, bobs[2].as_str(), "watched").await;
    receiver.wait_for(5).await;
    let unwatched = alice
        .send_json(
            Method::DELETE,
            &format!("/api/v1/watches/{}", bobs[2].as_str()),
            json!({}),
        )
        .await;
    assert_eq!(unwatched.status(), 204);
    scan(&ops, bobs[2].as_str(), "no longer watched").await;
    scan(&ops, hers[1].as_str(), "hers 4").await;
    let received = receiver.wait_for(6).await;
    assert_eq!(notes(&received)[4..], ["watched", "hers 4"]);
}

/// Topics choose what an endpoint receives: one for problems gets the
/// report and not the status change.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn topics_choose_what_an_endpoint_receives(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let (alice, ops) = (
        app.as_user("alice@example.com").await,
        app.as_user("ops@example.com").await,
    );
    let (problems, notable) = (Receiver::start(), Receiver::start());
    let (_, secret) = register(&ops, &problems.url(), &["problem"]).await;
    problems.set(&[&secret], 200).await;
    let (_, secret) = register(&ops, &notable.url(), &["notable"]).await;
    notable.set(&[&secret], 200).await;
    let hers = shipments_of(&pool, "alice@example.com", "in_transit").await;

    scan(&ops, hers[0].as_str(), "an ordinary scan").await;
    let reported = alice
        .post_json(
            &format!("/api/v1/shipments/{}/problems", hers[0].as_str()),
            json!({"description": "the box is wet"}),
        )
        .await;
    assert_eq!(reported.status(), 201);
    let out = ops
        .post_json(
            &format!("/api/v1/shipments/{}/events", hers[1].as_str()),
            json!({"status": "out_for_delivery", "location": "Depot"}),
        )
        .await;
    assert_eq!(out.status(), 201);

    let received = problems.wait_for(1).await;
    assert_eq!(received[0].event_type(), "shipment.problem_reported");
    let received = notable.wait_for(1).await;
    assert_eq!(
        received[0].tracking_number(),
        hers[1].as_str(),
        "only out-for-delivery is notable"
    );
    // The ordinary scan came first in the log; had it been sent, it would be first.
    assert_eq!(problems.received().await.len(), 1);
    assert_eq!(notable.received().await.len(), 1);
}

/// A receiver that fails gets the same event again, with the same
/// `webhook-id`, until it answers 2xx; nothing after it goes first; the log
/// shows each attempt.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_failing_receiver_gets_the_same_event_again_and_order_is_kept(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let ops = app.as_user("ops@example.com").await;
    let receiver = Receiver::start();
    let (id, secret) = register(&ops, &receiver.url(), &["status"]).await;
    receiver.set(&[&secret], 500).await;
    let numbers = shipments_of(&pool, "alice@example.com", "in_transit").await;
    scan(&ops, numbers[0].as_str(), "first").await;
    scan(&ops, numbers[1].as_str(), "second").await;

    let failed = receiver.wait_for(2).await;
    assert_eq!(failed[0].id, failed[1].id, "a retry keeps its webhook-id");
    assert_eq!(notes(&failed), ["first", "first"], "nothing after it goes first");
    receiver.set(&[&secret], 200).await;
    let received = receiver
        .wait_until(|r| {
            r.last()
                .is_some_and(|last| notes(std::slice::from_ref(last)) == ["second"])
        })
        .await;
    let delivered: Vec<String> = notes(&received).into_iter().filter(|n| n != "first").collect();
    assert_eq!(
        delivered,
        ["second"],
        "delivered once after the retries: {received:#?}"
    );

    let log = ops.get_json(&format!("/api/v1/webhooks/{id}/deliveries")).await;
    let log = log.as_array().expect("a list");
    let newest = &log[0];
    assert_eq!(newest["http_status"], 200);
    let first_tries: Vec<&Value> = log
        .iter()
        .filter(|a| a["webhook_id"] == failed[0].id.as_str())
        .collect();
    assert!(first_tries
        .iter()
        .any(|a| a["http_status"] == 500 && a["attempt"] == 1));
    assert!(first_tries.iter().any(|a| a["http_status"] == 200), "{log:#?}");
    assert!(newest["response_head"]
        .as_str()
        .expect("text")
        .contains("answered 200"));
    let endpoint = ops.get_json(&format!("/api/v1/webhooks/{id}")).await;
    assert_eq!(endpoint["attempts"], 0);
    assert_eq!(endpoint["failing_since"], Value::Null);
}

/// `410 Gone` switches the endpoint off at once, and says why; switched on
/// again, it resumes with the event it stopped at.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn gone_switches_an_endpoint_off_and_on_again_it_resumes(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let ops = app.as_user("ops@example.com").await;
    let receiver = Receiver::start();
    let (id, secret) = register(&ops, &receiver.url(), &["status"]).await;
    receiver.set(&[&secret], 410).await;
    let numbers = shipments_of(&pool, "alice@example.com", "in_transit").await;
    scan(&ops, numbers[0].as_str(), "to a gone receiver").await;
    receiver.wait_for(1).await;

    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let endpoint = loop {
        let endpoint = ops.get_json(&format!("/api/v1/webhooks/{id}")).await;
        if endpoint["enabled"] == false || tokio::time::Instant::now() > deadline {
            break endpoint;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(endpoint["enabled"], false);
    assert_eq!(endpoint["disabled_reason"], "the receiver answered 410 Gone");
    scan(&ops, numbers[1].as_str(), "while off").await;

    receiver.set(&[&secret], 200).await;
    let on = ops
        .send_json(
            Method::PUT,
            &format!("/api/v1/webhooks/{id}/enabled"),
            json!({"enabled": true}),
        )
        .await;
    assert_eq!(on.status(), 200);
    let received = receiver.wait_for(3).await;
    assert_eq!(
        notes(&received),
        ["to a gone receiver", "to a gone receiver", "while off"]
    );
    assert_eq!(received[0].id, received[1].id);
}

/// Replay from a stream position delivers again, in order, with the same
/// `webhook-id`s as the first time.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn replay_from_a_position_delivers_again_with_the_same_ids(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let ops = app.as_user("ops@example.com").await;
    let receiver = Receiver::start();
    let (id, secret) = register(&ops, &receiver.url(), &["status"]).await;
    receiver.set(&[&secret], 200).await;
    let numbers = shipments_of(&pool, "alice@example.com", "in_transit").await;
    for note in ["one", "two", "three"] {
        scan(&ops, numbers[0].as_str(), note).await;
    }
    let first = receiver.wait_for(3).await;

    let replayed = ops
        .post_json(
            &format!("/api/v1/webhooks/{id}/replay"),
            json!({"after": first[0].position()}),
        )
        .await;
    assert_eq!(replayed.status(), 202);
    let received = receiver.wait_for(5).await;
    assert_eq!(notes(&received[3..]), ["two", "three"]);
    assert_eq!(
        [&received[3].id, &received[4].id],
        [&first[1].id, &first[2].id],
        "the same webhook-ids as the first time"
    );
    let refused = ops
        .post_json(
            &format!("/api/v1/webhooks/{id}/replay"),
            json!({"after": 1, "since": "2026-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(refused.status(), 422);
}

/// During a rotation's overlap both secrets sign: a receiver still on the
/// old one and one already on the new one both verify.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn after_a_rotation_both_secrets_verify_during_the_overlap(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let ops = app.as_user("ops@example.com").await;
    let receiver = Receiver::start();
    let (id, old) = register(&ops, &receiver.url(), &["status"]).await;
    let rotated: Value = ops
        .post_json(&format!("/api/v1/webhooks/{id}/secret"), json!({}))
        .await
        .json()
        .await
        .expect("json");
    let new = rotated["secret"].as_str().expect("a new secret");
    assert_ne!(new, old);
    assert!(rotated["previous_secret_until"].is_string());
    // The receiver demands that each of the two verifies.
    receiver.set(&[&old, new], 200).await;
    let numbers = shipments_of(&pool, "alice@example.com", "in_transit").await;
    scan(&ops, numbers[0].as_str(), "rotated").await;
    let received = receiver.wait_for(1).await;
    assert!(received[0].verified, "{received:#?}");
}

/// A change written with plain SQL, by something that is not Shipwatch,
/// reaches webhooks too.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_change_written_with_plain_sql_is_delivered(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let ops = app.as_user("ops@example.com").await;
    let receiver = Receiver::start();
    let (_, secret) = register(&ops, &receiver.url(), &["status"]).await;
    receiver.set(&[&secret], 200).await;
    let number = shipments_of(&pool, "alice@example.com", "in_transit")
        .await
        .remove(0);
    sqlx::raw_sql(&format!(
        "INSERT INTO shipment_events (shipment_id, kind, status, location, note)
           SELECT id, 'status', 'in_transit', 'Depot 7', 'by psql'
           FROM shipments WHERE tracking_number = '{}';",
        number.as_str()
    ))
    .execute(&pool)
    .await
    .expect("plain SQL");
    let received = receiver.wait_for(1).await;
    assert_eq!(notes(&received), ["by psql"]);
}

/// The address rules, on a server that keeps them (as in production):
/// plain http, loopback, the cloud metadata address and a host name that
/// resolves to loopback are refused; a redirect is never followed.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn webhooks_do_not_reach_private_addresses_or_follow_redirects(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let strict = TestApp::spawn_configured(pool.clone(), |config| {
        config.webhooks.policy = Default::default();
    })
    .await;
    let ops = strict.as_user("ops@example.com").await;
    for url in [
        "http://hooks.example.com/",
        "https://127.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:10.0.0.1]/hook",
    ] {
        let refused = ops
            .post_json("/api/v1/webhooks", json!({"url": url, "topics": ["status"]}))
            .await;
        assert_eq!(refused.status(), 422, "{url}");
        let problem: Value = refused.json().await.expect("problem");
        assert_eq!(problem["errors"][0]["field"], "url", "{problem}");
    }
    // A name is checked where it resolves, at every connection.
    let receiver = Receiver::start();
    let (id, secret) = register(
        &ops,
        &format!("https://localhost:{}/hook", receiver.port),
        &["status"],
    )
    .await;
    receiver.set(&[&secret], 200).await;
    let attempt: Value = ops
        .post_json(&format!("/api/v1/webhooks/{id}/test"), json!({}))
        .await
        .json()
        .await
        .expect("attempt");
    assert_eq!(attempt["http_status"], Value::Null);
    assert_eq!(
        attempt["error"],
        "the host resolves only to addresses Shipwatch does not send to"
    );
    assert!(receiver.received().await.is_empty());

    // A redirect is an answer, not a new address to go to.
    let lenient = TestApp::spawn(pool.clone())
        .await
        .as_user("ops@example.com")
        .await;
    let (id, secret) = register(&lenient, &receiver.url(), &["status"]).await;
    receiver.set(&[&secret], 302).await;
    let attempt: Value = lenient
        .post_json(&format!("/api/v1/webhooks/{id}/test"), json!({}))
        .await
        .json()
        .await
        .expect("attempt");
    assert_eq!(attempt["http_status"], 302);
    assert_eq!(
        receiver.received().await.len(),
        1,
        "the redirect was not followed"
    );
}

/// Nobody sees, changes or replays another person's endpoint, and a
/// signed-out caller has none.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn endpoints_belong_to_their_owner(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let (alice, bob) = (
        app.as_user("alice@example.com").await,
        app.as_user("bob@example.com").await,
    );
    let (id, _) = register(&alice, "http://127.0.0.1:9/hook", &["status"]).await;
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/webhooks/{id}"), json!({})),
        (
            Method::PUT,
            format!("/api/v1/webhooks/{id}"),
            json!({"url": "http://127.0.0.1:9/x", "topics": ["status"]}),
        ),
        (Method::DELETE, format!("/api/v1/webhooks/{id}"), json!({})),
        (
            Method::POST,
            format!("/api/v1/webhooks/{id}/replay"),
            json!({"after": 0}),
        ),
        (Method::POST, format!("/api/v1/webhooks/{id}/secret"), json!({})),
        (
            Method::GET,
            format!("/api/v1/webhooks/{id}/deliveries"),
            json!({}),
        ),
    ] {
        let response = bob.send_json(method.clone(), &path, body).await;
        assert_eq!(response.status(), 404, "{method} {path}");
    }
    assert_eq!(bob.get_json("/api/v1/webhooks").await, json!([]));
    assert_eq!(app.get("/api/v1/webhooks").await.status(), 401);
    assert_eq!(
        alice
            .get_json("/api/v1/webhooks")
            .await
            .as_array()
            .expect("a list")
            .len(),
        1
    );
}

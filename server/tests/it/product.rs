//! The product's user actions over the JSON API: lists with filters and
//! paging, watching, instructions, problems, bulk updates, creating shipments,
//! admin tools, Idempotency-Key and the OpenAPI document.

use std::collections::HashSet;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::sse::Sse;
use crate::helpers::{shipments_of, TestApp};

async fn json(response: reqwest::Response) -> Value {
    response.json().await.expect("json body")
}

fn numbers(list: &Value) -> Vec<String> {
    list["shipments"]
        .as_array()
        .expect("shipments array")
        .iter()
        .map(|s| s["tracking_number"].as_str().expect("number").to_owned())
        .collect()
}

async fn postal_code(pool: &PgPool, number: &str) -> String {
    sqlx::query_scalar("SELECT destination_postal_code FROM shipments WHERE tracking_number = $1")
        .bind(number)
        .fetch_one(pool)
        .await
        .expect("postcode")
}

async fn event_count(pool: &PgPool, number: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id WHERE s.tracking_number = $1",
    )
    .bind(number)
    .fetch_one(pool)
    .await
    .expect("count")
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn lists_filter_search_and_page_without_gaps_or_overlap(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let alice = app.as_user("alice@example.com").await;

    // Paging: 60 shipments in pages of 25 → 25 + 25 + 10, each exactly once.
    let mut seen = Vec::new();
    let mut path = "/api/v1/shipments?limit=25".to_owned();
    loop {
        let page = json(alice.get(&path).await).await;
        assert_eq!(page["total"], 60);
        seen.extend(numbers(&page));
        match page["next_page"].as_str() {
            Some(after) => path = format!("/api/v1/shipments?limit=25&after={after}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 60);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        60,
        "no shipment on two pages"
    );

    // Status filter and the per-status counts agree.
    let page = json(alice.get("/api/v1/shipments?status=delivered&limit=200").await).await;
    let delivered = page["counts"]
        .as_array()
        .expect("counts")
        .iter()
        .find(|c| c["status"] == "delivered")
        .expect("alice has delivered shipments")["count"]
        .as_i64()
        .expect("count");
    assert_eq!(numbers(&page).len() as i64, delivered);
    assert!(page["shipments"]
        .as_array()
        .expect("list")
        .iter()
        .all(|s| s["status"] == "delivered"));

    // Needs attention: exception and attempt_failed are always in it.
    let attention = json(alice.get("/api/v1/shipments?attention=1&limit=200").await).await;
    let troubled = shipments_of(&alice.pool, "alice@%", "exception").await;
    for number in &troubled {
        assert!(
            numbers(&attention).contains(&number.to_string()),
            "{number} needs attention"
        );
    }
    assert_eq!(
        numbers(&attention).len() as i64,
        attention["needs_attention"].as_i64().expect("n")
    );

    // Search by part of a tracking number, typed loosely.
    let target = seen[7].clone();
    let part = target[2..8].to_lowercase();
    let found = json(alice.get(&format!("/api/v1/shipments?q={part}")).await).await;
    assert!(numbers(&found).contains(&target));

    // Bad filters are a 422 naming the parameter.
    let bad = alice.get("/api/v1/shipments?status=teleported").await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json(bad).await["errors"][0]["field"], "status");
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn watching_needs_the_right_postcode_and_reveals_nothing_otherwise(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let alice = app.as_user("alice@example.com").await;
    let bobs = crate::helpers::tracking_numbers_of(&app.pool, "bob@example.com")
        .await
        .remove(0);
    let postcode = postal_code(&app.pool, &bobs).await;

    let wrong = alice
        .post_json(
            "/api/v1/watches",
            json!({"tracking_number": bobs, "postal_code": "ZZ9 9ZZ"}),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
    let wrong_body = wrong.text().await.expect("body");
    let unknown = alice
        .post_json(
            "/api/v1/watches",
            json!({"tracking_number": "NOSUCH123", "postal_code": postcode}),
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.text().await.expect("body"),
        wrong_body,
        "same answer for both"
    );
    assert_eq!(
        alice.get(&format!("/api/v1/shipments/{bobs}")).await.status(),
        404
    );

    // Postcodes match regardless of spaces and case.
    let loose = postcode.to_lowercase().replace(' ', "");
    let watched = alice
        .post_json(
            "/api/v1/watches",
            json!({"tracking_number": bobs, "postal_code": loose}),
        )
        .await;
    assert_eq!(watched.status(), StatusCode::CREATED);
    assert_eq!(json(watched).await["tracking_number"], bobs.as_str());
    let detail = json(alice.get(&format!("/api/v1/shipments/{bobs}")).await).await;
    assert_eq!(
        detail["rights"],
        json!({"owns": false, "watches": true, "is_staff": false, "is_admin": false})
    );
    assert_eq!(
        detail["destination_postal_code"],
        Value::Null,
        "a watcher does not learn the postcode"
    );
    let list = json(alice.get(&format!("/api/v1/shipments?q={bobs}")).await).await;
    assert_eq!(numbers(&list), vec![bobs.clone()]);

    // Instructions are the owner's: a watcher may not set them.
    let refused = alice
        .send_json(
            Method::PUT,
            &format!("/api/v1/shipments/{bobs}/instructions"),
            json!({"instructions": "x"}),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let gone = alice
        .send_json(Method::DELETE, &format!("/api/v1/watches/{bobs}"), json!({}))
        .await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        alice.get(&format!("/api/v1/shipments/{bobs}")).await.status(),
        404
    );
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn instructions_and_problems_land_on_the_timeline_and_in_the_console(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let alice = app.as_user("alice@example.com").await;
    let ops = app.as_user("ops@example.com").await;
    let mine = crate::helpers::tracking_numbers_of(&app.pool, "alice@example.com")
        .await
        .remove(0);

    let set = alice
        .send_json(
            Method::PUT,
            &format!("/api/v1/shipments/{mine}/instructions"),
            json!({"instructions": "Leave it with the neighbour at 12"}),
        )
        .await;
    assert_eq!(set.status(), StatusCode::NO_CONTENT);
    let too_long = alice
        .send_json(
            Method::PUT,
            &format!("/api/v1/shipments/{mine}/instructions"),
            json!({"instructions": "x".repeat(501)}),
        )
        .await;
    assert_eq!(too_long.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json(too_long).await["errors"][0]["field"], "instructions");

    let reported = alice
        .post_json(
            &format!("/api/v1/shipments/{mine}/problems"),
            json!({"description": "The box arrived crushed"}),
        )
        .await;
    assert_eq!(reported.status(), StatusCode::CREATED);
    let problem = json(reported).await;
    let empty = alice
        .post_json(
            &format!("/api/v1/shipments/{mine}/problems"),
            json!({"description": "  "}),
        )
        .await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let detail = json(alice.get(&format!("/api/v1/shipments/{mine}")).await).await;
    assert_eq!(
        detail["delivery_instructions"],
        "Leave it with the neighbour at 12"
    );
    let kinds: Vec<&str> = detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .take(2)
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kinds,
        vec!["problem_reported", "instructions_set"],
        "newest first"
    );
    assert_eq!(
        detail["open_problems"][0]["description"],
        "The box arrived crushed"
    );

    // The console's queue: staff only.
    assert_eq!(
        alice.get("/api/v1/problems").await.status(),
        StatusCode::FORBIDDEN
    );
    let queue = json(ops.get("/api/v1/problems").await).await;
    assert!(queue
        .as_array()
        .expect("queue")
        .iter()
        .any(|p| p["id"] == problem["id"]));
    let path = format!("/api/v1/problems/{}/resolution", problem["id"]);
    assert_eq!(
        alice
            .post_json(&path, json!({"resolution": "mine now"}))
            .await
            .status(),
        403
    );
    assert_eq!(
        ops.post_json(&path, json!({"resolution": "Refund issued"}))
            .await
            .status(),
        204
    );
    assert_eq!(
        ops.post_json(&path, json!({"resolution": "again"}))
            .await
            .status(),
        404,
        "already resolved"
    );
    let detail = json(alice.get(&format!("/api/v1/shipments/{mine}")).await).await;
    assert_eq!(detail["open_problems"], json!([]));
    assert_eq!(detail["timeline"][0]["kind"], "problem_resolved");
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_reported_problem_reaches_the_operators_open_stream(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let alice = app.as_user("alice@example.com").await;
    let ops = app.as_user("ops@example.com").await;
    let mine = crate::helpers::tracking_numbers_of(&app.pool, "alice@example.com")
        .await
        .remove(0);
    let mut stream = Sse::open(&ops, &ops.client, None).await;
    let reported = alice
        .post_json(
            &format!("/api/v1/shipments/{mine}/problems"),
            json!({"description": "Wrong address"}),
        )
        .await;
    assert_eq!(reported.status(), StatusCode::CREATED);
    let (_, frame) = stream
        .next_shipment(Duration::from_secs(5))
        .await
        .expect("the event arrives within 5 s");
    assert_eq!(frame.event.kind, app::domain::EventKind::ProblemReported);
    assert_eq!(frame.event.note.as_deref(), Some("Wrong address"));
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn bulk_updates_report_each_row_and_illegal_moves_are_409(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let ops = app.as_user("ops@example.com").await;
    let moving = shipments_of(&app.pool, "%", "in_transit").await;
    let delivered = shipments_of(&app.pool, "%", "delivered").await;
    let mut selected: Vec<String> = moving.iter().take(4).map(ToString::to_string).collect();
    selected.push(delivered[0].to_string());

    let response = ops
        .post_json(
            "/api/v1/status-updates",
            json!({"tracking_numbers": selected, "status": "out_for_delivery", "location": "Depot 3"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let outcomes = json(response).await;
    let outcomes = outcomes.as_array().expect("outcomes");
    assert_eq!(outcomes.len(), 5);
    for (outcome, number) in outcomes.iter().zip(&selected).take(4) {
        assert_eq!(outcome["tracking_number"], number.as_str());
        assert_eq!(outcome["outcome"], "recorded");
        assert_eq!(outcome["event"]["status"], "out_for_delivery");
    }
    assert_eq!(outcomes[4]["outcome"], "refused");
    let refused = outcomes[4]["error"]
        .as_str()
        .expect("the delivered one is refused");
    assert!(
        refused.contains("delivered") || refused.contains("Delivered"),
        "{refused}"
    );

    // Forced through the single-shipment API, an illegal move is a 409.
    let illegal = ops
        .post_json(
            &format!("/api/v1/shipments/{}/events", delivered[0]),
            json!({"status": "pending"}),
        )
        .await;
    assert_eq!(illegal.status(), StatusCode::CONFLICT);

    // Customers cannot bulk update.
    let alice = app.as_user("alice@example.com").await;
    let denied = alice
        .post_json(
            "/api/v1/status-updates",
            json!({"tracking_numbers": selected, "status": "in_transit"}),
        )
        .await;
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn an_idempotency_key_makes_a_retry_safe(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let ops = app.as_user("ops@example.com").await;
    let number = shipments_of(&app.pool, "%", "in_transit")
        .await
        .remove(0)
        .to_string();
    let before = event_count(&app.pool, &number).await;
    let post = |body: Value, key: &'static str| {
        let ops = ops.clone();
        let number = number.clone();
        async move {
            ops.client
                .post(ops.url(&format!("/api/v1/shipments/{number}/events")))
                .header("origin", ops.origin())
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .expect("post")
        }
    };
    let body = json!({"status": "out_for_delivery", "location": "Depot 3"});
    let first = post(body.clone(), "key-1").await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first = json(first).await;
    let retry = post(body.clone(), "key-1").await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(json(retry).await, first, "the same response");
    assert_eq!(
        event_count(&app.pool, &number).await,
        before + 1,
        "one event, not two"
    );

    let changed = post(json!({"status": "delivered"}), "key-1").await;
    assert_eq!(changed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(event_count(&app.pool, &number).await, before + 1);

    // A refused request is remembered too: retrying gets the same 409.
    let illegal = json!({"status": "pending"});
    assert_eq!(
        post(illegal.clone(), "key-2").await.status(),
        StatusCode::CONFLICT
    );
    assert_eq!(post(illegal, "key-2").await.status(), StatusCode::CONFLICT);
}

/// A client that sends `Idempotency-Key` and hangs up while the server is still
/// working (here: waiting for a row another transaction holds) must be able to
/// retry with the same key and get its change made once: the abandoned
/// request leaves nothing behind that answers "still being processed".
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_request_abandoned_mid_work_can_be_retried_with_its_key(pool: PgPool) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let app = TestApp::seeded(pool).await;
    let number = shipments_of(&app.pool, "%", "in_transit")
        .await
        .remove(0)
        .to_string();
    let before = event_count(&app.pool, &number).await;
    let signed_in = TestApp::browser()
        .post(app.url("/api/v1/session"))
        .header("origin", app.origin())
        .json(&json!({"email": "ops@example.com", "password": crate::helpers::DEMO_PASSWORD}))
        .send()
        .await
        .expect("sign in");
    let cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .find(|pair| !pair.starts_with(app::ssr::auth::devices::COOKIE))
        .expect("the session cookie")
        .to_owned();
    let body = json!({"status": "out_for_delivery", "location": "Depot 3"}).to_string();

    // Another transaction holds the shipment's row, so the write has to wait.
    let mut holder = app.pool.begin().await.expect("begin");
    sqlx::query("SELECT 1 FROM shipments WHERE tracking_number = $1 FOR UPDATE")
        .bind(&number)
        .execute(&mut *holder)
        .await
        .expect("lock the row");

    let mut abandoned = tokio::net::TcpStream::connect(app.addr).await.expect("connect");
    let request = format!(
        "POST /api/v1/shipments/{number}/events HTTP/1.1\r\nhost: {host}\r\norigin: {origin}\r\n\
         cookie: {cookie}\r\ncontent-type: application/json\r\nidempotency-key: hang-up-1\r\n\
         content-length: {len}\r\n\r\n{body}",
        host = app.addr,
        origin = app.origin(),
        len = body.len(),
    );
    abandoned.write_all(request.as_bytes()).await.expect("send");
    wait_for_a_lock_waiter(&app.pool).await;
    // The client gives up: the server drops the request and closes its side.
    abandoned.shutdown().await.expect("hang up");
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), abandoned.read_to_end(&mut rest))
        .await
        .expect("the server closes the connection of a client that hung up")
        .expect("read");
    assert!(rest.is_empty(), "no reply was sent to the client that hung up");
    holder.commit().await.expect("release the row");

    let ops = app.as_user("ops@example.com").await;
    let retry = || async {
        ops.client
            .post(ops.url(&format!("/api/v1/shipments/{number}/events")))
            .header("origin", ops.origin())
            .header("idempotency-key", "hang-up-1")
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("retry")
    };
    let first = retry().await;
    assert_eq!(
        first.status(),
        StatusCode::CREATED,
        "the retry is carried out, not 409"
    );
    let first = json(first).await;
    let again = retry().await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(json(again).await, first, "a further retry gets the stored reply");
    assert_eq!(event_count(&app.pool, &number).await, before + 1, "one event");
}

/// Waits until some backend of this test's database waits for a lock.
async fn wait_for_a_lock_waiter(pool: &PgPool) {
    for _ in 0..500 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(pool)
        .await
        .expect("pg_stat_activity");
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the request never reached the locked row");
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn operators_create_shipments_for_customers(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let ops = app.as_user("ops@example.com").await;
    let alice = app.as_user("alice@example.com").await;
    let new = json!({
        "tracking_number": "sw-new-0001", "owner_email": "Alice@Example.com", "origin": "Graz",
        "destination": "Linz", "destination_postal_code": "4020", "carrier": "PostAG", "eta": "2026-12-01"
    });
    assert_eq!(
        alice.post_json("/api/v1/shipments", new.clone()).await.status(),
        403
    );
    let created = ops.post_json("/api/v1/shipments", new.clone()).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(json(created).await["tracking_number"], "SWNEW0001");
    let detail = json(alice.get("/api/v1/shipments/SWNEW0001").await).await;
    assert_eq!(detail["shipment"]["status"], "pending");
    assert_eq!(detail["timeline"][0]["status"], "pending");

    let again = ops.post_json("/api/v1/shipments", new).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json(again).await["errors"][0]["field"], "tracking_number");
    let nobody = ops
        .post_json(
            "/api/v1/shipments",
            json!({"tracking_number": "SWNEW0002", "owner_email": "nobody@example.com", "origin": "A",
                   "destination": "B", "destination_postal_code": "1", "carrier": "C"}),
        )
        .await;
    assert_eq!(json(nobody).await["errors"][0]["field"], "owner_email");
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn admins_change_roles_and_manage_tokens(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let email = app::domain::Email::parse("ops@example.com").expect("email");
    app::ssr::db::users::set_role(&app.pool, &email, app::domain::Role::Admin)
        .await
        .expect("admin");
    let admin = app.as_user("ops@example.com").await;
    let alice = app.as_user("alice@example.com").await;

    assert_eq!(alice.get("/api/v1/users").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(alice.get("/api/v1/tokens").await.status(), StatusCode::FORBIDDEN);
    let users = json(admin.get("/api/v1/users").await).await;
    assert!(users.as_array().expect("users").len() >= 3);

    let promote = admin
        .send_json(
            Method::PUT,
            "/api/v1/users/bob@example.com/role",
            json!({"role": "operator"}),
        )
        .await;
    assert_eq!(promote.status(), StatusCode::NO_CONTENT);
    let bob = app.as_user("bob@example.com").await;
    assert_eq!(json(bob.get("/api/v1/shipments").await).await["total"], 100);
    let own = admin
        .send_json(
            Method::PUT,
            "/api/v1/users/ops@example.com/role",
            json!({"role": "customer"}),
        )
        .await;
    assert_eq!(own.status(), StatusCode::UNPROCESSABLE_ENTITY, "no self-demotion");

    let issued = admin
        .post_json(
            "/api/v1/tokens",
            json!({"email": "alice@example.com", "name": "Scanner 1"}),
        )
        .await;
    assert_eq!(issued.status(), StatusCode::CREATED);
    let issued = json(issued).await;
    let token = issued["token"].as_str().expect("token").to_owned();
    let bearer = |path: &str| {
        reqwest::Client::new()
            .get(app.url(path))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(bearer("/api/v1/session").await.expect("req").status(), 200);
    let listed = admin.get("/api/v1/tokens").await.text().await.expect("list");
    assert!(
        listed.contains("Scanner 1") && !listed.contains(&token),
        "listed without the secret"
    );
    let revoke = admin
        .send_json(
            Method::DELETE,
            &format!("/api/v1/tokens/{}", issued["id"]),
            json!({}),
        )
        .await;
    assert_eq!(revoke.status(), StatusCode::NO_CONTENT);
    assert_eq!(bearer("/api/v1/session").await.expect("req").status(), 401);
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn the_openapi_document_covers_every_v1_route(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc = json(response).await;
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    let paths = doc["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/api/v1/session", "post"),
        ("/api/v1/session", "delete"),
        ("/api/v1/users", "post"),
        ("/api/v1/users", "get"),
        ("/api/v1/users/{email}/role", "put"),
        ("/api/v1/shipments", "get"),
        ("/api/v1/shipments", "post"),
        ("/api/v1/shipments/{tracking_number}", "get"),
        ("/api/v1/shipments/{tracking_number}/events", "post"),
        ("/api/v1/shipments/{tracking_number}/instructions", "put"),
        ("/api/v1/shipments/{tracking_number}/problems", "post"),
        ("/api/v1/status-updates", "post"),
        ("/api/v1/watches", "post"),
        ("/api/v1/watches/{tracking_number}", "delete"),
        ("/api/v1/problems", "get"),
        ("/api/v1/problems/{id}/resolution", "post"),
        ("/api/v1/tokens", "get"),
        ("/api/v1/tokens", "post"),
        ("/api/v1/tokens/{id}", "delete"),
        ("/api/v1/events", "get"),
        ("/api/v1/webhooks", "post"),
        ("/api/v1/webhooks/{id}/replay", "post"),
        ("/api/v1/webhooks/{id}/deliveries", "get"),
        ("/api/events", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} documented"
        );
    }
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for schema in [
        "ShipmentSummary",
        "ShipmentStatus",
        "StatusPostRequest",
        "ProblemDetails",
        "StreamEvent",
        "WebhookPayload",
    ] {
        assert!(schemas.contains_key(schema), "{schema} documented");
    }
    // The live stream: its media type, every frame, how to resume.
    let live = &doc["paths"]["/api/events"]["get"];
    assert!(live["responses"]["200"]["content"]["text/event-stream"].is_object());
    let described = live["description"].as_str().expect("described");
    for part in [
        "retry:",
        "event: shipment",
        "event: reset",
        "event: listener",
        ": ping",
        "Last-Event-ID",
        "?after=",
    ] {
        assert!(described.contains(part), "the stream's description names {part}");
    }
    // Every webhook type, with its signed headers and payload.
    for (name, _) in app::ssr::webhooks::delivery::EVENT_TYPES {
        let webhook = &doc["webhooks"][name]["post"];
        assert_eq!(
            webhook["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/WebhookPayload",
            "{name}"
        );
        let headers: Vec<&str> = webhook["parameters"]
            .as_array()
            .expect("headers")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(headers, ["webhook-id", "webhook-timestamp", "webhook-signature"]);
    }
    // Every answer states the caller's rate limit.
    let answer = &doc["paths"]["/api/v1/shipments"]["get"]["responses"]["200"];
    assert!(answer["headers"]["RateLimit"].is_object() && answer["headers"]["RateLimit-Policy"].is_object());
}

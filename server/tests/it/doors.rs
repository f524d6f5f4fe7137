//! One core, four doors: the command line, the REST API, server functions and
//! pages reach the same actions, so they accept and refuse the same things.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use app::domain::{Email, Role};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::sse::Sse;
use crate::helpers::{shipments_of, TestApp};

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn the_command_line_refuses_an_overlong_email_with_the_apis_message(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let email = format!("{}@example.com", "a".repeat(288));
    assert_eq!(email.len(), 300);

    let api = app
        .post_json(
            "/api/v1/users",
            json!({"email": email, "password": "a good long password"}),
        )
        .await;
    assert_eq!(api.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let api: Value = api.json().await.expect("problem");
    let message = api["detail"].as_str().expect("detail").to_owned();
    assert_eq!(api["errors"][0]["field"], "email");

    // The command is refused before it asks for a password or touches a
    // database: this URL leads nowhere.
    let mut cli = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["create-user", "--email", &email, "--role", "operator"])
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/nowhere")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run server create-user");
    cli.stdin
        .take()
        .expect("stdin")
        .write_all(b"a good long password\n")
        .expect("password");
    let output = cli.wait_with_output().expect("finish");
    assert!(!output.status.success(), "refused");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr
            .lines()
            .any(|line| line == format!("error: email: {message}")),
        "CLI said: {stderr}"
    );
    let created: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(created, 0);
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn the_command_line_refuses_an_overlong_location_as_the_api_does(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let ops = app.as_user("ops@example.com").await;
    let number = shipments_of(&app.pool, "%", "in_transit")
        .await
        .remove(0)
        .to_string();
    let location = "L".repeat(201);
    let api = ops
        .post_json(
            &format!("/api/v1/shipments/{number}/events"),
            json!({"status": "in_transit", "location": location}),
        )
        .await;
    assert_eq!(api.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let api: Value = api.json().await.expect("problem");
    assert_eq!(api["errors"][0]["field"], "location");
    let message = api["detail"].as_str().expect("detail");

    let output = Command::new(env!("CARGO_BIN_EXE_server"))
        .args([
            "set-status",
            "--tracking-number",
            &number,
            "--status",
            "in_transit",
        ])
        .args(["--location", &location])
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/nowhere")
        .output()
        .expect("run server set-status");
    assert!(!output.status.success(), "refused");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr
            .lines()
            .any(|line| line == format!("error: location: {message}")),
        "CLI said: {stderr}"
    );
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn pages_for_one_role_answer_403_to_everyone_else(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let alice = app.as_user("alice@example.com").await;
    let ops = app.as_user("ops@example.com").await;

    for (who, path) in [(&alice, "/operator"), (&alice, "/admin"), (&ops, "/admin")] {
        let page = who.get(path).await;
        assert_eq!(page.status(), StatusCode::FORBIDDEN, "{path}");
        let html = page.text().await.expect("html");
        assert!(
            html.contains("This page is not for your account"),
            "{path}: {html}"
        );
        assert!(html.contains("href=\"/\""), "{path} links home");
        assert!(
            !html.contains("Operator console") && !html.contains("Accounts"),
            "{path} shows no tools"
        );
    }
    let console = ops.get("/operator").await;
    assert_eq!(console.status(), StatusCode::OK);
    assert!(console.text().await.expect("html").contains("Operator console"));
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn an_admin_reopens_a_delivered_shipment_with_a_reason_others_may_not(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let email = Email::parse("ops@example.com").expect("email");
    let ops = app.as_user("ops@example.com").await;
    let delivered = shipments_of(&app.pool, "alice@example.com", "delivered").await;
    let number = delivered
        .first()
        .expect("a delivered shipment of alice's")
        .to_string();
    let path = format!("/api/v1/shipments/{number}/reopen");
    let body = json!({"status": "in_transit", "reason": "Parcel found at the Leeds depot"});

    // An operator may not; neither may the owner.
    assert_eq!(
        ops.post_json(&path, body.clone()).await.status(),
        StatusCode::FORBIDDEN
    );
    let alice = app.as_user("alice@example.com").await;
    assert_eq!(
        alice.post_json(&path, body.clone()).await.status(),
        StatusCode::FORBIDDEN
    );

    app::ssr::db::users::set_role(&app.pool, &email, Role::Admin)
        .await
        .expect("promote");
    // Alice is watching her stream when it happens.
    let stream = alice
        .client
        .get(app.url("/api/events"))
        .send()
        .await
        .expect("stream");
    assert_eq!(stream.status(), StatusCode::OK);
    let mut events = Sse::over(stream);

    let no_reason = ops
        .post_json(&path, json!({"status": "in_transit", "reason": " "}))
        .await;
    assert_eq!(no_reason.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let final_again = ops
        .post_json(&path, json!({"status": "lost", "reason": "why"}))
        .await;
    assert_eq!(final_again.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let reopened = ops.post_json(&path, body.clone()).await;
    assert_eq!(reopened.status(), StatusCode::CREATED);
    let event: Value = reopened.json().await.expect("event");
    assert_eq!(event["status"], "in_transit");
    assert_eq!(event["note"], "Reopened: Parcel found at the Leeds depot");

    let detail = alice.get_json(&format!("/api/v1/shipments/{number}")).await;
    assert_eq!(detail["shipment"]["status"], "in_transit");
    assert_eq!(
        detail["timeline"][0]["note"],
        "Reopened: Parcel found at the Leeds depot"
    );

    let arrived = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some((_, frame)) = events.next_shipment(Duration::from_secs(5)).await {
            if frame.event.tracking_number.as_str() == number {
                return Some(frame);
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .expect("the reopening reaches the owner's stream");
    assert_eq!(arrived.shipment.status.as_str(), "in_transit");

    // Only a final shipment can be reopened.
    let again = ops.post_json(&path, body).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
}

//! Notifications: who is told of a change, by email through the outbox, once.
//! A real SMTP server (`aiosmtpd`, see `mail`) receives the emails.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use app::domain::{CurrentUser, NotificationPreferences, Role, ShipmentStatus, Viewer};
use app::ssr::actions::notifications;
use app::ssr::notify::sender::EmailSettings;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{new_user, shipments_of, user, TestApp};
use crate::mail::{Mail, SmtpSink};

fn email_through(sink: &SmtpSink) -> EmailSettings {
    let from = "Shipwatch <noreply@shipwatch.test>".parse().expect("from");
    let mut settings = EmailSettings::new(sink.url(), from);
    settings.batch_window = Duration::ZERO;
    settings.retry_base = Duration::from_millis(200);
    settings.poll = Duration::from_millis(50);
    settings
}

async fn app_mailing_to(pool: PgPool, settings: EmailSettings) -> TestApp {
    TestApp::spawn_configured(pool, |config| config.email = Some(settings)).await
}

async fn watch(pool: &PgPool, number: &str, who: &CurrentUser) {
    sqlx::query(
        "INSERT INTO shipment_watchers (shipment_id, user_id)
         SELECT id, $2 FROM shipments WHERE tracking_number = $1",
    )
    .bind(number)
    .bind(who.id)
    .execute(pool)
    .await
    .expect("watch");
}

async fn change_preferences(
    pool: &PgPool,
    who: &CurrentUser,
    change: impl FnOnce(&mut NotificationPreferences),
) {
    let viewer = Viewer::User(who.clone());
    let mut wanted = notifications::preferences(pool, &viewer)
        .await
        .expect("preferences");
    change(&mut wanted);
    notifications::set_preferences(pool, &viewer, &wanted)
        .await
        .expect("set preferences");
}

/// Emails not yet sent (waiting, or backing off after a failure).
async fn unsent(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM notifications WHERE email_state = 'pending'")
        .fetch_one(pool)
        .await
        .expect("outbox")
}

async fn wait_until_outbox_empty(pool: &PgPool) {
    for _ in 0..1500 {
        if unsent(pool).await == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("emails still waiting after 30 s");
}

fn recipients(mail: &[Mail]) -> Vec<String> {
    let mut to: Vec<String> = mail.iter().map(|m| m.to.clone()).collect();
    to.sort();
    to
}

async fn post_status(app: &TestApp, number: &str, status: &str) {
    let response = app
        .post_json(
            &format!("/api/v1/shipments/{number}/events"),
            json!({ "status": status, "location": "Leeds depot" }),
        )
        .await;
    assert_eq!(response.status(), 201, "posting {status} to {number}");
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn out_for_delivery_emails_the_owner_and_each_watcher_who_opted_in_once(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(pool.clone(), email_through(&sink)).await;
    let number = shipments_of(&pool, "alice@%", "in_transit").await.remove(0);
    let number = number.as_str();
    let bob = user(&pool, "bob@example.com").await;
    let carol = new_user(&pool, "carol@example.com", Role::Customer).await;
    let _dave = new_user(&pool, "dave@example.com", Role::Customer).await;
    watch(&pool, number, &bob).await;
    watch(&pool, number, &carol).await;
    change_preferences(&pool, &carol, |p| p.watched = false).await;
    // Nothing of the demo's back-dated history was queued.
    assert_eq!(unsent(&pool).await, 0);

    let operator = app.as_user("ops@example.com").await;
    post_status(&operator, number, "out_for_delivery").await;

    sink.wait_until("the owner's and bob's emails", |mail| mail.len() >= 2)
        .await;
    wait_until_outbox_empty(&pool).await;
    let mail = sink.received();
    assert_eq!(recipients(&mail), ["alice@example.com", "bob@example.com"]);
    for email in &mail {
        assert!(email.subject.contains(number), "subject: {}", email.subject);
        assert!(
            email.subject.contains("Out for delivery"),
            "subject: {}",
            email.subject
        );
        assert!(
            email.raw.contains(&format!("/shipments/{number}")),
            "links to the shipment"
        );
        assert!(email.raw.contains("text/plain") && email.raw.contains("text/html"));
        for other in ["ops@example.com", "carol@example.com", "dave@example.com"]
            .into_iter()
            .chain(
                ["alice@example.com", "bob@example.com"]
                    .into_iter()
                    .filter(|a| *a != email.to),
            )
        {
            assert!(
                !email.raw.contains(other),
                "{other} appears in the email to {}",
                email.to
            );
        }
    }

    // In the app too: the owner's bell has it, unread.
    let alice = Viewer::User(user(&pool, "alice@example.com").await);
    let inbox = notifications::inbox(&pool, &alice).await.expect("inbox");
    assert_eq!(inbox.unread, 1);
    assert_eq!(inbox.items[0].event.status, Some(ShipmentStatus::OutForDelivery));
    assert_eq!(
        inbox.items[0].event.actor, "Depot operator",
        "no email address in the app either"
    );
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn an_smtp_outage_delays_the_email_and_loses_nothing(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let mut sink = SmtpSink::reserve();
    let app = app_mailing_to(pool.clone(), email_through(&sink)).await;
    let number = shipments_of(&pool, "alice@%", "in_transit").await.remove(0);
    let operator = app.as_user("ops@example.com").await;
    post_status(&operator, number.as_str(), "out_for_delivery").await;

    // The SMTP server is down: attempts fail and are retried, the email waits.
    for _ in 0..1500 {
        let attempts: i32 = sqlx::query_scalar(
            "SELECT COALESCE(max(email_attempts), 0) FROM notifications WHERE email_state = 'pending'",
        )
        .fetch_one(&pool)
        .await
        .expect("attempts");
        if attempts >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (state, error): (String, Option<String>) =
        sqlx::query_as("SELECT email_state::text, email_error FROM notifications")
            .fetch_one(&pool)
            .await
            .expect("notification");
    assert_eq!(state, "pending", "still waiting, not given up");
    assert!(error.is_some(), "the failure is recorded for operators");

    sink.listen().await;
    sink.wait_until("the delayed email", |mail| !mail.is_empty())
        .await;
    wait_until_outbox_empty(&pool).await;
    assert_eq!(recipients(&sink.received()), ["alice@example.com"]);
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn fifty_bulk_changes_for_one_customer_send_one_email(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let sink = SmtpSink::start().await;
    let mut settings = email_through(&sink);
    // A burst's first notification waits this long for the rest.
    settings.batch_window = Duration::from_secs(3);
    let app = app_mailing_to(pool.clone(), settings).await;
    let alice = user(&pool, "alice@example.com").await;
    let numbers: Vec<String> = sqlx::query_scalar(
        "INSERT INTO shipments (tracking_number, owner_id, origin, destination, destination_postal_code, carrier)
         SELECT 'SWBULK' || lpad(g::text, 4, '0'), $1, 'Leeds', 'York', 'YO1 7HH', 'DHL'
         FROM generate_series(1, 50) AS g RETURNING tracking_number",
    )
    .bind(alice.id)
    .fetch_all(&pool)
    .await
    .expect("shipments");
    change_preferences(&pool, &alice, |p| p.statuses = vec![ShipmentStatus::PickedUp]).await;

    let operator = app.as_user("ops@example.com").await;
    let response = operator
        .post_json(
            "/api/v1/status-updates",
            json!({ "tracking_numbers": numbers, "status": "picked_up", "location": "Leeds depot" }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let outcomes: serde_json::Value = response.json().await.expect("outcomes");
    assert_eq!(outcomes.as_array().map(Vec::len), Some(50));

    sink.wait_until("the one email", |mail| !mail.is_empty()).await;
    wait_until_outbox_empty(&pool).await;
    let mail = sink.received();
    assert_eq!(
        recipients(&mail),
        ["alice@example.com"],
        "one email for the burst"
    );
    assert_eq!(mail[0].subject, "50 of your shipments changed");
    for number in &numbers {
        assert!(mail[0].raw.contains(number.as_str()), "{number} is listed");
    }
    let sent: i64 = sqlx::query_scalar("SELECT count(*) FROM notifications WHERE email_state = 'sent'")
        .fetch_one(&pool)
        .await
        .expect("sent");
    assert_eq!(sent, 50);
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn the_unsubscribe_link_works_signed_out_and_refuses_a_tampered_one(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let sink = SmtpSink::start().await;
    let app = app_mailing_to(pool.clone(), email_through(&sink)).await;
    let mut numbers = shipments_of(&pool, "alice@%", "in_transit").await.into_iter();
    let operator = app.as_user("ops@example.com").await;
    post_status(
        &operator,
        numbers.next().expect("one").as_str(),
        "out_for_delivery",
    )
    .await;
    let mail = sink.wait_until("an email", |mail| !mail.is_empty()).await;
    let link = mail[0].unsubscribe_link();
    assert!(mail[0].raw.contains(&link), "the body carries the link too");
    let link = link
        .strip_prefix(&app.origin())
        .expect("a link to this app")
        .to_owned();
    let signed_out = TestApp::browser();

    // Tampered: one character of the token changed.
    let mut tampered = link.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");
    let page = signed_out.get(app.url(&tampered)).send().await.expect("page");
    assert_eq!(page.status(), 400);
    let refused = signed_out
        .post(app.url(&tampered))
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 400);
    let alice = Viewer::User(user(&pool, "alice@example.com").await);
    assert!(
        notifications::preferences(&pool, &alice)
            .await
            .expect("prefs")
            .email,
        "unchanged"
    );

    // The real link: a page with a button (opening it changes nothing) …
    let page = signed_out.get(app.url(&link)).send().await.expect("page");
    assert_eq!(page.status(), 200);
    let page = page.text().await.expect("html");
    assert!(page.contains("Stop emails"), "{page}");
    assert!(
        notifications::preferences(&pool, &alice)
            .await
            .expect("prefs")
            .email
    );
    // … and the one-click POST a mail provider sends, from no origin of ours.
    let done = signed_out
        .post(app.url(&link))
        .header("Origin", "https://mail.example.net")
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .expect("post");
    assert_eq!(done.status(), 200);
    assert!(
        !notifications::preferences(&pool, &alice)
            .await
            .expect("prefs")
            .email
    );

    // No more emails, though the bell still hears of it.
    let before = sink.received().len();
    post_status(
        &operator,
        numbers.next().expect("two").as_str(),
        "out_for_delivery",
    )
    .await;
    wait_until_outbox_empty(&pool).await;
    assert_eq!(sink.received().len(), before);
    assert_eq!(
        notifications::inbox(&pool, &alice).await.expect("inbox").unread,
        2
    );
}

/// A server process of our own, killed when the test ends.
struct ServerProcess(Child);

impl ServerProcess {
    fn start(database_url: &str, smtp_url: &str) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("SHIPWATCH_ADDR", "127.0.0.1:0")
            .env("SHIPWATCH_METRICS_ADDR", "off")
            .env("SHIPWATCH_SMTP_URL", smtp_url)
            .env("SHIPWATCH_EMAIL_BATCH_SECS", "0")
            .env("SHIPWATCH_EMAIL_RETRY_SECS", "1")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the server");
        Self(child)
    }

    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

fn url_of(pool: &PgPool) -> String {
    let mut url = reqwest::Url::parse(&std::env::var("DATABASE_URL").expect("DATABASE_URL")).expect("url");
    url.set_path(pool.connect_options().get_database().expect("database name"));
    url.to_string()
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_server_killed_between_commit_and_send_leaves_each_email_sent_once_by_two_others(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let mut sink = SmtpSink::reserve();
    let url = url_of(&pool);
    let mut first = ServerProcess::start(&url, &sink.url());
    let bob = user(&pool, "bob@example.com").await;
    let numbers = shipments_of(&pool, "alice@%", "in_transit").await;
    let numbers: Vec<&str> = numbers.iter().take(3).map(|n| n.as_str()).collect();
    for number in &numbers {
        watch(&pool, number, &bob).await;
    }
    let app = TestApp::spawn(pool.clone()).await;
    let operator = app.as_user("ops@example.com").await;
    for number in &numbers {
        post_status(&operator, number, "out_for_delivery").await;
    }
    // Committed, and tried by the first server while the SMTP server is
    // down: then the first server dies.
    for _ in 0..1500 {
        let tried: i64 = sqlx::query_scalar("SELECT count(*) FROM notifications WHERE email_attempts > 0")
            .fetch_one(&pool)
            .await
            .expect("tried");
        if tried > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill();
    assert_eq!(
        unsent(&pool).await,
        6,
        "alice's and bob's emails about 3 parcels wait"
    );

    sink.listen().await;
    let _second = ServerProcess::start(&url, &sink.url());
    let _third = ServerProcess::start(&url, &sink.url());
    sink.wait_until("both emails", |mail| mail.len() >= 2).await;
    wait_until_outbox_empty(&pool).await;
    let mail = sink.received();
    assert_eq!(
        recipients(&mail),
        ["alice@example.com", "bob@example.com"],
        "each once"
    );
    for email in &mail {
        for number in &numbers {
            assert!(
                email.raw.contains(number),
                "{number} in the email to {}",
                email.to
            );
        }
    }
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn the_bell_lists_only_what_the_person_may_still_see_and_marks_read(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let numbers = shipments_of(&pool, "alice@%", "in_transit").await;
    let (kept, dropped) = (numbers[0].as_str(), numbers[1].as_str());
    let bob_user = user(&pool, "bob@example.com").await;
    watch(&pool, kept, &bob_user).await;
    watch(&pool, dropped, &bob_user).await;
    let operator = app.as_user("ops@example.com").await;
    post_status(&operator, kept, "out_for_delivery").await;
    post_status(&operator, dropped, "out_for_delivery").await;

    let bob = app.as_user("bob@example.com").await;
    let inbox = bob.get_json("/api/v1/notifications").await;
    assert_eq!(inbox["unread"], 2);
    // Bob stops watching one: its notification leaves his list and count.
    let gone = bob
        .send_json(
            reqwest::Method::DELETE,
            &format!("/api/v1/watches/{dropped}"),
            json!({}),
        )
        .await;
    assert!(gone.status().is_success());
    let inbox = bob.get_json("/api/v1/notifications").await;
    assert_eq!(inbox["unread"], 1);
    let items = inbox["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["event"]["tracking_number"], kept);
    assert_eq!(items[0]["event"]["actor"], "Depot operator");

    // Alice cannot mark Bob's notification read; Bob can.
    let id = items[0]["id"].as_i64().expect("id");
    let alice = app.as_user("alice@example.com").await;
    let response = alice
        .post_json("/api/v1/notifications/read", json!({ "ids": [id] }))
        .await;
    assert_eq!(response.status(), 204);
    let inbox = bob.get_json("/api/v1/notifications").await;
    assert_eq!(inbox["unread"], 1, "untouched by someone else");
    let too_many: Vec<i64> = (0..51).collect();
    let response = bob
        .post_json("/api/v1/notifications/read", json!({ "ids": too_many }))
        .await;
    assert_eq!(response.status(), 422);
    let response = bob.post_json("/api/v1/notifications/read", json!({})).await;
    assert_eq!(response.status(), 204);
    let inbox = bob.get_json("/api/v1/notifications").await;
    assert_eq!(
        (inbox["unread"].as_i64(), inbox["items"][0]["read"].as_bool()),
        (Some(0), Some(true))
    );

    // Signed out: nothing.
    let anonymous = TestApp::browser();
    let response = anonymous
        .get(app.url("/api/v1/notifications"))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 401);
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn preferences_are_kept_per_person_and_only_staff_may_hear_of_every_problem(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let alice = app.as_user("alice@example.com").await;
    let defaults = alice.get_json("/api/v1/notification-preferences").await;
    assert_eq!(
        defaults,
        json!({ "statuses": ["out_for_delivery", "delivered", "attempt_failed", "exception"],
                "owned": true, "watched": true, "problems": false, "in_app": true, "email": true })
    );
    let mut wanted = defaults.clone();
    wanted["problems"] = json!(true);
    let refused = alice
        .send_json(reqwest::Method::PUT, "/api/v1/notification-preferences", wanted)
        .await;
    assert_eq!(refused.status(), 422);

    // The settings form, as a browser without JavaScript posts it.
    let response = alice
        .client
        .post(app.url("/settings"))
        .header("Origin", app.origin())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("status=delivered&status=exception&owned=on&in_app=on")
        .send()
        .await
        .expect("form");
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/settings?saved=1");
    let saved = alice.get_json("/api/v1/notification-preferences").await;
    assert_eq!(
        saved,
        json!({ "statuses": ["delivered", "exception"], "owned": true, "watched": false,
                "problems": false, "in_app": true, "email": false })
    );
    let page = alice.get("/settings").await.text().await.expect("page");
    assert!(page.contains("Notification settings"));
    // Another person's are untouched.
    let bob = app.as_user("bob@example.com").await;
    let theirs = bob.get_json("/api/v1/notification-preferences").await;
    assert_eq!(theirs, defaults);

    // An operator who asks to hear of every problem hears of a customer's report.
    let operator = app.as_user("ops@example.com").await;
    let mut wanted = defaults.clone();
    wanted["problems"] = json!(true);
    let response = operator
        .send_json(reqwest::Method::PUT, "/api/v1/notification-preferences", wanted)
        .await;
    assert_eq!(response.status(), 200);
    let number = shipments_of(&pool, "alice@%", "in_transit").await.remove(0);
    let reported = alice
        .post_json(
            &format!("/api/v1/shipments/{}/problems", number.as_str()),
            json!({ "description": "The box arrived crushed" }),
        )
        .await;
    assert!(reported.status().is_success());
    let inbox = operator.get_json("/api/v1/notifications").await;
    assert_eq!(inbox["items"][0]["event"]["kind"], "problem_reported");
    assert_eq!(
        inbox["items"][0]["event"]["actor"], "alice@example.com",
        "staff see who"
    );
    let page = operator.get("/notifications").await.text().await.expect("page");
    assert!(page.contains("Problem reported") && page.contains(number.as_str()));
}

//! The live stream over real HTTP with a real SSE parser (eventsource-stream).

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use app::domain::input::StatusPost;
use app::domain::{ShipmentStatus, StreamEvent, TrackingNumber};
use app::ssr::db::status::{record_status_change, Rule};
use eventsource_stream::Eventsource as _;
use futures::StreamExt as _;
use reqwest::header::{AUTHORIZATION, ORIGIN};
use sqlx::PgPool;

use crate::helpers::sse::Sse;
use crate::helpers::{shipments_of, TestApp, DEMO_PASSWORD};

async fn signed_in(app: &TestApp, email: &str) -> reqwest::Client {
    let client = TestApp::browser();
    let response = client
        .post(app.url("/api/v1/session"))
        .header(ORIGIN, app.origin())
        .json(&serde_json::json!({"email": email, "password": DEMO_PASSWORD}))
        .send()
        .await
        .expect("sign in");
    assert_eq!(response.status(), 200);
    client
}

async fn head(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT position FROM event_stream_head")
        .fetch_one(pool)
        .await
        .expect("head")
}

/// A legal, repeatable change: in_transit → in_transit at a hub.
fn a_scan(note: &str) -> StatusPost {
    StatusPost {
        status: ShipmentStatus::InTransit,
        location: Some("Hub".into()),
        note: Some(note.into()),
        occurred_at: None,
    }
}

/// Records [`a_scan`] and returns its position once numbered.
async fn scan(pool: &PgPool, number: &TrackingNumber, note: &str) -> i64 {
    let change = a_scan(note);
    let event = record_status_change(pool, number, &change, None, Rule::Ordinary)
        .await
        .expect("scan");
    numbered(pool, event.id).await
}

/// The stream position of event `id`, once the server has numbered it (right
/// after its commit).
async fn numbered(pool: &PgPool, id: i64) -> i64 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let position: Option<i64> =
            sqlx::query_scalar("SELECT stream_position FROM shipment_events WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await
                .expect("position");
        if let Some(position) = position {
            return position;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "event {id} was never numbered"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn the_stream_has_the_right_headers_retry_and_heartbeat(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let client = signed_in(&app, "alice@example.com").await;
    let mut response = client.get(app.url("/api/events")).send().await.expect("connect");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_eq!(response.headers()["cache-control"], "no-cache");
    assert_eq!(response.headers()["x-accel-buffering"], "no");
    assert!(response.headers().get("content-encoding").is_none());
    let mut raw = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !raw.contains(": ping") {
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .expect("heartbeat in time");
        raw.push_str(&String::from_utf8_lossy(&chunk.expect("chunk").expect("open")));
    }
    assert!(
        raw.starts_with("retry: 1000\nid: "),
        "retry, and a starting cursor: {raw}"
    );

    let anonymous = reqwest::Client::new()
        .get(app.url("/api/events"))
        .send()
        .await
        .expect("connect");
    assert_eq!(anonymous.status(), 401, "no session, no stream");
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn alice_never_receives_bobs_events_live_or_replayed(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let alices: HashSet<String> = crate::helpers::tracking_numbers_of(&pool, "alice@example.com")
        .await
        .into_iter()
        .collect();
    let visible: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id
         JOIN users u ON u.id = s.owner_id WHERE u.email = 'alice@example.com'",
    )
    .fetch_one(&pool)
    .await
    .expect("count");

    let client = signed_in(&app, "alice@example.com").await;
    let mut stream = Sse::open(&app, &client, Some(0)).await;
    let mut replayed = 0;
    while replayed < visible {
        let (_, frame) = stream
            .next_shipment(Duration::from_secs(5))
            .await
            .expect("replayed event");
        assert!(
            alices.contains(frame.shipment.tracking_number.as_str()),
            "replay leaked {frame:?}"
        );
        replayed += 1;
    }
    let bobs = shipments_of(&pool, "bob@example.com", "in_transit")
        .await
        .remove(0);
    let hers = shipments_of(&pool, "alice@example.com", "in_transit")
        .await
        .remove(0);
    scan(&pool, &bobs, "bob's parcel").await;
    let position = scan(&pool, &hers, "alice's parcel").await;
    let (got, frame) = stream
        .next_shipment(Duration::from_secs(5))
        .await
        .expect("live event");
    assert_eq!(
        (got, frame.shipment.tracking_number),
        (position, hers),
        "bob's event was skipped"
    );
    assert_eq!(frame.event.note.as_deref(), Some("alice's parcel"));
}

/// A change written with plain SQL (a DBA's repair, a batch job, another
/// service on the same database: the database is the source of truth) reaches
/// an open stream by itself, numbered, with no later write by Shipwatch to
/// wake the servers.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_change_written_with_plain_sql_is_streamed_without_any_app_write(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let hers = shipments_of(&pool, "alice@example.com", "in_transit")
        .await
        .remove(0);
    let alice = signed_in(&app, "alice@example.com").await;
    let mut stream = Sse::open(&app, &alice, Some(head(&pool).await)).await;

    // As psql would send it: one simple query, two statements, one transaction.
    sqlx::raw_sql(&format!(
        "UPDATE shipments SET last_location = 'Depot 7', updated_at = now()
           WHERE tracking_number = '{hers}';
         INSERT INTO shipment_events (shipment_id, kind, status, location, note)
           SELECT id, 'status', 'in_transit', 'Depot 7', 'repaired by hand'
           FROM shipments WHERE tracking_number = '{hers}';",
        hers = hers.as_str()
    ))
    .execute(&pool)
    .await
    .expect("plain SQL write");

    let (position, frame) = stream
        .next_shipment(Duration::from_secs(5))
        .await
        .expect("the plain SQL change never reached the open stream");
    assert_eq!(frame.shipment.tracking_number, hers);
    assert_eq!(frame.event.note.as_deref(), Some("repaired by hand"));
    assert_eq!(position, head(&pool).await, "numbered like any other event");
}

/// The trap of resuming by insert order: a transaction that wrote first but
/// commits last. Its event must reach an open stream once, after the events
/// committed meanwhile, and a client that saw those (and resumes after them)
/// must still be handed it. Meanwhile the other writers are not held up by it.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_transaction_that_commits_late_is_streamed_once_and_never_skipped(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let numbers = shipments_of(&pool, "alice@example.com", "in_transit").await;
    let (slow_number, others) = numbers.split_first().expect("alice has shipments in transit");
    assert!(!others.is_empty());
    let ops = signed_in(&app, "ops@example.com").await;
    let mut live = Sse::open(&app, &ops, Some(head(&pool).await)).await;

    // The slow transaction writes first and holds its transaction open.
    let mut slow = pool.begin().await.expect("begin");
    let change = a_scan("slow");
    let slow_event =
        app::ssr::db::status::record_status_change_in(&mut slow, slow_number, &change, None, Rule::Ordinary)
            .await
            .expect("slow write");
    // Later writers commit (and are numbered) while it is open.
    let mut later = Vec::new();
    for (i, number) in others.iter().take(3).enumerate() {
        let position = tokio::time::timeout(
            Duration::from_secs(10),
            scan(&pool, number, &format!("later {i}")),
        )
        .await
        .expect("a later writer is not held up by an open transaction");
        later.push(position);
    }
    for expected in &later {
        let (position, _) = live.next_shipment(Duration::from_secs(5)).await.expect("live");
        assert_eq!(position, *expected);
    }
    let resume_from = *later.last().expect("later writes");
    app::ssr::db::events::commit(slow, &pool, &[slow_event.id])
        .await
        .expect("commit");
    let slow_position = numbered(&pool, slow_event.id).await;
    assert!(
        slow_position > resume_from,
        "numbered after everything already streamed"
    );

    handed_once(&mut live, (slow_position, slow_event.id)).await;
    // A client that had seen the later events resumes after them, and is
    // still handed the late one.
    let mut resumed = Sse::open(&app, &ops, Some(resume_from)).await;
    handed_once(&mut resumed, (slow_position, slow_event.id)).await;
}

/// What a listener on the announcement channel hears.
struct Announcements {
    listener: sqlx::postgres::PgListener,
}

impl Announcements {
    async fn listen(pool: &PgPool) -> Self {
        let mut listener = sqlx::postgres::PgListener::connect_with(pool)
            .await
            .expect("listen");
        listener
            .listen(app::ssr::stream::listener::CHANNEL)
            .await
            .expect("listen");
        Self { listener }
    }

    /// Sends a marker, then returns the payloads heard before it: everything
    /// committed before the marker was sent (notifications arrive in commit
    /// order).
    async fn heard_until_now(&mut self, pool: &PgPool) -> Vec<String> {
        sqlx::query("SELECT pg_notify($1, 'marker')")
            .bind(app::ssr::stream::listener::CHANNEL)
            .execute(pool)
            .await
            .expect("marker");
        let mut heard = Vec::new();
        loop {
            let notification = tokio::time::timeout(Duration::from_secs(10), self.listener.recv())
                .await
                .expect("a notification")
                .expect("listening");
            if notification.payload() == "marker" {
                return heard;
            }
            heard.push(notification.payload().to_owned());
        }
    }
}

/// A transaction that appends an event sends no NOTIFY of its own: a NOTIFY
/// makes PostgreSQL take one database-wide lock at commit and hold it through
/// the commit's disk flush, so every writer would wait for the one before it
/// (BENCHMARKS.md, issue 14). The announcement comes after the commit, on its
/// own: a listener hears nothing from the commit itself.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_write_sends_no_notification_inside_its_transaction(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let numbers = shipments_of(&pool, "alice@example.com", "in_transit").await;
    let mut announcements = Announcements::listen(&pool).await;

    let mut tx = pool.begin().await.expect("begin");
    app::ssr::db::status::record_status_change_in(
        &mut tx,
        &numbers[0],
        &a_scan("in a transaction"),
        None,
        Rule::Ordinary,
    )
    .await
    .expect("write");
    tx.commit().await.expect("commit");

    assert_eq!(
        announcements.heard_until_now(&pool).await,
        Vec::<String>::new(),
        "the write's commit sent a notification"
    );
}

/// Writers that commit at the same moment share one announcement (as
/// PostgreSQL's commits share one flush): twenty at once are one NOTIFY that
/// names all twenty, and each of them returns only once it has been sent.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn concurrent_announcements_go_out_as_one_notification(pool: PgPool) {
    let mut announcements = Announcements::listen(&pool).await;
    let ids: Vec<i64> = (1..=20).collect();
    futures::future::join_all(
        ids.iter()
            .map(|id| app::ssr::db::announcer::announce(&pool, std::slice::from_ref(id))),
    )
    .await;

    let heard = announcements.heard_until_now(&pool).await;
    let mut announced: Vec<i64> = heard
        .iter()
        .flat_map(|payload| payload.split(',').map(|id| id.parse::<i64>().expect("an id")))
        .collect();
    announced.sort_unstable();
    assert_eq!(announced, ids, "every id announced once");
    assert_eq!(
        heard.len(),
        1,
        "one notification for writers that announced together"
    );
}

/// The stream's next event is this one (position, event id), and no other follows.
async fn handed_once(stream: &mut Sse, (position, id): (i64, i64)) {
    let (got, frame) = stream
        .next_shipment(Duration::from_secs(5))
        .await
        .expect("the event");
    assert_eq!((got, frame.event.id), (position, id));
    assert!(
        stream.next_shipment(Duration::from_millis(500)).await.is_none(),
        "once"
    );
}

/// ≥ 8 concurrent writers; clients that disconnect and resume at random
/// points; every client must end with exactly the events it may see, each
/// once, in per-shipment order.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn concurrent_writers_and_reconnecting_clients_lose_and_duplicate_nothing(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let start = head(&pool).await;
    let mut numbers = shipments_of(&pool, "alice@example.com", "in_transit").await;
    numbers.extend(shipments_of(&pool, "bob@example.com", "in_transit").await);
    numbers.extend(shipments_of(&pool, "alice@example.com", "picked_up").await);
    const WRITERS: usize = 8;
    const PER_WRITER: usize = 25;
    assert!(numbers.len() >= WRITERS);

    let (done_tx, done_rx) = tokio::sync::watch::channel(false);
    let emails = ["alice@example.com", "bob@example.com", "ops@example.com"];
    let mut clients = Vec::new();
    for (seed, email) in emails.iter().enumerate() {
        let client = signed_in(&app, email).await;
        clients.push(tokio::spawn(read_with_reconnects(
            app.url("/api/events"),
            client,
            start,
            seed as u64 + 1,
            done_rx.clone(),
        )));
    }
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let pool = pool.clone();
            let number = numbers[w].clone();
            tokio::spawn(async move {
                for i in 0..PER_WRITER {
                    scan(&pool, &number, &format!("w{w}-{i}")).await;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("writer");
    }
    done_tx.send(true).expect("signal");

    for (client, email) in clients.into_iter().zip(emails) {
        let received = tokio::time::timeout(Duration::from_secs(90), client)
            .await
            .expect("client done")
            .expect("client");
        let expected: Vec<i64> = sqlx::query_scalar(
            "SELECT e.stream_position FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id
             JOIN users u ON u.id = s.owner_id
             WHERE e.stream_position > $1 AND (u.email = $2 OR $2 = 'ops@example.com') ORDER BY 1",
        )
        .bind(start)
        .bind(email)
        .fetch_all(&pool)
        .await
        .expect("expected");
        assert!(!expected.is_empty());
        let positions: Vec<i64> = received.iter().map(|(p, _)| *p).collect();
        let unique: HashSet<i64> = positions.iter().copied().collect();
        assert_eq!(unique.len(), positions.len(), "{email}: duplicates");
        let mut sorted = positions.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, expected, "{email}: exactly the events it may see");
        let mut last: BTreeMap<String, i64> = BTreeMap::new();
        for (position, number) in &received {
            let previous = last.insert(number.clone(), *position).unwrap_or(0);
            assert!(*position > previous, "{email}: {number} out of order");
        }
    }
}

/// Reads a stream, dropping the connection after a pseudo-random number of
/// events and resuming with Last-Event-ID. Once `done`, drains until quiet.
async fn read_with_reconnects(
    url: String,
    client: reqwest::Client,
    start: i64,
    mut rng: u64,
    done: tokio::sync::watch::Receiver<bool>,
) -> Vec<(i64, String)> {
    let mut got = Vec::new();
    let mut cursor = start;
    loop {
        let finished = *done.borrow();
        rng = rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let take = if finished {
            usize::MAX
        } else {
            1 + (rng >> 33) as usize % 15
        };
        let quiet = if finished {
            Duration::from_secs(2)
        } else {
            Duration::from_millis(300)
        };
        let Ok(response) = client
            .get(&url)
            .header("last-event-id", cursor.to_string())
            .send()
            .await
        else {
            continue;
        };
        let mut events = response.bytes_stream().eventsource();
        let mut taken = 0;
        let mut timed_out = false;
        while taken < take {
            match tokio::time::timeout(quiet, events.next()).await {
                Ok(Some(Ok(event))) if event.event == "shipment" => {
                    let frame: StreamEvent = serde_json::from_str(&event.data).expect("frame");
                    cursor = frame.position;
                    got.push((frame.position, frame.shipment.tracking_number.to_string()));
                    taken += 1;
                }
                Ok(Some(Ok(_))) => {}
                Ok(_) => break,
                Err(_) => {
                    timed_out = true;
                    break;
                }
            }
        }
        // Dropping `events` here disconnects at this random point.
        if finished && timed_out {
            return got;
        }
    }
}

/// Terminates the server's LISTEN connection (as a database restart would);
/// returns how many connections it ended.
async fn kill_the_listener(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = $1) t",
    )
    .bind(app::ssr::stream::listener::APPLICATION_NAME)
    .fetch_one(pool)
    .await
    .expect("terminate")
}

/// Terminates the connection the announcer holds between writes (the last
/// to run `pg_notify`); returns how many connections it ended.
async fn kill_the_announcer(pool: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND query ILIKE 'SELECT pg_notify%' AND pid <> pg_backend_pid()) t",
    )
    .fetch_one(pool)
    .await
    .expect("terminate")
}

/// A write whose announcement's connection died since the last one (a
/// database restart the listener did not notice, a connection killed by an
/// operator) is still announced, so it is numbered and streamed: the
/// announcer holds one connection between writes and replaces it when it
/// fails, instead of dropping that announcement.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_write_is_streamed_after_the_announcers_connection_died(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let numbers = shipments_of(&pool, "alice@example.com", "in_transit").await;
    let client = signed_in(&app, "ops@example.com").await;
    let mut stream = Sse::open(&app, &client, Some(head(&pool).await)).await;

    for note in ["before the kill", "after the kill"] {
        if note == "after the kill" {
            assert_eq!(
                kill_the_announcer(&pool).await,
                1,
                "the announcer's connection was found and killed"
            );
        }
        let written = scan(&pool, &numbers[0], note).await;
        let (position, _) = stream
            .next_shipment(Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("the write {note} arrives"));
        assert_eq!(position, written);
    }
}

/// While the server's LISTEN connection is down, an open stream stays open and
/// says so, then says when it is back: the page shows "Reconnecting…", then
/// "Live", without reconnecting itself.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn an_open_stream_says_when_the_servers_database_connection_is_down_and_back(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let client = signed_in(&app, "ops@example.com").await;
    let mut stream = Sse::open(&app, &client, None).await;
    let terminated = kill_the_listener(&pool).await;
    assert_eq!(terminated, 1, "the listener's connection was killed");
    let mut said = Vec::new();
    while said.last().map(String::as_str) != Some("live") {
        let event = stream
            .next_named("listener", Duration::from_secs(10))
            .await
            .expect("the stream stays open and says how its database connection is");
        said.push(event.data);
    }
    assert_eq!(said, ["reconnecting", "live"]);
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn killing_the_listener_connection_loses_no_event(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let start = head(&pool).await;
    let numbers = shipments_of(&pool, "alice@example.com", "in_transit").await;
    let client = signed_in(&app, "ops@example.com").await;
    let mut stream = Sse::open(&app, &client, Some(start)).await;

    let writer = {
        let (pool, numbers) = (pool.clone(), numbers.clone());
        tokio::spawn(async move {
            for i in 0..60 {
                scan(&pool, &numbers[i % numbers.len()], &format!("during outage {i}")).await;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let mut terminated = 0;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        terminated += kill_the_listener(&pool).await;
    }
    assert!(terminated >= 1, "the listener's connection was found and killed");
    writer.await.expect("writer");
    let end = head(&pool).await;

    let mut seen = Vec::new();
    while seen.last().copied().unwrap_or(start) < end {
        let (position, _) = stream
            .next_shipment(Duration::from_secs(10))
            .await
            .expect("every event arrives");
        seen.push(position);
    }
    let expected: Vec<i64> = ((start + 1)..=end).collect();
    assert_eq!(seen, expected, "nothing lost, nothing twice, in order");
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn signing_out_elsewhere_and_unwatching_cut_delivery_within_5_seconds(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let bobs = shipments_of(&pool, "bob@example.com", "in_transit")
        .await
        .remove(0);
    let hers = shipments_of(&pool, "alice@example.com", "in_transit")
        .await
        .remove(0);

    // Alice starts watching one of bob's shipments while her stream is open:
    // its events reach her live from then on.
    let client = signed_in(&app, "alice@example.com").await;
    let mut stream = Sse::open(&app, &client, None).await;
    sqlx::query(
        "INSERT INTO shipment_watchers (shipment_id, user_id)
         SELECT s.id, u.id FROM shipments s, users u WHERE s.tracking_number = $1 AND u.email = 'alice@example.com'",
    )
    .bind(bobs.as_str())
    .execute(&pool)
    .await
    .expect("watch");
    let watched = scan(&pool, &bobs, "watched").await;
    assert_eq!(
        stream.next_shipment(Duration::from_secs(5)).await.map(|(p, _)| p),
        Some(watched)
    );

    // Unwatch: bob's next event does not reach her; her own does.
    sqlx::query("DELETE FROM shipment_watchers")
        .execute(&pool)
        .await
        .expect("unwatch");
    scan(&pool, &bobs, "after unwatch").await;
    let own = scan(&pool, &hers, "hers").await;
    assert_eq!(
        stream.next_shipment(Duration::from_secs(5)).await.map(|(p, _)| p),
        Some(own)
    );

    // Sign out from another tab: the open stream ends, and a reconnect is refused.
    let out = client
        .delete(app.url("/api/v1/session"))
        .header(ORIGIN, app.origin())
        .send()
        .await
        .expect("sign out");
    assert_eq!(out.status(), 204);
    assert!(
        stream.ends_within(Duration::from_secs(5)).await,
        "stream closed after sign-out"
    );
    let again = client
        .get(app.url("/api/events"))
        .send()
        .await
        .expect("reconnect");
    assert_eq!(again.status(), 401);
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn revoking_a_token_or_downgrading_a_role_ends_the_stream(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let email = app::domain::Email::parse("ops@example.com").expect("email");
    let (id, token) = app::ssr::auth::tokens::create_token(&pool, &email, "feed", None)
        .await
        .expect("token");
    let response = reqwest::Client::new()
        .get(app.url("/api/events"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .send()
        .await
        .expect("connect");
    assert_eq!(response.status(), 200);
    let mut by_token = Sse::over(response);
    let client = signed_in(&app, "ops@example.com").await;
    let mut by_session = Sse::open(&app, &client, None).await;

    app::ssr::auth::tokens::revoke_token(&pool, id)
        .await
        .expect("revoke");
    assert!(
        by_token.ends_within(Duration::from_secs(5)).await,
        "revoked token's stream closed"
    );
    app::ssr::db::users::set_role(&pool, &email, app::domain::Role::Customer)
        .await
        .expect("downgrade");
    assert!(
        by_session.ends_within(Duration::from_secs(5)).await,
        "downgraded operator's stream closed"
    );
}

/// A session that simply runs out (its lifetime ends; no sign-out, nothing
/// written) ends the open stream at that moment.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn an_open_stream_ends_when_its_session_runs_out(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let app = TestApp::spawn_configured(pool.clone(), |config| {
        config.session.lifetime = Duration::from_secs(2);
    })
    .await;
    let client = signed_in(&app, "alice@example.com").await;
    let mut stream = Sse::open(&app, &client, None).await;
    assert!(
        stream.ends_within(Duration::from_secs(6)).await,
        "stream closed when the session's lifetime ended"
    );
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_client_that_stops_reading_is_dropped_and_resumes_complete(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let start = head(&pool).await;
    let number = shipments_of(&pool, "alice@example.com", "in_transit")
        .await
        .remove(0);
    let client = signed_in(&app, "alice@example.com").await;
    // Connected, then never read: the socket buffers fill, then the hub's.
    let stalled = client.get(app.url("/api/events")).send().await.expect("connect");
    assert_eq!(app.hub.open_streams(), 1);
    let big_note = "x".repeat(16 * 1024);
    let mut posted = 0;
    while app.hub.open_streams() > 0 {
        scan(&pool, &number, &big_note).await;
        posted += 1;
        assert!(posted < 5000, "the stalled stream was never dropped");
    }
    drop(stalled);
    let end = head(&pool).await;

    // The client resumes from where it was and gets everything, once.
    let mut resumed = Sse::open(&app, &client, Some(start)).await;
    let mut seen = Vec::new();
    while seen.len() < posted {
        let (position, _) = resumed
            .next_shipment(Duration::from_secs(10))
            .await
            .expect("resumed event");
        seen.push(position);
    }
    assert_eq!(seen, ((start + 1)..=end).collect::<Vec<_>>());
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn an_unusable_cursor_gets_a_reset_event(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let client = signed_in(&app, "alice@example.com").await;
    let response = client
        .get(app.url("/api/events"))
        .header("last-event-id", "999999999")
        .send()
        .await
        .expect("connect");
    let mut events = response.bytes_stream().eventsource();
    let head = head(&pool).await;
    loop {
        let event = tokio::time::timeout(Duration::from_secs(5), events.next())
            .await
            .expect("event")
            .expect("open")
            .expect("parse");
        if event.event == "reset" {
            assert_eq!(event.id, head.to_string());
            break;
        }
    }
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn the_long_poll_feed_returns_early_when_an_event_arrives(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let start = head(&pool).await;
    let number = shipments_of(&pool, "bob@example.com", "in_transit")
        .await
        .remove(0);
    let client = signed_in(&app, "bob@example.com").await;
    let poll = {
        let url = app.url(&format!("/api/v1/events?after={start}"));
        let client = client.clone();
        tokio::spawn(async move {
            client
                .get(url)
                .send()
                .await
                .expect("poll")
                .json::<app::domain::EventPage>()
                .await
                .expect("json")
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let position = scan(&pool, &number, "long-poll").await;
    let page = tokio::time::timeout(Duration::from_secs(5), poll)
        .await
        .expect("returned early")
        .expect("task");
    assert_eq!(page.cursor, position);
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.events[0].event.note.as_deref(), Some("long-poll"));

    // Asking again from the start replays it at once.
    let replay: app::domain::EventPage = client
        .get(app.url(&format!("/api/v1/events?after={start}")))
        .send()
        .await
        .expect("poll")
        .json()
        .await
        .expect("json");
    assert_eq!(replay.events.len(), 1);
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn metrics_report_streams_and_deliveries_in_prometheus_format(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let client = signed_in(&app, "ops@example.com").await;
    let mut stream = Sse::open(&app, &client, None).await;
    let number = shipments_of(&pool, "bob@example.com", "in_transit")
        .await
        .remove(0);
    scan(&pool, &number, "counted").await;
    stream.next_shipment(Duration::from_secs(5)).await.expect("event");
    let response = app.metrics().await;
    assert_eq!(response.status(), 200);
    let body = response.text().await.expect("body");
    for name in [
        "shipwatch_open_streams",
        "shipwatch_events_sent_total",
        "shipwatch_notify_to_send_seconds_bucket",
        "shipwatch_http_request_duration_seconds",
        // What the operations guide's alerts use: the listener's state and
        // the requests' status class (a 5xx rate).
        "shipwatch_listener_up",
        "status=\"2xx\"",
    ] {
        assert!(body.contains(name), "{name} missing from:\n{body}");
    }
}

/// Replay reads a customer's events one of two ways (probing each of their
/// shipments, or the log since the cursor for an account with many
/// shipments and a recent cursor). Either way it must hand out exactly the
/// events the visibility rule admits — owned and watched, nobody else's —
/// in position order. A one-shipment customer from the start of the log
/// takes the probing way; alice, with sixty, near the head takes the log.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn replay_hands_out_exactly_the_visible_events_whichever_way_it_reads(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let customer = |email: &'static str| {
        let pool = pool.clone();
        async move {
            let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
                .bind(email)
                .fetch_one(&pool)
                .await
                .expect("user");
            app::domain::CurrentUser {
                id,
                email: email.to_owned(),
                role: app::domain::Role::Customer,
            }
        }
    };
    let alice = customer("alice@example.com").await;
    let dora_id: i64 = sqlx::query_scalar(
        "INSERT INTO users (email, password_hash) VALUES ('dora@example.com', 'x') RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .expect("dora");
    let doras: TrackingNumber = TrackingNumber::parse("DORA000001").expect("number");
    sqlx::query(
        "INSERT INTO shipments (tracking_number, owner_id, origin, destination, destination_postal_code, carrier, status)
         VALUES ($1, $2, 'Leeds', 'York', 'YO1', 'Carrier', 'in_transit')",
    )
    .bind(doras.as_str())
    .bind(dora_id)
    .execute(&pool)
    .await
    .expect("dora's shipment");
    let bobs = shipments_of(&pool, "bob@example.com", "in_transit")
        .await
        .remove(0);
    for watcher in [dora_id, alice.id] {
        sqlx::query(
            "INSERT INTO shipment_watchers (shipment_id, user_id)
             SELECT id, $2 FROM shipments WHERE tracking_number = $1",
        )
        .bind(bobs.as_str())
        .bind(watcher)
        .execute(&pool)
        .await
        .expect("watch");
    }
    let alices = shipments_of(&pool, "alice@example.com", "in_transit")
        .await
        .remove(0);
    for number in [&doras, &bobs, &alices, &doras, &bobs] {
        // No server runs here to number them: the test does, as one would.
        let change = a_scan("replayed");
        record_status_change(&pool, number, &change, None, Rule::Ordinary)
            .await
            .expect("scan");
        app::ssr::stream::log::sequence(&mut pool.acquire().await.expect("a connection"))
            .await
            .expect("numbered");
    }
    let dora = customer("dora@example.com").await;
    let last = head(&pool).await;
    for (viewer, after) in [
        (&dora, 0),
        (&dora, last - 3),
        (&alice, last - 3),
        (&alice, last - 1),
        (&alice, 0),
    ] {
        let replayed: Vec<i64> = app::ssr::stream::log::read_visible_after(&pool, viewer, after)
            .await
            .expect("replay")
            .iter()
            .map(|item| item.position)
            .collect();
        let admitted: Vec<i64> = sqlx::query_scalar(
            "SELECT e.stream_position FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id
             WHERE e.stream_position > $2 AND shipment_visible_to(s.id, s.owner_id, $1, false)
             ORDER BY e.stream_position LIMIT $3",
        )
        .bind(viewer.id)
        .bind(after)
        .bind(app::ssr::stream::log::PAGE)
        .fetch_all(&pool)
        .await
        .expect("reference");
        assert!(
            !admitted.is_empty(),
            "{} after {after}: nothing to compare",
            viewer.email
        );
        assert_eq!(replayed, admitted, "{} after {after}", viewer.email);
    }
}

/// Counts read while an event is committed but not yet numbered already
/// include it; the list says so (by event id), so a page does not count its
/// frame again when it arrives with a position after `as_of`.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn counts_name_the_events_they_include_before_those_are_numbered(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let number = shipments_of(&pool, "alice@example.com", "in_transit")
        .await
        .remove(0);
    let customer = |email: &'static str| {
        let pool = pool.clone();
        async move {
            app::domain::Viewer::User(app::domain::CurrentUser {
                id: sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
                    .bind(email)
                    .fetch_one(&pool)
                    .await
                    .expect("user"),
                email: email.into(),
                role: app::domain::Role::Customer,
            })
        }
    };
    let (alice, bob) = (
        customer("alice@example.com").await,
        customer("bob@example.com").await,
    );
    let change = StatusPost {
        status: ShipmentStatus::OutForDelivery,
        location: Some("Depot".into()),
        note: None,
        occurred_at: None,
    };
    // No server runs here: the event stays unnumbered until the test numbers it.
    let event = record_status_change(&pool, &number, &change, None, Rule::Ordinary)
        .await
        .expect("change");
    let as_of = head(&pool).await;
    for viewer in [&alice, &app::domain::Viewer::System] {
        let list = app::ssr::actions::shipments::list(&pool, viewer, &Default::default())
            .await
            .expect("list");
        assert_eq!(list.as_of, as_of);
        assert_eq!(list.counted_unnumbered, vec![event.id], "{viewer:?}");
        assert!(
            list.counts
                .iter()
                .any(|c| c.status == ShipmentStatus::OutForDelivery && c.count >= 1),
            "the change is counted"
        );
    }
    let list = app::ssr::actions::shipments::list(&pool, &bob, &Default::default())
        .await
        .expect("list");
    assert!(list.counted_unnumbered.is_empty(), "not bob's to know of");

    app::ssr::stream::log::sequence(&mut pool.acquire().await.expect("a connection"))
        .await
        .expect("numbered");
    assert!(
        numbered(&pool, event.id).await > as_of,
        "its frame comes after as_of"
    );
    let list = app::ssr::actions::shipments::list(&pool, &alice, &Default::default())
        .await
        .expect("list");
    assert!(list.counted_unnumbered.is_empty(), "numbered now");
    assert_eq!(list.as_of, head(&pool).await);
}

/// Once shutdown begins, open streams end (their browsers resume on another
/// instance), and a stream asked for during the drain opens with its resume
/// point and ends at once, instead of staying open past the drain or being
/// refused with a 503 that a proxy would pass on while another instance is
/// restarting too. A long-poll answers at once with no news and its cursor.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn streams_end_and_new_ones_end_at_once_once_shutdown_begins(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
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

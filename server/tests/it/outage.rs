//! PostgreSQL crashing under load (`pg_ctl stop -m immediate`, started again
//! once every kind of request has felt it) on a cluster of the test's own:
//! requests answer 503 with `Retry-After`, never 500; `/readyz` says not ready
//! meanwhile; an open stream survives and every acknowledged write reaches it
//! exactly once.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::ORIGIN;
use server::embedded_postgres::EmbeddedPostgres;

use crate::helpers::sse::Sse;
use crate::helpers::{shipments_of, TestApp, DEMO_PASSWORD};

/// Deletes the throwaway cluster however the test ends.
pub struct Throwaway(pub EmbeddedPostgres);

impl Drop for Throwaway {
    fn drop(&mut self) {
        if let Err(error) = self.0.destroy() {
            eprintln!("could not remove the outage test's cluster: {error:#}");
        }
    }
}

/// A PostgreSQL cluster of the test's own under `target/` (made like the
/// embedded default), its URL, and the guard that deletes it.
pub async fn throwaway_cluster(name: &str) -> (String, Throwaway) {
    let cluster = EmbeddedPostgres::new(PathBuf::from(format!("../target/{name}-{}", std::process::id())));
    let url = tokio::task::spawn_blocking({
        let cluster = cluster.clone();
        move || cluster.ensure_running()
    })
    .await
    .expect("join")
    .expect("a cluster of our own");
    (url, Throwaway(cluster))
}

/// The demo data on a throwaway cluster, behind the server's own pool (as
/// it is configured in production).
async fn demo_on_a_cluster_of_its_own(name: &str) -> (sqlx::PgPool, Throwaway) {
    let (url, throwaway) = throwaway_cluster(name).await;
    let pool = app::ssr::db::connect(&url).await.expect("pool");
    app::ssr::db::MIGRATOR.run(&pool).await.expect("migrate");
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    (pool, throwaway)
}

/// Stops PostgreSQL the way a crash would.
async fn crash(cluster: &EmbeddedPostgres) {
    let cluster = cluster.clone();
    let crashed = tokio::task::spawn_blocking(move || cluster.crash())
        .await
        .expect("join")
        .expect("crash");
    assert!(crashed, "the cluster was running");
}

/// Starts PostgreSQL again after [`crash`].
async fn start_again(cluster: &EmbeddedPostgres) {
    let cluster = cluster.clone();
    tokio::task::spawn_blocking(move || cluster.ensure_running())
        .await
        .expect("join")
        .expect("start again");
}

/// Every non-2xx answer seen: (who, status, had Retry-After).
type Answers = Arc<Mutex<Vec<(&'static str, u16, bool)>>>;

fn note(answers: &Answers, who: &'static str, response: &reqwest::Response) {
    if !response.status().is_success() {
        let retry_after = response.headers().contains_key("retry-after");
        answers
            .lock()
            .expect("answers")
            .push((who, response.status().as_u16(), retry_after));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_crash_answers_503_not_500_and_loses_no_acknowledged_write() {
    let (pool, throwaway) = demo_on_a_cluster_of_its_own("outage-test").await;
    let cluster = throwaway.0.clone();
    let app = TestApp::spawn(pool.clone()).await;
    let numbers: Vec<String> = shipments_of(&pool, "%", "in_transit")
        .await
        .into_iter()
        .take(4)
        .map(|n| n.to_string())
        .collect();
    assert_eq!(numbers.len(), 4);

    // The operator's open stream, from now.
    let ops = app.as_user("ops@example.com").await;
    let response = ops.get("/api/events").await;
    assert_eq!(response.status(), 200);
    let mut frames = Sse::over(response);

    let answers: Answers = Arc::default();
    let acked: Arc<Mutex<Vec<i64>>> = Arc::default();
    let acks = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for (writer, number) in numbers.iter().enumerate() {
        let (ops, answers, acked, acks, stop, number) = (
            ops.clone(),
            answers.clone(),
            acked.clone(),
            acks.clone(),
            stop.clone(),
            number.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let key = format!("writer-{writer}-{n}");
                // Retried with the same key until it is acknowledged.
                loop {
                    let response = ops
                        .client
                        .post(ops.url(&format!("/api/v1/shipments/{number}/events")))
                        .header(ORIGIN, ops.origin())
                        .header("idempotency-key", &key)
                        .json(&serde_json::json!({"status": "in_transit", "location": key}))
                        .send()
                        .await;
                    let Ok(response) = response else { continue };
                    note(&answers, "status post", &response);
                    if response.status() == 201 {
                        let event: serde_json::Value = response.json().await.expect("event");
                        acked
                            .lock()
                            .expect("acked")
                            .push(event["id"].as_i64().expect("id"));
                        acks.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    assert_eq!(response.status(), 503, "a refused write is 503, nothing else");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }));
    }
    // Someone signing in meanwhile (a new session is written to PostgreSQL),
    // someone reading a list, and a load balancer asking /readyz.
    let ready_seen: Arc<Mutex<Vec<u16>>> = Arc::default();
    let pages_seen: Arc<Mutex<Vec<bool>>> = Arc::default();
    for who in ["sign-in", "list", "page", "readyz"] {
        let (app, answers, stop, ready_seen) =
            (app.clone(), answers.clone(), stop.clone(), ready_seen.clone());
        let pages_seen = pages_seen.clone();
        let client = match who {
            "list" | "page" => ops.client.clone(),
            _ => TestApp::browser(),
        };
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let response =
                    match who {
                        "sign-in" => client
                            .post(app.url("/api/v1/session"))
                            .header(ORIGIN, app.origin())
                            .json(
                                &serde_json::json!({"email": "alice@example.com", "password": DEMO_PASSWORD}),
                            )
                            .send()
                            .await,
                        "list" => client.get(app.url("/api/v1/shipments?limit=5")).send().await,
                        "page" => client.get(app.url("/")).send().await,
                        _ => client.get(app.url("/readyz")).send().await,
                    };
                if let Ok(response) = response {
                    if who == "readyz" {
                        ready_seen.lock().expect("ready").push(response.status().as_u16());
                    } else if who == "page" && response.status() == 503 {
                        // A page a person can read, that retries by itself:
                        // the outage page (meta refresh), or the page itself
                        // saying so, with a `Refresh` header (its data could
                        // not be read after the sign-in check passed).
                        note(&answers, who, &response);
                        let refresh_header = response.headers().contains_key("refresh");
                        let html = response.text().await.unwrap_or_default();
                        pages_seen.lock().expect("pages").push(
                            html.contains("briefly unavailable")
                                && (refresh_header || html.contains(r#"http-equiv="refresh""#)),
                        );
                    } else {
                        note(&answers, who, &response);
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }

    let wait_for_acks = |at_least: usize| {
        let acks = acks.clone();
        async move {
            for _ in 0..3000 {
                if acks.load(Ordering::Relaxed) >= at_least {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            panic!("writes stopped being acknowledged (wanted {at_least})");
        }
    };
    wait_for_acks(20).await;
    // Down until every kind of request has been answered during the outage
    // (a restart alone can be over before a poll lands in it), then back.
    crash(&cluster).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let refused: Vec<&str> = answers
            .lock()
            .expect("answers")
            .iter()
            .map(|(who, _, _)| *who)
            .collect();
        let all_felt = ["status post", "sign-in", "list", "page"]
            .iter()
            .all(|who| refused.contains(who))
            && ready_seen.lock().expect("ready").contains(&503);
        if all_felt {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "with the database down, every request is answered (refused so far: {refused:?})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    start_again(&cluster).await;
    let before = acks.load(Ordering::Relaxed);
    wait_for_acks(before + 40).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("a client task panicked");
    }

    let answers = answers.lock().expect("answers").clone();
    let errors: Vec<_> = answers.iter().filter(|(_, status, _)| *status >= 500).collect();
    assert!(
        errors
            .iter()
            .all(|(_, status, retry_after)| *status == 503 && *retry_after),
        "only 503 with Retry-After: {errors:?}"
    );
    assert!(!errors.is_empty(), "the outage was felt by some request");
    for who in ["status post", "sign-in", "list", "page"] {
        let refused = errors.iter().filter(|(w, _, _)| *w == who).count();
        eprintln!("{who}: {refused} answered 503 during the outage");
    }
    assert!(
        pages_seen.lock().expect("pages").iter().all(|readable| *readable),
        "a page during the outage is the self-retrying unavailable page"
    );
    let ready = ready_seen.lock().expect("ready").clone();
    assert!(ready.contains(&503), "/readyz said not ready during the outage");
    assert_eq!(ready.last(), Some(&200), "/readyz ready again after it");

    // Every acknowledged write reaches the stream that stayed open, once.
    let acked = acked.lock().expect("acked").clone();
    let mut seen: HashMap<i64, usize> = HashMap::new();
    while acked.iter().any(|id| !seen.contains_key(id)) {
        let (_, frame) = frames
            .next_shipment(Duration::from_secs(20))
            .await
            .expect("the stream stays open and delivers every acknowledged write");
        *seen.entry(frame.event.id).or_default() += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered twice: {twice:?}");
    drop(frames);
    pool.close().await;
}

/// The pool hands out its idle connections without a round trip to test them
/// first (`db::connect`): a connection from before a restart must not reach a
/// request once the database is back, or that request would answer 503
/// although nothing is wrong any more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_the_database_is_back_no_request_gets_a_connection_from_before_it_went() {
    let (pool, throwaway) = demo_on_a_cluster_of_its_own("restart-test").await;
    let cluster = throwaway.0.clone();
    let app = TestApp::spawn(pool.clone())
        .await
        .as_user("ops@example.com")
        .await;

    // Many requests at once, so the pool holds many connections.
    let lists = (0..30).map(|_| app.get("/api/v1/shipments"));
    for response in futures::future::join_all(lists).await {
        assert_eq!(response.status(), 200, "a list before the restart");
    }
    let pooled = pool.size();
    assert!(pooled >= 5, "the pool holds several connections ({pooled})");

    let wait_until = |connected: bool| {
        let hub = app.hub.clone();
        async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            while hub.listener_connected() != connected {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "listener connected: {connected}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    crash(&cluster).await;
    wait_until(false).await;
    start_again(&cluster).await;
    wait_until(true).await;

    // One after another, so every pooled connection is handed out in turn.
    for request in 0..pooled + 5 {
        let response = app.get("/api/v1/shipments").await;
        assert_eq!(
            response.status(),
            200,
            "request {request} after the database came back"
        );
    }
    pool.close().await;
}

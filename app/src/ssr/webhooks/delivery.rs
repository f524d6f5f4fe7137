//! The deliverer: every server runs one, and together they POST each
//! endpoint's events in stream-position order, signed, retrying with backoff.
//!
//! An endpoint is worked on by one server at a time, under a lease taken
//! with `FOR UPDATE SKIP LOCKED` (a server that dies mid-delivery lets its
//! lease run out, and another takes over from the endpoint's cursor: the
//! event in flight is sent again with the same `webhook-id`, which is how
//! receivers recognise a duplicate). The cursor advances only after a 2xx,
//! in the same statement that logs the attempt, so nothing is skipped and
//! nothing is lost across restarts and database crashes: the event log is
//! the outbox. What an endpoint receives is read with the stream's replay
//! (`stream::log::read_visible_after`), as its owner may see it now: a
//! shipment they stopped watching, or another customer's, never goes out.
//!
//! The deliverer wakes when the hub dispatches events and when the next
//! retry is due.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::Rng as _;
use sqlx::PgPool;
use tokio::task::JoinSet;

use crate::domain::{CurrentUser, EventKind, ShipmentStatus, WebhookTopic};
use crate::error::AppError;
use crate::ssr::db;
use crate::ssr::notify::preferences;
use crate::ssr::stream::hub::StreamItem;
use crate::ssr::stream::{log, Hub};

use super::signature;
use super::target::AddressPolicy;

/// How the deliverer behaves (`server serve` settings).
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub policy: AddressPolicy,
    /// The wait before each retry of a failing delivery; after the last,
    /// the last again. Each wait is spread by ±20 % so endpoints that failed
    /// together do not retry together.
    pub retry_schedule: Vec<Duration>,
    /// An endpoint failing for longer than this is switched off.
    pub disable_after: Duration,
    /// Whether this process runs a deliverer (any instance may deliver).
    pub deliverer: bool,
}

/// The default retries: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, then
/// every 8 h; about a day (24.6 h) of failures switches an endpoint off.
pub const DEFAULT_RETRY_SCHEDULE: [u64; 9] = [5, 30, 120, 600, 1800, 3600, 7200, 14_400, 28_800];

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            policy: AddressPolicy::default(),
            retry_schedule: DEFAULT_RETRY_SCHEDULE.map(Duration::from_secs).to_vec(),
            disable_after: Duration::from_secs(24 * 3600),
            deliverer: true,
        }
    }
}

impl WebhookSettings {
    /// The wait after the `failures`-th failure in a row, with jitter.
    fn backoff(&self, failures: i32) -> Duration {
        let index = usize::try_from(failures.max(1) - 1).unwrap_or(0);
        let Some(base) = self.retry_schedule.get(index).or(self.retry_schedule.last()) else {
            return Duration::from_secs(5);
        };
        base.mul_f64(rand::thread_rng().gen_range(0.8..1.2))
    }
}

/// Endpoints one server works on at once.
const CONCURRENT_ENDPOINTS: usize = 32;
/// How long a lease lasts; a holder gives it back sooner (after
/// [`WORK_PER_LEASE`]), or renews it with each delivery.
const LEASE: Duration = Duration::from_secs(60);
/// How long one server keeps an endpoint before letting others have a turn.
const WORK_PER_LEASE: Duration = Duration::from_secs(20);
/// How much of a receiver's answer is read and kept in the log.
const RESPONSE_HEAD: usize = 256;
/// The longest the deliverer sleeps without looking (a retry may fall due).
const IDLE_LOOK: Duration = Duration::from_secs(1);

/// Runs until the hub shuts down (at once if this process does not deliver).
pub async fn run(pool: PgPool, hub: Arc<Hub>, settings: WebhookSettings) {
    if !settings.deliverer {
        tracing::info!("webhook deliveries off on this instance (SHIPWATCH_WEBHOOK_DELIVERER=false)");
        return;
    }
    let settings = Arc::new(settings);
    let client = settings.policy.client();
    let mut dispatched = hub.dispatched();
    let mut shutdown = hub.shutdown_receiver();
    let mut working: JoinSet<()> = JoinSet::new();
    loop {
        if hub.is_shutting_down() {
            break;
        }
        let room = CONCURRENT_ENDPOINTS.saturating_sub(working.len());
        if room > 0 {
            match claim(&pool, hub.last_position(), room).await {
                Ok(claimed) => {
                    for endpoint in claimed {
                        let (pool, client, settings) = (pool.clone(), client.clone(), Arc::clone(&settings));
                        working.spawn(async move {
                            if let Err(error) = work(&pool, &client, &settings, endpoint).await {
                                tracing::warn!(%error, "webhook delivery interrupted");
                            }
                        });
                    }
                }
                Err(error) => tracing::warn!(%error, "could not look for due webhook deliveries"),
            }
        }
        tokio::select! {
            _ = dispatched.changed() => {}
            Some(_) = working.join_next(), if !working.is_empty() => {}
            () = tokio::time::sleep(IDLE_LOOK) => {}
            _ = shutdown.changed() => {}
        }
    }
    working.shutdown().await;
}

/// An endpoint leased to this server.
struct Claimed {
    id: i64,
    owner_id: i64,
    url: String,
    topics: Vec<String>,
    secret: String,
    previous_secret: Option<String>,
    previous_secret_until: Option<DateTime<Utc>>,
    cursor: i64,
    attempts: i32,
    failing_since: Option<DateTime<Utc>>,
    lease: i64,
}

/// Leases up to `room` enabled endpoints that are due and have events after
/// their cursor (the head is this server's last dispatched position).
async fn claim(pool: &PgPool, head: i64, room: usize) -> Result<Vec<Claimed>, AppError> {
    let lease: i64 = rand::thread_rng().gen();
    Ok(sqlx::query_as!(
        Claimed,
        r#"UPDATE webhook_endpoints e
           SET lease = $1, leased_until = now() + make_interval(secs => $4)
           WHERE e.id IN (
               SELECT id FROM webhook_endpoints
               WHERE enabled AND next_attempt_at <= now() AND cursor < $2
                 AND (leased_until IS NULL OR leased_until < now())
               ORDER BY next_attempt_at
               LIMIT $3
               FOR UPDATE SKIP LOCKED)
           RETURNING e.id, e.owner_id, e.url, e.topics, e.secret, e.previous_secret,
                     e.previous_secret_until AS "previous_secret_until: DateTime<Utc>",
                     e.cursor, e.attempts, e.failing_since AS "failing_since: DateTime<Utc>",
                     e.lease AS "lease!""#,
        lease,
        head,
        i64::try_from(room).unwrap_or(1),
        LEASE.as_secs_f64(),
    )
    .fetch_all(pool)
    .await?)
}

/// Delivers an endpoint's events in order until it is caught up, a delivery
/// fails, or its turn is over; then gives the lease back.
async fn work(
    pool: &PgPool,
    client: &reqwest::Client,
    settings: &WebhookSettings,
    mut endpoint: Claimed,
) -> Result<(), AppError> {
    let started = Instant::now();
    let Some(owner) = db::users::find_by_id(pool, endpoint.owner_id).await? else {
        return release(pool, &endpoint).await;
    };
    let topics: Vec<WebhookTopic> = endpoint
        .topics
        .iter()
        .filter_map(|t| WebhookTopic::parse(t))
        .collect();
    let notable = if topics.contains(&WebhookTopic::Notable) {
        preferences::of(pool, owner.id).await?.statuses
    } else {
        Vec::new()
    };
    loop {
        let items = log::read_visible_after(pool, &owner, endpoint.cursor).await?;
        let full_page = items.len() as i64 >= log::PAGE;
        for item in &items {
            if !wanted(&topics, &notable, item) {
                // Passed over: the cursor moves with the next delivery, or at the end.
                endpoint.cursor = item.position;
                continue;
            }
            let message = Message::of_event(endpoint.id, &owner, item);
            let outcome = send(client, settings, &endpoint, &message).await;
            if !settle(pool, settings, &mut endpoint, &message, &outcome).await? {
                return Ok(());
            }
            if started.elapsed() > WORK_PER_LEASE {
                return release(pool, &endpoint).await;
            }
        }
        if !full_page {
            return release(pool, &endpoint).await;
        }
    }
}

/// Whether an endpoint with `topics` receives `item`.
fn wanted(topics: &[WebhookTopic], notable: &[ShipmentStatus], item: &StreamItem) -> bool {
    topics.iter().any(|topic| match topic {
        WebhookTopic::Status => item.kind == EventKind::Status,
        WebhookTopic::Notable => item.status.is_some_and(|status| notable.contains(&status)),
        WebhookTopic::Problem => matches!(item.kind, EventKind::ProblemReported | EventKind::ProblemResolved),
    })
}

/// One message: its id (stable per event and endpoint), type, and body.
pub struct Message {
    pub id: String,
    pub position: Option<i64>,
    pub event_type: &'static str,
    pub body: Vec<u8>,
}

/// The payload's version: a change a receiver must adapt to gets a new one.
pub const PAYLOAD_VERSION: u32 = 1;

/// Every `type` a delivery may have, and when it is sent.
pub const EVENT_TYPES: [(&str, &str); 5] = [
    ("shipment.status_changed", "a shipment's status changed (topics `status`; `notable` for the statuses its owner's notification settings name)"),
    ("shipment.problem_reported", "a problem was reported on a shipment (topic `problem`)"),
    ("shipment.problem_resolved", "a problem was resolved (topic `problem`)"),
    ("shipment.instructions_set", "the owner set delivery instructions (no topic yet: sent to none)"),
    ("webhook.test", "the owner asked for a test delivery"),
];

impl Message {
    fn of_event(endpoint_id: i64, owner: &CurrentUser, item: &StreamItem) -> Self {
        let event_type = event_type(item.kind);
        // The stream frame's JSON as the owner is shown it, verbatim.
        let data = item.frame_for(owner.id, owner.role).json();
        Self {
            id: format!("msg_{endpoint_id}_{}", item.position),
            position: Some(item.position),
            event_type,
            body: envelope(event_type, item.occurred_at, data),
        }
    }

    /// A test message: not from the stream, and not retried.
    pub fn test(endpoint_id: i64) -> Self {
        let now = Utc::now();
        let data = serde_json::json!({
            "endpoint_id": endpoint_id,
            "message": "A test delivery from Shipwatch: this endpoint is reachable and verifies signatures.",
        });
        Self {
            id: format!("msg_{endpoint_id}_test_{}", now.timestamp_micros()),
            position: None,
            event_type: "webhook.test",
            body: envelope("webhook.test", now, data.to_string().as_bytes()),
        }
    }
}

/// A delivery's `type` for an event of `kind` (one of [`EVENT_TYPES`]).
fn event_type(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Status => "shipment.status_changed",
        EventKind::ProblemReported => "shipment.problem_reported",
        EventKind::ProblemResolved => "shipment.problem_resolved",
        EventKind::InstructionsSet => "shipment.instructions_set",
    }
}

/// `{"type", "version", "timestamp", "data"}`, the Standard Webhooks shape.
fn envelope(event_type: &str, at: DateTime<Utc>, data: &[u8]) -> Vec<u8> {
    let head = format!(
        r#"{{"type":"{event_type}","version":{PAYLOAD_VERSION},"timestamp":"{}","data":"#,
        at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    );
    let mut body = Vec::with_capacity(head.len() + data.len() + 1);
    body.extend_from_slice(head.as_bytes());
    body.extend_from_slice(data);
    body.push(b'}');
    body
}

/// What became of one attempt.
pub struct Outcome {
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub latency: Duration,
    pub response_head: String,
}

impl Outcome {
    fn delivered(&self) -> bool {
        self.http_status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// POSTs `message` to the endpoint, signed with its secret (and the
/// previous one while a rotation overlaps).
async fn send(
    client: &reqwest::Client,
    settings: &WebhookSettings,
    endpoint: &Claimed,
    message: &Message,
) -> Outcome {
    let secrets = signature::signing_secrets(
        &endpoint.secret,
        endpoint.previous_secret.as_deref(),
        endpoint.previous_secret_until,
    );
    post(client, settings.policy, &endpoint.url, &secrets, message).await
}

/// POSTs one signed message to `url`, keeping to `policy`.
pub async fn post(
    client: &reqwest::Client,
    policy: AddressPolicy,
    url: &str,
    secrets: &[&str],
    message: &Message,
) -> Outcome {
    let started = Instant::now();
    let failed = |error: String| Outcome {
        http_status: None,
        error: Some(error),
        latency: started.elapsed(),
        response_head: String::new(),
    };
    // An address written in the URL is checked here; a host name's, by the
    // client's resolver at every connection.
    let url = match policy.check(url) {
        Ok(url) => url,
        Err(reason) => return failed(reason),
    };
    let timestamp = Utc::now().timestamp();
    let signature = signature::sign(secrets, &message.id, timestamp, &message.body);
    let sent = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &message.id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(message.body.clone())
        .send()
        .await;
    let mut response = match sent {
        Ok(response) => response,
        Err(error) => return failed(describe(&error)),
    };
    let http_status = response.status().as_u16();
    let mut head = Vec::new();
    while head.len() < RESPONSE_HEAD {
        match response.chunk().await {
            Ok(Some(chunk)) => head.extend_from_slice(&chunk[..chunk.len().min(RESPONSE_HEAD - head.len())]),
            Ok(None) | Err(_) => break,
        }
    }
    Outcome {
        http_status: Some(http_status),
        error: None,
        latency: started.elapsed(),
        response_head: String::from_utf8_lossy(&head).into_owned(),
    }
}

/// Why a request got no answer, in words for the endpoint's owner (no
/// internals: the owner may not run the server).
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        format!("no answer within {} s", super::target::TIMEOUT.as_secs())
    } else if error.is_connect() {
        // The resolver's refusal, somewhere down the chain of causes.
        let refused = std::iter::successors(std::error::Error::source(error), |e| e.source())
            .any(|cause| cause.to_string().contains("does not send to"));
        if refused {
            "the host resolves only to addresses Shipwatch does not send to".into()
        } else {
            "could not connect".into()
        }
    } else {
        "the request failed before an answer".into()
    }
}

/// Logs the attempt and moves the endpoint on: past the event when it was
/// delivered, to a later retry when not, off on 410 Gone or after failing
/// too long. `false`: stop working on this endpoint now.
async fn settle(
    pool: &PgPool,
    settings: &WebhookSettings,
    endpoint: &mut Claimed,
    message: &Message,
    outcome: &Outcome,
) -> Result<bool, AppError> {
    let position = message.position.unwrap_or(endpoint.cursor);
    let attempt = endpoint.attempts + 1;
    let latency_ms = i32::try_from(outcome.latency.as_millis()).unwrap_or(i32::MAX);
    let http_status = outcome.http_status.map(|s| i16::try_from(s).unwrap_or(i16::MAX));
    let delivered = outcome.delivered();
    let gone = outcome.http_status == Some(410);
    let failing_since = endpoint.failing_since.unwrap_or_else(Utc::now);
    let too_long = !delivered
        && Utc::now()
            .signed_duration_since(failing_since)
            .to_std()
            .unwrap_or_default()
            > settings.disable_after;
    let disabled_reason = if gone {
        Some("the receiver answered 410 Gone".to_owned())
    } else if too_long {
        Some(format!(
            "deliveries failed for more than {} hours",
            settings.disable_after.as_secs() / 3600
        ))
    } else {
        None
    };
    let retry_in = settings.backoff(attempt);
    metrics::counter!("shipwatch_webhook_deliveries_total",
        "outcome" => if delivered { "delivered" } else { "failed" })
    .increment(1);
    metrics::histogram!("shipwatch_webhook_delivery_seconds").record(outcome.latency.as_secs_f64());
    let kept = sqlx::query_scalar!(
        r#"WITH logged AS (
               INSERT INTO webhook_attempts (endpoint_id, webhook_id, position, event_type, attempt,
                                             http_status, error, latency_ms, response_head)
               VALUES ($1, $3, $4, $5, $6, $7, $8, $9, $10)
           )
           UPDATE webhook_endpoints SET
               cursor = CASE WHEN $11 THEN $4 ELSE $12 END,
               attempts = CASE WHEN $11 THEN 0 ELSE $6 END,
               failing_since = CASE WHEN $11 THEN NULL ELSE COALESCE(failing_since, now()) END,
               next_attempt_at = CASE WHEN $11 THEN now() ELSE now() + make_interval(secs => $13) END,
               enabled = enabled AND $14::text IS NULL,
               disabled_reason = COALESCE($14, disabled_reason),
               leased_until = CASE WHEN $11 THEN now() + make_interval(secs => $15) ELSE NULL END
           WHERE id = $1 AND lease = $2
           RETURNING id"#,
        endpoint.id,
        endpoint.lease,
        message.id,
        position,
        message.event_type,
        attempt,
        http_status,
        outcome.error,
        latency_ms,
        outcome.response_head,
        delivered,
        endpoint.cursor,
        retry_in.as_secs_f64(),
        disabled_reason,
        LEASE.as_secs_f64(),
    )
    .fetch_optional(pool)
    .await?;
    if kept.is_none() {
        // Another server holds the endpoint now (this one was too slow).
        return Ok(false);
    }
    if let Some(reason) = &disabled_reason {
        tracing::warn!(endpoint = endpoint.id, reason, "webhook endpoint switched off");
    }
    if delivered {
        endpoint.cursor = position;
        endpoint.attempts = 0;
        endpoint.failing_since = None;
        Ok(true)
    } else {
        Ok(false)
    }
}

/// Gives the lease back, with the cursor past what was passed over.
async fn release(pool: &PgPool, endpoint: &Claimed) -> Result<(), AppError> {
    sqlx::query!(
        r#"UPDATE webhook_endpoints SET cursor = GREATEST(cursor, $3), leased_until = NULL
           WHERE id = $1 AND lease = $2"#,
        endpoint.id,
        endpoint.lease,
        endpoint.cursor,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Sends a test message to endpoint `id` of `owner_id` now, outside its
/// queue (its cursor does not move), and logs the attempt.
pub async fn send_test(
    pool: &PgPool,
    policy: AddressPolicy,
    owner_id: i64,
    id: i64,
) -> Result<crate::domain::WebhookAttempt, AppError> {
    let endpoint = sqlx::query!(
        r#"SELECT url, secret, previous_secret,
                  previous_secret_until AS "previous_secret_until: DateTime<Utc>"
           FROM webhook_endpoints WHERE owner_id = $1 AND id = $2"#,
        owner_id,
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::NotFound(format!("webhook endpoint {id}")))?;
    let secrets = signature::signing_secrets(
        &endpoint.secret,
        endpoint.previous_secret.as_deref(),
        endpoint.previous_secret_until,
    );
    let message = Message::test(id);
    let outcome = post(&policy.client(), policy, &endpoint.url, &secrets, &message).await;
    let http_status = outcome.http_status.map(|s| i16::try_from(s).unwrap_or(i16::MAX));
    Ok(sqlx::query_as!(
        crate::domain::WebhookAttempt,
        r#"INSERT INTO webhook_attempts (endpoint_id, webhook_id, position, event_type, attempt,
                                         http_status, error, latency_ms, response_head)
           VALUES ($1, $2, NULL, $3, 1, $4, $5, $6, $7)
           RETURNING webhook_id, position, event_type, attempt,
                     attempted_at AS "attempted_at: DateTime<Utc>",
                     http_status, error, latency_ms, response_head"#,
        id,
        message.id,
        message.event_type,
        http_status,
        outcome.error,
        i32::try_from(outcome.latency.as_millis()).unwrap_or(i32::MAX),
        outcome.response_head,
    )
    .fetch_one(pool)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The API document lists [`EVENT_TYPES`]: every type sent is among them.
    #[test]
    fn every_type_sent_is_documented() {
        let documented: Vec<&str> = EVENT_TYPES.iter().map(|(name, _)| *name).collect();
        for kind in [
            EventKind::Status,
            EventKind::ProblemReported,
            EventKind::ProblemResolved,
            EventKind::InstructionsSet,
        ] {
            assert!(documented.contains(&event_type(kind)), "{kind:?}");
        }
        assert!(documented.contains(&Message::test(1).event_type));
    }

    #[test]
    fn the_body_is_the_envelope_around_the_frame() {
        let at = DateTime::parse_from_rfc3339("2026-12-08T09:00:00Z")
            .expect("time")
            .to_utc();
        let body = envelope("shipment.status_changed", at, br#"{"position":7}"#);
        let parsed: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(
            parsed,
            serde_json::json!({"type": "shipment.status_changed", "version": 1,
                               "timestamp": "2026-12-08T09:00:00.000000Z", "data": {"position": 7}})
        );
        let retries = [1, 2, 3, 9, 20].map(|n| WebhookSettings::default().backoff(n).as_secs_f64());
        assert!(
            (4.0..=6.0).contains(&retries[0]) && (24.0..=36.0).contains(&retries[1]),
            "{retries:?}"
        );
        assert!(
            (23_040.0..=34_560.0).contains(&retries[4]),
            "the last wait repeats: {retries:?}"
        );
    }
}

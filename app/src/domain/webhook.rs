//! Outgoing webhooks as people see them: an endpoint, what it receives, and
//! the log of its deliveries. The delivery itself is `ssr::webhooks`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What an endpoint receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WebhookTopic {
    /// Every status change.
    Status,
    /// The status changes the owner's notification settings name (by
    /// default out for delivery, delivered, a failed attempt, an exception).
    Notable,
    /// Problems reported and resolved.
    Problem,
}

impl WebhookTopic {
    pub const ALL: [Self; 3] = [Self::Status, Self::Notable, Self::Problem];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Status => "status",
            Self::Notable => "notable",
            Self::Problem => "problem",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|topic| topic.as_str() == raw)
    }
}

/// A registered endpoint (its secret is shown once, when it is made or
/// rotated: [`WebhookSecret`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookEndpoint {
    pub id: i64,
    pub url: String,
    pub topics: Vec<WebhookTopic>,
    pub enabled: bool,
    /// Why Shipwatch switched it off (the receiver answered 410 Gone, or
    /// failed for too long); absent while enabled or switched off by its owner.
    pub disabled_reason: Option<String>,
    /// The last stream position it has been given: it receives what comes after.
    pub cursor: i64,
    /// Failed attempts at the next event, and since when deliveries fail.
    pub attempts: i32,
    pub failing_since: Option<DateTime<Utc>>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// A new endpoint's secret, or a rotated one: shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookSecret {
    pub endpoint: WebhookEndpoint,
    /// `whsec_` + base64: the key receivers verify `webhook-signature` with.
    pub secret: String,
    /// After a rotation, the old secret signs too until then.
    pub previous_secret_until: Option<DateTime<Utc>>,
}

/// One attempt to deliver, as the endpoint's log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookAttempt {
    pub webhook_id: String,
    /// The stream position delivered; absent for a test event.
    pub position: Option<i64>,
    pub event_type: String,
    /// 1 for the first try of this event, 2 for the first retry…
    pub attempt: i32,
    pub attempted_at: DateTime<Utc>,
    /// The receiver's HTTP status; absent when it did not answer (`error`).
    pub http_status: Option<i16>,
    pub error: Option<String>,
    pub latency_ms: i32,
    /// The first bytes of the answer.
    pub response_head: String,
}

//! What people submit, parsed once: each type's constructor holds every rule
//! for its fields (lengths, formats, time bounds), so the server-side core
//! receives only input that is already valid, whichever door it came through
//! (server function, REST, HTML form, command line).

use chrono::{DateTime, Duration, NaiveDate, Utc};

use serde::{Deserialize, Serialize};

use super::{Email, NewPassword, ShipmentEvent, ShipmentStatus, TrackingNumber};

/// Why one field was refused: the field's name and a message for a person.
/// The server reports it as a 422 naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl ToString) -> Self {
        Self {
            field,
            message: message.to_string(),
        }
    }
}

/// Longest accepted texts, in characters.
pub const MAX_LOCATION: usize = 200;
pub const MAX_NOTE: usize = 2000;
pub const MAX_PLACE: usize = 100;
pub const MAX_CARRIER: usize = 60;
pub const MAX_INSTRUCTIONS: usize = 500;
pub const MAX_PROBLEM: usize = 2000;
pub const MAX_REASON: usize = 500;
pub const MAX_TOKEN_NAME: usize = 100;
pub const MAX_POSTAL_CODE: usize = 16;
/// Most shipments one bulk update may change.
pub const MAX_BULK: usize = 200;
/// An event may be dated this far ahead of the server's clock (scanner clocks
/// drift) …
pub const MAX_FUTURE_MINUTES: i64 = 5;
/// … and this far back (late uploads from a depot that was offline).
pub const MAX_PAST_DAYS: i64 = 365;

/// The postal code as sent may have spaces anywhere; it is at most this
/// long before they are dropped.
pub const MAX_POSTAL_CODE_AS_SENT: usize = 64;
/// Most notifications one "mark read" names: a page of the inbox.
pub const MAX_MARK_READ: usize = super::INBOX_PAGE as usize;
/// A webhook endpoint's URL, in characters.
pub const MAX_WEBHOOK_URL: usize = 2000;
/// What a webhook URL starts with, in any case (the rest is the server's
/// address rules: `ssr::webhooks::target`).
pub const WEBHOOK_URL_PATTERN: &str = "^[Hh][Tt][Tt][Pp][Ss]?://";

/// How a submitted field is bounded, stated once for every door: the
/// validators in this file enforce it, the API's JSON Schema states it
/// (`server::routes::api_v1::openapi`), and the forms' `minlength` /
/// `maxlength` attributes come from it. `server/tests/it/rules.rs` fails when
/// any of them disagrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldRule {
    /// A string of `min_chars` to `max_chars` characters (`None`: bounded
    /// by its pattern), matching `pattern` (a JSON Schema pattern).
    Text {
        min_chars: usize,
        max_chars: Option<usize>,
        pattern: Option<&'static str>,
    },
    /// A list of `min_items` to `max_items` entries.
    List { min_items: usize, max_items: usize },
    /// A whole number from `min` to `max`.
    Whole { min: u32, max: u32 },
}

/// Something other than white space (a required text).
pub const NOT_BLANK: &str = r"\S";
/// 1 to 16 characters other than white space, with any spaces between.
pub const POSTAL_CODE_PATTERN: &str = r"^\s*(\S\s*){1,16}$";

impl FieldRule {
    const fn required(max_chars: usize) -> Self {
        Self::Text {
            min_chars: 1,
            max_chars: Some(max_chars),
            pattern: Some(NOT_BLANK),
        }
    }

    const fn optional(max_chars: usize) -> Self {
        Self::Text {
            min_chars: 0,
            max_chars: Some(max_chars),
            pattern: None,
        }
    }

    /// The longest text the field takes, in characters.
    pub const fn max_chars(self) -> Option<usize> {
        match self {
            Self::Text { max_chars, .. } => max_chars,
            _ => None,
        }
    }

    /// The shortest text the field takes, in characters.
    pub const fn min_chars(self) -> usize {
        match self {
            Self::Text { min_chars, .. } => min_chars,
            _ => 0,
        }
    }

    /// The rule of the field called `name` on the wire (in JSON bodies and in
    /// forms alike), if it is bounded.
    pub fn of(name: &str) -> Option<Self> {
        Some(match name {
            "tracking_number" => Self::Text {
                min_chars: 0,
                max_chars: None,
                pattern: Some(TrackingNumber::PATTERN),
            },
            "email" | "owner_email" => Self::Text {
                min_chars: 0,
                max_chars: Some(Email::MAX_LEN),
                pattern: Some(Email::PATTERN),
            },
            "password" => Self::Text {
                min_chars: NewPassword::MIN_CHARS,
                max_chars: Some(NewPassword::MAX_CHARS),
                pattern: None,
            },
            "origin" | "destination" => Self::required(MAX_PLACE),
            "carrier" => Self::required(MAX_CARRIER),
            "destination_postal_code" | "postal_code" => Self::Text {
                min_chars: 0,
                max_chars: Some(MAX_POSTAL_CODE_AS_SENT),
                pattern: Some(POSTAL_CODE_PATTERN),
            },
            "location" => Self::optional(MAX_LOCATION),
            "note" => Self::optional(MAX_NOTE),
            "instructions" => Self::optional(MAX_INSTRUCTIONS),
            "description" | "resolution" => Self::required(MAX_PROBLEM),
            "reason" => Self::required(MAX_REASON),
            "name" => Self::required(MAX_TOKEN_NAME),
            "tracking_numbers" => Self::List {
                min_items: 1,
                max_items: MAX_BULK,
            },
            "url" => Self::Text {
                min_chars: 1,
                max_chars: Some(MAX_WEBHOOK_URL),
                pattern: Some(WEBHOOK_URL_PATTERN),
            },
            "topics" => Self::List {
                min_items: 1,
                max_items: super::WebhookTopic::ALL.len(),
            },
            "ids" => Self::List {
                min_items: 0,
                max_items: MAX_MARK_READ,
            },
            "expires_in_days" => Self::Whole {
                min: 1,
                max: MAX_TOKEN_DAYS,
            },
            // A query parameter: the page size of a list.
            "limit" => Self::Whole {
                min: 1,
                max: super::MAX_PAGE_SIZE,
            },
            _ => return None,
        })
    }
}

/// An optional value sent as text, where `""` (what a form, a spreadsheet
/// or a generator sends for "none") means absent, like `null`.
pub fn blank_as_absent<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    match Option::<String>::deserialize(deserializer)? {
        Some(text) if !text.trim().is_empty() => {
            text.trim().parse().map(Some).map_err(serde::de::Error::custom)
        }
        _ => Ok(None),
    }
}

/// An optional whole number, also when a client writes it `1414.0` (JSON
/// has one number type, and JSON Schema calls that an integer too).
pub fn whole_number<'de, D>(deserializer: D) -> Result<Option<u32>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    match Option::<f64>::deserialize(deserializer)? {
        None => Ok(None),
        Some(n) if n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&n) => Ok(Some(n as u32)),
        Some(n) => Err(serde::de::Error::custom(format!(
            "{n} is not a whole number of days"
        ))),
    }
}

/// A required one-line text, trimmed, at most `max` characters.
pub fn required_text(field: &'static str, value: &str, max: usize) -> Result<String, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(FieldError::new(
            field,
            format!("enter the {}", field.replace('_', " ")),
        ));
    }
    bounded(field, value, max).map(str::to_owned)
}

/// Optional text, trimmed; blank means absent.
pub fn optional_text(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(value) => bounded(field, value, max).map(|v| Some(v.to_owned())),
        None => Ok(None),
    }
}

fn bounded<'a>(field: &'static str, value: &'a str, max: usize) -> Result<&'a str, FieldError> {
    // PostgreSQL's text cannot hold NUL; no person types one.
    if value.contains('\0') {
        return Err(FieldError::new(
            field,
            format!("{} contains a NUL character", field.replace('_', " ")),
        ));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!(
                "{} is too long: at most {max} characters",
                field.replace('_', " ")
            ),
        ));
    }
    Ok(value)
}

/// Postal codes compare without spaces and case ("sw1a 1aa" = "SW1A1AA").
pub fn postal_code(field: &'static str, raw: &str) -> Result<String, FieldError> {
    if raw.chars().count() > MAX_POSTAL_CODE_AS_SENT {
        return Err(FieldError::new(field, "enter the destination's postal code"));
    }
    let code: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if code.is_empty() || code.chars().count() > MAX_POSTAL_CODE {
        return Err(FieldError::new(field, "enter the destination's postal code"));
    }
    Ok(code)
}

pub fn tracking_number(field: &'static str, raw: &str) -> Result<TrackingNumber, FieldError> {
    TrackingNumber::parse(raw).map_err(|e| FieldError::new(field, e))
}

pub fn email(field: &'static str, raw: &str) -> Result<Email, FieldError> {
    Email::parse(raw).map_err(|e| FieldError::new(field, e))
}

pub fn status(field: &'static str, raw: &str) -> Result<ShipmentStatus, FieldError> {
    raw.trim().parse().map_err(|e| FieldError::new(field, e))
}

pub fn new_password(field: &'static str, raw: String) -> Result<NewPassword, FieldError> {
    NewPassword::parse(raw).map_err(|e| FieldError::new(field, e))
}

/// Delivery instructions; blank removes them.
pub fn instructions(raw: &str) -> Result<Option<String>, FieldError> {
    optional_text("instructions", Some(raw), MAX_INSTRUCTIONS)
}

/// What is wrong with a shipment, as its reporter describes it.
pub fn problem_description(raw: &str) -> Result<String, FieldError> {
    required_text("description", raw, MAX_PROBLEM)
}

/// What was done about a problem.
pub fn resolution(raw: &str) -> Result<String, FieldError> {
    required_text("resolution", raw, MAX_PROBLEM)
}

/// What an API token is for ("scanner at depot 3").
pub fn token_name(raw: &str) -> Result<String, FieldError> {
    required_text("name", raw, MAX_TOKEN_NAME)
}

/// The longest an API token may be issued for, in days (ten years).
pub const MAX_TOKEN_DAYS: u32 = 3650;

/// How many days a new API token works; blank is "until revoked".
pub fn token_lifetime(raw: &str) -> Result<Option<u32>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() || raw == "never" {
        return Ok(None);
    }
    token_days(Some(raw.parse::<u32>().unwrap_or(0)))
}

/// A token lifetime given as a number (the API, the command line).
pub fn token_days(days: Option<u32>) -> Result<Option<u32>, FieldError> {
    match days {
        None => Ok(None),
        Some(days) if (1..=MAX_TOKEN_DAYS).contains(&days) => Ok(Some(days)),
        Some(_) => Err(FieldError::new(
            "expires_in_days",
            format!("choose a whole number of days from 1 to {MAX_TOKEN_DAYS}, or never"),
        )),
    }
}

/// A status event as an operator or integration sends it (parsed into [`StatusPost`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StatusPostRequest {
    pub status: ShipmentStatus,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// When it happened; defaults to now.
    #[serde(default, deserialize_with = "blank_as_absent")]
    pub occurred_at: Option<DateTime<Utc>>,
}

/// A status event, ready to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusPost {
    pub status: ShipmentStatus,
    pub location: Option<String>,
    pub note: Option<String>,
    /// When it happened; `None` means now.
    pub occurred_at: Option<DateTime<Utc>>,
}

impl StatusPost {
    pub fn parse(raw: StatusPostRequest, now: DateTime<Utc>) -> Result<Self, FieldError> {
        if let Some(at) = raw.occurred_at {
            if at > now + Duration::minutes(MAX_FUTURE_MINUTES) {
                return Err(FieldError::new("occurred_at", "this time is in the future"));
            }
            if at < now - Duration::days(MAX_PAST_DAYS) {
                return Err(FieldError::new(
                    "occurred_at",
                    format!("this time is more than {MAX_PAST_DAYS} days ago"),
                ));
            }
        }
        Ok(Self {
            status: raw.status,
            location: optional_text("location", raw.location.as_deref(), MAX_LOCATION)?,
            note: optional_text("note", raw.note.as_deref(), MAX_NOTE)?,
            occurred_at: raw.occurred_at,
        })
    }
}

/// One status for many shipments at once, as sent (the console's bulk
/// update; parsed into [`BulkStatusPost`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BulkStatusPostRequest {
    pub tracking_numbers: Vec<String>,
    pub status: ShipmentStatus,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// What happened to one shipment of a bulk update: each row's transition is
/// checked on its own, so some may succeed while others are refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum BulkOutcome {
    /// The change was made.
    Recorded {
        tracking_number: String,
        event: ShipmentEvent,
    },
    /// The change was refused, and why (a message for a person).
    Refused { tracking_number: String, error: String },
}

impl BulkOutcome {
    pub fn tracking_number(&self) -> &str {
        match self {
            BulkOutcome::Recorded { tracking_number, .. } | BulkOutcome::Refused { tracking_number, .. } => {
                tracking_number
            }
        }
    }
}

/// One status for many shipments. The numbers stay as given: each row is
/// parsed and checked on its own, and reported on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkStatusPost {
    pub tracking_numbers: Vec<String>,
    pub post: StatusPost,
}

impl BulkStatusPost {
    pub fn parse(raw: BulkStatusPostRequest, now: DateTime<Utc>) -> Result<Self, FieldError> {
        if raw.tracking_numbers.is_empty() {
            return Err(FieldError::new(
                "tracking_numbers",
                "select at least one shipment",
            ));
        }
        if raw.tracking_numbers.len() > MAX_BULK {
            return Err(FieldError::new(
                "tracking_numbers",
                format!("at most {MAX_BULK} shipments at once"),
            ));
        }
        if raw
            .tracking_numbers
            .iter()
            .any(|n| n.len() > 4 * TrackingNumber::MAX_LEN)
        {
            return Err(FieldError::new(
                "tracking_numbers",
                "a tracking number is far too long",
            ));
        }
        let post = StatusPost::parse(
            StatusPostRequest {
                status: raw.status,
                location: raw.location,
                note: raw.note,
                occurred_at: None,
            },
            now,
        )?;
        Ok(Self {
            tracking_numbers: raw.tracking_numbers,
            post,
        })
    }
}

/// A shipment as an operator sends it to register it for a customer
/// (parsed into [`ShipmentDraft`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ShipmentDraftRequest {
    pub tracking_number: String,
    pub owner_email: String,
    pub origin: String,
    pub destination: String,
    pub destination_postal_code: String,
    pub carrier: String,
    #[serde(default, deserialize_with = "blank_as_absent")]
    pub eta: Option<NaiveDate>,
}

/// A shipment to register, every field checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipmentDraft {
    pub tracking_number: TrackingNumber,
    pub owner_email: Email,
    pub origin: String,
    pub destination: String,
    pub postal_code: String,
    pub carrier: String,
    pub eta: Option<NaiveDate>,
}

impl ShipmentDraft {
    pub fn parse(raw: ShipmentDraftRequest) -> Result<Self, FieldError> {
        Ok(Self {
            tracking_number: tracking_number("tracking_number", &raw.tracking_number)?,
            owner_email: email("owner_email", &raw.owner_email)?,
            origin: required_text("origin", &raw.origin, MAX_PLACE)?,
            destination: required_text("destination", &raw.destination, MAX_PLACE)?,
            postal_code: postal_code("destination_postal_code", &raw.destination_postal_code)?,
            carrier: required_text("carrier", &raw.carrier, MAX_CARRIER)?,
            eta: raw.eta,
        })
    }
}

/// The proof that someone knows a shipment: its number and destination postcode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchProof {
    pub tracking_number: TrackingNumber,
    pub postal_code: String,
}

impl WatchProof {
    pub fn parse(tracking_number_raw: &str, postal_code_raw: &str) -> Result<Self, FieldError> {
        Ok(Self {
            tracking_number: tracking_number("tracking_number", tracking_number_raw)?,
            postal_code: postal_code("postal_code", postal_code_raw)?,
        })
    }
}

/// An admin moving a shipment out of a final status, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reopening {
    pub status: ShipmentStatus,
    pub reason: String,
}

impl Reopening {
    pub fn parse(status: ShipmentStatus, reason: &str) -> Result<Self, FieldError> {
        if status.is_final() {
            return Err(FieldError::new(
                "status",
                "reopen to a status where the journey goes on, not a final one",
            ));
        }
        Ok(Self {
            status,
            reason: required_text("reason", reason, MAX_REASON)?,
        })
    }
}

/// An ETA as a form sends it: blank, or `YYYY-MM-DD`.
pub fn optional_date(field: &'static str, raw: Option<&str>) -> Result<Option<NaiveDate>, FieldError> {
    raw.map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| {
            e.parse::<NaiveDate>()
                .map_err(|_| FieldError::new(field, "enter the date as YYYY-MM-DD"))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_trimmed_bounded_and_blank_means_absent() {
        assert_eq!(optional_text("note", Some("  "), 5), Ok(None));
        assert_eq!(optional_text("note", Some(" hi "), 5), Ok(Some("hi".to_owned())));
        assert_eq!(
            optional_text("note", Some("toolong"), 5).map_err(|e| e.field),
            Err("note")
        );
        assert_eq!(
            required_text("origin", " ", 5).map_err(|e| e.message),
            Err("enter the origin".to_owned())
        );
    }

    #[test]
    fn postal_codes_ignore_spaces_and_case() {
        assert_eq!(postal_code("p", "sw1a 1aa"), Ok("SW1A1AA".to_owned()));
        assert!(postal_code("p", "   ").is_err());
        assert!(postal_code("p", &"9".repeat(17)).is_err());
    }

    #[test]
    fn events_may_not_be_dated_far_in_the_future_or_past() {
        let now = Utc::now();
        let at = |offset: Duration| StatusPostRequest {
            status: ShipmentStatus::InTransit,
            location: None,
            note: None,
            occurred_at: Some(now + offset),
        };
        assert!(StatusPost::parse(at(Duration::minutes(4)), now).is_ok());
        assert!(StatusPost::parse(at(Duration::minutes(6)), now).is_err());
        assert!(StatusPost::parse(at(Duration::hours(1)), now).is_err());
        assert!(StatusPost::parse(at(-Duration::days(30)), now).is_ok());
        assert!(StatusPost::parse(at(-Duration::days(400)), now).is_err());
    }

    #[test]
    fn a_reopening_needs_a_reason_and_a_non_final_status() {
        assert!(Reopening::parse(ShipmentStatus::InTransit, "parcel found at depot").is_ok());
        assert_eq!(
            Reopening::parse(ShipmentStatus::InTransit, " ").map_err(|e| e.field),
            Err("reason")
        );
        assert_eq!(
            Reopening::parse(ShipmentStatus::Delivered, "why").map_err(|e| e.field),
            Err("status")
        );
    }

    #[test]
    fn a_bulk_update_names_one_to_two_hundred_shipments() {
        let raw = |n: usize| BulkStatusPostRequest {
            tracking_numbers: vec!["SW1000001".to_owned(); n],
            status: ShipmentStatus::InTransit,
            location: None,
            note: None,
        };
        assert!(BulkStatusPost::parse(raw(0), Utc::now()).is_err());
        assert!(BulkStatusPost::parse(raw(200), Utc::now()).is_ok());
        assert!(BulkStatusPost::parse(raw(201), Utc::now()).is_err());
    }
}

/// A webhook endpoint as its owner registers or changes it (parsed into
/// [`WebhookEndpointDraft`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointRequest {
    /// Where deliveries are POSTed: `https://…` (plain `http` only where the
    /// server allows it).
    pub url: String,
    /// What it receives.
    pub topics: Vec<super::WebhookTopic>,
}

/// A webhook endpoint's URL and topics, bounded; the address rules are
/// checked by the server (`ssr::webhooks::target`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpointDraft {
    pub url: String,
    /// At least one, each once, in [`super::WebhookTopic::ALL`] order.
    pub topics: Vec<super::WebhookTopic>,
}

impl WebhookEndpointRequest {
    pub fn parse(&self) -> Result<WebhookEndpointDraft, FieldError> {
        let url = self.url.trim();
        if url.is_empty() {
            return Err(FieldError::new("url", "enter the URL deliveries go to"));
        }
        let url = bounded("url", url, MAX_WEBHOOK_URL)?;
        let topics: Vec<_> = super::WebhookTopic::ALL
            .into_iter()
            .filter(|topic| self.topics.contains(topic))
            .collect();
        if topics.is_empty() {
            return Err(FieldError::new(
                "topics",
                "choose at least one kind of change to receive",
            ));
        }
        if topics.len() != self.topics.len() {
            return Err(FieldError::new("topics", "name each kind of change once"));
        }
        Ok(WebhookEndpointDraft {
            url: url.to_owned(),
            topics,
        })
    }
}

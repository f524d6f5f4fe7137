//! Pure domain types, no I/O: compiled for the server and for the browser.
//!
//! One file per concept: `shipment` (its shapes), `status` (the state
//! machine), `stream` (the live stream's frames), `account`, `webhook`,
//! `formatting` (dates for people), `input` (what people submit), `visibility` (who sees
//! what), and the value types that parse themselves (`email`,
//! `tracking_number`, `password`, `role`).
//!
//! Naming what people submit: the wire shape, as deserialised and as the
//! API document describes it, is `<Thing>Request`; the type its `parse`
//! makes, with every rule checked, is `<Thing>` (`StatusPostRequest` →
//! `StatusPost`, `ShipmentDraftRequest` → `ShipmentDraft`,
//! `BulkStatusPostRequest` → `BulkStatusPost`). Both live side by side in
//! `input`, and the core only ever takes the parsed one. The limits those
//! parsers hold are stated once, in `input`, and feed the API's schema and
//! the forms' attributes too (`input::field_rule`).

mod account;
pub mod csv;
mod email;
mod form_refusal;
mod formatting;
pub mod import;
pub mod input;
pub mod journey;
mod listing;
mod notification;
mod password;
mod role;
mod shipment;
mod status;
mod stream;
pub mod tracking;
mod tracking_number;
mod viewer;
mod visibility;
mod webhook;

pub use account::{Account, IssuedToken, TokenInfo, UserInfo};
pub use email::{Email, EmailError};
pub use form_refusal::{FormRefusal, EMAIL_TAKEN};
pub use formatting::{format_day, format_machine_time, format_timestamp};
pub use input::{BulkOutcome, BulkStatusPostRequest, FieldError, ShipmentDraftRequest, StatusPostRequest};
pub use listing::{
    PageCursor, QueryError, ShipmentList, ShipmentQuery, StatusCount, Tally, DEFAULT_PAGE_SIZE,
    EXPORT_PAGE_SIZE, MAX_PAGE_SIZE,
};
pub use notification::{Inbox, Notification, NotificationPreferences, INBOX_PAGE, UNREAD_CAP};
pub use password::{NewPassword, PasswordError};
pub use role::{Role, UnknownRole};
pub use shipment::{
    EventKind, Problem, ShipmentDetail, ShipmentEvent, ShipmentSummary, TimelineCursor, ViewerRights,
    TIMELINE_PAGE,
};
pub use status::{IllegalTransition, ShipmentStatus, UnknownStatus};
pub use stream::{CountMove, EventPage, Standing, StreamEvent};
pub use tracking_number::{TrackingNumber, TrackingNumberError};
pub use viewer::{CurrentUser, Viewer};
pub use visibility::{may_see, needs_attention, Audience, STALE_AFTER_HOURS};
pub use webhook::{WebhookAttempt, WebhookEndpoint, WebhookSecret, WebhookTopic};

//! Pure domain types, no I/O: compiled for the server and for the browser.

pub mod csv;
mod email;
mod form_refusal;
pub mod import;
pub mod input;
pub mod journey;
mod listing;
mod notification;
mod password;
mod role;
mod shipment;
mod status;
pub mod tracking;
mod tracking_number;
mod viewer;
mod visibility;
mod work;

pub use email::{Email, EmailError};
pub use form_refusal::{FormRefusal, EMAIL_TAKEN};
pub use input::FieldError;
pub use listing::{
    PageCursor, QueryError, ShipmentList, ShipmentQuery, StatusCount, Tally, DEFAULT_PAGE_SIZE,
    EXPORT_PAGE_SIZE, MAX_PAGE_SIZE,
};
pub use notification::{Inbox, Notification, NotificationPreferences, INBOX_PAGE, UNREAD_CAP};
pub use password::{NewPassword, PasswordError};
pub use role::{Role, UnknownRole};
pub use shipment::{
    format_day, format_machine_time, format_timestamp, Account, CountMove, EventKind, EventPage,
    NewStatusEvent, ShipmentDetail, ShipmentEvent, ShipmentSummary, Standing, StreamEvent, TimelineCursor,
    TIMELINE_PAGE,
};
pub use status::{IllegalTransition, ShipmentStatus, UnknownStatus};
pub use tracking_number::{TrackingNumber, TrackingNumberError};
pub use viewer::{CurrentUser, Viewer};
pub use visibility::{may_see, needs_attention, Audience, STALE_AFTER_HOURS};
pub use work::{
    BulkOutcome, BulkStatusUpdate, IssuedToken, NewShipment, Problem, TokenInfo, UserInfo, ViewerRights,
};

//! Pure domain types, no I/O: compiled for the server and for the browser.

mod email;
mod listing;
mod password;
mod role;
mod shipment;
mod status;
mod tracking_number;
mod work;

pub use email::{Email, EmailError};
pub use listing::{
    needs_attention, PageCursor, QueryError, ShipmentList, ShipmentQuery, StatusCount, DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE, STALE_AFTER_HOURS,
};
pub use password::{NewPassword, PasswordError};
pub use role::{Role, UnknownRole};
pub use shipment::{
    format_timestamp, Account, EventKind, EventPage, NewStatusEvent, ShipmentDetail, ShipmentEvent,
    ShipmentSummary, StreamEvent,
};
pub use status::{IllegalTransition, ShipmentStatus, UnknownStatus};
pub use tracking_number::{TrackingNumber, TrackingNumberError};
pub use work::{
    BulkOutcome, BulkStatusUpdate, IssuedToken, NewShipment, Problem, TokenInfo, UserInfo, ViewerRights,
};

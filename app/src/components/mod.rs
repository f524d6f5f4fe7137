//! Reusable pieces of the UI.

pub mod bell;
pub mod browser_notifications;
pub mod filters;
pub mod form_feedback;
pub mod header;
pub mod reload;
pub mod shipment_table;
pub mod status_badge;

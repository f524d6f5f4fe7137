//! Reusable pieces of the UI.

pub mod header;
pub mod shipment_table;
pub mod status_badge;

//! One module per route.

pub mod dashboard;
pub mod login;
pub mod not_found;
pub mod register;
pub mod shipment;

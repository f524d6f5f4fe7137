//! One module per route.

pub mod admin;
pub mod dashboard;
pub mod forbidden;
pub mod login;
pub mod not_found;
pub mod operator;
pub mod register;
pub mod shipment;

//! One module per route.

pub mod admin;
pub mod dashboard;
pub mod forbidden;
pub mod import_report;
pub mod login;
pub mod not_found;
pub mod notifications;
pub mod operator;
pub mod register;
pub mod settings;
pub mod shipment;
pub mod track;

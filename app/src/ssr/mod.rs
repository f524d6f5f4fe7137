//! Server-only code: database access, password hashing, demo data.
//! Nothing here is compiled into the browser bundle.

pub mod admin;
pub mod auth;
pub mod db;
pub mod demo;
pub mod idempotency;
pub mod problems;
pub mod shipments;
pub mod state;
pub mod stream;
pub mod watching;

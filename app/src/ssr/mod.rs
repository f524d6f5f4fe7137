//! Server-only code: database access, password hashing, demo data.
//! Nothing here is compiled into the browser bundle.

pub mod auth;
pub mod db;
pub mod demo;
pub mod shipments;
pub mod state;
pub mod stream;

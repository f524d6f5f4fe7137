//! The Shipwatch server: configuration, the embedded PostgreSQL default, the
//! HTTP doors (`routes`), the middleware around them, the background work
//! (`workers`), and `startup`, which puts them together. `main.rs` only
//! parses the command line.

// Leptos view types nest deeply; the operator console needs more than the default 128.
#![recursion_limit = "256"]

pub mod cli;
pub mod config;
pub mod database;
pub mod embedded_postgres;
pub mod metrics;
pub mod middleware;
pub mod routes;
pub mod serving;
pub mod startup;
pub mod telemetry;
pub mod workers;

//! The server-side core: everything that touches the database, hashes a
//! password or holds a stream. Nothing here is compiled into the browser
//! bundle.
//!
//! It is layered; each layer may use the layers listed before it (and
//! `crate::domain`, `crate::error`), never one listed after it:
//!
//! 1. `db` — storage: the pool, migrations, queries on shared tables, the one
//!    event append.
//! 2. `auth` — passwords, sessions, API tokens, credentials, sign-in
//!    throttling, and the authorization policy.
//! 3. `stream` — the live stream: LISTEN, the hub, the event log, each
//!    client's feed, the access checks.
//! 4. `notify` — notifications: preferences, the bell's inbox, the email
//!    outbox and its sender.
//! 5. `webhooks` — outgoing webhooks: endpoints, signatures, the address
//!    rules, and the deliverer.
//! 6. `actions` — one function per thing a viewer can do, and idempotency.
//! 7. `demo` — the demo data set.
//! 8. `web` — the HTTP edge: app state and request extractors.
//!
//! The test `layers::imports_point_down_the_layers` holds the code to this
//! order and finds any import cycle between the core's files.

pub mod actions;
pub mod auth;
pub mod db;
pub mod demo;
pub mod notify;
pub mod stream;
pub mod web;
pub mod webhooks;

#[cfg(test)]
mod layers;

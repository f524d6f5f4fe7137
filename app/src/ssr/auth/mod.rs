//! Who is asking, and what they may do.
//!
//! * `password` — argon2id hashing, off the async runtime.
//! * `accounts` — registration and sign-in (with throttling), shared by the
//!   forms, the JSON API and the CLI.
//! * `current_user` — the axum extractor: session cookie or bearer token.
//! * `session` — the cookie session layer (tower-sessions, stored in Postgres).
//! * `tokens` — API tokens for integrations.
//! * `policy` — the one place that answers "may this user do that".

pub mod accounts;
pub mod current_user;
pub mod password;
pub mod policy;
pub mod session;
pub mod throttle;
pub mod tokens;

//! Who is asking, and what they may do. Above storage, below the stream and
//! the actions.
//!
//! * `password` — argon2id hashing, off the async runtime.
//! * `session` — the cookie session layer (tower-sessions, stored in Postgres).
//! * `tokens` — API tokens for integrations.
//! * `credential` — what proved who a request is (session or token), kept by
//!   long-lived streams so their authorization can be re-checked.
//! * `throttle` — sign-in failure counting.
//! * `guesses` — throttling guesses at a shipment's postcode (watching).
//! * `policy` — the one place that answers "may this viewer do that".

pub mod credential;
pub mod guesses;
pub mod password;
pub mod policy;
pub mod session;
pub mod throttle;
pub mod tokens;

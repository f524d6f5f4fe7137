//! Who is asking, and what they may do. Above storage, below the stream and
//! the actions.
//!
//! * `client` — which client a request comes from (trusted proxies, IPv6 /64).
//! * `password` — argon2id hashing, bounded per core and per client.
//! * `session` — the cookie session layer (tower-sessions, stored in Postgres).
//! * `tokens` — API tokens for integrations.
//! * `credential` — what proved who a request is (session or token), kept by
//!   long-lived streams so their authorization can be re-checked.
//! * `throttle` — every attempt limit (sign-in, registration, watching by
//!   postcode), reserved atomically before the work it guards.
//! * `api_limit` — requests per window per API client (token, session or
//!   address), counted atomically across instances.
//! * `devices` — browsers that signed in to an account before, whose
//!   attempts are counted apart (OWASP's device cookie).
//! * `signing` — signed links that act without a session (unsubscribe,
//!   public tracking).
//! * `policy` — the one place that answers "may this viewer do that".

pub mod api_limit;
pub mod client;
pub mod credential;
pub mod devices;
pub mod password;
pub mod policy;
pub mod session;
pub mod signing;
pub mod throttle;
pub mod tokens;

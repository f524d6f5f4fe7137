//! Middleware: what runs around the doors of `crate::routes`, each in its
//! own file. `startup::build_app` says in which order.
//!
//! - `client` — which client a request comes from (trusted proxies);
//! - `api_limit` — per-client rate limits on the API and the streams;
//! - `same_origin` — refuses cross-site state changes (CSRF);
//! - `sign_in` — sends signed-out visitors of a page to `/login`;
//! - `security_headers` — CSP, nosniff, framing, referrer, HSTS;
//! - `caching` — compression and `private, no-cache` by default;
//! - `latency` — each request's latency for `/metrics`;
//! - `outage` — 503 "try again shortly" when the session store is down;
//! - `refused_forms` — no-JS server-function forms shown again with errors.

pub mod api_limit;
pub mod caching;
pub mod client;
pub mod latency;
pub mod outage;
pub mod refused_forms;
pub mod same_origin;
pub mod security_headers;
pub mod sign_in;

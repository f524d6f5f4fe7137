//! Outgoing webhooks, per the Standard Webhooks specification (v1): other
//! systems receive the changes their owner may see, signed, in order, with
//! retries.
//!
//! * `endpoints` — registering, changing, rotating, replaying; the log.
//! * `signature` — `whsec_` secrets and the `webhook-signature` value.
//! * `target` — where a webhook may go: the address rules and the client.
//! * `delivery` — the deliverer every server runs.

pub mod delivery;
pub mod endpoints;
pub mod signature;
pub mod target;

pub use delivery::WebhookSettings;

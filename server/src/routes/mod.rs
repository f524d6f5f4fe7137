//! Every door of the HTTP surface, one `router()` each; `startup::build_app`
//! merges them and adds `crate::middleware`. A handler only adapts its
//! transport to one action of the core (`app::ssr`).
//!
//! - `api_v1/` — the JSON API under `/api/v1`, its OpenAPI document, the
//!   long-poll feed and CSV imports;
//! - `forms/` — the HTML forms that work without JavaScript;
//! - `streams` — the live streams (Server-Sent Events), mounted outside
//!   compression;
//! - `pages` — the Leptos pages, behind the sign-in guard;
//! - `probes` — `/healthz`, `/readyz`, `/metrics` for a token;
//! - `assets` — the browser bundle;
//! - `support/` — helpers the doors share (extractors, CSV answers, URL
//!   encoding), no handlers.

pub mod api_v1;
pub mod assets;
pub mod forms;
pub mod pages;
pub mod probes;
pub mod streams;
pub mod support;

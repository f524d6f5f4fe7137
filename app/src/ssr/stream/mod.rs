//! The live stream: one LISTEN connection per process (`listener`) feeds an
//! in-process `hub`, which fans each committed event out to the streams of the
//! users allowed to see it. `log` reads the event log for replay and backfill;
//! `feed` is one client's resumable feed (replay, then live), served by both
//! the SSE stream and the long-poll; `access` keeps authorization live on open
//! streams as access changes. Above storage and auth, below the actions.
//!
//! Resume is by `stream_position`, which the database numbers after commit,
//! each batch visible at once (see the "positions after commit" migration and
//! `log::sequence`), so "everything after my cursor" is always complete.
//! `wire` is the Server-Sent Events format, in one place: each event encoded
//! once per audience for every stream to share, the control frames, and the
//! heartbeat loop every stream handler uses.
//! `public` serves the public tracking page's shipment-scoped streams;
//! `mailbox` is the queue between the hub and one stream.

pub mod access;
pub mod feed;
pub mod hub;
pub mod listener;
pub mod log;
pub mod mailbox;
pub mod public;
pub mod schedule;
pub mod wire;

pub use feed::Feed;
pub use hub::{Hub, StreamItem, Subscription};

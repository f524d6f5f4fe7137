//! The live stream: one LISTEN connection per process (`listener`) feeds an
//! in-process `hub`, which fans each committed event out to the streams of the
//! users allowed to see it. `log` reads the event log for replay and backfill;
//! `sweep` keeps authorization live on open streams.
//!
//! Resume is by `stream_position`, which the database hands out in commit order
//! (see the live stream migration), so "everything after my cursor" is always
//! complete.

pub mod hub;
pub mod listener;
pub mod log;
pub mod sweep;

pub use hub::{Credential, Hub, StreamItem, Subscription};

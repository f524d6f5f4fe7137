//! Live streams of the public tracking page: one shipment each, authorised
//! by a short-lived signed token instead of a session. A status change is
//! encoded for the public (no notes, no names) only when someone follows
//! that shipment, and handed to each of its public streams.
//!
//! Anyone may open one, so they are capped: per shipment and in all. A
//! stream that falls behind is dropped (the page fetches the current state
//! and reconnects).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use tokio::sync::broadcast;

use crate::domain::tracking::PublicUpdate;
use crate::error::AppError;

/// Public streams of one shipment, at most.
pub const MAX_PER_SHIPMENT: usize = 100;
/// Public streams of this server, at most.
pub const MAX_TOTAL: usize = 5_000;
/// Changes one public stream may fall behind.
const BUFFER: usize = 16;

#[derive(Default)]
pub struct PublicFeeds {
    channels: Mutex<HashMap<i64, broadcast::Sender<Bytes>>>,
    open: Arc<AtomicUsize>,
}

/// One open public stream; unregisters on drop.
pub struct PublicSubscription {
    pub receiver: broadcast::Receiver<Bytes>,
    open: Arc<AtomicUsize>,
}

impl Drop for PublicSubscription {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::AcqRel);
        metrics::gauge!("shipwatch_public_streams").decrement(1.0);
    }
}

impl PublicFeeds {
    /// Follows `shipment_id`. Refused (503, try again shortly) when the
    /// shipment or the server has as many public streams as allowed.
    pub fn subscribe(&self, shipment_id: i64) -> Result<PublicSubscription, AppError> {
        let mut channels = self.channels.lock().map_err(|_| AppError::Internal)?;
        // Shipments nobody follows any more are forgotten here too (not only
        // at their next change), once they outnumber the open streams.
        if channels.len() > 1024 && channels.len() > 2 * self.open.load(Ordering::Acquire) {
            channels.retain(|_, sender| sender.receiver_count() > 0);
        }
        let sender = channels
            .entry(shipment_id)
            .or_insert_with(|| broadcast::channel(BUFFER).0);
        if sender.receiver_count() >= MAX_PER_SHIPMENT || self.open.load(Ordering::Acquire) >= MAX_TOTAL {
            return Err(AppError::Unavailable);
        }
        self.open.fetch_add(1, Ordering::AcqRel);
        metrics::gauge!("shipwatch_public_streams").increment(1.0);
        Ok(PublicSubscription {
            receiver: sender.subscribe(),
            open: Arc::clone(&self.open),
        })
    }

    /// Hands a status change of `shipment_id` to its public streams, if any.
    pub fn dispatch(&self, shipment_id: i64, update: &PublicUpdate) {
        let Ok(mut channels) = self.channels.lock() else {
            return;
        };
        let Some(sender) = channels.get(&shipment_id) else {
            return;
        };
        if sender.receiver_count() == 0 {
            channels.remove(&shipment_id);
            return;
        }
        match super::wire::public_update(update) {
            Ok(frame) => {
                let _ = sender.send(frame);
            }
            Err(error) => tracing::error!(%error, "encoding a public update"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tracking::PublicEvent;
    use crate::domain::ShipmentStatus;

    fn update() -> PublicUpdate {
        PublicUpdate {
            status: ShipmentStatus::InTransit,
            eta: None,
            event: PublicEvent {
                status: ShipmentStatus::InTransit,
                location: Some("Leeds".into()),
                occurred_at: chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("time"),
            },
        }
    }

    #[test]
    fn a_change_reaches_only_that_shipments_public_streams() {
        let feeds = PublicFeeds::default();
        let mut following = feeds.subscribe(1).expect("room");
        let mut other = feeds.subscribe(2).expect("room");
        feeds.dispatch(1, &update());
        let frame = following.receiver.try_recv().expect("sent");
        assert!(frame.starts_with(b"event: update\ndata: {"));
        assert!(other.receiver.try_recv().is_err());
    }

    #[test]
    fn public_streams_are_capped_per_shipment() {
        let feeds = PublicFeeds::default();
        let held: Vec<_> = (0..MAX_PER_SHIPMENT)
            .map(|_| feeds.subscribe(7).expect("room"))
            .collect();
        assert!(matches!(feeds.subscribe(7), Err(AppError::Unavailable)));
        drop(held);
        assert!(feeds.subscribe(7).is_ok(), "room again once they close");
    }
}

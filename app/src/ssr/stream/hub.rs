//! The in-process fan-out: every open stream registers here with who it is;
//! the listener hands each committed event to `dispatch`, which routes it to
//! exactly the streams allowed to see it (owner, watchers, staff). Routing uses
//! the owner and watcher ids the listener read with the event, so there is no
//! database round-trip per recipient, and streams are indexed by user (and
//! staff kept apart), so an event touches only its recipients' streams, not
//! every open stream.
//!
//! Each stream has a bounded buffer. A stream that falls behind by more than
//! that is dropped (its client reconnects and resumes from its cursor), so a
//! client that stops reading never grows server memory without bound.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use tokio::sync::watch;

use chrono::{DateTime, Utc};

use crate::domain::{may_see, Audience, CurrentUser, EventKind, Role, ShipmentStatus};
use crate::error::AppError;
use crate::ssr::auth::credential::Credential;

use super::mailbox::{mailbox, Receiver, Sender, TrySendError};
use super::public::PublicFeeds;
use super::schedule::Schedule;
use super::wire::Frame;
use crate::domain::tracking::PublicUpdate;

/// One committed event, encoded once per audience and shared by every
/// recipient.
#[derive(Debug)]
pub struct StreamItem {
    pub position: i64,
    pub shipment_id: i64,
    /// What happened, for consumers that choose by it (webhook topics).
    pub kind: EventKind,
    /// The status moved to (status events only).
    pub status: Option<ShipmentStatus>,
    pub occurred_at: DateTime<Utc>,
    /// A status change as the public tracking page shows it (status events
    /// only).
    pub public: Option<PublicUpdate>,
    pub owner_id: i64,
    pub watchers: Vec<i64>,
    /// The event as each [`Audience`] is shown it, in [`Audience::ALL`] order.
    pub frames: [Frame; 3],
}

impl StreamItem {
    /// The frame as this viewer (who may see it) is shown it.
    pub fn frame_for(&self, user_id: i64, role: Role) -> &Frame {
        &self.frames[Audience::of(user_id, role, self.owner_id) as usize]
    }

    /// Whether a viewer may see this event (the visibility rule, on ids
    /// already in memory).
    pub fn visible_to(&self, user_id: i64, role: Role) -> bool {
        may_see(user_id, role, self.owner_id, &self.watchers)
    }
}

struct Subscriber {
    user_id: i64,
    role: Role,
    credential: Credential,
    sender: Sender<Arc<StreamItem>>,
}

/// Why streams are being closed (for the log line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// The client fell more than a buffer behind.
    Lagged,
    /// Its session ended, token was revoked or role changed.
    Unauthorized,
    /// The server is shutting down.
    Shutdown,
}

/// The open streams, indexed the way events are routed.
#[derive(Default)]
struct Registry {
    streams: HashMap<u64, Subscriber>,
    /// Each user's streams (customers and staff alike).
    by_user: HashMap<i64, Vec<u64>>,
    /// Streams of staff, who see every event.
    staff: HashSet<u64>,
}

impl Registry {
    fn insert(&mut self, id: u64, subscriber: Subscriber) {
        self.by_user.entry(subscriber.user_id).or_default().push(id);
        if subscriber.role.is_staff() {
            self.staff.insert(id);
        }
        self.streams.insert(id, subscriber);
    }

    fn remove(&mut self, id: u64) {
        let Some(subscriber) = self.streams.remove(&id) else {
            return;
        };
        self.staff.remove(&id);
        if let Some(ids) = self.by_user.get_mut(&subscriber.user_id) {
            ids.retain(|other| *other != id);
            if ids.is_empty() {
                self.by_user.remove(&subscriber.user_id);
            }
        }
    }

    fn open_for(&self, user_id: i64) -> usize {
        self.by_user.get(&user_id).map_or(0, Vec::len)
    }

    /// The streams an event may go to: its owner's, its watchers', and
    /// staff's — each once (the visibility rule still decides, per stream).
    fn recipients(&self, item: &StreamItem) -> Vec<u64> {
        let mut ids: Vec<u64> = self.staff.iter().copied().collect();
        for user_id in std::iter::once(&item.owner_id).chain(&item.watchers) {
            let streams = self.by_user.get(user_id).into_iter().flatten();
            ids.extend(streams.filter(|id| !self.staff.contains(id)));
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

pub struct Hub {
    subscribers: RwLock<Registry>,
    next_id: AtomicU64,
    /// The last position dispatched (the listener's cursor).
    last_position: AtomicI64,
    /// Whether the LISTEN connection is up; streams tell their browser when
    /// it changes.
    listener_connected: watch::Sender<bool>,
    /// The last position dispatched, for those who wait for the next event
    /// (the webhook deliverer).
    dispatched: watch::Sender<i64>,
    buffer: usize,
    /// Open streams one user may have (each browser shares one); more are
    /// refused, so one account cannot hold the server's connections.
    max_streams_per_user: AtomicUsize,
    shutdown: watch::Sender<bool>,
    /// When each stream's credentials are next checked (see `access`).
    schedule: Schedule,
    /// The public tracking page's streams.
    pub public: PublicFeeds,
}

/// A stream's registration; unregisters on drop.
pub struct Subscription {
    id: u64,
    hub: Arc<Hub>,
    pub receiver: Receiver<Arc<StreamItem>>,
    pub shutdown: watch::Receiver<bool>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Ok(mut subscribers) = self.hub.subscribers.write() {
            subscribers.remove(self.id);
        }
        metrics::gauge!("shipwatch_open_streams").decrement(1.0);
    }
}

impl Hub {
    /// `buffer`: how many events a stream may fall behind before it is dropped.
    pub fn new(buffer: usize, start_position: i64) -> Arc<Self> {
        let (shutdown, _) = watch::channel(false);
        Arc::new(Self {
            subscribers: RwLock::new(Registry::default()),
            next_id: AtomicU64::new(1),
            last_position: AtomicI64::new(start_position),
            listener_connected: watch::channel(false).0,
            dispatched: watch::channel(start_position).0,
            buffer: buffer.max(1),
            max_streams_per_user: AtomicUsize::new(usize::MAX),
            shutdown,
            schedule: Schedule::default(),
            public: PublicFeeds::default(),
        })
    }

    /// Caps the open streams of one user (see [`Hub::subscribe`]).
    pub fn set_max_streams_per_user(&self, limit: usize) {
        self.max_streams_per_user.store(limit.max(1), Ordering::Relaxed);
    }

    /// Registers a stream for `user`. Register before replaying from the
    /// database, so nothing committed in between is missed. Refused (429)
    /// when the user already has the most streams allowed; counted and
    /// registered under one lock, so parallel requests cannot exceed it.
    ///
    /// While the server shuts down, the subscription is born ended: the
    /// stream opens (and replays what it is owed), then ends at once and the
    /// client resumes from its cursor on another instance, exactly as the
    /// streams open at the moment of shutdown do. Not a 503: a proxy would
    /// pass that on whenever the other instance it tried was restarting too.
    pub fn subscribe(
        self: &Arc<Self>,
        user: &CurrentUser,
        credential: Credential,
    ) -> Result<Subscription, AppError> {
        let limit = self.max_streams_per_user.load(Ordering::Relaxed);
        let (sender, receiver) = mailbox(self.buffer);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut subscribers = self.subscribers.write().map_err(|_| AppError::Internal)?;
        // Checked under the lock `shut_down` takes after raising the flag: a
        // stream is either ended there or born ended here, never missed.
        let born_ended = self.is_shutting_down();
        if born_ended {
            drop(sender);
        } else {
            let open = subscribers.open_for(user.id);
            if open >= limit {
                return Err(AppError::TooManyStreams { limit });
            }
            subscribers.insert(
                id,
                Subscriber {
                    user_id: user.id,
                    role: user.role,
                    credential,
                    sender,
                },
            );
        }
        drop(subscribers);
        metrics::gauge!("shipwatch_open_streams").increment(1.0);
        if !born_ended {
            // Its credentials' expiry is learned by checking them.
            self.schedule.check_at(id, tokio::time::Instant::now());
        }
        Ok(Subscription {
            id,
            hub: Arc::clone(self),
            receiver,
            shutdown: self.shutdown.subscribe(),
        })
    }

    /// Sends a committed event to every stream allowed to see it, in order.
    pub fn dispatch(&self, item: Arc<StreamItem>, notified_at: Option<Instant>) {
        if let Some(update) = &item.public {
            self.public.dispatch(item.shipment_id, update);
        }
        let mut lagged = Vec::new();
        if let Ok(subscribers) = self.subscribers.read() {
            for id in subscribers.recipients(&item) {
                let Some(subscriber) = subscribers.streams.get(&id) else {
                    continue;
                };
                if !item.visible_to(subscriber.user_id, subscriber.role) {
                    continue;
                }
                match subscriber.sender.try_send(Arc::clone(&item)) {
                    Ok(()) => metrics::counter!("shipwatch_events_sent_total").increment(1),
                    Err(TrySendError::Full) => lagged.push(id),
                    Err(TrySendError::Closed) => {}
                }
            }
        }
        if let Some(at) = notified_at {
            metrics::histogram!("shipwatch_notify_to_send_seconds").record(at.elapsed().as_secs_f64());
        }
        self.last_position.fetch_max(item.position, Ordering::AcqRel);
        self.dispatched.send_if_modified(|last| {
            let newer = item.position > *last;
            *last = (*last).max(item.position);
            newer
        });
        if !lagged.is_empty() {
            metrics::counter!("shipwatch_lag_disconnects_total").increment(lagged.len() as u64);
            tracing::info!(streams = lagged.len(), "dropping streams that fell behind");
            self.close(&lagged, Closed::Lagged);
        }
    }

    /// Ends the given streams: dropping the sender ends their receiver.
    pub fn close(&self, ids: &[u64], reason: Closed) {
        tracing::debug!(streams = ids.len(), ?reason, "closing streams");
        if let Ok(mut subscribers) = self.subscribers.write() {
            for id in ids {
                subscribers.remove(*id);
            }
        }
    }

    /// The id, user, role and credential of those of `ids` still open.
    pub fn credentials_of(&self, ids: &[u64]) -> Vec<(u64, i64, Role, Credential)> {
        self.subscribers
            .read()
            .map(|s| {
                ids.iter()
                    .filter_map(|id| {
                        s.streams
                            .get(id)
                            .map(|s| (*id, s.user_id, s.role, s.credential.clone()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// When each stream's credentials are next checked.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// Checks the streams of `user_id` now: their access changed.
    pub fn recheck_user(&self, user_id: i64) {
        let ids = self.stream_ids(|r| r.by_user.get(&user_id).cloned().unwrap_or_default());
        self.schedule.check_all_at(ids, tokio::time::Instant::now());
    }

    /// Checks every stream now (after access notifications may have been
    /// missed: the listener was disconnected).
    pub fn recheck_all(&self) {
        let ids = self.stream_ids(|r| r.streams.keys().copied().collect());
        self.schedule.check_all_at(ids, tokio::time::Instant::now());
    }

    /// The ids `pick` chooses from the registry, read under its lock.
    fn stream_ids(&self, pick: impl FnOnce(&Registry) -> Vec<u64>) -> Vec<u64> {
        self.subscribers.read().map(|r| pick(&r)).unwrap_or_default()
    }

    pub fn last_position(&self) -> i64 {
        self.last_position.load(Ordering::Acquire)
    }

    /// Changes whenever events are dispatched; holds the last position.
    pub fn dispatched(&self) -> watch::Receiver<i64> {
        self.dispatched.subscribe()
    }

    pub fn set_listener_connected(&self, connected: bool) {
        metrics::gauge!("shipwatch_listener_up").set(if connected { 1.0 } else { 0.0 });
        self.listener_connected.send_if_modified(|current| {
            let changed = *current != connected;
            *current = connected;
            changed
        });
    }

    /// False while the LISTEN connection is down (then `/readyz` says not ready).
    pub fn listener_connected(&self) -> bool {
        *self.listener_connected.borrow()
    }

    /// Follows [`Hub::listener_connected`]: an open stream stays open while the
    /// database is away (nothing is lost: the listener catches up from the
    /// log), and tells its browser, which shows "Reconnecting…" meanwhile.
    pub fn listener_status(&self) -> watch::Receiver<bool> {
        self.listener_connected.subscribe()
    }

    /// Ends every open stream and refuses new ones (503, try again: the
    /// client resumes on another instance), so none outlives the drain.
    pub fn shut_down(&self) {
        let _ = self.shutdown.send(true);
        let ids = self.stream_ids(|r| r.streams.keys().copied().collect());
        self.close(&ids, Closed::Shutdown);
    }

    /// Resolves `changed()` when the server starts shutting down.
    pub fn shutdown_receiver(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }

    pub fn open_streams(&self) -> usize {
        self.subscribers.read().map(|s| s.streams.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, role: Role) -> CurrentUser {
        CurrentUser {
            id,
            email: format!("u{id}@example.com"),
            role,
        }
    }

    fn item(position: i64, owner_id: i64, watchers: Vec<i64>) -> Arc<StreamItem> {
        let summary: crate::domain::ShipmentSummary = serde_json::from_value(serde_json::json!({
            "tracking_number": "SW1000000001", "status": "in_transit", "origin": "Lyon",
            "destination": "Oslo", "carrier": "Posten", "eta": null, "last_location": null,
            "updated_at": "2026-12-02T10:00:00Z"
        }))
        .expect("summary");
        let event = crate::domain::StreamEvent {
            position,
            event: crate::domain::ShipmentEvent {
                id: position,
                tracking_number: summary.tracking_number.clone(),
                kind: crate::domain::EventKind::Status,
                status: Some(summary.status),
                location: None,
                note: None,
                occurred_at: summary.updated_at,
                actor: "system".into(),
            },
            shipment: summary,
            counts: None,
        };
        let frame = Frame::encode(&event).expect("encodes");
        Arc::new(StreamItem {
            position,
            shipment_id: 1,
            kind: EventKind::Status,
            status: Some(ShipmentStatus::InTransit),
            occurred_at: event.event.occurred_at,
            public: None,
            owner_id,
            watchers,
            frames: [frame.clone(), frame.clone(), frame],
        })
    }

    #[tokio::test]
    async fn events_reach_owner_watchers_and_staff_only() {
        let hub = Hub::new(8, 0);
        let mut owner = hub
            .subscribe(&user(1, Role::Customer), Credential::Token(1))
            .expect("room");
        let mut watcher = hub
            .subscribe(&user(2, Role::Customer), Credential::Token(2))
            .expect("room");
        let mut stranger = hub
            .subscribe(&user(3, Role::Customer), Credential::Token(3))
            .expect("room");
        let mut operator = hub
            .subscribe(&user(4, Role::Operator), Credential::Token(4))
            .expect("room");
        hub.dispatch(item(7, 1, vec![2]), None);
        for s in [&mut owner, &mut watcher, &mut operator] {
            assert_eq!(s.receiver.try_recv().map(|i| i.position), Some(7));
        }
        assert!(stranger.receiver.try_recv().is_none());
        assert_eq!(hub.last_position(), 7);
    }

    #[tokio::test]
    async fn a_stream_that_falls_a_buffer_behind_is_closed() {
        let hub = Hub::new(2, 0);
        let mut slow = hub
            .subscribe(&user(1, Role::Operator), Credential::Token(1))
            .expect("room");
        for position in 1..=3 {
            hub.dispatch(item(position, 9, vec![]), None);
        }
        assert_eq!(hub.open_streams(), 0);
        assert_eq!(slow.receiver.recv().await.map(|i| i.position), Some(1));
        assert_eq!(slow.receiver.recv().await.map(|i| i.position), Some(2));
        assert!(slow.receiver.recv().await.is_none(), "closed after its buffer");
    }

    #[tokio::test]
    async fn an_event_touches_only_its_recipients_streams_each_once() {
        let hub = Hub::new(8, 0);
        // A thousand other customers' streams are not even looked at.
        let _strangers: Vec<Subscription> = (100..1100)
            .map(|id| {
                hub.subscribe(&user(id, Role::Customer), Credential::Token(id))
                    .expect("room")
            })
            .collect();
        let mut owner = hub
            .subscribe(&user(1, Role::Customer), Credential::Token(1))
            .expect("room");
        let mut operator = hub
            .subscribe(&user(4, Role::Operator), Credential::Token(4))
            .expect("room");
        // The owner also watches it, and the operator is listed as a watcher.
        let event = item(7, 1, vec![1, 4]);
        let recipients = hub.subscribers.read().expect("lock").recipients(&event);
        assert_eq!(recipients, vec![owner.id, operator.id]);
        hub.dispatch(event, None);
        for s in [&mut owner, &mut operator] {
            assert_eq!(s.receiver.try_recv().map(|i| i.position), Some(7));
            assert!(s.receiver.try_recv().is_none(), "once");
        }
    }
}

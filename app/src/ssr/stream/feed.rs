//! One client's feed: everything after its cursor that it may see, replayed
//! from the database, then live from the hub — nothing lost, nothing twice.
//! Both doors of the live stream (`GET /api/events`, Server-Sent Events, and
//! `GET /api/v1/events`, long-poll JSON) read it, so resume is written once.
//!
//! Order matters: the feed registers with the hub *before* reading where the
//! log ends, so an event committed in between arrives live; and positions only
//! grow, so a live event at or below the last one handed out was already
//! replayed and is skipped at the switch. Authorization stays live because the
//! access checks close a subscription whose credential ended, which ends the feed.

use std::collections::VecDeque;
use std::sync::Arc;

use sqlx::PgPool;

use crate::domain::CurrentUser;
use crate::error::AppError;
use crate::ssr::auth::credential::Authenticated;

use super::hub::{Hub, StreamItem, Subscription};
use super::log;

/// Where a client starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    /// After its cursor: replay first.
    After(i64),
    /// No cursor: from now on.
    Now,
    /// The cursor was malformed or from the future: the client must refetch.
    Reset,
}

/// Reads the client's cursor: a reconnecting browser's `Last-Event-ID` wins
/// over a first connect's `?after=`.
fn start(last_event_id: Option<&str>, after: Option<&str>, head: i64) -> Start {
    let given = last_event_id.or(after).map(str::trim).filter(|v| !v.is_empty());
    match given {
        None => Start::Now,
        Some(raw) => match raw.parse::<i64>() {
            Ok(cursor) if (0..=head).contains(&cursor) => Start::After(cursor),
            _ => Start::Reset,
        },
    }
}

pub struct Feed {
    subscription: Subscription,
    pool: PgPool,
    user: CurrentUser,
    /// The position of the last event handed out, or the starting point.
    last: i64,
    reset: bool,
    /// Replayed events not yet handed out.
    replayed: VecDeque<StreamItem>,
    /// Whether the log may hold more for this client than has been replayed.
    replaying: bool,
}

impl Feed {
    /// Opens a feed for `auth`, resuming after the client's cursor.
    pub async fn open(
        hub: &Arc<Hub>,
        pool: &PgPool,
        auth: Authenticated,
        last_event_id: Option<&str>,
        after: Option<&str>,
    ) -> Result<Self, AppError> {
        let subscription = hub.subscribe(&auth.user, auth.credential)?;
        let head = log::head(pool).await?;
        let start = start(last_event_id, after, head);
        Ok(Self {
            subscription,
            pool: pool.clone(),
            user: auth.user,
            last: match start {
                Start::After(cursor) => cursor,
                Start::Now | Start::Reset => head,
            },
            reset: start == Start::Reset,
            replayed: VecDeque::new(),
            replaying: matches!(start, Start::After(_)),
        })
    }

    /// Whose feed this is.
    pub fn user(&self) -> &CurrentUser {
        &self.user
    }

    /// The cursor the feed starts from (until the first event is handed out).
    pub fn cursor(&self) -> i64 {
        self.last
    }

    /// True when the client's cursor was unusable: it starts from now and
    /// must refetch what it shows.
    pub fn was_reset(&self) -> bool {
        self.reset
    }

    /// The next event. `Ok(None)` when the hub ended the stream (the client
    /// fell behind, its authorization ended, or the server is shutting down);
    /// the client then resumes from its cursor.
    pub async fn next(&mut self) -> Result<Option<Arc<StreamItem>>, AppError> {
        loop {
            if let Some(item) = self.take_replayed() {
                return Ok(Some(item));
            }
            if self.replaying {
                // Boxed: the database read's future is large, and an idle
                // stream (most of them) should not carry its space.
                Box::pin(self.replay_page()).await?;
                continue;
            }
            let received = tokio::select! {
                item = self.subscription.receiver.recv() => item,
                _ = self.subscription.shutdown.changed() => None,
            };
            let Some(item) = received else {
                return Ok(None);
            };
            if let Some(item) = self.accept(item) {
                return Ok(Some(item));
            }
        }
    }

    /// An event that is already waiting (replayed or live), without waiting:
    /// the long-poll answers with everything at hand in one response.
    pub fn ready(&mut self) -> Option<Arc<StreamItem>> {
        if let Some(item) = self.take_replayed() {
            return Some(item);
        }
        while let Some(item) = self.subscription.receiver.try_recv() {
            if let Some(item) = self.accept(item) {
                return Some(item);
            }
        }
        None
    }

    fn take_replayed(&mut self) -> Option<Arc<StreamItem>> {
        let item = self.replayed.pop_front()?;
        self.last = item.position;
        Some(Arc::new(item))
    }

    /// A live event, unless the replay already handed it out.
    fn accept(&mut self, item: Arc<StreamItem>) -> Option<Arc<StreamItem>> {
        (item.position > self.last).then(|| {
            self.last = item.position;
            item
        })
    }

    async fn replay_page(&mut self) -> Result<(), AppError> {
        let page = log::read_visible_after(&self.pool, &self.user, self.last).await?;
        self.replaying = page.len() as i64 >= log::PAGE;
        metrics::counter!("shipwatch_replayed_events_total").increment(page.len() as u64);
        self.replayed.extend(page);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_event_id_wins_over_after_and_bad_cursors_reset() {
        assert_eq!(start(None, None, 10), Start::Now);
        assert_eq!(start(None, Some("4"), 10), Start::After(4));
        assert_eq!(start(Some("7"), Some("4"), 10), Start::After(7));
        assert_eq!(start(None, Some("11"), 10), Start::Reset);
        assert_eq!(start(None, Some("abc"), 10), Start::Reset);
        assert_eq!(start(None, Some("-1"), 10), Start::Reset);
        assert_eq!(start(Some(" "), None, 10), Start::Now);
    }
}

//! When each open stream's credentials are next checked: a time-ordered set
//! of (when, stream), filled by the hub (a new stream: now) and by the access
//! checks (an account's access changed: now; a credential expires: then), and
//! drained by the access checks as entries fall due.

use std::collections::BTreeSet;
use std::sync::Mutex;

use tokio::sync::Notify;
use tokio::time::Instant;

/// When each open stream's credentials are next checked.
#[derive(Default)]
pub struct Schedule {
    due: Mutex<BTreeSet<(Instant, u64)>>,
    changed: Notify,
}

impl Schedule {
    /// Checks `stream` at `when` (also if it is already scheduled later).
    pub fn check_at(&self, stream: u64, when: Instant) {
        self.check_all_at([stream], when);
    }

    /// Checks all of `streams` at `when`: one lock and one wake-up for the lot
    /// (an account's streams, or every stream after a reconnect).
    pub fn check_all_at(&self, streams: impl IntoIterator<Item = u64>, when: Instant) {
        if let Ok(mut due) = self.due.lock() {
            due.extend(streams.into_iter().map(|stream| (when, stream)));
        }
        self.changed.notify_one();
    }

    pub fn next(&self) -> Option<Instant> {
        self.due.lock().ok()?.first().map(|(when, _)| *when)
    }

    /// Resolves when something was scheduled since it was last awaited.
    pub async fn changed(&self) {
        self.changed.notified().await;
    }

    /// Removes and returns the streams due by `now`, each once.
    pub fn take_due(&self, now: Instant) -> Vec<u64> {
        let Ok(mut due) = self.due.lock() else {
            return Vec::new();
        };
        let later = due.split_off(&(now, u64::MAX));
        let mut ids: Vec<u64> = std::mem::replace(&mut *due, later)
            .into_iter()
            .map(|(_, id)| id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn due_streams_come_out_once_and_later_ones_stay() {
        let schedule = Schedule::default();
        let now = Instant::now();
        schedule.check_at(1, now);
        schedule.check_at(2, now + Duration::from_secs(60));
        schedule.check_at(1, now + Duration::from_millis(1));
        schedule.check_at(3, now);
        assert_eq!(schedule.take_due(now + Duration::from_millis(5)), vec![1, 3]);
        assert_eq!(schedule.next(), Some(now + Duration::from_secs(60)));
        assert!(schedule.take_due(now + Duration::from_millis(5)).is_empty());
    }
}

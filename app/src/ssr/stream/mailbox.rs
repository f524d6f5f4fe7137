//! A stream's queue of events: one sender (the hub), one receiver (the
//! stream), bounded, and small while empty.
//!
//! Why not `tokio::sync::mpsc`: its channel allocates 800 bytes up front (a
//! cache-padded shared state and a first block of 32 slots), for every open
//! stream, though an idle stream (most of them) holds nothing. This one is a
//! locked `VecDeque` (no allocation until an event waits) and a `Notify`,
//! about 100 bytes; at 10,000 idle streams that is most of a KiB per stream
//! (BENCHMARKS.md, "Memory per stream").

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

/// Why [`Sender::try_send`] refused an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrySendError {
    /// `capacity` items are waiting: the receiver fell behind.
    Full,
    /// The receiver is gone.
    Closed,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    /// Wakes the receiver; a wake-up with nobody waiting is kept for the next
    /// wait, so one between "queue empty" and "wait" is not lost.
    arrived: Notify,
}

struct State<T> {
    items: VecDeque<T>,
    sender_gone: bool,
    receiver_gone: bool,
}

impl<T> Shared<T> {
    /// The state; a panic elsewhere while holding the lock leaves a queue that
    /// is still consistent (each operation is one push, pop or flag).
    fn state(&self) -> MutexGuard<'_, State<T>> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The hub's end. Dropping it ends the stream once the receiver has taken
/// what is queued.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
    capacity: usize,
}

/// The stream's end.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

/// A queue that holds at most `capacity` items (at least 1).
pub fn mailbox<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            items: VecDeque::new(),
            sender_gone: false,
            receiver_gone: false,
        }),
        arrived: Notify::new(),
    });
    (
        Sender {
            shared: Arc::clone(&shared),
            capacity: capacity.max(1),
        },
        Receiver { shared },
    )
}

impl<T> Sender<T> {
    /// Queues `item` without waiting.
    pub fn try_send(&self, item: T) -> Result<(), TrySendError> {
        {
            let mut state = self.shared.state();
            if state.receiver_gone {
                return Err(TrySendError::Closed);
            }
            if state.items.len() >= self.capacity {
                return Err(TrySendError::Full);
            }
            state.items.push_back(item);
        }
        self.shared.arrived.notify_one();
        Ok(())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.shared.state().sender_gone = true;
        self.shared.arrived.notify_one();
    }
}

impl<T> Receiver<T> {
    /// The next item; `None` once the sender is gone and nothing is left.
    /// Cancel-safe: an item is only taken by a call that returns it.
    pub async fn recv(&mut self) -> Option<T> {
        loop {
            {
                let mut state = self.shared.state();
                if let Some(item) = state.items.pop_front() {
                    return Some(item);
                }
                if state.sender_gone {
                    return None;
                }
            }
            self.shared.arrived.notified().await;
        }
    }

    /// The next item if one is waiting.
    pub fn try_recv(&mut self) -> Option<T> {
        self.shared.state().items.pop_front()
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut state = self.shared.state();
        state.receiver_gone = true;
        // What was queued goes now, not when the hub lets go of the sender.
        state.items = VecDeque::new();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{mailbox, TrySendError};

    #[tokio::test]
    async fn items_arrive_in_order_and_the_end_follows_the_last() {
        let (sender, mut receiver) = mailbox(4);
        assert_eq!(sender.try_send(1), Ok(()));
        assert_eq!(sender.try_send(2), Ok(()));
        drop(sender);
        assert_eq!(receiver.recv().await, Some(1));
        assert_eq!(receiver.recv().await, Some(2));
        assert_eq!(receiver.recv().await, None);
    }

    #[tokio::test]
    async fn a_waiting_receiver_wakes_for_an_item_sent_later() {
        let (sender, mut receiver) = mailbox(4);
        let waiting = tokio::spawn(async move { receiver.recv().await });
        tokio::task::yield_now().await;
        assert_eq!(sender.try_send(7), Ok(()));
        let received = tokio::time::timeout(Duration::from_secs(5), waiting).await;
        assert_eq!(received.expect("woken").expect("the task ran"), Some(7));
    }

    #[tokio::test]
    async fn a_full_queue_refuses_and_a_dropped_receiver_closes() {
        let (sender, mut receiver) = mailbox(2);
        assert_eq!(sender.try_send(1), Ok(()));
        assert_eq!(sender.try_send(2), Ok(()));
        assert_eq!(sender.try_send(3), Err(TrySendError::Full));
        assert_eq!(receiver.try_recv(), Some(1));
        assert_eq!(sender.try_send(3), Ok(()));
        drop(receiver);
        assert_eq!(sender.try_send(4), Err(TrySendError::Closed));
    }

    #[tokio::test]
    async fn a_cancelled_wait_loses_nothing() {
        let (sender, mut receiver) = mailbox(4);
        // Wait, then give up (as a stream does when the server shuts down),
        // after the item was sent but before the wait saw it.
        {
            let wait = receiver.recv();
            tokio::pin!(wait);
            tokio::select! {
                biased;
                _ = &mut wait => panic!("nothing was sent yet"),
                () = std::future::ready(()) => {}
            }
            assert_eq!(sender.try_send(5), Ok(()));
        }
        assert_eq!(receiver.recv().await, Some(5));
    }
}

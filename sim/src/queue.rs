//! The simulator's work queue, with the guarantees of client-go's rate-limited queue that the
//! controllers rely on: a waiting key is queued once however often it is added, one key is never
//! handled by two workers at once (a key added while it runs runs again afterwards), a failed
//! key comes back after an exponential backoff, and a key can be added after a delay.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;

/// A work queue; share it behind an [`Arc`].
#[derive(Debug)]
pub struct WorkQueue<K> {
    inner: Mutex<Inner<K>>,
    notify: Notify,
    backoff_base: Duration,
    backoff_max: Duration,
}

#[derive(Debug)]
struct Inner<K> {
    order: VecDeque<K>,
    waiting: HashSet<K>,
    running: HashSet<K>,
    /// Added while running: queued again when the run ends.
    dirty: HashSet<K>,
    failures: HashMap<K, u32>,
    closed: bool,
}

impl<K: Clone + Eq + Hash + Send + Sync + 'static> WorkQueue<K> {
    /// A queue whose failed keys come back after `backoff_base * 2^(failures - 1)`, at most
    /// `backoff_max`.
    pub fn new(backoff_base: Duration, backoff_max: Duration) -> Self {
        WorkQueue {
            inner: Mutex::new(Inner {
                order: VecDeque::new(),
                waiting: HashSet::new(),
                running: HashSet::new(),
                dirty: HashSet::new(),
                failures: HashMap::new(),
                closed: false,
            }),
            notify: Notify::new(),
            backoff_base,
            backoff_max,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<K>> {
        // The sets stay consistent even if a holder panicked.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `key` unless it is already waiting.
    pub fn add(&self, key: K) {
        let mut inner = self.lock();
        if inner.closed {
            return;
        }
        if inner.running.contains(&key) {
            inner.dirty.insert(key);
        } else if inner.waiting.insert(key.clone()) {
            inner.order.push_back(key);
            drop(inner);
            self.notify.notify_one();
        }
    }

    /// Queues `key` once `delay` has passed.
    pub fn add_after(self: &Arc<Self>, key: K, delay: Duration) {
        if delay.is_zero() {
            self.add(key);
            return;
        }
        let queue = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            queue.add(key);
        });
    }

    /// The next key, waiting for one; `None` once the queue is closed. Every key handed out
    /// must be given back with [`WorkQueue::done`].
    pub async fn next(&self) -> Option<K> {
        loop {
            // Registered before looking, so an add or a close in between still wakes us.
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut inner = self.lock();
                if inner.closed {
                    return None;
                }
                if let Some(key) = inner.order.pop_front() {
                    inner.waiting.remove(&key);
                    inner.running.insert(key.clone());
                    let more = !inner.order.is_empty();
                    drop(inner);
                    if more {
                        self.notify.notify_one();
                    }
                    return Some(key);
                }
            }
            notified.await;
        }
    }

    /// Ends the run of `key`. A failure brings it back after its backoff (returned); a success
    /// resets its failure count.
    pub fn done(self: &Arc<Self>, key: &K, succeeded: bool) -> Option<Duration> {
        let mut inner = self.lock();
        inner.running.remove(key);
        let retry = if succeeded {
            inner.failures.remove(key);
            None
        } else {
            let failures = inner.failures.entry(key.clone()).or_insert(0);
            *failures = failures.saturating_add(1);
            let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(20));
            Some(
                self.backoff_base
                    .saturating_mul(factor)
                    .min(self.backoff_max),
            )
        };
        let again = inner.dirty.remove(key);
        drop(inner);
        if again {
            self.add(key.clone());
        }
        if let Some(delay) = retry {
            self.add_after(key.clone(), delay);
        }
        retry
    }

    /// Stops handing out keys: waiting workers get `None`.
    pub fn close(&self) {
        self.lock().closed = true;
        self.notify.notify_waiters();
    }

    /// How many keys wait.
    pub fn len(&self) -> usize {
        self.lock().order.len()
    }

    /// Whether no key waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue() -> Arc<WorkQueue<&'static str>> {
        Arc::new(WorkQueue::new(
            Duration::from_millis(100),
            Duration::from_millis(800),
        ))
    }

    #[tokio::test]
    async fn a_waiting_key_is_queued_once() {
        let q = queue();
        q.add("a");
        q.add("b");
        q.add("a");
        assert_eq!(q.len(), 2);
        assert_eq!(q.next().await, Some("a"));
        assert_eq!(q.next().await, Some("b"));
        assert!(q.is_empty());
    }

    #[tokio::test]
    async fn a_running_key_runs_again_after_it_is_done() {
        let q = queue();
        q.add("a");
        let key = q.next().await.unwrap();
        q.add("a");
        assert!(q.is_empty(), "held back while running");
        q.done(&key, true);
        assert_eq!(q.next().await, Some("a"));
    }

    #[tokio::test(start_paused = true)]
    async fn failures_back_off_exponentially_up_to_the_max() {
        let q = queue();
        q.add("a");
        let mut delays = Vec::new();
        for _ in 0..5 {
            let key = q.next().await.unwrap();
            delays.push(q.done(&key, false).unwrap().as_millis());
        }
        assert_eq!(delays, vec![100, 200, 400, 800, 800]);
        let key = q.next().await.unwrap();
        q.done(&key, true);
        q.add("a");
        let key = q.next().await.unwrap();
        assert_eq!(q.done(&key, false).unwrap().as_millis(), 100, "reset");
    }

    #[tokio::test(start_paused = true)]
    async fn add_after_waits_for_the_delay() {
        let q = queue();
        q.add_after("a", Duration::from_secs(5));
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert!(q.is_empty());
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(q.next().await, Some("a"));
    }

    #[tokio::test]
    async fn close_releases_waiting_workers() {
        let q = queue();
        let worker = tokio::spawn({
            let q = Arc::clone(&q);
            async move { q.next().await }
        });
        tokio::task::yield_now().await;
        q.close();
        assert_eq!(worker.await.unwrap(), None);
    }
}

//! The work queue, with client-go's guarantees: a key waiting in the queue is there once however
//! often it is added, a key is processed by one worker at a time (added while running, it runs
//! again afterwards), failed keys come back after an exponential backoff, and keys can be added
//! after a delay or coalesced over a window.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;

/// The queue. Cheap to share behind an [`Arc`].
#[derive(Debug)]
pub struct WorkQueue<K> {
    state: Mutex<State<K>>,
    notify: Notify,
    backoff_base: Duration,
    backoff_max: Duration,
}

#[derive(Debug)]
struct State<K> {
    order: VecDeque<K>,
    queued: HashSet<K>,
    running: HashSet<K>,
    /// Keys added while running: they go back in the queue when done.
    again: HashSet<K>,
    /// Consecutive failures per key.
    failures: HashMap<K, u32>,
    /// Keys waiting out a coalescing window (see [`WorkQueue::add_coalesced`]).
    coalescing: HashSet<K>,
    shut_down: bool,
}

impl<K: Clone + Eq + Hash + Send + 'static> WorkQueue<K> {
    /// A queue whose failed keys are retried after `backoff_base * 2^(failures-1)`, at most
    /// `backoff_max`.
    pub fn new(backoff_base: Duration, backoff_max: Duration) -> Self {
        WorkQueue {
            state: Mutex::new(State {
                order: VecDeque::new(),
                queued: HashSet::new(),
                running: HashSet::new(),
                again: HashSet::new(),
                failures: HashMap::new(),
                coalescing: HashSet::new(),
                shut_down: false,
            }),
            notify: Notify::new(),
            backoff_base,
            backoff_max,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<K>> {
        // A panic while holding this lock leaves consistent sets behind; keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `key` unless it is already waiting; a running key runs again when done.
    pub fn add(&self, key: K) {
        let mut state = self.lock();
        if state.shut_down {
            return;
        }
        if state.running.contains(&key) {
            state.again.insert(key);
        } else if state.queued.insert(key.clone()) {
            state.order.push_back(key);
            drop(state);
            self.notify.notify_one();
        }
    }

    /// Queues `key` after `delay` (at once when it is zero).
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

    /// Queues `key` once `window` has passed, folding every other `add_coalesced` of the same
    /// key within the window into that one run. For bursts of events that each change a
    /// little (a member object's status moving through several values): the reconcile reads the
    /// latest state anyway, so one run after the burst writes once instead of once per event.
    /// A key already waiting in the queue needs no extra run.
    pub fn add_coalesced(self: &Arc<Self>, key: K, window: Duration) {
        {
            let mut state = self.lock();
            if state.shut_down
                || state.queued.contains(&key)
                || !state.coalescing.insert(key.clone())
            {
                return;
            }
        }
        let queue = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(window).await;
            queue.lock().coalescing.remove(&key);
            queue.add(key);
        });
    }

    /// The next key to process, waiting for one; `None` once the queue is shut down. The caller
    /// must call [`WorkQueue::done`] with the key when finished.
    pub async fn next(&self) -> Option<K> {
        loop {
            // Registered before looking, so that an add or a shutdown in between wakes us.
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut state = self.lock();
                if state.shut_down {
                    return None;
                }
                if let Some(key) = state.order.pop_front() {
                    state.queued.remove(&key);
                    state.running.insert(key.clone());
                    let more = !state.order.is_empty();
                    drop(state);
                    if more {
                        // Let another worker pick up the rest.
                        self.notify.notify_one();
                    }
                    return Some(key);
                }
            }
            notified.await;
        }
    }

    /// Marks `key` finished: on success its failures are forgotten; on failure it is retried
    /// after its backoff (returned). A key added while it ran is queued again now.
    pub fn done(self: &Arc<Self>, key: &K, succeeded: bool) -> Option<Duration> {
        let mut state = self.lock();
        state.running.remove(key);
        let retry = if succeeded {
            state.failures.remove(key);
            None
        } else {
            let failures = state.failures.entry(key.clone()).or_insert(0);
            *failures = failures.saturating_add(1);
            let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(20));
            Some(
                self.backoff_base
                    .saturating_mul(factor)
                    .min(self.backoff_max),
            )
        };
        let again = state.again.remove(key);
        drop(state);
        if again {
            self.add(key.clone());
        }
        if let Some(delay) = retry {
            self.add_after(key.clone(), delay);
        }
        retry
    }

    /// Stops handing out keys; [`WorkQueue::next`] returns `None` from now on, also to the
    /// workers waiting in it.
    pub fn shut_down(&self) {
        self.lock().shut_down = true;
        self.notify.notify_waiters();
    }

    /// Keys waiting (not running).
    pub fn len(&self) -> usize {
        self.lock().order.len()
    }

    /// Whether no key is waiting.
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
    async fn a_running_key_is_not_handed_out_twice() {
        let q = queue();
        q.add("a");
        let key = q.next().await.unwrap();
        q.add("a");
        assert!(q.is_empty(), "added while running: held back");
        q.add("b");
        assert_eq!(q.next().await, Some("b"), "other keys still flow");
        q.done(&key, true);
        assert_eq!(q.next().await, Some("a"), "runs again after done");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_key_comes_back_after_its_backoff() {
        let q = queue();
        for _ in 0..5 {
            q.add("a");
            let key = q.next().await.unwrap();
            assert_eq!(q.done(&key, false), Some(Duration::from_millis(100)));
            // The retry is what brings it back.
            assert_eq!(q.next().await, Some("a"));
            // A success restarts the count.
            q.done(&"a", true);
        }
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
        q.add_after("a", Duration::from_secs(30));
        tokio::time::sleep(Duration::from_secs(29)).await;
        assert!(q.is_empty());
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(q.next().await, Some("a"));
        q.add_after("b", Duration::ZERO);
        assert_eq!(q.len(), 1, "no delay: queued at once");
    }

    #[tokio::test(start_paused = true)]
    async fn add_coalesced_folds_a_burst_into_one_run() {
        let q = queue();
        for _ in 0..5 {
            q.add_coalesced("a", Duration::from_millis(100));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(q.is_empty(), "nothing runs inside the window");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(q.next().await, Some("a"));
        q.done(&"a", true);
        assert!(q.is_empty(), "the burst ran once");
        // A key already queued needs no delayed run.
        q.add("b");
        q.add_coalesced("b", Duration::from_millis(100));
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(q.next().await, Some("b"));
        q.done(&"b", true);
        assert!(q.is_empty());
    }

    #[tokio::test]
    async fn shut_down_releases_waiting_workers() {
        let q = queue();
        let worker = tokio::spawn({
            let q = Arc::clone(&q);
            async move { q.next().await }
        });
        tokio::task::yield_now().await;
        q.shut_down();
        assert_eq!(worker.await.unwrap(), None);
        q.add("a");
        assert!(q.is_empty(), "nothing is queued after shutdown");
    }
}

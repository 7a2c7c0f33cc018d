//! The scheduling queue: Karmada's priority queue with client-go's guarantees. A key waiting in
//! the queue is there once however often it is added (with the highest priority it was added
//! with); the highest `spec.schedulePriority.priority` goes first, first come first served
//! within a priority; a key is handed to one worker at a time (added while running, it runs
//! again afterwards); failed keys come back after an exponential backoff, unschedulable ones
//! after a fixed delay. Delayed keys wait in one timer task, not one task per key.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// What to do with a key when its worker is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Requeue {
    /// Finished: forget its failures; only an event brings it back.
    Never,
    /// Failed: retry after the backoff for its consecutive failures.
    Backoff,
    /// Retry after this delay (unschedulable for now); failures are kept as they are.
    After(Duration),
}

/// The queue. Cheap to share behind an [`Arc`].
#[derive(Debug)]
pub(crate) struct SchedulingQueue<K> {
    state: Mutex<State<K>>,
    /// Wakes workers waiting in [`SchedulingQueue::next`].
    workers: Notify,
    /// Wakes the timer when an earlier deadline arrives or the queue shuts down.
    timer: Notify,
    backoff_initial: Duration,
    backoff_max: Duration,
}

#[derive(Debug)]
struct Entry<K> {
    priority: i32,
    seq: u64,
    key: K,
}

impl<K> PartialEq for Entry<K> {
    fn eq(&self, other: &Self) -> bool {
        self.priority == other.priority && self.seq == other.seq
    }
}

impl<K> Eq for Entry<K> {}

impl<K> PartialOrd for Entry<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<K> Ord for Entry<K> {
    /// The max-heap pops the highest priority, and within it the oldest entry.
    fn cmp(&self, other: &Self) -> Ordering {
        self.priority
            .cmp(&other.priority)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

#[derive(Debug)]
struct State<K> {
    heap: BinaryHeap<Entry<K>>,
    /// Keys waiting, with the sequence number of their live heap entry (older entries of the
    /// same key are skipped when popped).
    queued: HashMap<K, (i32, u64)>,
    running: HashSet<K>,
    /// Keys added while running, with their priority: queued again when done.
    again: HashMap<K, i32>,
    /// Keys waiting for a deadline, keyed by (deadline, seq); `delayed_at` has each key once.
    delayed: BTreeMap<(Instant, u64), (K, i32)>,
    delayed_at: HashMap<K, (Instant, u64)>,
    /// Consecutive failures per key.
    failures: HashMap<K, u32>,
    seq: u64,
    shut_down: bool,
}

impl<K: Clone + Eq + Hash + Send + 'static> SchedulingQueue<K> {
    /// A queue whose failed keys are retried after `backoff_initial * 2^(failures-1)`, at most
    /// `backoff_max`.
    pub(crate) fn new(backoff_initial: Duration, backoff_max: Duration) -> Self {
        SchedulingQueue {
            state: Mutex::new(State {
                heap: BinaryHeap::new(),
                queued: HashMap::new(),
                running: HashSet::new(),
                again: HashMap::new(),
                delayed: BTreeMap::new(),
                delayed_at: HashMap::new(),
                failures: HashMap::new(),
                seq: 0,
                shut_down: false,
            }),
            workers: Notify::new(),
            timer: Notify::new(),
            backoff_initial,
            backoff_max,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<K>> {
        // A panic while holding this lock leaves consistent collections behind; keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `key` with `priority` unless it is already waiting (then it keeps the higher of
    /// the two priorities); a running key runs again when done.
    pub(crate) fn add(&self, key: K, priority: i32) {
        let mut state = self.lock();
        if state.shut_down {
            return;
        }
        if state.running.contains(&key) {
            let p = state.again.entry(key).or_insert(priority);
            *p = (*p).max(priority);
            return;
        }
        if state.push(key, priority) {
            drop(state);
            self.workers.notify_one();
        }
    }

    /// Queues `key` once `delay` has passed. A key already waiting for an earlier deadline
    /// keeps it.
    pub(crate) fn add_after(&self, key: K, priority: i32, delay: Duration) {
        let deadline = Instant::now() + delay;
        let mut state = self.lock();
        if state.shut_down {
            return;
        }
        if let Some(&(at, seq)) = state.delayed_at.get(&key) {
            if at <= deadline {
                return;
            }
            state.delayed.remove(&(at, seq));
        }
        state.seq += 1;
        let seq = state.seq;
        let earliest = state
            .delayed
            .first_key_value()
            .is_none_or(|(&(first, _), _)| deadline < first);
        state
            .delayed
            .insert((deadline, seq), (key.clone(), priority));
        state.delayed_at.insert(key, (deadline, seq));
        drop(state);
        if earliest {
            self.timer.notify_one();
        }
    }

    /// The next key to process, waiting for one; `None` once the queue is shut down. The caller
    /// must call [`SchedulingQueue::done`] with the key when finished.
    pub(crate) async fn next(&self) -> Option<(K, i32)> {
        loop {
            // Registered before looking, so that an add or a shutdown in between wakes us.
            let notified = self.workers.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut state = self.lock();
                if state.shut_down {
                    return None;
                }
                while let Some(entry) = state.heap.pop() {
                    if state.queued.get(&entry.key).map(|&(_, seq)| seq) != Some(entry.seq) {
                        continue; // superseded by a higher-priority entry of the same key
                    }
                    state.queued.remove(&entry.key);
                    state.running.insert(entry.key.clone());
                    let more = !state.queued.is_empty();
                    drop(state);
                    if more {
                        // Let another worker pick up the rest.
                        self.workers.notify_one();
                    }
                    return Some((entry.key, entry.priority));
                }
            }
            notified.await;
        }
    }

    /// Marks `key` finished and requeues it as asked; returns the delay of a retry. A key added
    /// while it ran is queued again now.
    pub(crate) fn done(&self, key: &K, priority: i32, requeue: Requeue) -> Option<Duration> {
        let mut state = self.lock();
        state.running.remove(key);
        let retry = match requeue {
            Requeue::Never => {
                state.failures.remove(key);
                None
            }
            Requeue::Backoff => {
                let failures = state.failures.entry(key.clone()).or_insert(0);
                *failures = failures.saturating_add(1);
                let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(20));
                Some(
                    self.backoff_initial
                        .saturating_mul(factor)
                        .min(self.backoff_max),
                )
            }
            Requeue::After(delay) => Some(delay),
        };
        let again = state.again.remove(key);
        drop(state);
        if let Some(p) = again {
            self.add(key.clone(), p.max(priority));
        }
        if let Some(delay) = retry {
            self.add_after(key.clone(), priority, delay);
        }
        retry
    }

    /// Moves delayed keys whose deadline has come into the queue, until shutdown.
    pub(crate) async fn run_timer(self: Arc<Self>) {
        loop {
            let notified = self.timer.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let next = {
                let mut state = self.lock();
                if state.shut_down {
                    return;
                }
                let now = Instant::now();
                let mut moved = false;
                while let Some(entry) = state.delayed.first_entry() {
                    if entry.key().0 > now {
                        break;
                    }
                    let (key, priority) = entry.remove();
                    state.delayed_at.remove(&key);
                    if state.running.contains(&key) {
                        let p = state.again.entry(key).or_insert(priority);
                        *p = (*p).max(priority);
                    } else {
                        moved |= state.push(key, priority);
                    }
                }
                if moved {
                    self.workers.notify_waiters();
                }
                state.delayed.first_key_value().map(|(&(at, _), _)| at)
            };
            match next {
                Some(at) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = &mut notified => {}
                    }
                }
                None => notified.await,
            }
        }
    }

    /// Stops handing out keys; [`SchedulingQueue::next`] returns `None` from now on.
    pub(crate) fn shut_down(&self) {
        self.lock().shut_down = true;
        self.workers.notify_waiters();
        self.timer.notify_one();
    }

    /// Keys waiting (not running, not delayed).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().queued.len()
    }
}

impl<K: Clone + Eq + Hash> State<K> {
    /// Puts `key` in the heap, or raises the priority of its waiting entry; whether a worker
    /// has something new to do.
    fn push(&mut self, key: K, priority: i32) -> bool {
        if let Some(&(queued_priority, _)) = self.queued.get(&key)
            && queued_priority >= priority
        {
            return false;
        }
        self.seq += 1;
        let seq = self.seq;
        self.queued.insert(key.clone(), (priority, seq));
        self.heap.push(Entry { priority, seq, key });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue() -> Arc<SchedulingQueue<&'static str>> {
        Arc::new(SchedulingQueue::new(
            Duration::from_secs(1),
            Duration::from_secs(10),
        ))
    }

    async fn next_key(q: &SchedulingQueue<&'static str>) -> &'static str {
        q.next().await.expect("queue running").0
    }

    #[tokio::test]
    async fn a_waiting_key_is_queued_once() {
        let q = queue();
        q.add("a", 0);
        q.add("b", 0);
        q.add("a", 0);
        assert_eq!(q.len(), 2);
        assert_eq!(next_key(&q).await, "a");
        assert_eq!(next_key(&q).await, "b");
        assert_eq!(q.len(), 0);
    }

    #[tokio::test]
    async fn higher_priority_first_then_arrival_order() {
        let q = queue();
        q.add("low-1", 0);
        q.add("high", 10);
        q.add("low-2", 0);
        q.add("negative", -5);
        q.add("mid", 5);
        // Re-adding with a higher priority moves the waiting key up; with a lower one it stays.
        q.add("low-2", 7);
        q.add("high", -100);
        let mut order = Vec::new();
        for _ in 0..5 {
            order.push(next_key(&q).await);
        }
        assert_eq!(order, ["high", "low-2", "mid", "low-1", "negative"]);
        assert_eq!(q.len(), 0, "the superseded entry is not handed out again");
    }

    #[tokio::test]
    async fn a_running_key_is_not_handed_out_twice() {
        let q = queue();
        q.add("a", 0);
        let key = next_key(&q).await;
        q.add("a", 3);
        assert_eq!(q.len(), 0, "added while running: held back");
        q.add("b", 0);
        assert_eq!(next_key(&q).await, "b", "other keys still flow");
        q.done(&key, 0, Requeue::Never);
        assert_eq!(
            q.next().await,
            Some(("a", 3)),
            "runs again after done, with the priority it was added with"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn failures_back_off_exponentially_up_to_the_max() {
        let q = queue();
        tokio::spawn(Arc::clone(&q).run_timer());
        q.add("a", 0);
        let mut key = next_key(&q).await;
        let mut delays = Vec::new();
        for _ in 0..6 {
            let failed_at = Instant::now();
            let delay = q.done(&key, 0, Requeue::Backoff).unwrap();
            delays.push(delay.as_secs());
            // The retry is what brings it back, and not before its backoff.
            key = next_key(&q).await;
            assert_eq!(key, "a");
            assert!(Instant::now() - failed_at >= delay);
        }
        assert_eq!(delays, vec![1, 2, 4, 8, 10, 10]);
    }

    #[tokio::test(start_paused = true)]
    async fn success_forgets_failures() {
        let q = queue();
        tokio::spawn(Arc::clone(&q).run_timer());
        q.add("a", 0);
        let key = next_key(&q).await;
        assert_eq!(
            q.done(&key, 0, Requeue::Backoff),
            Some(Duration::from_secs(1))
        );
        let key = next_key(&q).await;
        assert_eq!(
            q.done(&key, 0, Requeue::Backoff),
            Some(Duration::from_secs(2))
        );
        let key = next_key(&q).await;
        assert_eq!(q.done(&key, 0, Requeue::Never), None);
        q.add("a", 0);
        let key = next_key(&q).await;
        assert_eq!(
            q.done(&key, 0, Requeue::Backoff),
            Some(Duration::from_secs(1))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn delayed_keys_wait_for_their_deadline_and_keep_the_earliest() {
        let q = queue();
        tokio::spawn(Arc::clone(&q).run_timer());
        q.add_after("late", 0, Duration::from_secs(30));
        q.add_after("early", 0, Duration::from_secs(5));
        q.add_after("early", 0, Duration::from_secs(20));
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert_eq!(q.len(), 0);
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(q.len(), 1);
        assert_eq!(next_key(&q).await, "early");
        q.done(&"early", 0, Requeue::Never);
        tokio::time::sleep(Duration::from_secs(20)).await;
        assert_eq!(q.len(), 0, "the later deadline of `early` was dropped");
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(next_key(&q).await, "late");
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
    }
}

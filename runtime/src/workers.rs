//! The worker pool of a queue-driven controller: tasks that take keys from a [`WorkQueue`],
//! reconcile them and hand them back — done, requeued after a delay the reconcile asked for, or
//! retried after the queue's backoff when it failed — until the queue is shut down. Also the
//! periodic resync that re-queues everything as a safety net, and the options every such
//! controller has.

use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;

use crate::queue::WorkQueue;

/// What to do with a key after a successful reconcile (kube-runtime's `Action`, with the delay
/// readable by our own queue).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Nothing until an event (or the periodic resync) brings the key back.
    AwaitChange,
    /// Reconcile again after this delay.
    Requeue(Duration),
}

/// A reconcile with nothing to ask for waits for the next change.
impl From<()> for Action {
    fn from((): ()) -> Action {
        Action::AwaitChange
    }
}

/// `Some(delay)`: look again after `delay`.
impl From<Option<Duration>> for Action {
    fn from(after: Option<Duration>) -> Action {
        after.map_or(Action::AwaitChange, Action::Requeue)
    }
}

/// How a controller works its queue: how many keys at once, and how failed keys back off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueOptions {
    /// Keys reconciled concurrently.
    pub workers: usize,
    /// The first retry delay of a failed reconcile; it doubles with each failure.
    pub retry_base: Duration,
    /// The longest retry delay.
    pub retry_max: Duration,
}

impl QueueOptions {
    /// Checks the options; the error says what is wrong.
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.workers == 0 {
            return Err("workers must be at least 1");
        }
        if self.retry_base.is_zero() {
            return Err("retry base must be positive");
        }
        if self.retry_max < self.retry_base {
            return Err("retry max must not be below retry base");
        }
        Ok(())
    }

    /// An empty queue that backs failed keys off as these options say.
    pub fn queue<K: Clone + Eq + Hash + Send + 'static>(&self) -> Arc<WorkQueue<K>> {
        Arc::new(WorkQueue::new(self.retry_base, self.retry_max))
    }
}

/// One worker: takes keys from `queue` until it is shut down, runs `reconcile(ctx, key)` on each
/// and hands the key back; a failure is retried after its backoff and reported to `failed` with
/// that delay (to log it as the controller sees fit).
pub async fn work<C, K, A, E, R, Fut, L>(
    queue: Arc<WorkQueue<K>>,
    ctx: Arc<C>,
    reconcile: R,
    failed: L,
) where
    K: Clone + Eq + Hash + Send + 'static,
    R: Fn(Arc<C>, K) -> Fut,
    Fut: Future<Output = Result<A, E>>,
    A: Into<Action>,
    L: Fn(&K, &E, Option<Duration>),
{
    while let Some(key) = queue.next().await {
        match reconcile(Arc::clone(&ctx), key.clone())
            .await
            .map(Into::into)
        {
            Ok(Action::AwaitChange) => {
                queue.done(&key, true);
            }
            Ok(Action::Requeue(after)) => {
                queue.done(&key, true);
                queue.add_after(key, after);
            }
            Err(err) => {
                let retry_in = queue.done(&key, false);
                failed(&key, &err, retry_in);
            }
        }
    }
}

/// Spawns `workers` [`work`]ers on `queue` into `tasks`. They end when the queue is shut down,
/// each after finishing the reconcile it is in.
pub fn spawn_workers<C, K, A, E, R, Fut, L>(
    tasks: &mut JoinSet<()>,
    workers: usize,
    queue: &Arc<WorkQueue<K>>,
    ctx: &Arc<C>,
    reconcile: R,
    failed: L,
) where
    C: Send + Sync + 'static,
    K: Clone + Eq + Hash + Send + Sync + 'static,
    R: Fn(Arc<C>, K) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<A, E>> + Send + 'static,
    A: Into<Action> + Send + 'static,
    E: Send + 'static,
    L: Fn(&K, &E, Option<Duration>) + Clone + Send + 'static,
{
    for _ in 0..workers {
        tasks.spawn(work(
            Arc::clone(queue),
            Arc::clone(ctx),
            reconcile.clone(),
            failed.clone(),
        ));
    }
}

/// Calls `enqueue` every `period`, the first time one period from now, for as long as it runs
/// (spawn it, and abort it on shutdown). A tick that comes late pushes the later ones back
/// rather than firing several at once.
pub async fn resync(period: Duration, mut enqueue: impl FnMut()) {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        enqueue();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// What the fake reconcile does with a key, and what it saw.
    #[derive(Default)]
    struct Fake {
        /// Runs per key.
        runs: Mutex<HashMap<&'static str, usize>>,
        /// Failures reported to `failed`, with their retry delay.
        failures: Mutex<Vec<(&'static str, Option<Duration>)>>,
    }

    impl Fake {
        fn runs(&self, key: &str) -> usize {
            self.runs.lock().unwrap().get(key).copied().unwrap_or(0)
        }
    }

    /// `ok` succeeds, `again` asks to be looked at again after a second (once), `fail` fails
    /// its first two runs.
    async fn reconcile(fake: Arc<Fake>, key: &'static str) -> Result<Action, String> {
        let run = {
            let mut runs = fake.runs.lock().unwrap();
            let run = runs.entry(key).or_default();
            *run += 1;
            *run
        };
        match key {
            "again" if run == 1 => Ok(Action::Requeue(Duration::from_secs(1))),
            "fail" if run <= 2 => Err(format!("run {run} failed")),
            _ => Ok(Action::AwaitChange),
        }
    }

    fn record(
        fake: Arc<Fake>,
    ) -> impl Fn(&&'static str, &String, Option<Duration>) + Clone + Send + 'static {
        move |key, _err, retry_in| fake.failures.lock().unwrap().push((key, retry_in))
    }

    /// Lets the workers run well past every delay and backoff of the test (paused clock).
    async fn settle() {
        tokio::time::sleep(Duration::from_secs(10)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn workers_reconcile_requeue_and_retry() {
        let queue = Arc::new(WorkQueue::new(
            Duration::from_millis(100),
            Duration::from_secs(1),
        ));
        let fake = Arc::new(Fake::default());
        let mut tasks = JoinSet::new();
        spawn_workers(
            &mut tasks,
            2,
            &queue,
            &fake,
            reconcile,
            record(Arc::clone(&fake)),
        );
        for key in ["ok", "again", "fail"] {
            queue.add(key);
        }
        settle().await;
        assert_eq!(fake.runs("ok"), 1, "a success waits for a change");
        assert_eq!(
            fake.runs("again"),
            2,
            "a requeue runs again after its delay"
        );
        assert_eq!(
            fake.runs("fail"),
            3,
            "a failure is retried until it succeeds"
        );
        assert_eq!(
            *fake.failures.lock().unwrap(),
            vec![
                ("fail", Some(Duration::from_millis(100))),
                ("fail", Some(Duration::from_millis(200))),
            ],
            "each failure is reported with its backoff"
        );
        queue.shut_down();
        while let Some(ended) = tasks.join_next().await {
            ended.unwrap();
        }
    }

    #[test]
    fn unit_and_optional_delays_are_actions() {
        assert_eq!(Action::from(()), Action::AwaitChange);
        assert_eq!(Action::from(None), Action::AwaitChange);
        let after = Duration::from_secs(3);
        assert_eq!(Action::from(Some(after)), Action::Requeue(after));
    }

    #[test]
    fn options_are_checked() {
        let good = QueueOptions {
            workers: 1,
            retry_base: Duration::from_millis(100),
            retry_max: Duration::from_secs(1),
        };
        assert_eq!(good.validate(), Ok(()));
        for (name, bad) in [
            ("no workers", QueueOptions { workers: 0, ..good }),
            (
                "zero retry base",
                QueueOptions {
                    retry_base: Duration::ZERO,
                    ..good
                },
            ),
            (
                "max below base",
                QueueOptions {
                    retry_max: Duration::from_millis(10),
                    ..good
                },
            ),
        ] {
            assert!(bad.validate().is_err(), "{name}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn resync_ticks_after_each_period() {
        let ticks = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&ticks);
        let task = tokio::spawn(resync(Duration::from_secs(60), move || {
            counted.fetch_add(1, Ordering::SeqCst);
        }));
        tokio::time::sleep(Duration::from_secs(59)).await;
        assert_eq!(ticks.load(Ordering::SeqCst), 0, "not at once");
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(ticks.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(ticks.load(Ordering::SeqCst), 2);
        task.abort();
    }
}

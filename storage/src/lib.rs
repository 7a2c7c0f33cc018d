//! Flotilla's storage layer: a small trait over untyped objects (JSON bytes) with etcd semantics,
//! and its two backends — etcd (production) and an embedded, durable SQLite store (the default).
//!
//! The store knows nothing about Kubernetes kinds: keys are strings, values are bytes, and every
//! write gets a new, strictly increasing revision shared by the whole store. `resourceVersion` in
//! the API is that revision.
//!
//! Both backends pass one conformance suite (`tests/conformance.rs`); the `testing` feature
//! exports [`testing::EtcdProcess`], a real etcd for other crates' tests.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;

pub mod etcd;
pub mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;

pub use etcd::EtcdStore;
pub use sqlite::SqliteStore;

/// A store revision. As in etcd, an empty store is at revision 1 and every successful write
/// increases the revision by exactly one, so the first write gets revision 2. Revision 0 never
/// names a state of the store (Kubernetes uses `resourceVersion: "0"` to mean "any").
pub type Revision = i64;

/// One stored key at one revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: Bytes,
    /// Revision at which the key was (last) created.
    pub create_revision: Revision,
    /// Revision of the last write to the key. For a deleted key in a watch event: the revision
    /// of the deletion.
    pub mod_revision: Revision,
}

/// What happened to a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Created,
    Modified,
    Deleted,
}

/// One change, as delivered by [`Storage::watch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchEvent {
    pub event_type: EventType,
    /// The new value; for `Deleted`, the last value the key had, with `mod_revision` set to the
    /// revision of the deletion.
    pub kv: KeyValue,
    /// The value before this change (absent for `Created`).
    pub prev: Option<KeyValue>,
}

impl WatchEvent {
    pub fn revision(&self) -> Revision {
        self.kv.mod_revision
    }
}

/// A LIST request.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// Only keys starting with this prefix.
    pub prefix: String,
    /// Read at this revision; `None` means the latest. A revision older than the compacted one
    /// fails with [`StorageError::Expired`].
    pub revision: Option<Revision>,
    /// At most this many items; `None` or 0 means no limit.
    pub limit: Option<usize>,
    /// Only keys strictly greater than this one (pagination: the last key of the previous page).
    pub start_after: Option<String>,
}

/// A LIST answer.
#[derive(Debug, Clone, Default)]
pub struct ListResult {
    /// Items in key order.
    pub items: Vec<KeyValue>,
    /// The revision the list was read at. A continuation must pass it back as `revision`.
    pub revision: Revision,
    /// Whether more items exist after the last one returned.
    pub more: bool,
    /// How many keys under the prefix remain after this page (when known).
    pub remaining: Option<i64>,
}

/// A stream of changes in revision order; it ends with an `Err` if the store can no longer
/// deliver a gap-free history (e.g. the watcher fell behind a compaction).
pub type WatchStream = Pin<Box<dyn Stream<Item = Result<WatchEvent, StorageError>> + Send>>;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("key {key:?} not found")]
    NotFound { key: String },
    #[error("key {key:?} already exists")]
    AlreadyExists { key: String },
    #[error("conflict on key {key:?}: expected revision {expected}, found {actual}")]
    Conflict {
        key: String,
        expected: Revision,
        actual: Revision,
    },
    /// The requested history is gone. `compacted` is the store's compacted revision when the
    /// backend knows it (etcd does not report it on reads: then it is the newest compaction this
    /// client has seen, or 0).
    #[error("revision {requested} has been compacted (oldest available is {compacted})")]
    Expired {
        requested: Revision,
        compacted: Revision,
    },
    #[error("storage backend failed: {0}")]
    Backend(String),
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// The storage contract. Every backend passes the same conformance suite (`tests/conformance.rs`).
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// Create `key` only if it does not exist. Returns the stored key-value (its new revision).
    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue>;

    /// The current value of `key`, or `None`.
    async fn get(&self, key: &str) -> Result<Option<KeyValue>>;

    /// Keys under a prefix, in key order, consistent at one revision.
    async fn list(&self, opts: &ListOptions) -> Result<ListResult>;

    /// Replace `key`'s value if its `mod_revision` is still `expected_revision`.
    /// Fails with `NotFound` if it does not exist and `Conflict` if it changed.
    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected_revision: Revision,
    ) -> Result<KeyValue>;

    /// Delete `key`, if `expected_revision` is `Some`, only when its `mod_revision` still matches.
    /// Returns the last value with `mod_revision` set to the deletion's revision.
    async fn delete(&self, key: &str, expected_revision: Option<Revision>) -> Result<KeyValue>;

    /// Every change to keys under `prefix` with a revision strictly greater than `after`, in
    /// order, with no gaps; then live changes. After a compaction at `c`, `after >= c - 1` still
    /// works (as an etcd watch from `c`); an older `after` fails with `Expired` (immediately, or
    /// as the stream's first item). `after` may be newer than the store: the watch then starts
    /// with the first revision above it.
    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream>;

    /// The newest revision of the store.
    async fn current_revision(&self) -> Result<Revision>;

    /// Forget history before `revision` (current values are always kept): afterwards a list at a
    /// revision below it fails with `Expired`. Compacting at or below an earlier compaction is a
    /// no-op; compacting beyond the current revision is an error.
    async fn compact(&self, revision: Revision) -> Result<()>;
}

/// Compact `store` in the background, the way kube-apiserver compacts etcd (every 5 minutes
/// there).
///
/// At every tick the store is compacted to the revision it had at the *previous* tick, but never
/// closer than `keep_revisions` to the current one. So history stays available for at least one
/// `interval` — time for a watcher that fell behind to catch up — and for at least
/// `keep_revisions` writes. The task holds only a weak reference and ends once the store is
/// dropped; abort the handle to stop it earlier. Failures are logged and retried at the next tick.
pub fn spawn_compactor<S>(
    store: &Arc<S>,
    interval: Duration,
    keep_revisions: i64,
) -> tokio::task::JoinHandle<()>
where
    S: Storage + ?Sized,
{
    let store = Arc::downgrade(store);
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut previous: Option<Revision> = None;
        loop {
            ticker.tick().await;
            let Some(store) = store.upgrade() else {
                return;
            };
            let current = match store.current_revision().await {
                Ok(current) => current,
                Err(err) => {
                    tracing::warn!(error = %err, "compactor: failed to read the current revision");
                    continue;
                }
            };
            if let Some(previous) = previous {
                let target = previous.min(current - keep_revisions.max(0));
                if target > 1 {
                    match store.compact(target).await {
                        Ok(()) => tracing::debug!(revision = target, "compacted storage"),
                        Err(err) => {
                            tracing::warn!(revision = target, error = %err, "compaction failed")
                        }
                    }
                }
            }
            previous = Some(current);
        }
    })
}

/// The smallest key greater than every key starting with `prefix`, or `None` when no such key
/// exists (empty prefix, or only `0xff` bytes): the exclusive end of a prefix range.
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn prefix_end_is_the_exclusive_end_of_a_prefix_range() {
        struct Case {
            name: &'static str,
            prefix: &'static [u8],
            end: Option<&'static [u8]>,
        }
        let cases = [
            Case {
                name: "empty prefix has no end",
                prefix: b"",
                end: None,
            },
            Case {
                name: "last byte incremented",
                prefix: b"/registry/pods/",
                end: Some(b"/registry/pods0"),
            },
            Case {
                name: "trailing 0xff dropped",
                prefix: b"a\xff\xff",
                end: Some(b"b"),
            },
            Case {
                name: "all 0xff has no end",
                prefix: b"\xff\xff",
                end: None,
            },
        ];
        for case in cases {
            assert_eq!(
                prefix_end(case.prefix).as_deref(),
                case.end,
                "case {}",
                case.name
            );
        }
    }
}

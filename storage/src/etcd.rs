//! The etcd backend (through `etcd-client`): the production store, and how Flotilla scales its
//! state out (a 3- or 5-member etcd cluster shared by stateless apiservers).
//!
//! The mapping follows kube-apiserver's etcd3 store: every guarded write is one etcd transaction
//! (create: `create_revision == 0`; update/delete: `mod_revision == expected`), so a write and its
//! precondition are atomic in etcd. A list reads at one etcd revision; a watch is an etcd watch
//! from `after + 1` with previous values. Our revisions are etcd's revisions.
//!
//! All keys live under an optional `prefix` (several Flotillas can share one etcd); the prefix is
//! added on the way in and stripped on the way out, so callers never see it.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use etcd_client::{
    Client, Compare, CompareOp, ConnectOptions, DeleteOptions, GetOptions, KvClient, PutOptions,
    Txn, TxnOp, TxnOpResponse, TxnResponse, WatchClient, WatchOptions,
};

use crate::{
    EventType, KeyValue, ListOptions, ListResult, Result, Revision, Storage, StorageError,
    WatchEvent, WatchStream, prefix_end,
};

/// How long [`EtcdStore::connect`] waits for etcd to answer before giving up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// etcd's message for a read or watch below the compacted revision (`mvcc.ErrCompacted`).
const ERR_COMPACTED: &str = "required revision has been compacted";

/// The etcd-backed store. Cheap to share (`Arc`); the client multiplexes requests over one
/// HTTP/2 connection per endpoint.
pub struct EtcdStore {
    kv: KvClient,
    watch: WatchClient,
    prefix: String,
    /// The newest compaction this client has seen (its own or one reported by a watch).
    /// etcd does not say which revision it compacted when it refuses a read; this is the best
    /// answer for [`StorageError::Expired`].
    compacted: Arc<AtomicI64>,
}

fn etcd_error(context: &'static str) -> impl Fn(etcd_client::Error) -> StorageError {
    move |err| StorageError::Backend(format!("etcd: failed to {context}: {err}"))
}

fn is_compacted(err: &etcd_client::Error) -> bool {
    matches!(err, etcd_client::Error::GRpcStatus(status) if status.message().contains(ERR_COMPACTED))
}

fn header_revision(txn: &TxnResponse) -> Result<Revision> {
    txn.header()
        .map(|h| h.revision())
        .ok_or_else(|| StorageError::Backend("etcd: response without a header".into()))
}

impl EtcdStore {
    /// Connect to the etcd cluster at `endpoints` (e.g. `http://127.0.0.1:2379`) and check that
    /// it answers. Keys are stored under `prefix` (`""` for none).
    pub async fn connect(endpoints: &[String], prefix: &str) -> Result<EtcdStore> {
        // No per-request timeout: it would also cut long-running watch streams.
        let options = ConnectOptions::new()
            .with_connect_timeout(CONNECT_TIMEOUT)
            .with_keep_alive(Duration::from_secs(30), Duration::from_secs(10));
        let connect = async {
            let client = Client::connect(endpoints, Some(options))
                .await
                .map_err(etcd_error("connect"))?;
            let store = EtcdStore {
                kv: client.kv_client(),
                watch: client.watch_client(),
                prefix: prefix.to_owned(),
                compacted: Arc::new(AtomicI64::new(0)),
            };
            // The client connects lazily; a read proves etcd is there and has a leader.
            store.current_revision().await?;
            Ok(store)
        };
        tokio::time::timeout(CONNECT_TIMEOUT, connect)
            .await
            .map_err(|_| {
                StorageError::Backend(format!(
                    "etcd: no answer from {endpoints:?} within {CONNECT_TIMEOUT:?}"
                ))
            })?
    }

    /// The key prefix this store works under.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Compact periodically; see [`crate::spawn_compactor`].
    pub fn spawn_compactor(
        self: &Arc<Self>,
        interval: Duration,
        keep_revisions: i64,
    ) -> tokio::task::JoinHandle<()> {
        crate::spawn_compactor(self, interval, keep_revisions)
    }

    fn full_key(&self, key: &str) -> Vec<u8> {
        let mut full = Vec::with_capacity(self.prefix.len() + key.len());
        full.extend_from_slice(self.prefix.as_bytes());
        full.extend_from_slice(key.as_bytes());
        full
    }

    fn key_value(&self, kv: &etcd_client::KeyValue) -> Result<KeyValue> {
        key_value(&self.prefix, kv)
    }

    /// The range a prefix covers in etcd: `[start, end)`, an end of `"\0"` meaning "to the end".
    fn prefix_range(&self, prefix: &str) -> (Vec<u8>, Vec<u8>) {
        let start = self.full_key(prefix);
        match prefix_end(&start) {
            Some(end) => (start, end),
            // etcd spells "every key from start on" as range_end "\0"; an empty key is not
            // allowed, "\0" is the smallest one.
            None if start.is_empty() => (vec![0], vec![0]),
            None => (start, vec![0]),
        }
    }

    fn expired(&self, requested: Revision) -> StorageError {
        StorageError::Expired {
            requested,
            compacted: self.compacted.load(Ordering::Relaxed),
        }
    }

    /// On a failed guarded write: the key's current state, to tell NotFound from Conflict.
    fn rejected(&self, key: &str, expected: Option<Revision>, txn: &TxnResponse) -> StorageError {
        let current = txn.op_responses().into_iter().find_map(|op| match op {
            TxnOpResponse::Get(get) => get.kvs().first().map(|kv| kv.mod_revision()),
            _ => None,
        });
        match (current, expected) {
            (None, _) => StorageError::NotFound {
                key: key.to_owned(),
            },
            (Some(actual), Some(expected)) => StorageError::Conflict {
                key: key.to_owned(),
                expected,
                actual,
            },
            // Unreachable in practice: the failure branch reads atomically with the guard, and
            // an unconditional delete only fails when the key is absent.
            (Some(actual), None) => StorageError::Conflict {
                key: key.to_owned(),
                expected: actual,
                actual,
            },
        }
    }
}

/// Convert an etcd key-value, stripping our prefix.
fn key_value(prefix: &str, kv: &etcd_client::KeyValue) -> Result<KeyValue> {
    Ok(KeyValue {
        key: strip_prefix(prefix, kv.key())?,
        value: Bytes::copy_from_slice(kv.value()),
        create_revision: kv.create_revision(),
        mod_revision: kv.mod_revision(),
    })
}

fn strip_prefix(prefix: &str, key: &[u8]) -> Result<String> {
    let rest = key.strip_prefix(prefix.as_bytes()).ok_or_else(|| {
        StorageError::Backend(format!(
            "etcd: key {:?} is outside prefix {prefix:?}",
            String::from_utf8_lossy(key)
        ))
    })?;
    String::from_utf8(rest.to_vec())
        .map_err(|err| StorageError::Backend(format!("etcd: key is not UTF-8: {err}")))
}

#[async_trait]
impl Storage for EtcdStore {
    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue> {
        let full = self.full_key(key);
        let txn = Txn::new()
            .when([Compare::create_revision(full.clone(), CompareOp::Equal, 0)])
            .and_then([TxnOp::put(full, value.to_vec(), None)]);
        let resp = self
            .kv
            .clone()
            .txn(txn)
            .await
            .map_err(etcd_error("create"))?;
        if !resp.succeeded() {
            return Err(StorageError::AlreadyExists {
                key: key.to_owned(),
            });
        }
        let revision = header_revision(&resp)?;
        Ok(KeyValue {
            key: key.to_owned(),
            value,
            create_revision: revision,
            mod_revision: revision,
        })
    }

    async fn get(&self, key: &str) -> Result<Option<KeyValue>> {
        let resp = self
            .kv
            .clone()
            .get(self.full_key(key), None)
            .await
            .map_err(etcd_error("get"))?;
        resp.kvs().first().map(|kv| self.key_value(kv)).transpose()
    }

    async fn list(&self, opts: &ListOptions) -> Result<ListResult> {
        let (mut start, end) = self.prefix_range(&opts.prefix);
        if let Some(after) = &opts.start_after {
            // The smallest key after `after` is `after` + "\0".
            let mut next = self.full_key(after);
            next.push(0);
            if next > start {
                start = next;
            }
        }
        let revision = opts.revision.filter(|r| *r > 0);
        let limit = opts.limit.filter(|l| *l > 0);
        let mut get = GetOptions::new().with_range(end);
        if let Some(revision) = revision {
            get = get.with_revision(revision);
        }
        if let Some(limit) = limit {
            get = get.with_limit(i64::try_from(limit).unwrap_or(i64::MAX));
        }
        let resp = match self.kv.clone().get(start, Some(get)).await {
            Ok(resp) => resp,
            Err(err) if is_compacted(&err) => {
                return Err(self.expired(revision.unwrap_or_default()));
            }
            Err(err) => return Err(etcd_error("list")(err)),
        };
        let items = resp
            .kvs()
            .iter()
            .map(|kv| self.key_value(kv))
            .collect::<Result<Vec<_>>>()?;
        let read_at = match revision {
            Some(revision) => revision,
            None => resp
                .header()
                .map(|h| h.revision())
                .ok_or_else(|| StorageError::Backend("etcd: response without a header".into()))?,
        };
        // `count` is every key in the range (from the page start), ignoring the limit.
        let remaining = (resp.count() - items.len() as i64).max(0);
        Ok(ListResult {
            items,
            revision: read_at,
            more: resp.more(),
            remaining: Some(remaining),
        })
    }

    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected_revision: Revision,
    ) -> Result<KeyValue> {
        let full = self.full_key(key);
        let txn = Txn::new()
            .when([
                // A missing key has mod_revision 0: require existence explicitly.
                Compare::create_revision(full.clone(), CompareOp::Greater, 0),
                Compare::mod_revision(full.clone(), CompareOp::Equal, expected_revision),
            ])
            .and_then([TxnOp::put(
                full.clone(),
                value.to_vec(),
                Some(PutOptions::new().with_prev_key()),
            )])
            .or_else([TxnOp::get(full, None)]);
        let resp = self
            .kv
            .clone()
            .txn(txn)
            .await
            .map_err(etcd_error("update"))?;
        if !resp.succeeded() {
            return Err(self.rejected(key, Some(expected_revision), &resp));
        }
        let revision = header_revision(&resp)?;
        let create_revision = resp
            .op_responses()
            .into_iter()
            .find_map(|op| match op {
                TxnOpResponse::Put(put) => put.prev_key().map(|kv| kv.create_revision()),
                _ => None,
            })
            .ok_or_else(|| StorageError::Backend("etcd: update without a previous value".into()))?;
        Ok(KeyValue {
            key: key.to_owned(),
            value,
            create_revision,
            mod_revision: revision,
        })
    }

    async fn delete(&self, key: &str, expected_revision: Option<Revision>) -> Result<KeyValue> {
        let full = self.full_key(key);
        let mut guard = vec![Compare::create_revision(
            full.clone(),
            CompareOp::Greater,
            0,
        )];
        if let Some(expected) = expected_revision {
            guard.push(Compare::mod_revision(
                full.clone(),
                CompareOp::Equal,
                expected,
            ));
        }
        let txn = Txn::new()
            .when(guard)
            .and_then([TxnOp::delete(
                full.clone(),
                Some(DeleteOptions::new().with_prev_key()),
            )])
            .or_else([TxnOp::get(full, None)]);
        let resp = self
            .kv
            .clone()
            .txn(txn)
            .await
            .map_err(etcd_error("delete"))?;
        if !resp.succeeded() {
            return Err(self.rejected(key, expected_revision, &resp));
        }
        let revision = header_revision(&resp)?;
        let prev = resp
            .op_responses()
            .into_iter()
            .find_map(|op| match op {
                TxnOpResponse::Delete(delete) => delete.prev_kvs().first().cloned(),
                _ => None,
            })
            .ok_or_else(|| StorageError::Backend("etcd: delete without a previous value".into()))?;
        Ok(KeyValue {
            mod_revision: revision,
            ..self.key_value(&prev)?
        })
    }

    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream> {
        let (start, end) = self.prefix_range(prefix);
        let options = WatchOptions::new()
            .with_range(end)
            .with_start_revision(after.max(0) + 1)
            .with_prev_key();
        // The start revision is explicit, so nothing written after this call returns can be
        // missed even before etcd confirms the watch: no need to wait for `created`.
        let stream = self
            .watch
            .clone()
            .watch(start, Some(options))
            .await
            .map_err(etcd_error("watch"))?;
        let state = EtcdWatch {
            stream,
            prefix: self.prefix.clone(),
            after: after.max(0),
            compacted: self.compacted.clone(),
            pending: VecDeque::new(),
            done: false,
        };
        Ok(Box::pin(futures::stream::unfold(
            state,
            |mut state| async move { state.next().await.map(|item| (item, state)) },
        )))
    }

    async fn current_revision(&self) -> Result<Revision> {
        // A linearizable count of a single key: cheap, and its header carries the newest
        // revision of the whole store.
        let resp = self
            .kv
            .clone()
            .get(vec![0], Some(GetOptions::new().with_count_only()))
            .await
            .map_err(etcd_error("read the current revision"))?;
        resp.header()
            .map(|h| h.revision())
            .ok_or_else(|| StorageError::Backend("etcd: response without a header".into()))
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        match self.kv.clone().compact(revision, None).await {
            Ok(_) => {}
            // Compacting at or below an earlier compaction is a no-op, as in the embedded store.
            Err(err) if is_compacted(&err) => {}
            Err(err) => return Err(etcd_error("compact")(err)),
        }
        self.compacted.fetch_max(revision, Ordering::Relaxed);
        Ok(())
    }
}

/// The state of one watch stream.
struct EtcdWatch {
    /// Holds the request side open too: etcd ends the watch when it closes.
    stream: etcd_client::WatchStream,
    prefix: String,
    /// The newest revision delivered, initially the caller's `after` (reported in `Expired`).
    after: Revision,
    compacted: Arc<AtomicI64>,
    pending: VecDeque<WatchEvent>,
    done: bool,
}

impl EtcdWatch {
    async fn next(&mut self) -> Option<Result<WatchEvent>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(Ok(event));
            }
            if self.done {
                return None;
            }
            let item = self.receive().await;
            if let Err(err) = item {
                self.done = true;
                return Some(Err(err));
            }
        }
    }

    /// Wait for the next response and queue its events.
    async fn receive(&mut self) -> Result<()> {
        let resp = match self.stream.message().await {
            Ok(Some(resp)) => resp,
            Ok(None) => {
                return Err(StorageError::Backend("etcd: the watch stream ended".into()));
            }
            Err(err) => return Err(etcd_error("watch")(err)),
        };
        if resp.compact_revision() != 0 {
            // The start revision (or, for a slow watcher, its position) was compacted.
            self.compacted
                .fetch_max(resp.compact_revision(), Ordering::Relaxed);
            return Err(StorageError::Expired {
                requested: self.after,
                compacted: resp.compact_revision(),
            });
        }
        if resp.canceled() {
            return Err(StorageError::Backend(format!(
                "etcd: the watch was canceled: {}",
                resp.cancel_reason()
            )));
        }
        for event in resp.events() {
            let event = convert_event(&self.prefix, event)?;
            self.after = event.revision();
            self.pending.push_back(event);
        }
        Ok(())
    }
}

fn convert_event(prefix: &str, event: &etcd_client::Event) -> Result<WatchEvent> {
    let convert = |kv| key_value(prefix, kv);
    let kv = event
        .kv()
        .ok_or_else(|| StorageError::Backend("etcd: watch event without a key".into()))?;
    let prev = event.prev_kv().map(convert).transpose()?;
    Ok(match event.event_type() {
        etcd_client::EventType::Put if kv.version() == 1 => WatchEvent {
            event_type: EventType::Created,
            kv: convert(kv)?,
            prev: None,
        },
        etcd_client::EventType::Put => WatchEvent {
            event_type: EventType::Modified,
            kv: convert(kv)?,
            prev,
        },
        etcd_client::EventType::Delete => {
            // etcd's delete event has only the key and the deletion revision; the last value
            // comes from the previous key-value (absent only if that was compacted).
            let deleted = convert(kv)?;
            let kv = match &prev {
                Some(prev) => KeyValue {
                    mod_revision: deleted.mod_revision,
                    ..prev.clone()
                },
                None => deleted,
            };
            WatchEvent {
                event_type: EventType::Deleted,
                kv,
                prev,
            }
        }
    })
}

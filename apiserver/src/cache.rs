//! The watch cache: an in-memory mirror of everything under `/registry/`, fed by one storage
//! watch, that serves LIST and WATCH without touching the store (the idea of kube-apiserver's
//! cacher). It keeps the newest state of every key plus a bounded history of recent events, so
//! a watch can resume from any revision still in that history; an older one is told `410 Gone`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use flotilla_storage::{EventType, KeyValue, ListOptions, Revision, Storage};
use futures::StreamExt;
use serde_json::Value;
use tokio::sync::{broadcast, watch};
use tracing::{debug, warn};

/// The root of every key the API server stores.
pub const ROOT: &str = "/registry/";

/// One object as the cache holds it: decoded once, with `metadata.resourceVersion` set.
#[derive(Debug)]
pub struct CachedObject {
    pub key: String,
    pub object: Arc<Value>,
    pub revision: Revision,
    /// The object's JSON, serialized at most once however many LISTs and watches send it.
    encoded: std::sync::OnceLock<bytes::Bytes>,
}

impl CachedObject {
    fn new(key: String, object: Arc<Value>, revision: Revision) -> Self {
        CachedObject {
            key,
            object,
            revision,
            encoded: std::sync::OnceLock::new(),
        }
    }

    /// The object as JSON bytes.
    pub fn encoded(&self) -> &bytes::Bytes {
        self.encoded.get_or_init(|| {
            bytes::Bytes::from(serde_json::to_vec(&*self.object).unwrap_or_default())
        })
    }
}

/// One change.
#[derive(Debug)]
pub struct CacheEvent {
    pub event_type: EventType,
    pub key: String,
    /// The new object; for `Deleted`, the last state with the deletion's resourceVersion.
    pub object: Arc<Value>,
    pub prev: Option<Arc<Value>>,
    pub revision: Revision,
    /// `object` as JSON, serialized once for all watchers.
    encoded: std::sync::OnceLock<bytes::Bytes>,
}

impl CacheEvent {
    /// The event's object as JSON bytes.
    pub fn encoded(&self) -> &bytes::Bytes {
        self.encoded.get_or_init(|| {
            bytes::Bytes::from(serde_json::to_vec(&*self.object).unwrap_or_default())
        })
    }
}

/// What watchers receive.
#[derive(Debug, Clone)]
pub enum CacheMessage {
    Event(Arc<CacheEvent>),
    /// The cache lost its storage watch and rebuilt itself: every watcher must end, so its
    /// client resumes (or relists) from a revision the cache can vouch for.
    Reset,
}

struct State {
    objects: BTreeMap<String, Arc<CachedObject>>,
    history: VecDeque<Arc<CacheEvent>>,
    /// Every event with a revision greater than this is in `history` (or still to come).
    history_floor: Revision,
    revision: Revision,
}

/// Called for every event before any watcher sees it.
pub type Observer = Arc<dyn Fn(&CacheEvent) + Send + Sync>;

pub struct WatchCache {
    store: Arc<dyn Storage>,
    observer: std::sync::OnceLock<Observer>,
    state: RwLock<State>,
    tx: broadcast::Sender<CacheMessage>,
    revision_tx: watch::Sender<Revision>,
    history_capacity: usize,
}

/// A started watch: events from history to send first, then live messages.
pub struct Subscription {
    pub backlog: Vec<Arc<CacheEvent>>,
    pub receiver: broadcast::Receiver<CacheMessage>,
    pub revision: Revision,
}

/// The cache could not serve a watch from this revision.
#[derive(Debug)]
pub struct TooOld {
    pub requested: Revision,
    pub oldest: Revision,
}

pub fn decode(kv: &KeyValue, revision: Revision) -> Value {
    let mut object: Value = serde_json::from_slice(&kv.value).unwrap_or_else(|err| {
        warn!(key = %kv.key, %err, "undecodable object in storage");
        Value::Object(Default::default())
    });
    set_resource_version(&mut object, revision);
    object
}

pub fn set_resource_version(object: &mut Value, revision: Revision) {
    if let Some(obj) = object.as_object_mut() {
        let meta = obj
            .entry("metadata")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(meta) = meta.as_object_mut() {
            meta.insert(
                "resourceVersion".into(),
                Value::String(revision.to_string()),
            );
        }
    }
}

impl WatchCache {
    /// Fill the cache from the store and start following it.
    pub async fn start(
        store: Arc<dyn Storage>,
        history_capacity: usize,
    ) -> flotilla_storage::Result<Arc<Self>> {
        let (tx, _) = broadcast::channel(16 * 1024);
        let (revision_tx, _) = watch::channel(0);
        let cache = Arc::new(WatchCache {
            store,
            observer: std::sync::OnceLock::new(),
            state: RwLock::new(State {
                objects: BTreeMap::new(),
                history: VecDeque::new(),
                history_floor: 0,
                revision: 0,
            }),
            tx,
            revision_tx,
            history_capacity: history_capacity.max(1),
        });
        let revision = cache.relist().await?;
        let follower = Arc::clone(&cache);
        tokio::spawn(async move { follower.follow(revision).await });
        Ok(cache)
    }

    /// Replace the cache's content with a fresh list of the store.
    async fn relist(&self) -> flotilla_storage::Result<Revision> {
        let mut objects = BTreeMap::new();
        let mut opts = ListOptions {
            prefix: ROOT.to_string(),
            revision: None,
            limit: Some(1000),
            start_after: None,
        };
        let revision = loop {
            let page = self.store.list(&opts).await?;
            opts.revision = Some(page.revision);
            for kv in &page.items {
                let object = Arc::new(decode(kv, kv.mod_revision));
                objects.insert(
                    kv.key.clone(),
                    Arc::new(CachedObject::new(kv.key.clone(), object, kv.mod_revision)),
                );
            }
            if !page.more || page.items.is_empty() {
                break page.revision;
            }
            opts.start_after = page.items.last().map(|kv| kv.key.clone());
        };
        {
            let mut state = self.state.write().expect("cache lock");
            state.objects = objects;
            state.history.clear();
            state.history_floor = revision;
            state.revision = revision;
        }
        self.revision_tx.send_replace(revision);
        Ok(revision)
    }

    async fn follow(self: Arc<Self>, mut revision: Revision) {
        loop {
            match self.store.watch(ROOT, revision).await {
                Ok(mut stream) => {
                    while let Some(item) = stream.next().await {
                        match item {
                            Ok(event) => {
                                revision = event.kv.mod_revision;
                                self.apply(event);
                            }
                            Err(err) => {
                                warn!(%err, "storage watch ended; rebuilding the watch cache");
                                break;
                            }
                        }
                    }
                }
                Err(err) => warn!(%err, "cannot watch storage; rebuilding the watch cache"),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            // Resume if the store still has our history; otherwise rebuild from a fresh list
            // and make every watcher start over.
            if let Err(err) = self
                .store
                .list(&ListOptions {
                    prefix: ROOT.into(),
                    revision: Some(revision),
                    limit: Some(1),
                    start_after: None,
                })
                .await
            {
                debug!(%err, "history gone; relisting");
                match self.relist().await {
                    Ok(rev) => {
                        revision = rev;
                        let _ = self.tx.send(CacheMessage::Reset);
                    }
                    Err(err) => warn!(%err, "relist failed; will retry"),
                }
            }
        }
    }

    fn apply(&self, event: flotilla_storage::WatchEvent) {
        let revision = event.kv.mod_revision;
        let object = Arc::new(decode(&event.kv, revision));
        let prev = event
            .prev
            .as_ref()
            .map(|p| Arc::new(decode(p, p.mod_revision)));
        let cache_event = Arc::new(CacheEvent {
            event_type: event.event_type,
            key: event.kv.key.clone(),
            object: Arc::clone(&object),
            prev,
            revision,
            encoded: std::sync::OnceLock::new(),
        });
        {
            let mut state = self.state.write().expect("cache lock");
            match event.event_type {
                EventType::Deleted => {
                    state.objects.remove(&event.kv.key);
                }
                _ => {
                    state.objects.insert(
                        event.kv.key.clone(),
                        Arc::new(CachedObject::new(event.kv.key, object, revision)),
                    );
                }
            }
            state.history.push_back(Arc::clone(&cache_event));
            while state.history.len() > self.history_capacity {
                if let Some(old) = state.history.pop_front() {
                    state.history_floor = old.revision;
                }
            }
            state.revision = revision;
            // State derived from objects (served CRD resources) must be in place before any
            // watcher can act on the event.
            if let Some(observer) = self.observer.get() {
                observer(&cache_event);
            }
            // Sending under the lock keeps subscription (taken under the same lock) gap-free.
            let _ = self.tx.send(CacheMessage::Event(cache_event));
        }
        self.revision_tx.send_replace(revision);
    }

    /// Install the observer called for every event before watchers see it (once).
    pub fn set_observer(&self, observer: Observer) {
        let _ = self.observer.set(observer);
    }

    /// The newest revision the cache has applied.
    pub fn revision(&self) -> Revision {
        self.state.read().expect("cache lock").revision
    }

    /// Wait until the cache has caught up with `revision`.
    pub async fn wait_for(&self, revision: Revision, timeout: Duration) -> bool {
        let mut rx = self.revision_tx.subscribe();
        let wait = rx.wait_for(|r| *r >= revision);
        matches!(tokio::time::timeout(timeout, wait).await, Ok(Ok(_)))
    }

    /// Catch up with the store's newest revision (a consistent read), bounded in time.
    pub async fn sync(&self) -> bool {
        match self.store.current_revision().await {
            Ok(rev) => self.wait_for(rev, Duration::from_secs(3)).await,
            Err(_) => false,
        }
    }

    /// Objects under `prefix` (after `start_after`), in key order, at the cache's revision.
    pub fn list(
        &self,
        prefix: &str,
        start_after: Option<&str>,
    ) -> (Vec<Arc<CachedObject>>, Revision) {
        let state = self.state.read().expect("cache lock");
        let start = match start_after {
            Some(after) => std::ops::Bound::Excluded(after.to_string()),
            None => std::ops::Bound::Included(prefix.to_string()),
        };
        let items = state
            .objects
            .range((start, std::ops::Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| Arc::clone(v))
            .collect();
        (items, state.revision)
    }

    pub fn get(&self, key: &str) -> Option<Arc<CachedObject>> {
        self.state
            .read()
            .expect("cache lock")
            .objects
            .get(key)
            .cloned()
    }

    /// Start a watch of keys under `prefix` after `after`.
    pub fn subscribe(&self, prefix: &str, after: Revision) -> Result<Subscription, TooOld> {
        let state = self.state.read().expect("cache lock");
        if after < state.history_floor {
            return Err(TooOld {
                requested: after,
                oldest: state.history_floor,
            });
        }
        let backlog = state
            .history
            .iter()
            .filter(|e| e.revision > after && e.key.starts_with(prefix))
            .cloned()
            .collect();
        Ok(Subscription {
            backlog,
            receiver: self.tx.subscribe(),
            revision: state.revision,
        })
    }

    /// The current objects under `prefix` and a live subscription from that exact point.
    pub fn snapshot_and_subscribe(&self, prefix: &str) -> (Vec<Arc<CachedObject>>, Subscription) {
        let state = self.state.read().expect("cache lock");
        let items = state
            .objects
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| Arc::clone(v))
            .collect();
        (
            items,
            Subscription {
                backlog: Vec::new(),
                receiver: self.tx.subscribe(),
                revision: state.revision,
            },
        )
    }

    /// Forget history at or below `revision` (after the store compacted it).
    pub fn trim_history(&self, revision: Revision) {
        let mut state = self.state.write().expect("cache lock");
        while state
            .history
            .front()
            .is_some_and(|e| e.revision <= revision)
        {
            state.history.pop_front();
        }
        state.history_floor = state.history_floor.max(revision.min(state.revision));
    }
}
